package dev.hashdir.server.cli;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.store.Meta;
import dev.hashdir.engine.store.MetaLayout;
import dev.hashdir.engine.store.StoreFormat;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.store.WriterLock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class CheckCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void buildStore() throws Exception {
        Random rnd = new Random(42);
        try (HashDir hd = HashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults())) {
            byte[] key = new byte[32];
            for (int i = 0; i < 500; i++) {
                rnd.nextBytes(key);
                hd.put(key, i);
            }
        }
    }

    private int run(String... args) {
        CommandLine cli = HashdirCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(out, true));
        return cli.execute(args);
    }

    @Test
    void aCleanStoreExitsZeroWithASummary() {
        assertThat(run("check", "--data", dir.toString(), "--verbose")).isZero();
        assertThat(out.toString()).contains("500 keys, 500 values").contains("0 errors, 0 warnings")
                .contains("meta slot").contains("directory: global depth");
    }

    @Test
    void aDamagedPageExitsOneNamingIt() {
        long row;
        try (Arena arena = Arena.ofConfined();
             H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
             H5Dataset pages = h5.openDataset(StoreFormat.PAGES_DATASET)) {
            row = currentMeta(h5, arena).pageMapRoot();
            MemorySegment page = arena.allocate(4096, 8);
            pages.readChunk(row, page);
            page.set(ValueLayout.JAVA_BYTE, 4000, (byte) 0x5A);
            pages.writeChunk(row, page);
        }
        assertThat(run("check", "--data", dir.toString())).isEqualTo(HashdirCli.EXIT_FAILED);
        assertThat(out.toString()).contains("ERROR page map index page 0 (row " + row + ")").contains("page checksum")
                .containsPattern("[1-9][0-9]* errors");
    }

    @Test
    void warningsOnlyExitThree() {
        try (Arena arena = Arena.ofConfined();
             H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
             H5Dataset meta = h5.openDataset(StoreFormat.META_DATASET)) {
            int older = 1 - currentMeta(h5, arena).slot();
            MemorySegment slot = arena.allocate(MetaLayout.SLOT_BYTES, 8);
            meta.readChunk(older, slot);
            slot.set(ValueLayout.JAVA_LONG_UNALIGNED, MetaLayout.KEYS_OFFSET, 99);
            meta.writeChunk(older, slot);
        }
        assertThat(run("check", "--data", dir.toString())).isEqualTo(CheckCommand.EXIT_WARNINGS);
        assertThat(out.toString()).contains("0 errors, 1 warnings").contains("WARNING meta slot");
    }

    @Test
    void aStoreInUseOrMissingExitsOne() throws Exception {
        try (WriterLock _ = WriterLock.acquire(dir)) {
            assertThat(run("check", "--data", dir.toString())).isEqualTo(HashdirCli.EXIT_FAILED);
        }
        assertThat(err.toString()).contains("is in use by another writer");
        assertThat(run("check", "--data", dir.resolve("nothing").toString())).isEqualTo(HashdirCli.EXIT_FAILED);
        assertThat(err.toString()).contains("no store at");
        assertThat(run("check", "--data", dir.toString(), "--max-findings", "-1")).isEqualTo(HashdirCli.EXIT_USAGE);
    }

    private static Meta currentMeta(H5File h5, Arena arena) {
        try (H5Dataset meta = h5.openDataset(StoreFormat.META_DATASET)) {
            MemorySegment slot = arena.allocate(MetaLayout.SLOT_BYTES, 8);
            Meta best = null;
            for (int s = 0; s < 2; s++) {
                meta.readChunk(s, slot);
                Meta m = Meta.decode(slot, null).orElse(null);
                if (m != null && (best == null || m.epoch() > best.epoch())) {
                    best = m;
                }
            }
            return best;
        }
    }
}
