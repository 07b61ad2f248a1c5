package dev.hashdir.engine.wal;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A {@link WalDirectory} that passes every call to another: test layers extend it and override
 * only what they watch or change ({@link GatedWalDirectory}, the recording directory of
 * {@code WalPreparationTest}). {@link File} does the same for a {@link WalFile}.
 */
public abstract class ForwardingWalDirectory implements WalDirectory {

    protected final WalDirectory inner;

    protected ForwardingWalDirectory(WalDirectory inner) {
        this.inner = inner;
    }

    @Override
    public List<String> list() throws IOException {
        return inner.list();
    }

    @Override
    public WalFile create(String name) throws IOException {
        return inner.create(name);
    }

    @Override
    public WalFile openForWrite(String name) throws IOException {
        return inner.openForWrite(name);
    }

    @Override
    public WalFile openForRead(String name) throws IOException {
        return inner.openForRead(name);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        inner.rename(from, to);
    }

    @Override
    public void delete(String name) throws IOException {
        inner.delete(name);
    }

    @Override
    public void syncDirectory() throws IOException {
        inner.syncDirectory();
    }

    @Override
    public boolean preparesOnAnyThread() {
        return inner.preparesOnAnyThread();
    }

    @Override
    public String describe(String name) {
        return inner.describe(name);
    }

    /** A {@link WalFile} that passes every call to another. */
    public abstract static class File implements WalFile {

        protected final WalFile file;

        protected File(WalFile file) {
            this.file = file;
        }

        @Override
        public void append(MemorySegment src) throws IOException {
            file.append(src);
        }

        @Override
        public void write(long position, MemorySegment src) throws IOException {
            file.write(position, src);
        }

        @Override
        public void allocate(long size) throws IOException {
            file.allocate(size);
        }

        @Override
        public long read(long position, MemorySegment dst) throws IOException {
            return file.read(position, dst);
        }

        @Override
        public void force() throws IOException {
            file.force();
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            file.truncate(size);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
