package dev.hashdir.engine.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One writer per data directory: an exclusive OS lock on {@code <data>/hashdir.lock}, holding the
 * owner's pid for the error message. The OS drops the lock when the process dies, so a crashed
 * writer never blocks the next one. The file itself is left in place (deleting it would race).
 */
public final class WriterLock implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private WriterLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dataDir}.
     *
     * @throws StoreLockedException when another writer (process or this JVM) holds it
     */
    public static WriterLock acquire(Path dataDir) throws IOException {
        Path file = dataDir.resolve(StoreFormat.LOCK_FILE_NAME);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String owner = readOwner(file);
            channel.close();
            throw new StoreLockedException("data directory " + dataDir + " is in use by another writer (lock file "
                    + file + (owner.isEmpty() ? "" : ", held by pid " + owner) + ")");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        return new WriterLock(file, channel, lock);
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }

    private static String readOwner(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
