package dev.hashdir.engine.check;

import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.bucket.BucketLayout;
import dev.hashdir.engine.bucket.BucketPage;
import dev.hashdir.engine.bucket.SlotState;
import dev.hashdir.engine.dir.Directory;
import dev.hashdir.engine.dir.DirectoryLayout;
import dev.hashdir.engine.page.FreeListLayout;
import dev.hashdir.engine.store.MetaLayout;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.StoreLockedException;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.store.WriterLock;
import dev.hashdir.engine.values.ValueListLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreCheckerTest {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long SEED = 0x5EED_C4EC_4L;

    @TempDir
    Path dir;

    private long keys;
    private long values;

    /** A store after seeded random puts (inline, one-leaf and multi-page value lists), removes, deletes, two checkpoints. */
    @BeforeEach
    void buildStore() throws Exception {
        Random rnd = new Random(SEED);
        Map<ByteBuffer, Long> model = new HashMap<>();
        try (HashDir hd = HashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults())) {
            byte[][] ks = new byte[3000][];
            for (int i = 0; i < ks.length; i++) {
                ks[i] = new byte[32];
                rnd.nextBytes(ks[i]);
                int n = i < 5 ? 700 : i < 15 ? 30 : 1 + rnd.nextInt(6);
                long[] vs = new long[n];
                for (int k = 0; k < n; k++) {
                    vs[k] = rnd.nextLong();
                }
                model.merge(ByteBuffer.wrap(ks[i]), (long) hd.putAll(ks[i], vs, 0, n), Long::sum);
            }
            hd.flush();
            for (int i = 0; i < 300; i++) {
                byte[] k = ks[15 + rnd.nextInt(ks.length - 15)];
                if (rnd.nextBoolean()) {
                    model.merge(ByteBuffer.wrap(k), -hd.delete(k), Long::sum);
                } else {
                    model.merge(ByteBuffer.wrap(k), (long) hd.put(k, rnd.nextLong()), Long::sum);
                }
            }
        }
        keys = model.values().stream().filter(v -> v > 0).count();
        values = model.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void aCleanStoreHasNoFindingsAndItsCountsMatch() throws Exception {
        CheckReport r = StoreChecker.check(dir);
        assertThat(r.findings()).isEmpty();
        assertThat(r.clean()).isTrue();
        assertThat(r.keys()).isEqualTo(keys);
        assertThat(r.values()).isEqualTo(values);
        assertThat(r.buckets()).isGreaterThan(1);
        assertThat(r.valueLists()).isGreaterThanOrEqualTo(15);
        assertThat(r.pagesChecked()).isGreaterThan(r.buckets());
        assertThat(r.summary()).contains("0 errors, 0 warnings");
    }

    @Test
    void checkingDoesNotChangeTheFile() throws Exception {
        byte[] before = Files.readAllBytes(dir.resolve("hashdir.h5"));
        StoreChecker.check(dir);
        assertThat(Files.readAllBytes(dir.resolve("hashdir.h5"))).isEqualTo(before);
    }

    @Test
    void aStoreInUseIsRefused() throws Exception {
        try (WriterLock _ = WriterLock.acquire(dir)) {
            assertThatThrownBy(() -> StoreChecker.check(dir)).isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining("in use");
        }
    }

    @Test
    void aFlippedBitInABucketPageIsAChecksumError() throws Exception {
        long bucket;
        long row;
        try (RawStore raw = new RawStore(dir)) {
            bucket = bucketPage(raw, 3);
            row = raw.rowOf(bucket);
            MemorySegment page = raw.readRow(row);
            page.set(ValueLayout.JAVA_BYTE, 3000, (byte) (page.get(ValueLayout.JAVA_BYTE, 3000) ^ 0x10));
            raw.writeRow(row, page);
        }
        CheckReport r = StoreChecker.check(dir);
        assertThat(errors(r)).contains("page " + bucket + " (row " + row + ")").contains("page checksum");
    }

    @Test
    void aDamagedCurrentMetaSlotIsAnErrorAndTheFallbackIsChecked() throws Exception {
        int slot;
        long epoch;
        try (RawStore raw = new RawStore(dir)) {
            slot = raw.currentSlot();
            epoch = raw.meta().epoch();
            MemorySegment m = raw.metaSlot(slot);
            m.set(LONG, MetaLayout.KEYS_OFFSET, m.get(LONG, MetaLayout.KEYS_OFFSET) + 1);
            raw.writeMetaSlot(slot, m);
        }
        CheckReport r = StoreChecker.check(dir);
        assertThat(r.epoch()).isEqualTo(epoch - 1);
        assertThat(r.metaSlot()).isEqualTo(1 - slot);
        assertThat(errors(r)).contains("meta slot " + slot).contains("may have held the newest checkpoint");
    }

    @Test
    void aDamagedOlderMetaSlotIsAWarning() throws Exception {
        int older;
        try (RawStore raw = new RawStore(dir)) {
            older = 1 - raw.currentSlot();
            MemorySegment m = raw.metaSlot(older);
            m.set(LONG, MetaLayout.VALUES_OFFSET, 12345);
            raw.writeMetaSlot(older, m);
        }
        CheckReport r = StoreChecker.check(dir);
        assertThat(r.errors()).isZero();
        assertThat(r.warnings()).isEqualTo(1);
        assertThat(r.findings().getFirst().toString()).contains("WARNING meta slot " + older).contains("older meta slot damaged");
    }

    /**
     * The current checkpoint's deletion log must keep every row the fallback (the older meta slot)
     * still uses: one dropped from it is free, so the next checkpoint could overwrite the fallback.
     */
    @Test
    void aRowTheFallbackUsesThatTheCurrentCheckpointLeavesFreeIsAnError() throws Exception {
        long epoch;
        long dropped;
        try (RawStore raw = new RawStore(dir)) {
            epoch = raw.meta().epoch();
            long row = raw.meta().deletionLogRoot();
            assertThat(row).as("the second checkpoint retired rows of the first").isNotZero();
            MemorySegment log = raw.readRow(row);
            int n = FreeListLayout.count(log);
            assertThat(FreeListLayout.next(log)).as("a one-page log").isZero();
            assertThat(n % 2).as("(row, epoch) pairs").isZero();
            int k = 0;
            while (FreeListLayout.id(log, k + 1) != epoch) { // a row retired in the current epoch: the fallback's
                k += 2;
            }
            dropped = FreeListLayout.id(log, k);
            FreeListLayout.id(log, k, FreeListLayout.id(log, n - 2));
            FreeListLayout.id(log, k + 1, FreeListLayout.id(log, n - 1));
            FreeListLayout.count(log, n - 2);
            PageLayout.seal(log);
            raw.writeRow(row, log);
        }
        CheckReport r = StoreChecker.check(dir);
        assertThat(r.errors()).as(errors(r)).isEqualTo(1);
        assertThat(errors(r)).contains("fallback (epoch " + (epoch - 1) + ")")
                .contains("1 row(s) the fallback checkpoint uses are free in the current one")
                .contains("row " + dropped + " (");
    }

    @Test
    void aPageWrittenAtTheWrongRowIsAnIdMismatch() throws Exception {
        long a;
        long b;
        long rowB;
        try (RawStore raw = new RawStore(dir)) {
            a = bucketPage(raw, 0);
            b = bucketPage(raw, 1);
            rowB = raw.rowOf(b);
            raw.writeRow(rowB, raw.readPage(a));
        }
        CheckReport r = StoreChecker.check(dir);
        assertThat(errors(r)).contains("page " + b + " (row " + rowB + ")").contains("page id in the header")
                .contains("expected=" + b + ", actual=" + a);
    }

    @Test
    void aDirectoryEntryPointingToAnotherBucketIsFound() throws Exception {
        long wrong;
        long lost;
        try (RawStore raw = new RawStore(dir)) {
            long root = raw.meta().directoryRoot();
            MemorySegment page = raw.readPage(root);
            long e0 = page.get(LONG, DirectoryLayout.entryOffset(0));
            long e1 = page.get(LONG, DirectoryLayout.entryOffset(1));
            lost = Directory.page(e0);
            wrong = Directory.page(e1);
            page.set(LONG, DirectoryLayout.entryOffset(0), Directory.entry(wrong, Directory.depth(e0)));
            raw.writeSealed(root, page);
        }
        CheckReport r = StoreChecker.check(dir);
        assertThat(errors(r)).contains("directory index 0").contains("page " + wrong)
                .containsAnyOf("outside its bucket's prefix", "listed by two directory entries");
        assertThat(warnings(r)).contains("leaked").contains("page " + lost);
    }

    @Test
    void aValueListOutOfOrderIsAStructuralErrorDespiteAValidChecksum() throws Exception {
        long leaf;
        try (RawStore raw = new RawStore(dir)) {
            leaf = singleLeafList(raw);
            MemorySegment page = raw.readPage(leaf);
            long v0 = ValueListLayout.value(page, 0);
            ValueListLayout.setValue(page, 0, ValueListLayout.value(page, 1));
            ValueListLayout.setValue(page, 1, v0);
            raw.writeSealed(leaf, page);
        }
        CheckReport r = StoreChecker.check(dir);
        assertThat(r.errors()).as(errors(r)).isEqualTo(1);
        assertThat(errors(r)).contains("page " + leaf + " (row ").contains("value list order")
                .doesNotContain("checksum");
    }

    @Test
    void oneFlippedMaskBitResealedIsACorrectableWarning() throws Exception {
        long bucket = flipMaskBits(new int[]{5});
        CheckReport r = StoreChecker.check(dir);
        assertThat(r.errors()).isZero();
        assertThat(r.warnings()).isEqualTo(1);
        assertThat(r.eccCorrectable()).isEqualTo(1);
        assertThat(r.keys()).isEqualTo(keys);
        assertThat(warnings(r)).contains("page " + bucket + " (row ").contains("one flipped bit");
    }

    @Test
    void twoFlippedMaskBitsResealedAreAnError() throws Exception {
        long bucket = flipMaskBits(new int[]{5, 40});
        CheckReport r = StoreChecker.check(dir);
        assertThat(errors(r)).contains("page " + bucket + " (row ").contains("two or more flipped bits");
    }

    @Test
    void findingsAreCappedButCounted() throws Exception {
        try (RawStore raw = new RawStore(dir)) {
            for (int i = 0; i < 4; i++) {
                long row = raw.rowOf(bucketPage(raw, i));
                MemorySegment page = raw.readRow(row);
                page.set(ValueLayout.JAVA_BYTE, 2000, (byte) ~page.get(ValueLayout.JAVA_BYTE, 2000));
                raw.writeRow(row, page);
            }
        }
        CheckReport r = StoreChecker.check(dir, 2);
        assertThat(r.errors()).isGreaterThanOrEqualTo(4);
        assertThat(r.findings()).hasSize(2);
        assertThat(r.droppedFindings()).isEqualTo(r.errors() + r.warnings() - 2);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private long flipMaskBits(int[] bits) {
        try (RawStore raw = new RawStore(dir)) {
            long bucket = bucketPage(raw, 2);
            MemorySegment page = raw.readPage(bucket);
            long word = page.get(LONG, BucketLayout.MASK_OFFSET);
            for (int b : bits) {
                word ^= 1L << b;
            }
            page.set(LONG, BucketLayout.MASK_OFFSET, word);
            raw.writeSealed(bucket, page);
            return bucket;
        }
    }

    /** The primary page of the {@code n}th bucket in directory order. */
    private static long bucketPage(RawStore raw, int n) {
        MemorySegment root = raw.readPage(raw.meta().directoryRoot());
        assertThat(DirectoryLayout.count(root)).isGreaterThan(n);
        return Directory.page(root.get(LONG, DirectoryLayout.entryOffset(n)));
    }

    /** The root of a value list that is a single leaf with at least two values. */
    private static long singleLeafList(RawStore raw) {
        BucketLayout layout = new BucketLayout(raw.meta().keyBytes(), raw.meta().pageSize());
        BucketPage bp = new BucketPage(layout);
        MemorySegment root = raw.readPage(raw.meta().directoryRoot());
        for (int b = 0; b < DirectoryLayout.count(root); b++) {
            long id = Directory.page(root.get(LONG, DirectoryLayout.entryOffset(b)));
            bp.wrap(raw.readPage(id), id);
            for (int s = 0; s < layout.slots(); s++) {
                if (bp.state(s) == SlotState.KEY_EXTERNAL) {
                    MemorySegment list = raw.readPage(bp.payload(s));
                    if (PageLayout.kind(list) == PageKind.VALUE_LEAF && ValueListLayout.count(list) >= 2) {
                        return bp.payload(s);
                    }
                }
            }
        }
        throw new AssertionError("no single-leaf value list in the store");
    }

    private static String errors(CheckReport r) {
        return r.findings().stream().filter(f -> f.severity() == Finding.Severity.ERROR).map(Finding::toString)
                .collect(Collectors.joining("\n"));
    }

    private static String warnings(CheckReport r) {
        return r.findings().stream().filter(f -> f.severity() == Finding.Severity.WARNING).map(Finding::toString)
                .collect(Collectors.joining("\n"));
    }
}
