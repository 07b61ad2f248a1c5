package dev.hashdir.engine.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A {@link PageIo} that hands every call to {@link #io()}: a test layer implements this (a record
 * over the wrapped I/O) and overrides only the calls it changes or watches. Write-back and sync
 * placement keep {@link PageIo}'s defaults, as a test layer's did before.
 */
public interface ForwardingPageIo extends PageIo {

    /** The I/O underneath. */
    PageIo io();

    @Override
    default void writePage(long row, MemorySegment page) {
        io().writePage(row, page);
    }

    @Override
    default void readPage(long row, MemorySegment dst) {
        io().readPage(row, dst);
    }

    @Override
    default void writeMeta(int slot, MemorySegment slotImage) {
        io().writeMeta(slot, slotImage);
    }

    @Override
    default void readMeta(int slot, MemorySegment dst) {
        io().readMeta(slot, dst);
    }

    @Override
    default long rows() {
        return io().rows();
    }

    @Override
    default void extend(long rows) {
        io().extend(rows);
    }

    @Override
    default void flush() {
        io().flush();
    }

    @Override
    default void fdatasync() throws IOException {
        io().fdatasync();
    }

    @Override
    default void close() {
        io().close();
    }
}
