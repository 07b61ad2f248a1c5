package dev.hashdir.engine.wal;

/**
 * What a replay found: the last valid LSN, where the valid records end, and, when replay stopped
 * at a torn record, where and why.
 *
 * @param fromLsn            first LSN asked for
 * @param lastLsn            LSN of the last valid record; {@code fromLsn - 1} when the WAL holds none
 * @param replayed           records passed to the consumer (LSN at least {@code fromLsn})
 * @param segments           segments read
 * @param endSegment         name of the last segment (where the next record goes); null when there is none
 * @param endSegmentFirstLsn its first LSN
 * @param endOffset          where its valid records end (the next record's offset)
 * @param syncedEnd          how far its header's sync slots attest that it was forced
 * @param slotSequence       sequence of its current sync slot
 * @param slotFlags          flags of its current sync slot ({@link WalSegmentLayout#FLAG_SEALED},
 *                           {@link WalSegmentLayout#FLAG_CLOSED})
 * @param incompleteSegment  a trailing segment whose creation never finished (no complete header,
 *                           no records), ignored here and deleted by the writer; else null
 * @param tail               null when the WAL ended cleanly; else the torn tail replay stopped at
 */
public record WalReplayResult(long fromLsn, long lastLsn, long replayed, int segments, String endSegment,
                              long endSegmentFirstLsn, long endOffset, long syncedEnd, long slotSequence,
                              int slotFlags, String incompleteSegment, Tail tail) {

    /**
     * The first invalid record of the last segment, past its synced end: the unsynced tail a crash
     * tore, which recovery truncates away.
     *
     * @param segment file name
     * @param offset  byte offset of the invalid record in it
     * @param lsn     LSN the record should have had
     * @param reason  what is wrong with it
     */
    public record Tail(String segment, long offset, long lsn, String reason) {
    }

    /** True when the last segment was closed cleanly where its valid records end. */
    public boolean closedCleanly() {
        return (slotFlags & WalSegmentLayout.FLAG_CLOSED) != 0 && tail == null && endOffset == syncedEnd;
    }

    /** True when the last segment was sealed (complete: a roll a crash interrupted after sealing). */
    public boolean endSealed() {
        return (slotFlags & WalSegmentLayout.FLAG_SEALED) != 0;
    }

    /** True when replay stopped at a torn tail rather than at the clean end of the WAL. */
    public boolean torn() {
        return tail != null;
    }
}
