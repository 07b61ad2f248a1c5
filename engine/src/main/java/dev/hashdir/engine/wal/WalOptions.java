package dev.hashdir.engine.wal;

import dev.hashdir.engine.store.StoreFormat;

import java.time.Duration;

/**
 * How a WAL is written. Validated once, here, naming the bad value.
 *
 * @param keyBytes           key length of every keyed record; must match the store's
 * @param segmentBytes       a segment is rolled when the next record would take it past this size
 *                           (a single larger record gets a segment of its own)
 * @param durability         when commits are acknowledged
 * @param asyncForceInterval in {@link Durability#ASYNC}, the longest time between forces
 */
public record WalOptions(int keyBytes, long segmentBytes, Durability durability, Duration asyncForceInterval) {

    /** Smallest segment size accepted: the header and a few records. */
    public static final long MIN_SEGMENT_BYTES = 256;
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    public static final Duration DEFAULT_ASYNC_FORCE_INTERVAL = Duration.ofMillis(10);

    public WalOptions {
        if (keyBytes < StoreFormat.MIN_KEY_BYTES || keyBytes > StoreFormat.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key bytes must be between " + StoreFormat.MIN_KEY_BYTES + " and "
                    + StoreFormat.MAX_KEY_BYTES + ": keyBytes=" + keyBytes);
        }
        if (segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segment bytes must be between " + MIN_SEGMENT_BYTES + " and "
                    + Integer.MAX_VALUE + ": segmentBytes=" + segmentBytes);
        }
        if (durability == null) {
            throw new IllegalArgumentException("durability must be given: durability=null");
        }
        if (asyncForceInterval == null || asyncForceInterval.isNegative()) {
            throw new IllegalArgumentException("async force interval must be zero or more: asyncForceInterval="
                    + asyncForceInterval);
        }
    }

    /** 64 MiB segments, the given durability, a 10 ms async force interval. */
    public static WalOptions of(int keyBytes, Durability durability) {
        return new WalOptions(keyBytes, DEFAULT_SEGMENT_BYTES, durability, DEFAULT_ASYNC_FORCE_INTERVAL);
    }

    /** The same options with another segment size. */
    public WalOptions withSegmentBytes(long bytes) {
        return new WalOptions(keyBytes, bytes, durability, asyncForceInterval);
    }

    /** The same options with another ASYNC force interval. */
    public WalOptions withAsyncForceInterval(Duration interval) {
        return new WalOptions(keyBytes, segmentBytes, durability, interval);
    }
}
