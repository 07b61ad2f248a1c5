package dev.hashdir.engine.wal;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.wal.FaultyWalDirectory.Fault;
import dev.hashdir.engine.wal.WalTestRecords.Collector;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rule for an invalid record: corruption where the WAL was durable (any segment but the last;
 * below the synced end the last segment's header attests), a torn tail past that, which opening
 * truncates. Records here are PUTs of 32-byte keys: {@value #RECORD} bytes each, so record
 * {@code n} of the first segment starts at {@code 128 + (n - 1) * 57}.
 */
class WalCorruptionTest {

    private static final int KEY_BYTES = 32;
    private static final int RECORD = WalRecordLayout.HEADER_BYTES + KEY_BYTES + 8;
    private static final String FIRST = "00000000000000000001.wal";
    private final MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
    private final FaultyWalDirectory dir = new FaultyWalDirectory(11, 4096);

    private static long offsetOf(long lsn) {
        return WalSegmentLayout.HEADER_BYTES + (lsn - 1) * RECORD;
    }

    /**
     * SYNC-mode commits of {@code perBatch} PUTs each, value = LSN, each attesting the forces before
     * it (the attest interval has a test of its own); the writer is left open (crashed).
     */
    private WalWriter commitBatches(int batches, int perBatch, long segmentBytes) {
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(segmentBytes)
                .withAttestInterval(Duration.ZERO);
        WalWriter writer = WalWriter.open(dir, options, 1, r -> { });
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < perBatch; i++) {
                writer.appendPut(key, writer.nextLsn());
            }
            writer.commit();
        }
        return writer;
    }

    @Test
    void aFlippedBitInAnAcknowledgedRecordIsCorruptionNotATornTail() {
        commitBatches(10, 3, 1 << 20);
        dir.crash(WalTestRecords.seeded(1), Fault.DROP_UNSYNCED);
        dir.flipDurableBit(FIRST, offsetOf(14) + 40, 3);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("file=mem:/wal/" + FIRST)
                .hasMessageContaining("offset=" + offsetOf(14))
                .hasMessageContaining("lsn=14")
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining("below the synced end the segment header attests: syncedEnd=" + offsetOf(28));
        byte[] before = dir.content(FIRST);
        assertThatThrownBy(() -> WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { }))
                .as("opening refuses it too, and truncates nothing").isInstanceOf(CorruptionException.class);
        assertThat(dir.content(FIRST)).isEqualTo(before);
        assertThat(dir.size(FIRST)).as("preallocated").isEqualTo(1 << 20);
    }

    @Test
    void aCommitAttestsOnlyOnceTheAttestIntervalHasPassed() {
        long[] now = {0};
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withAttestInterval(Duration.ofMillis(10));
        WalWriter writer = WalWriter.open(dir, options, 1, r -> { }, () -> now[0]);
        for (int b = 0; b < 10; b++) { // batch b holds LSNs 3b+1 .. 3b+3, one commit each, 1 ms apart
            for (int i = 0; i < 3; i++) {
                writer.appendPut(key, writer.nextLsn());
            }
            writer.commit();
            now[0] += 1_000_000;
        }
        byte[] crashed = dir.content(FIRST);
        dir.crash(WalTestRecords.seeded(14), Fault.DROP_UNSYNCED);
        dir.flipDurableBit(FIRST, offsetOf(14) + 40, 3);
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, new Collector());
        assertThat(r.lastLsn()).as("the second commit attested the first batch, the eight after it within 10 ms"
                + " wrote no slot: damage in them reads as a torn tail").isEqualTo(13);
        assertThat(r.tail().offset()).isEqualTo(offsetOf(14));

        dir.setDurable(FIRST, crashed);
        writer = WalWriter.open(dir, options, 1, x -> { }, () -> now[0]);
        assertThat(writer.recovery().lastLsn()).isEqualTo(30);
        assertThat(writer.recovery().syncedEnd()).isEqualTo(offsetOf(4));
        long reopened = now[0];
        writer.appendPut(key, writer.nextLsn());
        writer.commit(); // the first commit after the open attests the 30 records it recovered
        now[0] = reopened + 1_000_000;
        writer.appendPut(key, writer.nextLsn());
        writer.commit(); // 1 ms later: no slot
        now[0] = reopened + 10_000_000;
        writer.appendPut(key, writer.nextLsn());
        writer.commit(); // 10 ms after the last slot: attests LSNs 31 and 32
        dir.crash(WalTestRecords.seeded(15), Fault.DROP_UNSYNCED);
        dir.flipDurableBit(FIRST, offsetOf(32) + 40, 1);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, x -> { }))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("lsn=32")
                .hasMessageContaining("below the synced end the segment header attests: syncedEnd=" + offsetOf(33));
    }

    @Test
    void theLastBatchBeforeACrashIsAttestedByTheNextCommitOrBySync() {
        commitBatches(10, 3, 1 << 20);
        byte[] crashed = dir.content(FIRST);
        dir.crash(WalTestRecords.seeded(2), Fault.DROP_UNSYNCED);
        dir.flipDurableBit(FIRST, offsetOf(29) + 40, 0);
        Collector replayed = new Collector();
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(r.lastLsn()).as("the limit: damage in the last, unattested batch reads as a torn tail")
                .isEqualTo(28);
        assertThat(r.tail()).isEqualTo(new WalReplayResult.Tail(FIRST, offsetOf(29), 29,
                r.tail().reason()));
        assertThat(r.tail().reason()).startsWith("checksum mismatch");

        dir.setDurable(FIRST, crashed);
        WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, x -> { });
        writer.sync();
        dir.crash(WalTestRecords.seeded(3), Fault.DROP_UNSYNCED);
        dir.flipDurableBit(FIRST, offsetOf(29) + 40, 0);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, x -> { }))
                .as("after sync() the same damage is corruption").isInstanceOf(CorruptionException.class)
                .hasMessageContaining("lsn=29");
    }

    @Test
    void damageInASegmentBeforeTheLastIsCorruption() {
        commitBatches(40, 2, 512);
        dir.crash(WalTestRecords.seeded(4), Fault.DROP_UNSYNCED);
        List<WalReader.Segment> segments = WalReader.listSegments(dir);
        assertThat(segments).hasSizeGreaterThan(3);
        String second = segments.get(1).name();
        long size = sealedEnd(dir.content(second));
        assertThat(size).as("sealed inside the preallocated segment").isLessThan(dir.size(second));
        dir.flipDurableBit(second, size - 1, 7);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("file=mem:/wal/" + second)
                .hasMessageContaining("in a segment before the last, which was forced whole");
        dir.flipDurableBit(second, size - 1, 7);
        dir.setDurable(second, Arrays.copyOf(dir.content(second), (int) size - 10));
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .as("a cut short segment before the last").isInstanceOf(CorruptionException.class)
                .hasMessageContaining("WAL segment shorter than its sealed end");
        assertThat(WalReader.replay(dir, KEY_BYTES, segments.get(2).firstLsn(), r -> { }).torn())
                .as("replay from a later segment does not read it").isFalse();
    }

    @Test
    void recordsOfACrashedRunAfterACleanCloseNeverFollowNewOnes() {
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC);
        commitBatches(1, 5, 1 << 20);
        dir.crash(WalTestRecords.seeded(12), Fault.KEEP_ALL);
        WalWriter.open(dir, options, 1, r -> { }).close();
        assertThat(dir.size(FIRST)).as("cut to its records after the crash, then closed there").isEqualTo(offsetOf(6));

        WalWriter second = WalWriter.open(dir, options, 1, r -> { });
        for (int i = 6; i <= 8; i++) {
            second.appendPut(key, 1000 + i);
        }
        second.commit();
        dir.crash(WalTestRecords.seeded(13), Fault.KEEP_ALL);
        dir.flipDurableBit(FIRST, offsetOf(6) + 30, 2);
        try (WalWriter third = WalWriter.open(dir, options, 1, r -> { })) {
            assertThat(third.recovery().lastLsn()).isEqualTo(5);
            assertThat(third.appendPut(key, 6)).isEqualTo(6);
            third.commit();
        }
        Collector replayed = new Collector();
        WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(replayed.lsns).as("LSN 7 of the second run lined up after the new 6 is not replayed")
                .isEqualTo(LongStream.rangeClosed(1, 6).boxed().toList());
    }

    @Test
    void afterACleanCloseWithNothingToReplayTheCoveredRecordsAreNotReadAgain() {
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC);
        commitBatches(10, 3, 1 << 20).close();
        // damage where a checkpoint at LSN 30 no longer needs it: only a replay that reads it finds it
        dir.flipDurableBit(FIRST, offsetOf(14) + 40, 3);
        Collector none = new Collector();
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 31, none);
        assertThat(none.lsns).isEmpty();
        assertThat(r.lastLsn()).isEqualTo(30);
        assertThat(r.endOffset()).isEqualTo(offsetOf(31));
        assertThat(r.closedCleanly()).isTrue();
        assertThat(r.torn()).isFalse();
        // with records to replay (from LSN 30, or 1) the segment is read from its start as before
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 30, r2 -> { }))
                .isInstanceOf(CorruptionException.class).hasMessageContaining("lsn=14");
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r2 -> { }))
                .isInstanceOf(CorruptionException.class).hasMessageContaining("lsn=14");
        dir.flipDurableBit(FIRST, offsetOf(14) + 40, 3); // repaired, for what follows

        // the writer continues after LSN 30 on the preallocated zeros, and its records replay
        try (WalWriter next = WalWriter.open(dir, options, 31, r2 -> { })) {
            assertThat(next.recovery().closedCleanly()).isTrue();
            assertThat(next.appendPut(key, 31)).isEqualTo(31);
            assertThat(next.appendPut(key, 32)).isEqualTo(32);
            next.commit();
        }
        assertThat(dir.size(FIRST)).as("still preallocated").isEqualTo(1 << 20);
        Collector replayed = new Collector();
        assertThat(WalReader.replay(dir, KEY_BYTES, 31, replayed).lastLsn()).isEqualTo(32);
        assertThat(replayed.lsns).isEqualTo(List.of(31L, 32L));
        // and a replay from 33 skips all of them again
        Collector after = new Collector();
        assertThat(WalReader.replay(dir, KEY_BYTES, 33, after).lastLsn()).isEqualTo(32);
        assertThat(after.lsns).isEmpty();
    }

    @Test
    void aCrashAfterTheCleanEndIsStillATornTailWhenNothingIsToReplay() {
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC);
        commitBatches(2, 3, 1 << 20).close();
        WalWriter second = WalWriter.open(dir, options, 7, r -> { });
        second.appendPut(key, 7);
        second.commit();
        dir.crash(WalTestRecords.seeded(21), Fault.KEEP_ALL);
        // the reopen cleared CLOSED before writing LSN 7: replay from 7 reads it, as from 1
        Collector replayed = new Collector();
        assertThat(WalReader.replay(dir, KEY_BYTES, 7, replayed).lastLsn()).isEqualTo(7);
        assertThat(replayed.lsns).isEqualTo(List.of(7L));
    }

    /** The synced end of the current sync slot of a segment's content (its sealed end, before the last). */
    private static long sealedEnd(byte[] content) {
        MemorySegment header = MemorySegment.ofArray(content);
        long end = -1;
        long sequence = -1;
        for (long slot = WalSegmentLayout.SLOT_0_OFFSET; slot < WalSegmentLayout.HEADER_BYTES;
             slot += WalSegmentLayout.SLOT_BYTES) {
            long s = header.get(WalRecordLayout.U64, slot + WalSegmentLayout.SLOT_SEQUENCE_OFFSET);
            int flags = header.get(WalRecordLayout.U32, slot + WalSegmentLayout.SLOT_FLAGS_OFFSET);
            if (WalSegmentLayout.slotValid(header, slot) && s > sequence) {
                sequence = s;
                end = (flags & WalSegmentLayout.FLAG_SEALED) != 0 ? header.get(WalRecordLayout.U64,
                        slot + WalSegmentLayout.SLOT_SYNCED_END_OFFSET) : -1;
            }
        }
        assertThat(end).as("the current slot is SEALED").isPositive();
        return end;
    }

    @Test
    void aSealedSegmentWhoseRecordsDoNotEndAsSealedIsCorruption() {
        commitBatches(40, 2, 512);
        dir.crash(WalTestRecords.seeded(6), Fault.DROP_UNSYNCED);
        String second = WalReader.listSegments(dir).get(1).name();
        byte[] good = dir.content(second);
        long end = sealedEnd(good);
        assertThat(WalReader.replay(dir, KEY_BYTES, 1, r -> { }).lastLsn()).isEqualTo(80);

        resealSecond(second, good, end - 5, 0);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .as("sealed end inside a record").isInstanceOf(CorruptionException.class)
                .hasMessageContaining("file=mem:/wal/" + second)
                .hasMessageContaining("runs past the end of the segment");
        resealSecond(second, good, end, -1);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .as("sealed LSN not the last record's").isInstanceOf(CorruptionException.class)
                .hasMessageContaining("do not end with its sealed LSN");
        resealSecond(second, good, end + 20, 1);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .as("sealed end past the records: the zeros there are no record").isInstanceOf(CorruptionException.class)
                .hasMessageContaining("record length out of bounds: length=0");
    }

    /** Rewrites the current (SEALED) slot of {@code second} to claim {@code end} and its LSN moved by {@code lsnDelta}. */
    private void resealSecond(String second, byte[] good, long end, long lsnDelta) {
        byte[] content = good.clone();
        MemorySegment header = MemorySegment.ofArray(content);
        long s0 = header.get(WalRecordLayout.U64, WalSegmentLayout.SLOT_0_OFFSET);
        long s1 = header.get(WalRecordLayout.U64, WalSegmentLayout.SLOT_0_OFFSET + WalSegmentLayout.SLOT_BYTES);
        long slot = WalSegmentLayout.SLOT_0_OFFSET + (s0 > s1 ? 0 : WalSegmentLayout.SLOT_BYTES);
        WalSegmentLayout.encodeSlot(header.asSlice(slot, WalSegmentLayout.SLOT_BYTES),
                header.get(WalRecordLayout.U64, slot), end,
                header.get(WalRecordLayout.U64, slot + WalSegmentLayout.SLOT_SYNCED_LSN_OFFSET) + lsnDelta,
                WalSegmentLayout.FLAG_SEALED);
        dir.setDurable(second, content);
    }

    @Test
    void aDamagedSegmentHeaderIsCorruption() {
        commitBatches(3, 3, 1 << 20);
        dir.crash(WalTestRecords.seeded(5), Fault.DROP_UNSYNCED);
        dir.flipDurableBit(FIRST, WalSegmentLayout.FIRST_LSN_OFFSET, 1);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("corrupt WAL segment header: file=mem:/wal/" + FIRST)
                .hasMessageContaining("header checksum mismatch");
    }

    @Test
    void aMissingSegmentIsCorruption() throws Exception {
        commitBatches(40, 2, 512);
        dir.crash(WalTestRecords.seeded(6), Fault.DROP_UNSYNCED);
        List<WalReader.Segment> segments = WalReader.listSegments(dir);
        dir.delete(segments.get(2).name());
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("not continuous")
                .hasMessageContaining("expected first LSN=" + segments.get(2).firstLsn());
        dir.delete(segments.get(0).name());
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("WAL begins after the replay start");
    }

    @Test
    void aValidRecordWithTheWrongLsnIsCorruption() {
        commitBatches(5, 1, 1 << 20);
        dir.crash(WalTestRecords.seeded(7), Fault.DROP_UNSYNCED);
        byte[] content = dir.content(FIRST);
        System.arraycopy(content, (int) offsetOf(2), content, (int) offsetOf(3), RECORD);
        dir.setDurable(FIRST, content);
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, r -> { }))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("LSN out of sequence: expected=3, actual=2");
    }

    @Test
    void aTornTailIsReportedAndTruncatedAwayOnOpening() {
        commitBatches(5, 1, 1 << 20);
        dir.crash(WalTestRecords.seeded(8), Fault.DROP_UNSYNCED);
        byte[] torn = Arrays.copyOf(dir.content(FIRST), (int) offsetOf(5) + 30);
        dir.setDurable(FIRST, torn);
        Collector replayed = new Collector();
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(r.lastLsn()).isEqualTo(4);
        assertThat(r.tail()).isEqualTo(new WalReplayResult.Tail(FIRST, offsetOf(5), 5,
                "record runs past the end of the segment: length=57, bytes left=30"));

        try (WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, x -> { })) {
            assertThat(dir.size(FIRST)).isEqualTo(offsetOf(5));
            assertThat(writer.appendPut(key, 555)).isEqualTo(5);
            writer.commit();
        }
        List<Long> values = new java.util.ArrayList<>();
        WalReader.replay(dir, KEY_BYTES, 1, x -> values.add(x.value(0)));
        assertThat(values).containsExactly(1L, 2L, 3L, 4L, 555L);
    }

    @Test
    void zerosAfterTheLastRecordAreUnwrittenSpaceAndAnythingElseThereATornTail() {
        commitBatches(3, 2, 1 << 20);
        dir.crash(WalTestRecords.seeded(9), Fault.DROP_UNSYNCED);
        assertThat(dir.size(FIRST)).as("preallocated").isEqualTo(1 << 20);
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, x -> { });
        assertThat(r.lastLsn()).isEqualTo(6);
        assertThat(r.endOffset()).isEqualTo(offsetOf(7));
        assertThat(r.torn()).as("zeros past the records: nothing was written there").isFalse();

        byte[] content = dir.content(FIRST);
        content[(int) offsetOf(7) + WalRecordLayout.LSN_OFFSET] = 7;
        dir.setDurable(FIRST, content);
        r = WalReader.replay(dir, KEY_BYTES, 1, x -> { });
        assertThat(r.lastLsn()).isEqualTo(6);
        assertThat(r.tail().reason()).as("a record header with anything in it is torn")
                .isEqualTo("record length out of bounds: length=0");
    }

    @Test
    void aSegmentWhoseCreationACrashInterruptedIsIgnoredAndDeleted() throws Exception {
        commitBatches(7, 7, 1 << 20);
        dir.crash(WalTestRecords.seeded(10), Fault.DROP_UNSYNCED);
        String next = WalSegmentLayout.fileName(50);
        try (WalFile f = dir.create(next)) {
            f.append(MemorySegment.ofArray(new byte[60]));
            f.force();
        }
        dir.syncDirectory();
        Collector replayed = new Collector();
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(r.incompleteSegment()).isEqualTo(next);
        assertThat(r.lastLsn()).isEqualTo(49);
        assertThat(replayed.lsns).isEqualTo(LongStream.rangeClosed(1, 49).boxed().toList());
        try (WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, x -> { })) {
            assertThat(dir.exists(next)).isFalse();
            assertThat(writer.currentSegment()).isEqualTo(FIRST);
            assertThat(writer.nextLsn()).isEqualTo(50);
        }

        try (WalFile f = dir.create(WalSegmentLayout.fileName(50))) {
            f.append(MemorySegment.ofArray(new byte[200]));
        }
        assertThatThrownBy(() -> WalReader.replay(dir, KEY_BYTES, 1, x -> { }))
                .as("a longer file without a header had records: not a creation cut short")
                .isInstanceOf(CorruptionException.class).hasMessageContaining("bad magic");
    }
}
