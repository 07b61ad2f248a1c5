package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.bindings.libc.LibC;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** {@link PageIo} through HDF5: direct chunk writes and reads, {@code H5Fflush} + {@code fdatasync}. */
final class Hdf5PageIo implements PageIo {

    private final H5File h5;
    private final H5Dataset pages;
    private final H5Dataset metaSlots;
    private final int pageSize;
    private final int fd;

    Hdf5PageIo(H5File h5) {
        this.h5 = h5;
        this.pages = h5.openDataset(StoreFormat.PAGES_DATASET);
        H5Dataset m;
        try {
            m = h5.openDataset(StoreFormat.META_DATASET);
        } catch (RuntimeException e) {
            pages.close();
            throw e;
        }
        this.metaSlots = m;
        this.pageSize = (int) pages.dims()[1];
        this.fd = h5.fileDescriptor();
    }

    @Override
    public void writePage(long row, MemorySegment page) {
        pages.writeChunk(row, page);
    }

    @Override
    public void readPage(long row, MemorySegment dst) {
        pages.readChunk(row, dst);
    }

    @Override
    public void writeMeta(int slot, MemorySegment slotImage) {
        metaSlots.writeChunk(slot, slotImage);
    }

    @Override
    public void readMeta(int slot, MemorySegment dst) {
        metaSlots.readChunk(slot, dst);
    }

    @Override
    public long rows() {
        return pages.dims()[0];
    }

    @Override
    public void extend(long rows) {
        pages.setExtent(rows, pageSize);
    }

    @Override
    public void flush() {
        pages.flush();
        metaSlots.flush();
        h5.flush();
    }

    @Override
    public void fdatasync() throws IOException {
        LibC.fdatasync(fd);
    }

    @Override
    public void startWriteback() throws IOException {
        LibC.startWriteback(fd);
    }

    /** Closes the datasets, then the file, even when one of them fails (the first failure is thrown). */
    @Override
    public void close() {
        try {
            try {
                pages.close();
            } finally {
                metaSlots.close();
            }
        } finally {
            h5.close();
        }
    }
}
