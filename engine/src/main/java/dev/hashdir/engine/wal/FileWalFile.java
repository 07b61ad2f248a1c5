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
    /** The last two segments written from with {@link #write(long, MemorySegment, long, long)}, and their views. */
    private final MemorySegment[] viewed = new MemorySegment[2];
    private final ByteBuffer[] views = new ByteBuffer[2];
    /** The entry a new source replaces. */
    private int nextView;

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
        write(position, src.asByteBuffer(), src.byteSize());
    }

    private void write(long position, ByteBuffer buffer, long length) throws IOException {
        if (position < 0 || position > end) {
            throw new IllegalArgumentException("write outside " + path + ": position=" + position + ", length="
                    + length + ", size=" + end);
        }
        long at = position;
        try {
            while (buffer.hasRemaining()) {
                at += channel.write(buffer, at);
            }
        } finally {
            end = Math.max(end, at);
        }
    }

    /** No object made per call once both of the writer's sources (its buffer, its slot scratch) were seen. */
    @Override
    public void write(long position, MemorySegment src, long offset, long length) throws IOException {
        ByteBuffer buffer = view(src);
        buffer.limit(Math.toIntExact(offset + length)).position((int) offset);
        write(position, buffer, length);
    }

    /** A view of {@code src} (at most 2 GiB), one of the two kept (a writer writes from two sources), else a new one. */
    private ByteBuffer view(MemorySegment src) {
        for (int i = 0; i < viewed.length; i++) {
            if (viewed[i] == src) {
                return views[i];
            }
        }
        int i = nextView;
        nextView = (i + 1) % viewed.length;
        viewed[i] = src;
        views[i] = src.asByteBuffer();
        return views[i];
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
