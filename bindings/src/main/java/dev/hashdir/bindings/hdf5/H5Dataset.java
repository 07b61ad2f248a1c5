package dev.hashdir.bindings.hdf5;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An open chunked dataset. Chunk I/O goes straight to the chunk ({@code H5Dwrite_chunk} /
 * {@code H5Dread_chunk}): no type conversion, no filters, no hyperslab selection, no allocation
 * per call.
 *
 * <p>Threading: not thread-safe; the preallocated call buffers belong to one thread at a time.
 */
public final class H5Dataset implements AutoCloseable {

    private final String name;
    private final long id;
    private final int rank;
    private final long[] chunkDims;
    private final long chunkBytes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment offsets;
    private final MemorySegment filters;
    private final MemorySegment dimsBuf;
    private boolean closed;

    private H5Dataset(String name, long id, int rank, long[] chunkDims, long chunkBytes) {
        this.name = name;
        this.id = id;
        this.rank = rank;
        this.chunkDims = chunkDims.clone();
        this.chunkBytes = chunkBytes;
        this.offsets = arena.allocate(ValueLayout.JAVA_LONG, rank);
        this.filters = arena.allocate(ValueLayout.JAVA_INT);
        this.dimsBuf = arena.allocate(ValueLayout.JAVA_LONG, 2L * rank);
    }

    static H5Dataset create(H5File file, String name, H5Type type, long[] dims, long[] maxDims, long[] chunk) {
        if (dims.length != maxDims.length || dims.length != chunk.length || dims.length == 0) {
            throw new IllegalArgumentException("dataset " + name + ": dims, maxDims and chunk need one equal, non-zero rank");
        }
        String call = "H5Dcreate2(" + file.path() + ", name=" + name + ", dims=" + java.util.Arrays.toString(dims)
                + ", chunk=" + java.util.Arrays.toString(chunk) + ")";
        try (Arena tmp = Arena.ofConfined()) {
            long space = Hdf5.checkId((long) H5.Late.H5Screate_simple.invokeExact(dims.length,
                    tmp.allocateFrom(ValueLayout.JAVA_LONG, dims), tmp.allocateFrom(ValueLayout.JAVA_LONG, maxDims)),
                    "H5Screate_simple(" + java.util.Arrays.toString(dims) + ")");
            long dcpl = Hdf5.checkId((long) H5.H5Pcreate.invokeExact(H5.H5P_CLS_DATASET_CREATE), "H5Pcreate(DATASET_CREATE)");
            try {
                Hdf5.check((int) H5.H5Pset_chunk.invokeExact(dcpl, chunk.length, tmp.allocateFrom(ValueLayout.JAVA_LONG, chunk)),
                        "H5Pset_chunk(" + java.util.Arrays.toString(chunk) + ")");
                long id = Hdf5.checkId((long) H5.Late.H5Dcreate2.invokeExact(file.id(), tmp.allocateFrom(name), type.fileType(),
                        space, H5.H5P_DEFAULT, dcpl, H5.H5P_DEFAULT), call);
                return new H5Dataset(name, id, dims.length, chunk, product(chunk) * type.bytes());
            } finally {
                int rc = (int) H5.H5Pclose.invokeExact(dcpl);
                rc |= (int) H5.H5Sclose.invokeExact(space);
                assert rc >= 0;
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    static H5Dataset open(H5File file, String name) {
        try (Arena tmp = Arena.ofConfined()) {
            long id = Hdf5.checkId((long) H5.H5Dopen2.invokeExact(file.id(), tmp.allocateFrom(name), H5.H5P_DEFAULT),
                    "H5Dopen2(" + file.path() + ", name=" + name + ")");
            try {
                long dcpl = Hdf5.checkId((long) H5.H5Dget_create_plist.invokeExact(id), "H5Dget_create_plist(" + name + ")");
                try {
                    MemorySegment chunk = tmp.allocate(ValueLayout.JAVA_LONG, 32);
                    int rank = Hdf5.check((int) H5.H5Pget_chunk.invokeExact(dcpl, 32, chunk), "H5Pget_chunk(" + name + ")");
                    long[] chunkDims = chunk.asSlice(0, rank * 8L).toArray(ValueLayout.JAVA_LONG);
                    return new H5Dataset(name, id, rank, chunkDims, product(chunkDims) * elementBytes(id, name));
                } finally {
                    int rc = (int) H5.H5Pclose.invokeExact(dcpl);
                    assert rc >= 0;
                }
            } catch (Throwable t) {
                int rc = (int) H5.H5Dclose.invokeExact(id);
                assert rc >= 0;
                throw t;
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** Bytes of one element of the dataset's type. */
    private static long elementBytes(long id, String name) throws Throwable {
        long type = Hdf5.checkId((long) H5.H5Dget_type.invokeExact(id), "H5Dget_type(" + name + ")");
        try {
            long size = (long) H5.H5Tget_size.invokeExact(type);
            if (size <= 0) {
                throw Hdf5.failure("H5Tget_size(type of " + name + ")");
            }
            return size;
        } finally {
            int rc = (int) H5.H5Tclose.invokeExact(type);
            assert rc >= 0;
        }
    }

    /** Bytes of one whole chunk: what {@link #readChunk} writes into its buffer. */
    public long chunkBytes() {
        return chunkBytes;
    }

    public String name() {
        return name;
    }

    public int rank() {
        return rank;
    }

    public long[] chunkDims() {
        return chunkDims.clone();
    }

    /** Current dimensions (after {@link #refresh()} for a SWMR reader). */
    public long[] dims() {
        return extent(0);
    }

    /** Maximum dimensions; {@link H5#H5S_UNLIMITED} for extendible ones. */
    public long[] maxDims() {
        return extent(rank);
    }

    /** Extends (or shrinks) the dataset; allowed under SWMR. */
    public void setExtent(long... dims) {
        ensureOpen();
        Hdf5.quiet();
        if (dims.length != rank) {
            throw new IllegalArgumentException("dataset " + name + " has rank " + rank + ", got " + dims.length + " dims");
        }
        MemorySegment.copy(dims, 0, dimsBuf, ValueLayout.JAVA_LONG, 0, rank);
        try {
            Hdf5.check((int) H5.H5Dset_extent.invokeExact(id, dimsBuf),
                    "H5Dset_extent(" + name + ", " + java.util.Arrays.toString(dims) + ")");
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /**
     * Writes one whole chunk, unfiltered: the chunk whose first element is at {@code first} along
     * dimension 0 and at 0 along the others. {@code data} must be native memory.
     */
    public void writeChunk(long first, MemorySegment data) {
        ensureOpen();
        Hdf5.quiet();
        offsets.set(ValueLayout.JAVA_LONG, 0, first);
        try {
            int rc = (int) H5.Late.H5Dwrite_chunk.invokeExact(id, H5.H5P_DEFAULT, 0, offsets, data.byteSize(), data);
            if (rc < 0) {
                throw Hdf5.failure("H5Dwrite_chunk(" + name + ", offset=" + first + ", size=" + data.byteSize() + ")");
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /**
     * Reads one whole chunk (see {@link #writeChunk}) into {@code dst}, which must be native memory at
     * least one chunk long. Fails for a chunk never written.
     */
    public void readChunk(long first, MemorySegment dst) {
        ensureOpen();
        Hdf5.quiet();
        if (dst.byteSize() < chunkBytes) {
            throw new IllegalArgumentException("buffer of " + dst.byteSize() + " bytes is smaller than a chunk of "
                    + chunkBytes + " bytes in " + name);
        }
        offsets.set(ValueLayout.JAVA_LONG, 0, first);
        try {
            int rc = (int) H5.H5Dread_chunk.invokeExact(id, H5.H5P_DEFAULT, offsets, filters, dst);
            if (rc < 0) {
                throw Hdf5.failure("H5Dread_chunk(" + name + ", offset=" + first + ")");
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** Bytes the chunk at {@code first} occupies in the file; 0 when it was never written. */
    public long chunkStorageSize(long first) {
        ensureOpen();
        Hdf5.quiet();
        offsets.set(ValueLayout.JAVA_LONG, 0, first);
        MemorySegment out = dimsBuf;
        try {
            int rc = (int) H5.H5Dget_chunk_storage_size.invokeExact(id, offsets, out);
            if (rc < 0) {
                throw Hdf5.failure("H5Dget_chunk_storage_size(" + name + ", offset=" + first + ")");
            }
            return out.get(ValueLayout.JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    /** Flushes this dataset's buffers so SWMR readers can see them. */
    public void flush() {
        ensureOpen();
        Hdf5.quiet();
        Hdf5.call(H5.H5Dflush, id, "H5Dflush(" + name + ")");
    }

    /** SWMR reader: drops cached metadata so new extents and chunks become visible. */
    public void refresh() {
        ensureOpen();
        Hdf5.quiet();
        Hdf5.call(H5.H5Drefresh, id, "H5Drefresh(" + name + ")");
    }

    /** Creates a u64 attribute on this dataset (before SWMR starts). */
    public void setAttribute(String attribute, long value) {
        ensureOpen();
        Attributes.setLong(id, name, attribute, value);
    }

    public long longAttribute(String attribute) {
        ensureOpen();
        return Attributes.getLong(id, name, attribute);
    }

    /** The raw HDF5 id, for the low layer ({@link H5}). */
    public long id() {
        ensureOpen();
        return id;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Hdf5.check((int) H5.H5Dclose.invokeExact(id), "H5Dclose(" + name + ")");
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        } finally {
            arena.close();
        }
    }

    private long[] extent(int from) {
        ensureOpen();
        try {
            long space = Hdf5.checkId((long) H5.H5Dget_space.invokeExact(id), "H5Dget_space(" + name + ")");
            try {
                Hdf5.check((int) H5.H5Sget_simple_extent_dims.invokeExact(space, dimsBuf, dimsBuf.asSlice(rank * 8L)),
                        "H5Sget_simple_extent_dims(" + name + ")");
                return dimsBuf.asSlice(from * 8L, rank * 8L).toArray(ValueLayout.JAVA_LONG);
            } finally {
                int rc = (int) H5.H5Sclose.invokeExact(space);
                assert rc >= 0;
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("HDF5 dataset is closed: " + name);
        }
    }

    private static long product(long[] dims) {
        long p = 1;
        for (long d : dims) {
            p *= d;
        }
        return p;
    }
}
