package dev.hashdir.engine.recovery;

import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.wal.WalConsumer;
import dev.hashdir.engine.wal.WalRecord;
import dev.hashdir.engine.wal.WalRecordLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Replays logical WAL records into a {@link HashDir}: PUT, PUT_MANY, REMOVE, REMOVE_MANY and
 * DELETE become the same calls; CHECKPOINT_MARK changes nothing. Applying a record twice gives the
 * same state (set semantics), so replaying records a checkpoint already holds is harmless.
 *
 * <p>Progress ({@link #records()}, {@link #bytes()}) is readable from any thread while recovery
 * runs, for {@code /ready}.
 *
 * <p>Threading: {@link #accept} on the engine thread only.
 */
public final class WalApplier implements WalConsumer, AutoCloseable {

    private final HashDir target;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment key;
    private long[] values = new long[64];
    private volatile long records;
    private volatile long bytes;

    public WalApplier(HashDir target) {
        this.target = target;
        this.key = arena.allocate(target.keyBytes(), 8);
    }

    @Override
    public void accept(WalRecord r) {
        switch (r.type()) {
            case PUT -> target.put(key(r), r.value(0));
            case REMOVE -> target.remove(key(r), r.value(0));
            case PUT_MANY -> target.putAll(key(r), values(r), 0, r.valueCount());
            case REMOVE_MANY -> {
                long[] v = values(r);
                MemorySegment k = key(r);
                for (int i = 0; i < r.valueCount(); i++) {
                    target.remove(k, v[i]);
                }
            }
            case DELETE -> target.delete(key(r));
            case CHECKPOINT_MARK -> {
                // informational
            }
        }
        records = records + 1;
        bytes = bytes + WalRecordLayout.HEADER_BYTES + r.payloadLength();
    }

    /** Records applied so far. */
    public long records() {
        return records;
    }

    /** Record bytes (headers included) applied so far. */
    public long bytes() {
        return bytes;
    }

    /** Releases the key buffer (idempotent); {@link #records()} and {@link #bytes()} stay readable. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** True once {@link #close} ran. */
    public boolean closed() {
        return !arena.scope().isAlive();
    }

    private MemorySegment key(WalRecord r) {
        MemorySegment.copy(r.segment(), r.keyOffset(), key, 0, key.byteSize());
        return key;
    }

    private long[] values(WalRecord r) {
        int n = r.valueCount();
        if (values.length < n) {
            values = new long[Math.max(n, values.length * 2)];
        }
        for (int i = 0; i < n; i++) {
            values[i] = r.value(i);
        }
        return values;
    }
}
