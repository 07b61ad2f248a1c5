package dev.hashdir.engine.recovery;

import dev.hashdir.engine.DurableHashDir;

/**
 * Told how far opening (recovery) is: at each phase change and every
 * {@value WalApplier#PROGRESS_RECORDS} records replayed. Called on the opening thread; keep it
 * short (e.g. store the figures in volatile fields, as {@link RecoveryProgress} does).
 */
@FunctionalInterface
public interface RecoveryListener {

    /** Ignores everything. */
    RecoveryListener NONE = (phase, records, bytes, walBytes) -> { };

    /**
     * @param phase    where opening is
     * @param records  WAL records replayed so far
     * @param bytes    bytes of those records (headers included)
     * @param walBytes bytes of the WAL found at open (0 until known)
     */
    void onProgress(DurableHashDir.Phase phase, long records, long bytes, long walBytes);
}
