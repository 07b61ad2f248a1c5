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
 * @param attestInterval     how often a commit rewrites the last segment's header sync slot to
 *                           attest what earlier forces made durable: a commit does it only when
 *                           the last slot write is at least this old (zero: every commit after a
 *                           force). A slot write costs the next force a second block, about 20 us
 *                           of a 120 us fdatasync here (docs/benchmarks.md, "Session 11: the put
 *                           round trip's second block"); records
 *                           forced since the last slot write that are damaged later read as a
 *                           torn tail instead of corruption ({@link WalReader}). {@link WalWriter#sync()},
 *                           a segment's seal and a close attest everything, whatever the interval
 */
public record WalOptions(int keyBytes, long segmentBytes, Durability durability, Duration asyncForceInterval,
                         Duration attestInterval) {

    /** Smallest segment size accepted: the header and a few records. */
    public static final long MIN_SEGMENT_BYTES = 256;
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    public static final Duration DEFAULT_ASYNC_FORCE_INTERVAL = Duration.ofMillis(10);
    public static final Duration DEFAULT_ATTEST_INTERVAL = Duration.ofMillis(10);

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
        if (attestInterval == null || attestInterval.isNegative()) {
            throw new IllegalArgumentException("attest interval must be zero or more: attestInterval=" + attestInterval);
        }
    }

    /** The given options with the default {@link #attestInterval()}. */
    public WalOptions(int keyBytes, long segmentBytes, Durability durability, Duration asyncForceInterval) {
        this(keyBytes, segmentBytes, durability, asyncForceInterval, DEFAULT_ATTEST_INTERVAL);
    }

    /** 64 MiB segments, the given durability, a 10 ms async force interval, a 10 ms attest interval. */
    public static WalOptions of(int keyBytes, Durability durability) {
        return new WalOptions(keyBytes, DEFAULT_SEGMENT_BYTES, durability, DEFAULT_ASYNC_FORCE_INTERVAL);
    }

    /** The same options with another segment size. */
    public WalOptions withSegmentBytes(long bytes) {
        return new WalOptions(keyBytes, bytes, durability, asyncForceInterval, attestInterval);
    }

    /** The same options with another ASYNC force interval. */
    public WalOptions withAsyncForceInterval(Duration interval) {
        return new WalOptions(keyBytes, segmentBytes, durability, interval, attestInterval);
    }

    /** The same options with another {@link #attestInterval()}. */
    public WalOptions withAttestInterval(Duration interval) {
        return new WalOptions(keyBytes, segmentBytes, durability, asyncForceInterval, interval);
    }
}
