package dev.hashdir.server.cli;

import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class InitCommandTest {

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = HashdirCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        return cli.execute(args);
    }

    @Test
    void createsAStoreWithTheGivenGeometry() throws Exception {
        Path data = dir.resolve("data");
        assertThat(run("init", "--data", data.toString(), "--key-bytes", "20", "--page-size", "16384")).isZero();
        try (PageStore store = PageStore.open(data)) {
            assertThat(store.keyBytes()).isEqualTo(20);
            assertThat(store.pageSize()).isEqualTo(16384);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "--page-size, 3000, page size must be a power of two between 4096 and 65536 bytes: pageSize=3000",
            "--page-size, 2048, pageSize=2048",
            "--page-size, 131072, pageSize=131072",
            "--key-bytes, 15, key bytes must be between 16 and 64: keyBytes=15",
            "--key-bytes, 65, keyBytes=65",
            "--key-bytes, x, Invalid value for option '--key-bytes': 'x' is not an int"})
    void refusesABadOptionAndCreatesNothing(String option, String value, String message) {
        Path data = dir.resolve("data");
        assertThat(run("init", "--data", data.toString(), option, value)).isEqualTo(HashdirCli.EXIT_USAGE);
        assertThat(err.toString()).contains(message);
        assertThat(data).doesNotExist();
    }

    @Test
    void refusesAnExistingStoreAndLeavesItAlone() throws Exception {
        Path data = dir.resolve("data");
        assertThat(run("init", "--data", data.toString(), "--key-bytes", "16")).isZero();
        byte[] before = Files.readAllBytes(data.resolve(StoreFormat.FILE_NAME));
        assertThat(run("init", "--data", data.toString(), "--key-bytes", "64")).isEqualTo(HashdirCli.EXIT_FAILED);
        assertThat(err.toString()).contains("a store already exists at " + data.resolve(StoreFormat.FILE_NAME));
        assertThat(Files.readAllBytes(data.resolve(StoreFormat.FILE_NAME))).isEqualTo(before);
    }
}
