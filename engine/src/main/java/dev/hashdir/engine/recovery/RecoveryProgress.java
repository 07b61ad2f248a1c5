package dev.hashdir.engine.recovery;

import dev.hashdir.engine.DurableHashDir;

/**
 * The latest progress of an opening, readable from any thread (for {@code /ready}) while the
 * opening thread reports it.
 */
public final class RecoveryProgress implements RecoveryListener {

    private volatile DurableHashDir.Phase phase = DurableHashDir.Phase.LOADING;
    private volatile long records;
    private volatile long bytes;
    private volatile long walBytes;

    @Override
    public void onProgress(DurableHashDir.Phase phase, long records, long bytes, long walBytes) {
        this.records = records;
        this.bytes = bytes;
        this.walBytes = walBytes;
        this.phase = phase;
    }

    public DurableHashDir.Phase phase() {
        return phase;
    }

    /** WAL records replayed so far. */
    public long records() {
        return records;
    }

    /** 0..1: WAL bytes replayed of those found at open; 1 once ready (or when the WAL is empty). */
    public double fraction() {
        DurableHashDir.Phase p = phase;
        long total = walBytes;
        if (p == DurableHashDir.Phase.READY || p == DurableHashDir.Phase.CLOSED) {
            return 1.0;
        }
        if (p == DurableHashDir.Phase.LOADING) {
            return 0.0;
        }
        return total == 0 ? 1.0 : Math.min(1.0, (double) bytes / total);
    }
}
