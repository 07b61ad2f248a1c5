package dev.hashdir.bench.peers;

import dev.hashdir.engine.GetResult;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.Stats;
import dev.hashdir.engine.store.StoreOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The engine, {@link HashDir}, as the benchmark's third store: {@link StoreOptions#defaults()}
 * (32-byte keys, 4 KiB pages), {@link HashDirConfig#defaults()} with the cache set to the
 * benchmark's budget. Keys go through one native segment (the engine's allocation-free path),
 * gets through one reused {@link GetResult}.
 *
 * <p>No durability before {@link #close()}: the engine has no write-ahead log yet, a put changes
 * pages in the page cache only. {@link #settle()} is {@link HashDir#flush()}, which writes every
 * dirty page and fdatasyncs (the peers do not sync in theirs; it is not measured).
 * {@link #bytesOnDisk()} is the size of the store's files after it.
 *
 * <p>Threading: one thread (see {@link PeerStore}).
 */
final class HashDirStore implements PeerStore {

    private final Path dir;
    private final long cacheBytes;
    private final int pageSize;
    private final HashDir db;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment key;
    private GetResult result;

    HashDirStore(Path dir, long cacheBytes) {
        this.dir = dir;
        this.cacheBytes = cacheBytes;
        StoreOptions options = StoreOptions.defaults();
        this.pageSize = options.pageSize();
        try {
            db = HashDir.create(dir, options, HashDirConfig.defaults().withCacheBytes(cacheBytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a hashdir store in " + dir, e);
        }
        key = arena.allocate(KEY_BYTES, Long.BYTES);
        result = new GetResult(8);
    }

    @Override
    public String name() {
        return "hashdir";
    }

    @Override
    public void put(byte[] key, long value) {
        db.put(key(key), value);
    }

    @Override
    public int getAll(byte[] key, long[] out) {
        if (result.capacity() < out.length) {
            result = new GetResult(out.length);
        }
        db.get(key(key), false, 0, out.length, result);
        int n = result.size();
        System.arraycopy(result.values(), 0, out, 0, n);
        return n;
    }

    @Override
    public boolean contains(byte[] key, long value) {
        return db.contains(key(key), value);
    }

    @Override
    public void settle() {
        try {
            db.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("hashdir flush failed in " + dir, e);
        }
    }

    /** Every file of the store (hashdir.h5 and its lock file), after a flush. */
    @Override
    public long bytesOnDisk() {
        settle();
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(HashDirStore::size).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    @Override
    public String spaceDetail() {
        Stats s = db.stats();
        return String.format(Locale.ROOT, "pages in use %d (%d B), buckets %d, global depth %d, load factor %.3f,"
                        + " overflow pages %d, value lists %d", s.pages(), s.pages() * pageSize, s.buckets(),
                s.globalDepth(), s.loadFactor(), s.overflowPages(), s.valueLists());
    }

    /**
     * Pages the cache holds, taken as {@code min(pages in use, frames) * page size}: after a load
     * every page in use has been in the cache, and it evicts only past its frames. (The frames
     * themselves, {@code cacheBytes}, are reserved off-heap when the store opens.)
     */
    @Override
    public long cacheBytesInUse() {
        return Math.min(db.stats().pages(), cacheBytes / pageSize) * pageSize;
    }

    @Override
    public String describe() {
        HashDirConfig c = db.config();
        return "engine " + HashDir.class.getPackage().getImplementationVersion() + ": no WAL, durable at close; page " + pageSize + " B, cache " + (c.cacheBytes() >> 20)
                + " MiB, inline values " + c.inlineValues() + ", max global depth " + c.maxGlobalDepth();
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (IOException e) {
            throw new UncheckedIOException("hashdir close failed in " + dir, e);
        } finally {
            arena.close();
        }
    }

    private MemorySegment key(byte[] bytes) {
        MemorySegment.copy(bytes, 0, key, ValueLayout.JAVA_BYTE, 0, KEY_BYTES);
        return key;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + file, e);
        }
    }
}
