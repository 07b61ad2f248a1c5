package dev.hashdir.bindings.hdf5;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class H5FileTest {

    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void reportsTheInstalledLibraryVersion() {
        assertThat(Hdf5.libraryVersion()).matches("1\\.10\\.\\d+");
    }

    @Test
    void chunkRoundTripSurvivesReopen() throws Exception {
        Path file = dir.resolve("t.h5");
        Random random = new Random(42);
        byte[][] pages = new byte[5][PAGE];
        try (Arena arena = Arena.ofConfined(); H5File f = H5File.create(file)) {
            f.setAttribute("format", "hashdir-test");
            f.setAttribute("page_size", PAGE);
            try (H5Dataset ds = f.createDataset("pages", H5Type.U8, new long[]{0, PAGE},
                    new long[]{H5.H5S_UNLIMITED, PAGE}, new long[]{1, PAGE})) {
                ds.setExtent(8, PAGE);
                MemorySegment buf = arena.allocate(PAGE);
                for (int i = 0; i < pages.length; i++) {
                    random.nextBytes(pages[i]);
                    MemorySegment.copy(pages[i], 0, buf, ValueLayout.JAVA_BYTE, 0, PAGE);
                    ds.writeChunk(i, buf);
                }
                assertThat(ds.dims()).containsExactly(8, PAGE);
                assertThat(ds.maxDims()).containsExactly(H5.H5S_UNLIMITED, PAGE);
                assertThat(ds.chunkStorageSize(0)).isEqualTo(PAGE);
            }
            f.sync();
        }
        try (Arena arena = Arena.ofConfined(); H5File f = H5File.open(file, H5File.Mode.READ_ONLY);
             H5Dataset ds = f.openDataset("pages")) {
            assertThat(f.stringAttribute("format")).isEqualTo("hashdir-test");
            assertThat(f.longAttribute("page_size")).isEqualTo(PAGE);
            assertThat(f.exists("pages")).isTrue();
            assertThat(f.exists("nothing")).isFalse();
            assertThat(ds.chunkDims()).containsExactly(1, PAGE);
            MemorySegment buf = arena.allocate(PAGE);
            for (int i = pages.length - 1; i >= 0; i--) {
                ds.readChunk(i, buf);
                assertThat(buf.toArray(ValueLayout.JAVA_BYTE)).as("page %d", i).isEqualTo(pages[i]);
            }
        }
    }

    @Test
    void openingAMissingFileCarriesHdf5sOwnMessage() {
        Path missing = dir.resolve("missing.h5");
        assertThatThrownBy(() -> H5File.open(missing, H5File.Mode.READ_ONLY))
                .isInstanceOf(Hdf5Exception.class)
                .hasMessageContaining("H5Fopen(name=" + missing)
                .hasMessageContaining("unable to open file")
                .hasMessageContaining("No such file or directory")
                .satisfies(e -> assertThat(((Hdf5Exception) e).errorStack()).contains("HDF5-DIAG"));
    }

    @Test
    void creatingOverAnExistingFileFailsAndLeavesItAlone() throws Exception {
        Path file = dir.resolve("exists.h5");
        Files.writeString(file, "not hdf5");
        assertThatThrownBy(() -> H5File.create(file))
                .isInstanceOf(Hdf5Exception.class)
                .hasMessageContaining("H5Fcreate");
        assertThat(Files.readString(file)).isEqualTo("not hdf5");
    }

    @Test
    void errorsDoNotLeakIntoTheNextCall() {
        assertThatThrownBy(() -> H5File.open(dir.resolve("a.h5"), H5File.Mode.READ_ONLY))
                .hasMessageContaining("a.h5");
        assertThatThrownBy(() -> H5File.open(dir.resolve("b.h5"), H5File.Mode.READ_ONLY))
                .hasMessageContaining("b.h5")
                .hasMessageNotContaining("a.h5");
    }

    @Test
    void anOpenedDatasetRefusesABufferSmallerThanAChunk() {
        Path file = dir.resolve("small.h5");
        try (H5File f = H5File.create(file)) {
            f.createDataset("wide", H5Type.U64, new long[]{4, 512}, new long[]{H5.H5S_UNLIMITED, 512},
                    new long[]{1, 512}).close();
        }
        try (Arena arena = Arena.ofConfined(); H5File f = H5File.open(file, H5File.Mode.READ_ONLY);
             H5Dataset ds = f.openDataset("wide")) {
            assertThat(ds.chunkBytes()).isEqualTo(512 * 8);
            assertThatThrownBy(() -> ds.readChunk(0, arena.allocate(4095))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("smaller than a chunk of 4096 bytes");
        }
    }

    @Test
    void readingAChunkNeverWrittenFails() {
        try (Arena arena = Arena.ofConfined(); H5File f = H5File.create(dir.resolve("holes.h5"));
             H5Dataset ds = f.createDataset("pages", H5Type.U8, new long[]{4, PAGE},
                     new long[]{H5.H5S_UNLIMITED, PAGE}, new long[]{1, PAGE})) {
            assertThat(ds.chunkStorageSize(2)).isZero();
            assertThatThrownBy(() -> ds.readChunk(2, arena.allocate(PAGE))).isInstanceOf(Hdf5Exception.class)
                    .hasMessageContaining("H5Dread_chunk(pages, offset=2)");
        }
    }

    @Test
    void swmrWriteThenExtendAndWrite() throws Exception {
        Path file = dir.resolve("swmr.h5");
        try (H5File f = H5File.create(file)) {
            f.createDataset("pages", H5Type.U8, new long[]{0, PAGE}, new long[]{H5.H5S_UNLIMITED, PAGE},
                    new long[]{1, PAGE}).close();
        }
        try (Arena arena = Arena.ofConfined(); H5File f = H5File.open(file, H5File.Mode.SWMR_WRITE);
             H5Dataset ds = f.openDataset("pages")) {
            ds.setExtent(1024, PAGE);
            MemorySegment buf = arena.allocate(PAGE);
            buf.fill((byte) 7);
            ds.writeChunk(1000, buf);
            f.sync();
            assertThat(f.fileDescriptor()).isGreaterThan(2);
        }
    }
}
