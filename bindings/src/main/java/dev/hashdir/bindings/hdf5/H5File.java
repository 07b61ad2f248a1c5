package dev.hashdir.bindings.hdf5;

import dev.hashdir.bindings.libc.LibC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * An open HDF5 file. Files are always created and opened with libver bounds LATEST/LATEST (SWMR
 * needs the 1.10 format), and with every allocation of {@value #ALIGNMENT} bytes or more (a page's
 * chunk) at a file offset that is a multiple of {@value #ALIGNMENT}: a page then fills whole pages
 * of the OS's page cache, so writing one needs no read of the two partly covered pages around it
 * and reading one touches one page, not two. The alignment is a property of this library's
 * allocations, not of the file: a file written without it stays readable, and its chunks move to
 * aligned offsets as they are rewritten to new space.
 *
 * <p>Threading: not thread-safe. One thread at a time, and in hashdir one thread for all HDF5
 * calls.
 */
@SuppressWarnings("restricted") // dereferences the fd pointer HDF5 returns
public final class H5File implements AutoCloseable {

    /** Allocations of at least this many bytes start at a multiple of it ({@code H5Pset_alignment}). */
    public static final long ALIGNMENT = 4096;
    /**
     * HDF5's metadata cache of every file opened here, at least (its default starts at 2 MiB): the
     * chunk index of a 10M-key store (about 3 MB) fits with room for the rest.
     */
    public static final long METADATA_CACHE_BYTES = 16L << 20;

    /** How to open an existing file. */
    public enum Mode {
        READ_ONLY(H5.H5F_ACC_RDONLY),
        READ_WRITE(H5.H5F_ACC_RDWR),
        /** Read-write, single writer with concurrent SWMR readers. */
        SWMR_WRITE(H5.H5F_ACC_RDWR | H5.H5F_ACC_SWMR_WRITE),
        /**
         * Read-only view of a file another process writes in SWMR mode. Opened without HDF5's file
         * lock: 1.10 keeps a reader's shared {@code flock} for as long as the file is open, and that
         * lock makes the writer's open (also its reopen after a crash) fail with EAGAIN. Writers must
         * exclude each other by other means (hashdir: the writer lock file).
         */
        SWMR_READ(H5.H5F_ACC_RDONLY | H5.H5F_ACC_SWMR_READ);

        final int flags;

        Mode(int flags) {
            this.flags = flags;
        }
    }

    private final Path path;
    private final long id;
    private boolean closed;

    private H5File(Path path, long id) {
        this.path = path;
        this.id = id;
    }

    /** Creates a new file; fails if it exists. */
    public static H5File create(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            long fapl = latestFormatAccess(false, true);
            try {
                long id = (long) H5.Late.H5Fcreate.invokeExact(arena.allocateFrom(path.toString()), H5.H5F_ACC_EXCL,
                        H5.H5P_DEFAULT, fapl);
                return new H5File(path, Hdf5.checkId(id, "H5Fcreate(name=" + path + ", flags=EXCL)"));
            } finally {
                closePlist(fapl);
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** Opens an existing file. */
    public static H5File open(Path path, Mode mode) {
        try (Arena arena = Arena.ofConfined()) {
            long fapl = latestFormatAccess(false, mode != Mode.SWMR_READ);
            try {
                long id = (long) H5.H5Fopen.invokeExact(arena.allocateFrom(path.toString()), mode.flags, fapl);
                return new H5File(path, Hdf5.checkId(id, "H5Fopen(name=" + path + ", mode=" + mode + ")"));
            } finally {
                closePlist(fapl);
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /**
     * Clears the superblock status flags a crashed writer left set, as {@code h5clear -s} does. Only
     * safe while nobody else has the file open for writing: call it holding the writer lock.
     */
    public static void clearStatusFlags(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            long fapl = latestFormatAccess(true, true);
            try {
                long id = (long) H5.H5Fopen.invokeExact(arena.allocateFrom(path.toString()), H5.H5F_ACC_RDWR, fapl);
                Hdf5.checkId(id, "H5Fopen(name=" + path + ", flags=RDWR, clear_status_flags=true)");
                Hdf5.check((int) H5.H5Fclose.invokeExact(id), "H5Fclose(" + path + ")");
            } finally {
                closePlist(fapl);
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** The path this file was opened with. */
    public Path path() {
        return path;
    }

    /** The raw HDF5 id, for the low layer ({@link H5}). */
    public long id() {
        ensureOpen();
        return id;
    }

    /**
     * Creates a chunked dataset at the root.
     *
     * @param maxDims use {@link H5#H5S_UNLIMITED} for an extendible dimension
     */
    public H5Dataset createDataset(String name, H5Type type, long[] dims, long[] maxDims, long[] chunk) {
        ensureOpen();
        return H5Dataset.create(this, name, type, dims, maxDims, chunk);
    }

    /** Opens a dataset at the root. */
    public H5Dataset openDataset(String name) {
        ensureOpen();
        return H5Dataset.open(this, name);
    }

    /** Whether a link (dataset or group) named {@code name} exists at the root. */
    public boolean exists(String name) {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) H5.H5Lexists.invokeExact(id, arena.allocateFrom(name), H5.H5P_DEFAULT);
            return Hdf5.check(rc, "H5Lexists(" + path + ", name=" + name + ")") > 0;
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** Creates a u64 attribute on the root group (before SWMR starts). */
    public void setAttribute(String name, long value) {
        ensureOpen();
        Attributes.setLong(id, path + ":/", name, value);
    }

    /** Creates a fixed-length string attribute on the root group (before SWMR starts). */
    public void setAttribute(String name, String value) {
        ensureOpen();
        Attributes.setString(id, path + ":/", name, value);
    }

    public boolean hasAttribute(String name) {
        ensureOpen();
        return Attributes.exists(id, path + ":/", name);
    }

    public long longAttribute(String name) {
        ensureOpen();
        return Attributes.getLong(id, path + ":/", name);
    }

    public String stringAttribute(String name) {
        ensureOpen();
        return Attributes.getString(id, path + ":/", name);
    }

    /** Switches an open read-write file to SWMR writing; no object or attribute may be created after. */
    public void startSwmrWrite() {
        ensureOpen();
        Hdf5.call(H5.H5Fstart_swmr_write, id, "H5Fstart_swmr_write(" + path + ")");
    }

    /** Hands HDF5's buffers to the operating system ({@code H5Fflush}); not durable by itself. */
    public void flush() {
        ensureOpen();
        Hdf5.quiet();
        try {
            Hdf5.check((int) H5.Late.H5Fflush.invokeExact(id, H5.H5F_SCOPE_LOCAL), "H5Fflush(" + path + ", LOCAL)");
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** The POSIX file descriptor of the sec2 driver. */
    public int fileDescriptor() {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
            Hdf5.check((int) H5.H5Fget_vfd_handle.invokeExact(id, H5.H5P_DEFAULT, handle),
                    "H5Fget_vfd_handle(" + path + ")");
            MemorySegment fdPtr = handle.get(ValueLayout.ADDRESS, 0).reinterpret(ValueLayout.JAVA_INT.byteSize());
            return fdPtr.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** Makes everything written so far durable: {@code H5Fflush}, then {@code fdatasync} (HDF5 1.10 never syncs). */
    public void sync() throws IOException {
        flush();
        LibC.fdatasync(fileDescriptor());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Hdf5.call(H5.H5Fclose, id, "H5Fclose(" + path + ")");
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("HDF5 file is closed: " + path);
        }
    }

    private static long latestFormatAccess(boolean clearStatusFlags, boolean fileLocking) throws Throwable {
        Hdf5.quiet(); // opens and creates start here, on whichever thread
        long fapl = Hdf5.checkId((long) H5.H5Pcreate.invokeExact(H5.H5P_CLS_FILE_ACCESS), "H5Pcreate(FILE_ACCESS)");
        try {
            Hdf5.check((int) H5.H5Pset_libver_bounds.invokeExact(fapl, H5.H5F_LIBVER_LATEST, H5.H5F_LIBVER_LATEST),
                    "H5Pset_libver_bounds(LATEST, LATEST)");
            Hdf5.check((int) H5.H5Pset_alignment.invokeExact(fapl, ALIGNMENT, ALIGNMENT),
                    "H5Pset_alignment(" + ALIGNMENT + ", " + ALIGNMENT + ")");
            MetadataCache.reserve(fapl, METADATA_CACHE_BYTES);
            if (!fileLocking) {
                Hdf5.check((int) H5.Late.H5Pset_file_locking.invokeExact(fapl, false, true),
                        "H5Pset_file_locking(use=false, ignore_when_disabled=true)");
            }
            if (clearStatusFlags) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment yes = arena.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 1); // hbool_t is C bool
                    Hdf5.check((int) H5.H5Pset.invokeExact(fapl, arena.allocateFrom(H5.CLEAR_STATUS_FLAGS_PROPERTY),
                            yes), "H5Pset(" + H5.CLEAR_STATUS_FLAGS_PROPERTY + ", true)");
                }
            }
            return fapl;
        } catch (Throwable t) {
            closePlist(fapl);
            throw t;
        }
    }

    private static void closePlist(long plist) throws Throwable {
        int rc = (int) H5.H5Pclose.invokeExact(plist);
        assert rc >= 0;
    }
}
