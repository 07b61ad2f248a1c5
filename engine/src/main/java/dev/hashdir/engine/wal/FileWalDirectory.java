package dev.hashdir.engine.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * WAL segments as files in a real directory, through {@link FileChannel}: {@code force(false)}
 * is {@code fdatasync}, and the directory is synced by forcing a channel opened on it.
 *
 * <p>Threading: each operation stands alone (paths, no shared state), so the writer's preparing
 * thread works on {@link WalSegmentLayout#PREPARING_NAME} while the journal thread works on the
 * segments ({@link #preparesOnAnyThread()}).
 */
public final class FileWalDirectory implements WalDirectory {

    private final Path dir;

    private FileWalDirectory(Path dir) {
        this.dir = dir;
    }

    /** Opens {@code dir}, creating it (and syncing its parent, so it stays) when missing. */
    public static FileWalDirectory open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                syncDirectory(parent);
            }
        }
        return new FileWalDirectory(dir);
    }

    /** The directory's path. */
    public Path path() {
        return dir;
    }

    @Override
    public List<String> list() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> names.add(p.getFileName().toString()));
        }
        return names;
    }

    @Override
    public WalFile create(String name) throws IOException {
        Path file = dir.resolve(name);
        return new FileWalFile(file, FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
    }

    @Override
    public WalFile openForWrite(String name) throws IOException {
        Path file = dir.resolve(name);
        return new FileWalFile(file, FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    @Override
    public WalFile openForRead(String name) throws IOException {
        Path file = dir.resolve(name);
        return new FileWalFile(file, FileChannel.open(file, StandardOpenOption.READ));
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Files.move(dir.resolve(from), dir.resolve(to), StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
    }

    @Override
    public void syncDirectory() throws IOException {
        syncDirectory(dir);
    }

    @Override
    public boolean preparesOnAnyThread() {
        return true;
    }

    @Override
    public String describe(String name) {
        return dir.resolve(name).toString();
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
