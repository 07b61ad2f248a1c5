package dev.hashdir.engine.wal;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A segment file on a {@link FileChannel}. Appends go to a tracked end position (positional
 * writes, so a failed append leaves the end where the file really ends).
 *
 * <p>Threading: one thread at a time.
 */
final class FileWalFile implements WalFile {

    /** Zeros written by {@link #allocate}, 1 MiB at a time (read-only, shared). */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private final Path path;
    private final FileChannel channel;
    private long end;

    FileWalFile(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.end = channel.size();
    }

    @Override
    public void append(MemorySegment src) throws IOException {
        ByteBuffer buffer = src.asByteBuffer();
        try {
            while (buffer.hasRemaining()) {
                end += channel.write(buffer, end);
            }
        } catch (IOException e) {
            end = channel.size();
            throw e;
        }
    }

    @Override
    public void write(long position, MemorySegment src) throws IOException {
        if (position < 0 || position > end) {
            throw new IllegalArgumentException("write outside " + path + ": position=" + position + ", length="
                    + src.byteSize() + ", size=" + end);
        }
        ByteBuffer buffer = src.asByteBuffer();
        long at = position;
        try {
            while (buffer.hasRemaining()) {
                at += channel.write(buffer, at);
            }
        } finally {
            end = Math.max(end, at);
        }
    }

    @Override
    public void allocate(long size) throws IOException {
        try {
            while (end < size) {
                ByteBuffer zeros = ZEROS.duplicate();
                zeros.limit((int) Math.min(zeros.capacity(), size - end));
                end += channel.write(zeros, end);
            }
        } catch (IOException e) {
            end = channel.size();
            throw e;
        }
    }

    @Override
    public long read(long position, MemorySegment dst) throws IOException {
        ByteBuffer buffer = dst.asByteBuffer();
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        return at - position;
    }

    @Override
    public void force() throws IOException {
        channel.force(false);
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        channel.truncate(size);
        end = channel.size();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
