package dev.hashdir.bindings.hdf5;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The size of HDF5's metadata cache for a file, set on its file-access property list
 * ({@code H5Pget_mdc_config}, {@code H5Pset_mdc_config}). The cache holds, among the file's
 * metadata, the index of {@code /pages}' chunks (an extensible array: about 8 bytes a page, some 3
 * MB at 10M keys); HDF5 starts it at 2 MiB and grows it only after whole epochs of poor hit rates,
 * so a store read and written at random decoded (and checksummed) index blocks again and again.
 *
 * <p>Only the fields set here are laid out: {@code H5AC_cache_config_t} as HDF5 1.10 declares it
 * in {@code H5ACpublic.h} (x86_64 and aarch64), checked against the installed headers by the
 * {@code native/} module ({@link H5#macroConstants()}); the rest keeps the library's defaults,
 * read first.
 */
final class MetadataCache {

    /** {@code H5AC__CURR_CACHE_CONFIG_VERSION}. */
    static final int VERSION = 1;
    /** {@code sizeof(H5AC_cache_config_t)}. */
    static final long SIZE = 1216;
    /** {@code offsetof} the fields set here ({@code version} is at 0). */
    static final long SET_INITIAL_SIZE = 1033;
    static final long INITIAL_SIZE = 1040;
    static final long MAX_SIZE = 1056;
    static final long MIN_SIZE = 1064;
    /** {@code H5C__MAX_MAX_CACHE_SIZE}: the most HDF5 accepts. */
    static final long MOST_BYTES = 128L << 20;

    private MetadataCache() {
    }

    /**
     * Starts the metadata cache of files opened with {@code fapl} at {@code bytes} and never lets
     * it shrink below that (it may still grow up to the larger of the default maximum and
     * {@code bytes}).
     *
     * @throws IllegalArgumentException unless 1 MiB &lt;= bytes &lt;= {@link #MOST_BYTES}
     */
    static void reserve(long fapl, long bytes) {
        if (bytes < (1L << 20) || bytes > MOST_BYTES) {
            throw new IllegalArgumentException("metadata cache must be 1 MiB.." + MOST_BYTES + " bytes: bytes=" + bytes);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(SIZE, 8);
            config.set(ValueLayout.JAVA_INT, 0, VERSION);
            Hdf5.check((int) H5.H5Pget_mdc_config.invokeExact(fapl, config), "H5Pget_mdc_config");
            long max = Math.max(bytes, config.get(ValueLayout.JAVA_LONG, MAX_SIZE));
            config.set(ValueLayout.JAVA_BOOLEAN, SET_INITIAL_SIZE, true);
            config.set(ValueLayout.JAVA_LONG, INITIAL_SIZE, bytes);
            config.set(ValueLayout.JAVA_LONG, MIN_SIZE, bytes);
            config.set(ValueLayout.JAVA_LONG, MAX_SIZE, max);
            Hdf5.check((int) H5.H5Pset_mdc_config.invokeExact(fapl, config),
                    "H5Pset_mdc_config(initial=min=" + bytes + ", max=" + max + ")");
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** The initial, minimum and maximum sizes set on {@code fapl} (for tests). */
    static long[] sizes(long fapl) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(SIZE, 8);
            config.set(ValueLayout.JAVA_INT, 0, VERSION);
            Hdf5.check((int) H5.H5Pget_mdc_config.invokeExact(fapl, config), "H5Pget_mdc_config");
            return new long[]{config.get(ValueLayout.JAVA_LONG, INITIAL_SIZE), config.get(ValueLayout.JAVA_LONG, MIN_SIZE),
                    config.get(ValueLayout.JAVA_LONG, MAX_SIZE)};
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }
}
