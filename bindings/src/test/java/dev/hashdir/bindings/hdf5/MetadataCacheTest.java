package dev.hashdir.bindings.hdf5;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetadataCacheTest {

    private long fapl;

    @BeforeEach
    void plist() throws Throwable {
        fapl = Hdf5.checkId((long) H5.H5Pcreate.invokeExact(H5.H5P_CLS_FILE_ACCESS), "H5Pcreate");
    }

    @AfterEach
    void close() throws Throwable {
        Hdf5.check((int) H5.H5Pclose.invokeExact(fapl), "H5Pclose");
    }

    /** Read at the binding's offsets, a new list carries HDF5 1.10's documented defaults: the layout is right. */
    @Test
    void readsTheLibrarysDefaults() {
        assertThat(MetadataCache.sizes(fapl)).containsExactly(2L << 20, 1L << 20, 32L << 20);
    }

    @Test
    void reservesTheInitialAndLeastSizeKeepingTheLargerMaximum() {
        MetadataCache.reserve(fapl, 16L << 20);
        assertThat(MetadataCache.sizes(fapl)).containsExactly(16L << 20, 16L << 20, 32L << 20);
        MetadataCache.reserve(fapl, 64L << 20);
        assertThat(MetadataCache.sizes(fapl)).containsExactly(64L << 20, 64L << 20, 64L << 20);
    }

    @Test
    void refusesSizesHdf5WouldNot() {
        assertThatThrownBy(() -> MetadataCache.reserve(fapl, 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MetadataCache.reserve(fapl, MetadataCache.MOST_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(MetadataCache.sizes(fapl)).as("unchanged").containsExactly(2L << 20, 1L << 20, 32L << 20);
    }
}
