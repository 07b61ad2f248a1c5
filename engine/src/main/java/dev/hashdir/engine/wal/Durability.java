package dev.hashdir.engine.wal;

/** When a commit is acknowledged, and what a crash can then take away. */
public enum Durability {

    /** Acknowledged after the batch is forced ({@code fdatasync}); nothing acknowledged is ever lost. */
    SYNC,
    /**
     * Acknowledged after the batch is written; forced at an interval or on demand. A process crash
     * loses nothing written; a power failure loses at most the writes since the last force.
     */
    ASYNC,
    /**
     * Acknowledged after the batch is written, never forced except when a segment is rolled and on
     * close. For tests and bulk loads.
     */
    NONE
}
