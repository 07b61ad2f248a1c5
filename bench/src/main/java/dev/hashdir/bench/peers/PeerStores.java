package dev.hashdir.bench.peers;

import java.nio.file.Path;

/** Opens a {@link PeerStore} by the name used in the benchmark's {@code store} parameter. */
public final class PeerStores {

    private PeerStores() {
    }

    /**
     * Creates an empty store of kind {@code name} in the empty directory {@code dir}.
     *
     * @param cacheBytes block or page cache budget, for the stores that have one (LMDB has none
     *                   of its own: it reads through the OS page cache)
     */
    public static PeerStore create(String name, Path dir, long cacheBytes) {
        return switch (name) {
            case "lmdb" -> new LmdbStore(dir);
            case "rocksdb" -> new RocksStore(dir, cacheBytes);
            case "hashdir" -> new HashDirStore(dir, cacheBytes);
            default -> throw new IllegalArgumentException("unknown store '" + name + "': expected hashdir, lmdb or rocksdb");
        };
    }
}
