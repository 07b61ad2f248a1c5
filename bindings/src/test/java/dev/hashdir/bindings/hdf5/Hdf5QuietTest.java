package dev.hashdir.bindings.hdf5;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * HDF5's automatic error printing is per thread in this (thread-safe) build: a thread that only
 * reads chunks of a file another thread opened must not have it on, or each failure dumps HDF5's
 * error stack to stderr besides the exception.
 */
class Hdf5QuietTest {

    @TempDir
    Path dir;

    @Test
    void aChunkReadOnAnotherThreadTurnsPrintingOffThere() throws Exception {
        try (H5File f = H5File.create(dir.resolve("q.h5"))) {
            assertThat(Hdf5.printsErrors()).as("the thread that created the file").isFalse();
            try (H5Dataset d = f.createDataset("pages", H5Type.U8, new long[]{0, 64}, new long[]{H5.H5S_UNLIMITED, 64},
                    new long[]{1, 64})) {
                d.setExtent(4, 64);
                AtomicReference<Object> before = new AtomicReference<>();
                AtomicReference<Object> after = new AtomicReference<>();
                Thread other = Thread.ofPlatform().start(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        before.set(Hdf5.printsErrors()); // a thread HDF5 has not seen: its default, printing
                        MemorySegment buf = arena.allocate(64);
                        assertThatThrownBy(() -> d.readChunk(2, buf)).isInstanceOf(Hdf5Exception.class)
                                .hasMessageContaining("H5Dread_chunk");
                        after.set(Hdf5.printsErrors());
                    } catch (Throwable t) {
                        after.set(t);
                    }
                });
                other.join();
                assertThat(before.get()).as("a new thread prints by default (the setting is per thread)").isEqualTo(true);
                assertThat(after.get()).as("after its first chunk read").isEqualTo(false);
            }
        }
    }
}
