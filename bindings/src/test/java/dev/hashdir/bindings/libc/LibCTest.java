package dev.hashdir.bindings.libc;

import dev.hashdir.bindings.hdf5.H5File;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LibCTest {

    @TempDir
    Path dir;

    /** sync_file_range on an open file starts its write-back and returns; fdatasync still works after it. */
    @Test
    void startsTheWritebackOfAnOpenFile() throws Exception {
        try (H5File f = H5File.create(dir.resolve("w.h5"))) {
            f.setAttribute("format", "writeback-test");
            f.flush();
            LibC.startWriteback(f.fileDescriptor());
            LibC.fdatasync(f.fileDescriptor());
        }
    }

    /** A bad descriptor is reported with its errno (EBADF) and the call's name. */
    @Test
    void reportsABadDescriptor() {
        assertThatThrownBy(() -> LibC.startWriteback(-1)).isInstanceOf(ErrnoException.class)
                .hasMessageContaining("sync_file_range").hasMessageContaining("errno=9");
        assertThat(LibC.declarations()).extracting(d -> d.name()).contains("sync_file_range");
    }
}
