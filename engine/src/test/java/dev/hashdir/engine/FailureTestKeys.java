package dev.hashdir.engine;

import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the page-store failure tests ({@link PageStoreFailureTest}, {@link RealDiskFullTest}) share:
 * 16-byte keys, a 1 MiB cache so that pages are evicted to the file, a synced WAL, and the bytes of
 * key {@code k}. Not thread-safe: {@link #of} refills one segment.
 */
final class FailureTestKeys {

    static final int KEY_BYTES = 16;
    static final HashDirConfig CONFIG = HashDirConfig.defaults().withCacheBytes(1 << 20);
    static final WalOptions WAL = WalOptions.of(KEY_BYTES, Durability.SYNC);

    private final MemorySegment key = Arena.ofAuto().allocate(KEY_BYTES, 8);

    /** Key {@code k}: distinct for each k and spread over the hash space; the same segment each call. */
    MemorySegment of(int k) {
        key.fill((byte) 0);
        key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, k * 0x9E3779B97F4A7C15L);
        key.set(ValueLayout.JAVA_INT_UNALIGNED, 8, k);
        return key;
    }
}
