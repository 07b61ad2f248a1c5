package dev.hashdir.engine;

import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.FileWalDirectory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.hashdir.engine.FailureTestKeys.CONFIG;
import static dev.hashdir.engine.FailureTestKeys.KEY_BYTES;
import static dev.hashdir.engine.FailureTestKeys.WAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real full filesystem under the HDF5 file: a small tmpfs ({@code mount -t tmpfs -o size=8m},
 * which needs root or CAP_SYS_ADMIN; elsewhere the test is skipped, saying why), filled up by a
 * filler file. HDF5's own sec2 driver meets ENOSPC, the engine turns read-only with the reason,
 * reads keep answering, and after the filler is deleted writing resumes (the HDF5 file is closed
 * and reopened by the resume) and everything committed is there after a reopen. The WAL lives on
 * the ordinary disk, so that it is the page store that runs out of space.
 */
class RealDiskFullTest {

    @TempDir
    Path tmp;

    private final FailureTestKeys keys = new FailureTestKeys();

    @Test
    void aFullFilesystemTurnsTheEngineReadOnlyAndWritingResumesWhenSpaceReturns() throws Exception {
        Path mount = tmp.resolve("small");
        Files.createDirectories(mount);
        String why = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString());
        Assumptions.assumeTrue(why == null, () -> "cannot mount a small tmpfs to fill (needs root or CAP_SYS_ADMIN): "
                + why);
        DurableHashDir d = null;
        try {
            Path data = mount.resolve("data");
            PageStore.init(data, new StoreOptions(KEY_BYTES, 4096));
            d = DurableHashDir.open(data, CONFIG, WAL, FileWalDirectory.open(tmp.resolve("wal")));
            put(d, 0, 5000);
            d.commit();
            d.checkpoint();
            Path filler = mount.resolve("filler");
            long fillerBytes = fill(filler);
            System.out.printf("tmpfs filled: filler of %d bytes, store file %d bytes%n", fillerBytes,
                    Files.size(data.resolve("hashdir.h5")));

            int k = 5000;
            String reason = null;
            for (int round = 0; round < 200 && reason == null; round++) {
                put(d, k, k + 1000);
                k += 1000;
                d.commit();
                try {
                    d.checkpoint();
                } catch (ReadOnlyException e) {
                    reason = e.getMessage();
                }
                if (reason == null && d.readOnlyReason() != null) {
                    reason = d.readOnlyReason();
                }
            }
            int written = k;
            System.out.println("read-only after " + written + " keys: " + reason);
            assertThat(reason).as("the full filesystem was met").isNotNull();
            assertThat(d.readOnlyReason()).as("one line, naming the call and the errno").doesNotContain("\n")
                    .contains("errno=28 (No space left on device)");
            DurableHashDir ro = d;
            assertThatThrownBy(() -> ro.put(keys.of(written + 1), 1)).isInstanceOf(ReadOnlyException.class);
            assertHolds(d, 0, written);
            assertThat(d.tryResume()).as("still full").isFalse();
            assertHolds(d, 0, written);

            Files.delete(filler);
            assertThat(d.tryResume()).as("space is back: " + d.readOnlyReason()).isTrue();
            assertThat(d.readOnlyReason()).isNull();
            put(d, written, written + 500);
            d.commit();
            d.close();
            d = null;
            try (DurableHashDir again = DurableHashDir.open(data, CONFIG, WAL, FileWalDirectory.open(tmp.resolve("wal")))) {
                assertHolds(again, 0, written + 500);
            }
        } finally {
            if (d != null) {
                d.crash();
            }
            String failed = run("umount", mount.toString());
            if (failed != null) {
                run("umount", "-l", mount.toString());
            }
        }
    }

    private void put(DurableHashDir d, int from, int to) {
        for (int k = from; k < to; k++) {
            d.put(keys.of(k), k);
            d.put(keys.of(k), ~k);
        }
    }

    private void assertHolds(DurableHashDir d, int from, int to) {
        for (int k = from; k < to; k++) {
            assertThat(d.count(keys.of(k))).as("key %d", k).isEqualTo(2);
            assertThat(d.contains(keys.of(k), ~k)).as("key %d", k).isTrue();
        }
    }

    /** Writes {@code file} until the filesystem is full; returns its size. */
    private static long fill(Path file) throws IOException {
        byte[] block = new byte[64 << 10];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
                written += block.length;
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
        return written;
    }

    /** Runs a command; null when it exits 0, else what it said. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + ": timed out";
        }
        return p.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + p.exitValue() + ": "
                + new String(out, StandardCharsets.UTF_8).strip();
    }
}
