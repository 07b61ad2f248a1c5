package dev.hashdir.engine.wal;

import dev.hashdir.engine.StoreException;
import dev.hashdir.engine.wal.WalTestRecords.Collector;
import dev.hashdir.engine.wal.WalTestRecords.Rec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WalRoundTripTest {

    private static final int KEY_BYTES = 32;

    @TempDir
    Path tmp;

    @Test
    void everyRecordTypeRoundTripsThroughRealFiles() throws Exception {
        FileWalDirectory dir = FileWalDirectory.open(tmp.resolve("wal"));
        Random rnd = WalTestRecords.seeded(1);
        List<Rec> written = new ArrayList<>();
        try (WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { })) {
            for (WalRecordType type : WalRecordType.values()) {
                written.add(randomOf(type, rnd));
            }
            for (int i = 0; i < 300; i++) {
                written.add(WalTestRecords.random(rnd, KEY_BYTES, 50));
            }
            for (int i = 0; i < written.size(); i++) {
                assertThat(WalTestRecords.append(writer, written.get(i), i % 2 == 0)).isEqualTo(i + 1);
                if (i % 10 == 9) {
                    assertThat(writer.commit()).isEqualTo(i + 1);
                }
            }
        }
        assertThat(dir.list()).containsExactly("00000000000000000001.wal");
        Collector replayed = new Collector();
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(replayed.records).isEqualTo(written);
        assertThat(r.lastLsn()).isEqualTo(written.size());
        assertThat(r.torn()).isFalse();
        assertThat(r.syncedEnd()).as("close attests everything").isEqualTo(r.endOffset());
        assertThat(r.closedCleanly()).isTrue();
        assertThat(Files.size(dir.path().resolve(r.endSegment()))).as("preallocated")
                .isEqualTo(WalOptions.DEFAULT_SEGMENT_BYTES);
        assertThat(WalReader.recordBytes(dir)).as("record bytes, not the preallocated zeros").isEqualTo(r.endOffset());
    }

    @Test
    void recordsLargerThanASegmentOrTheReadBufferGetASegmentOfTheirOwn() throws Exception {
        FileWalDirectory dir = FileWalDirectory.open(tmp.resolve("wal"));
        Random rnd = WalTestRecords.seeded(2);
        long[] big = rnd.longs(300_000).toArray();
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(64 << 10);
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            writer.appendPut(key, 1);
            writer.appendPutMany(key, big, 0, big.length);
            writer.appendRemove(key, 2);
            writer.commit();
            writer.appendRemoveMany(key, big, 1000, 200_000);
            writer.appendDelete(key);
            writer.commit();
        }
        assertThat(WalReader.listSegments(dir)).extracting(WalReader.Segment::firstLsn).containsExactly(1L, 2L, 3L, 4L,
                5L);
        List<long[]> values = new ArrayList<>();
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, rec -> {
            long[] v = new long[rec.valueCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = rec.value(i);
            }
            values.add(v);
        });
        assertThat(r.lastLsn()).isEqualTo(5);
        assertThat(values.get(0)).containsExactly(1);
        assertThat(values.get(1)).isEqualTo(big);
        assertThat(values.get(2)).containsExactly(2);
        assertThat(values.get(3)).isEqualTo(LongStream.range(1000, 201_000).map(i -> big[(int) i]).toArray());
        assertThat(values.get(4)).isEmpty();
    }

    @Test
    void segmentsRollAtTheConfiguredSizeAndAreNamedByTheirFirstLsn() {
        FaultyWalDirectory dir = new FaultyWalDirectory(3, 4096);
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(1024);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            for (int i = 1; i <= 500; i++) {
                writer.appendPut(key, i);
                if (i % 7 == 0) {
                    writer.commit();
                }
            }
        }
        List<WalReader.Segment> segments = WalReader.listSegments(dir);
        assertThat(segments).hasSizeGreaterThan(20);
        for (WalReader.Segment s : segments) {
            assertThat(dir.size(s.name())).as(s.name()).isLessThanOrEqualTo(1024);
            List<Long> first = new ArrayList<>();
            WalReader.replay(dir, KEY_BYTES, s.firstLsn(), rec -> first.add(rec.lsn()));
            assertThat(first.getFirst()).as("first record of " + s.name()).isEqualTo(s.firstLsn());
            assertThat(s.name()).isEqualTo(WalSegmentLayout.fileName(s.firstLsn()));
        }
        Collector all = new Collector();
        assertThat(WalReader.replay(dir, KEY_BYTES, 1, all).lastLsn()).isEqualTo(500);
        assertThat(all.lsns).isEqualTo(LongStream.rangeClosed(1, 500).boxed().toList());
    }

    @Test
    void aSegmentACheckpointReleasedIsRecycledAndItsOldRecordsAreNeverReplayed() throws Exception {
        FileWalDirectory dir = FileWalDirectory.open(tmp.resolve("wal"));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(4096);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        String recycledInto;
        long last;
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            for (int i = 1; i <= 200; i++) {
                writer.appendPut(key, i);
                if (i % 10 == 0) {
                    writer.commit();
                }
            }
            assertThat(WalReader.listSegments(dir)).hasSize(3);
            // from the first commit into the current segment its successor is being prepared ahead
            assertThat(writer.preparing()).isTrue();
            assertThat(writer.awaitPreparation()).isTrue();
            assertThat(writer.deleteSegmentsBelow(150)).isEqualTo(2);
            assertThat(dir.list()).contains(WalSegmentLayout.RECYCLED_NAME)
                    .containsOnlyOnce(WalSegmentLayout.PREPARING_NAME).hasSize(3);
            byte[] old = Files.readAllBytes(dir.path().resolve(WalSegmentLayout.RECYCLED_NAME));
            String current = writer.currentSegment();
            while (writer.currentSegment().equals(current)) {
                writer.appendPut(key, writer.nextLsn());
                writer.commit();
            }
            recycledInto = writer.currentSegment();
            last = writer.nextLsn() - 1;
            assertThat(writer.rollsIntoSpare()).as("the spare goes first").isEqualTo(1);
            assertThat(dir.list()).containsExactlyInAnyOrder(current, recycledInto, WalSegmentLayout.PREPARING_NAME);
            byte[] now = Files.readAllBytes(dir.path().resolve(recycledInto));
            assertThat(now).hasSize(4096);
            assertThat(Arrays.copyOfRange(now, 1024, 4096)).as("the old records are still behind the new ones")
                    .isEqualTo(Arrays.copyOfRange(old, 1024, 4096));
            assertThat(Arrays.copyOfRange(old, 1024, 4096)).as("and they are not zeros").isNotEqualTo(new byte[3072]);
        }
        Collector all = new Collector();
        WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 150, all);
        assertThat(all.lsns).isEqualTo(LongStream.rangeClosed(150, last).boxed().toList());
        assertThat(r.endSegment()).isEqualTo(recycledInto);
        assertThat(r.closedCleanly()).isTrue();
        try (WalWriter writer = WalWriter.open(dir, options, 150, x -> { })) {
            assertThat(writer.appendPut(key, 1)).isEqualTo(last + 1);
            writer.commit();
        }
        all = new Collector();
        WalReader.replay(dir, KEY_BYTES, 150, all);
        assertThat(all.lsns).isEqualTo(LongStream.rangeClosed(150, last + 1).boxed().toList());
    }

    @Test
    void reopeningContinuesTheLsnsAndReplaysFromAnyLsn() throws Exception {
        FileWalDirectory dir = FileWalDirectory.open(tmp.resolve("wal"));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(2048);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            for (int i = 1; i <= 100; i++) {
                writer.appendPut(key, i);
            }
            writer.commit();
        }
        List<Long> seen = new ArrayList<>();
        try (WalWriter writer = WalWriter.open(dir, options, 1, rec -> seen.add(rec.value(0)))) {
            assertThat(seen).isEqualTo(LongStream.rangeClosed(1, 100).boxed().toList());
            assertThat(writer.nextLsn()).isEqualTo(101);
            for (int i = 101; i <= 150; i++) {
                assertThat(writer.appendPut(key, i)).isEqualTo(i);
            }
        }
        seen.clear();
        try (WalWriter writer = WalWriter.open(dir, options, 73, rec -> seen.add(rec.lsn()))) {
            assertThat(seen).isEqualTo(LongStream.rangeClosed(73, 150).boxed().toList());
            assertThat(writer.recovery().lastLsn()).isEqualTo(150);
            assertThat(writer.nextLsn()).isEqualTo(151);
        }
    }

    @Test
    void anEmptyWalStartsAtTheReplayStart() {
        FaultyWalDirectory dir = new FaultyWalDirectory(4, 4096);
        try (WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1001, r -> { })) {
            assertThat(writer.nextLsn()).isEqualTo(1001);
            assertThat(writer.currentSegment()).isEqualTo("00000000000000001001.wal");
            assertThat(writer.appendDelete(MemorySegment.ofArray(new byte[KEY_BYTES]))).isEqualTo(1001);
        }
    }

    @Test
    void aRestartKeepsASealedSpareAndTheNextRollTakesIt() throws Exception {
        FileWalDirectory dir = FileWalDirectory.open(tmp.resolve("wal"));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(4096);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            for (int i = 1; i <= 200; i++) {
                writer.appendPut(key, i);
                if (i % 10 == 0) {
                    writer.commit();
                }
            }
            assertThat(writer.deleteSegmentsBelow(150)).isEqualTo(2);
        }
        assertThat(dir.list()).contains(WalSegmentLayout.RECYCLED_NAME)
                .doesNotContain(WalSegmentLayout.PREPARING_NAME);
        long last;
        try (WalWriter writer = WalWriter.open(dir, options, 150, r -> { })) {
            assertThat(dir.list()).as("kept at open").contains(WalSegmentLayout.RECYCLED_NAME);
            String current = writer.currentSegment();
            while (writer.currentSegment().equals(current)) {
                writer.appendPut(key, writer.nextLsn());
                writer.commit();
            }
            assertThat(writer.rollsIntoSpare()).isEqualTo(1);
            assertThat(writer.rollsIntoPrepared()).isZero();
            assertThat(writer.segmentsPreparedOnRoll()).isZero();
            last = writer.nextLsn() - 1;
        }
        Collector all = new Collector();
        WalReader.replay(dir, KEY_BYTES, 150, all);
        assertThat(all.lsns).isEqualTo(LongStream.rangeClosed(150, last).boxed().toList());
    }

    @Test
    void aSpareWhoseHeaderDoesNotProveItsLsnsIsDeletedAtOpen() throws Exception {
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(4096);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        for (String damage : List.of("header rewritten for a roll", "slot torn", "other size")) {
            FileWalDirectory dir = FileWalDirectory.open(tmp.resolve(damage.replace(' ', '-')));
            try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
                for (int i = 1; i <= 200; i++) {
                    writer.appendPut(key, i);
                    writer.commit();
                }
                assertThat(writer.deleteSegmentsBelow(150)).isEqualTo(2);
            }
            Path spare = dir.path().resolve(WalSegmentLayout.RECYCLED_NAME);
            byte[] bytes = Files.readAllBytes(spare);
            switch (damage) {
                case "header rewritten for a roll" -> {
                    // a crash after a roll forced the spare's new header, before its rename
                    MemorySegment header = MemorySegment.ofArray(new byte[WalSegmentLayout.HEADER_BYTES]);
                    WalSegmentLayout.encodeHeader(header, 1000, KEY_BYTES);
                    System.arraycopy(header.toArray(ValueLayout.JAVA_BYTE), 0, bytes, 0,
                            WalSegmentLayout.HEADER_BYTES);
                }
                case "slot torn" -> {
                    bytes[WalSegmentLayout.SLOT_0_OFFSET + 9] ^= 1;
                    bytes[WalSegmentLayout.SLOT_0_OFFSET + WalSegmentLayout.SLOT_BYTES + 9] ^= 1;
                }
                default -> bytes = Arrays.copyOf(bytes, 2048);
            }
            Files.write(spare, bytes);
            try (WalWriter writer = WalWriter.open(dir, options, 150, r -> { })) {
                assertThat(dir.list()).as(damage).doesNotContain(WalSegmentLayout.RECYCLED_NAME);
                writer.appendPut(key, 1);
                writer.commit();
            }
        }
    }

    @Test
    void groupCommitForcesOncePerBatch() {
        FaultyWalDirectory dir = new FaultyWalDirectory(5, 4096);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        try (WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { })) {
            // no preparation ahead while the segment is under half full, so what is counted below is the batch's
            writer.sync();
            assertThat(writer.preparing()).isFalse();
            int forces = dir.forces;
            int appends = dir.appends;
            for (int i = 0; i < 1000; i++) {
                writer.appendPut(key, i);
            }
            assertThat(dir.appends).as("appends only buffer").isEqualTo(appends);
            assertThat(writer.commit()).isEqualTo(1000);
            assertThat(dir.forces - forces).as("forces for a batch of 1000").isEqualTo(1);
            assertThat(dir.appends - appends).as("writes for a batch of 1000").isEqualTo(1);
            assertThat(writer.commit()).as("an empty commit").isEqualTo(1000);
            assertThat(dir.forces - forces).as("an empty commit forces nothing").isEqualTo(1);
        }
    }

    @Test
    void asyncForcesAtTheIntervalAndOnDemand() {
        FaultyWalDirectory dir = new FaultyWalDirectory(6, 4096);
        AtomicLong clock = new AtomicLong();
        WalOptions options = new WalOptions(KEY_BYTES, 1 << 20, Durability.ASYNC, Duration.ofMillis(10));
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { }, clock::get)) {
            writer.sync(); // prepares the next segment ahead (inline on this layer): its force is not counted
            int forces = dir.forces;
            writer.appendPut(key, 1);
            assertThat(writer.commit()).as("acknowledged once written").isEqualTo(1);
            assertThat(writer.writtenLsn()).isEqualTo(1);
            assertThat(writer.durableLsn()).isZero();
            assertThat(dir.forces).isEqualTo(forces);
            clock.addAndGet(Duration.ofMillis(11).toNanos());
            writer.appendPut(key, 2);
            assertThat(writer.commit()).isEqualTo(2);
            assertThat(writer.durableLsn()).as("forced once the interval passed").isEqualTo(2);
            writer.appendPut(key, 3);
            writer.commit();
            assertThat(writer.durableLsn()).isEqualTo(2);
            assertThat(writer.sync()).as("forced on demand").isEqualTo(3);
            assertThat(writer.durableLsn()).isEqualTo(3);
        }
    }

    @Test
    void noneForcesOnlyWhenRollingSyncingOrClosing() {
        FaultyWalDirectory dir = new FaultyWalDirectory(7, 4096);
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.NONE).withSegmentBytes(1024);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        WalWriter writer = WalWriter.open(dir, options, 1, r -> { });
        int forces = dir.forces;
        for (int i = 1; i <= 10; i++) {
            writer.appendPut(key, i);
            assertThat(writer.commit()).isEqualTo(i);
        }
        // after the first commit the next segment was prepared ahead (inline here): one force of its zeros
        assertThat(writer.preparing()).isTrue();
        assertThat(dir.forces).isEqualTo(forces + 1);
        assertThat(writer.durableLsn()).isZero();
        for (int i = 11; i <= 40; i++) {
            writer.appendPut(key, i);
            writer.commit();
        }
        assertThat(dir.forces).as("a roll forces the full segment").isGreaterThan(forces);
        assertThat(writer.durableLsn()).isPositive().isLessThan(40);
        writer.close();
        Collector all = new Collector();
        assertThat(WalReader.replay(dir, KEY_BYTES, 1, all).lastLsn()).isEqualTo(40);
    }

    @Test
    void deleteSegmentsBelowKeepsEveryRecordAtOrAboveTheLsn() {
        FaultyWalDirectory dir = new FaultyWalDirectory(8, 4096);
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(512);
        MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            for (int i = 1; i <= 300; i++) {
                writer.appendPut(key, i);
                writer.commit();
            }
            int segments = WalReader.listSegments(dir).size();
            long lastFirst = WalReader.listSegments(dir).getLast().firstLsn();
            assertThat(writer.deleteSegmentsBelow(1)).isZero();
            for (long lsn : new long[] {2, 40, 41, 99, 150, 151, 299, 301}) {
                writer.deleteSegmentsBelow(lsn);
                List<WalReader.Segment> left = WalReader.listSegments(dir);
                assertThat(left.getFirst().firstLsn()).as("a segment holding %d is kept", lsn).isLessThanOrEqualTo(lsn);
                if (left.size() > 1) {
                    assertThat(left.get(1).firstLsn()).as("the first kept segment is needed").isGreaterThan(lsn);
                }
                Collector rest = new Collector();
                WalReader.replay(dir, KEY_BYTES, Math.min(lsn, 300), rest);
                assertThat(rest.lsns).isEqualTo(LongStream.rangeClosed(Math.min(lsn, 300), 300).boxed().toList());
            }
            assertThat(WalReader.listSegments(dir)).as("the current segment stays")
                    .extracting(WalReader.Segment::firstLsn).containsExactly(lastFirst);
            assertThat(segments).isGreaterThan(10);
            assertThatThrownBy(() -> writer.deleteSegmentsBelow(302)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("lsn=302");
        }
    }

    @Test
    void badInputIsRefusedNamingTheValue() {
        FaultyWalDirectory dir = new FaultyWalDirectory(9, 4096);
        try (WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { })) {
            MemorySegment shortKey = MemorySegment.ofArray(new byte[KEY_BYTES - 1]);
            assertThatThrownBy(() -> writer.appendPut(shortKey, 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("actual=31");
            MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
            assertThatThrownBy(() -> writer.appendPutMany(key, new long[3], 0, 0))
                    .hasMessageContaining("count=0");
            MemorySegment payload = Arena.ofAuto().allocate(KEY_BYTES + 4 + 16);
            payload.set(WalRecordLayout.U32, KEY_BYTES, 3);
            assertThatThrownBy(() -> writer.append(WalRecordType.PUT_MANY, payload))
                    .hasMessageContaining("count=3");
            assertThat(writer.nextLsn()).as("nothing refused took an LSN").isEqualTo(1);
        }
        assertThatThrownBy(() -> WalWriter.open(dir, WalOptions.of(20, Durability.SYNC), 1, r -> { }))
                .isInstanceOf(StoreException.class).hasMessageContaining("keys of 32 bytes, the store's are 20 bytes");
        assertThatThrownBy(() -> new WalOptions(KEY_BYTES, 100, Durability.SYNC, Duration.ZERO))
                .hasMessageContaining("segmentBytes=100");
        assertThatThrownBy(() -> WalOptions.of(8, Durability.SYNC)).hasMessageContaining("keyBytes=8");
    }

    private static Rec randomOf(WalRecordType type, Random rnd) {
        while (true) {
            Rec rec = WalTestRecords.random(rnd, KEY_BYTES, 20);
            if (rec.type() == type) {
                return rec;
            }
        }
    }
}
