package dev.hashdir.nativecheck;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The C reference benchmark of page I/O stays buildable with the strict flags, and works. */
class PageIoBenchTest {

    private static final Path SOURCE = Path.of("src", "main", "c", "page_io_bench.c").toAbsolutePath();
    private static final Path PROGRAM = Path.of("target", "page-io-bench", "page_io_bench").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeAll
    static void compile() throws Exception {
        Files.createDirectories(PROGRAM.getParent());
        NativeToolchain.Result gcc = NativeToolchain.require().compile(SOURCE, PROGRAM, "-O2", "-Wextra");
        assertThat(gcc.succeeded()).as(gcc.toString()).isTrue();
    }

    @Test
    void shouldWriteAndReadBackEveryPage() throws Exception {
        NativeToolchain.Result run = NativeToolchain.run(PROGRAM, dir.resolve("pages.h5").toString(), "256", "7");

        assertThat(run.succeeded()).as(run.toString()).isTrue();
        assertThat(run.output().lines()).as(run.toString()).hasSize(2)
                .anySatisfy(l -> assertThat(l).matches("phase=write pages=256 ns_per_page=\\d+\\.\\d total_ns=\\d+"))
                .anySatisfy(l -> assertThat(l).matches("phase=read pages=256 ns_per_page=\\d+\\.\\d total_ns=\\d+"));
        assertThat(dir.resolve("pages.h5")).isNotEmptyFile();
    }

    @Test
    void shouldRefuseAnInvalidPageCount() throws Exception {
        NativeToolchain.Result run = NativeToolchain.run(PROGRAM, dir.resolve("pages.h5").toString(), "0", "7");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.output()).contains("N must be a positive integer");
    }
}
