package dev.hashdir.engine.wal;

import dev.hashdir.bindings.libc.ErrnoException;
import dev.hashdir.engine.wal.FaultyWalDirectory.Fault;
import dev.hashdir.engine.wal.FaultyWalDirectory.SimulatedCrash;
import dev.hashdir.engine.wal.WalTestRecords.Collector;
import dev.hashdir.engine.wal.WalTestRecords.Rec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded crash cases against the fault-injecting file layer. Each case runs a random sequence of
 * appends, commits, syncs, checkpoints (segment deletion), full disks, failing forces, clean
 * reopens and crashes (between calls, or in the middle of a commit, sync or open), in a random
 * durability mode. After every crash, replay must return every record the writer claimed durable
 * ({@code durableLsn}: in SYNC mode, every acknowledged commit), after a process crash everything
 * written, and beyond that only whole records that were really appended, each exactly as appended.
 * A failing case prints its seed; rerun it alone with {@code -Dwal.faults.seed=S -Dwal.faults.cases=1}.
 */
class WalFaultInjectionTest {

    private static final int KEY_BYTES = 16;
    private static final long BASE_SEED = Long.getLong("wal.faults.seed", 20_250_601L);
    private static final int CASES = Integer.getInteger("wal.faults.cases", 4000);

    private final Map<Fault, Integer> crashes = new EnumMap<>(Fault.class);
    private long tornTails;
    private long ioFailures;
    private long records;
    private long midCallCrashes;
    private long sealedOrNew;
    private long keptAfterClose;
    private long spares;
    private long recycledRolls;
    private long sparesKeptAtOpen;
    private long preparedAhead;

    @Test
    void crashesNeverLoseAcknowledgedRecordsNorInventAny() {
        long start = System.nanoTime();
        for (int i = 0; i < CASES; i++) {
            long seed = BASE_SEED + i;
            Case c = new Case(seed);
            try {
                c.run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("fault case " + i + " failed: seed=" + seed + " (rerun alone: -Dwal.faults.seed="
                        + seed + " -Dwal.faults.cases=1)\nsteps:\n" + String.join("\n", c.log), e);
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("fault cases=%d in %d ms: crashes=%s, mid-call crashes=%d, torn tails=%d, "
                + "I/O failures (ENOSPC/EIO)=%d, records appended=%d, opened on a new or sealed segment=%d, "
                + "on a cleanly closed preallocated one=%d, spare held after a checkpoint=%d, rolls into "
                + "the spare=%d, spares kept at an open=%d, next segments prepared ahead=%d%n", CASES, ms, crashes,
                midCallCrashes, tornTails, ioFailures, records, sealedOrNew, keptAfterClose, spares, recycledRolls,
                sparesKeptAtOpen, preparedAhead);
        assertThat(crashes.values().stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(CASES);
        if (CASES >= 100) {
            // what the cases must have covered between them (a single rerun case need not)
            assertThat(tornTails).isPositive();
            assertThat(ioFailures).isPositive();
            assertThat(keptAfterClose).isPositive();
            assertThat(spares).isPositive();
            assertThat(recycledRolls).isPositive();
            assertThat(sparesKeptAtOpen).isPositive();
            assertThat(preparedAhead).isPositive();
        }
    }

    /** One seeded case: the writer under test and a model of what it was given and what it promised. */
    private final class Case {

        final Random rnd;
        final FaultyWalDirectory dir;
        final WalOptions options;
        final AtomicLong clock = new AtomicLong();
        final List<String> log = new ArrayList<>();
        /** Every record appended, by LSN - 1; cut back to what survived after each crash. */
        final List<Rec> model = new ArrayList<>();
        long fromLsn = 1;
        /** The LSN every crash must keep: the highest durableLsn the writer reported. */
        long guaranteed;
        WalWriter writer;

        Case(long seed) {
            rnd = WalTestRecords.seeded(seed);
            int pageSize = rnd.nextBoolean() ? 512 : 4096;
            dir = new FaultyWalDirectory(seed, pageSize);
            long segmentBytes = switch (rnd.nextInt(3)) {
                case 0 -> 256 + rnd.nextInt(768);
                case 1 -> 1024 + rnd.nextInt(8192);
                default -> 1 << 20;
            };
            Durability durability = switch (rnd.nextInt(4)) {
                case 0, 1 -> Durability.SYNC;
                case 2 -> Durability.ASYNC;
                default -> Durability.NONE;
            };
            options = new WalOptions(KEY_BYTES, segmentBytes, durability, Duration.ofNanos(rnd.nextInt(10_000_000)));
            log.add("options " + options + ", page size " + pageSize);
        }

        void run() {
            open();
            int steps = 10 + rnd.nextInt(70);
            for (int step = 0; step < steps; step++) {
                clock.addAndGet(rnd.nextInt(3_000_000));
                int op = rnd.nextInt(100);
                if (op < 45) {
                    append(1 + rnd.nextInt(6));
                } else if (op < 72) {
                    call("commit");
                } else if (op < 77) {
                    call("sync");
                } else if (op < 81) {
                    checkpoint();
                } else if (op < 86) {
                    diskFull();
                } else if (op < 88) {
                    dir.failNextForces(1 + rnd.nextInt(2));
                    log.add("next forces fail with EIO");
                } else if (op < 91) {
                    reopen();
                } else {
                    crash();
                }
            }
            crash();
        }

        void open() {
            Collector replayed = new Collector();
            if (rnd.nextInt(10) == 0) {
                dir.armCrash(1 + rnd.nextInt(4));
                try {
                    writer = WalWriter.open(dir, options, fromLsn, r -> { }, clock::get);
                    dir.armCrash(0);
                    writer.close();
                } catch (SimulatedCrash e) {
                    midCallCrashes++;
                    log.add("crashed while opening: " + e.getMessage());
                    crashAndCheck(null, Long.MIN_VALUE);
                    return;
                }
            }
            boolean spareBefore = dir.exists(WalSegmentLayout.RECYCLED_NAME);
            writer = WalWriter.open(dir, options, fromLsn, replayed, clock::get);
            if (spareBefore && dir.exists(WalSegmentLayout.RECYCLED_NAME)) {
                sparesKeptAtOpen++;
            }
            WalReplayResult r = writer.recovery();
            log.add("open from " + fromLsn + ": " + r);
            checkReplay(replayed, r, Long.MIN_VALUE);
            assertThat(writer.nextLsn()).isEqualTo(r.lastLsn() + 1);
            assertThat(writer.durableLsn()).isEqualTo(r.lastLsn());
            long size = dir.size(writer.currentSegment());
            if (r.endSegment() == null || r.endSealed()) {
                assertThat(size).as("a new segment, preallocated").isEqualTo(options.segmentBytes());
                sealedOrNew++;
            } else if (r.closedCleanly()) {
                assertThat(size).as("closed cleanly: the zeros are kept").isGreaterThanOrEqualTo(r.endOffset());
                keptAfterClose++;
            } else {
                assertThat(size).as("torn tail truncated").isEqualTo(r.endOffset());
            }
            model.subList((int) r.lastLsn(), model.size()).clear();
            guaranteed = r.lastLsn();
        }

        void append(int n) {
            int maxValues = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 400 : 12);
            for (int i = 0; i < n; i++) {
                Rec rec = WalTestRecords.random(rnd, KEY_BYTES, maxValues);
                long lsn = WalTestRecords.append(writer, rec, rnd.nextBoolean());
                assertThat(lsn).as("LSNs are gapless").isEqualTo(model.size() + 1);
                model.add(rec);
                records++;
            }
            log.add("append " + n + " -> last LSN " + model.size());
        }

        /** A commit or sync; a failure must be an errno-bearing WalIoException and must not lose anything. */
        void call(String what) {
            long durableBefore = writer.durableLsn();
            boolean hadSpare = dir.exists(WalSegmentLayout.RECYCLED_NAME);
            try {
                long rollsIntoPrepared = writer.rollsIntoPrepared();
                long ack = what.equals("sync") ? writer.sync() : writer.commit();
                if (hadSpare && !dir.exists(WalSegmentLayout.RECYCLED_NAME)) {
                    recycledRolls++;
                }
                preparedAhead += writer.rollsIntoPrepared() - rollsIntoPrepared;
                long appended = writer.nextLsn() - 1;
                if (what.equals("sync") || options.durability() == Durability.SYNC) {
                    assertThat(ack).as(what + " acknowledges everything appended, durably").isEqualTo(appended)
                            .isEqualTo(writer.durableLsn());
                } else {
                    assertThat(ack).as(what + " acknowledges everything appended, written").isEqualTo(appended)
                            .isEqualTo(writer.writtenLsn());
                }
                log.add(what + " -> ack " + ack + ", durable " + writer.durableLsn());
            } catch (WalIoException e) {
                ioFailures++;
                assertThat(e.errno()).as(e.getMessage()).isIn(ErrnoException.ENOSPC, ErrnoException.EIO);
                assertThat(e.getMessage()).contains("mem:/wal/", "position=", "errno=");
                log.add(what + " failed: " + e.getMessage());
            }
            assertThat(writer.durableLsn()).as("durable LSN never goes back").isGreaterThanOrEqualTo(durableBefore);
            guaranteed = Math.max(guaranteed, writer.durableLsn());
        }

        void checkpoint() {
            long lsn = fromLsn + rnd.nextLong(writer.durableLsn() + 2 - fromLsn);
            int deleted = writer.deleteSegmentsBelow(lsn);
            fromLsn = lsn;
            if (dir.exists(WalSegmentLayout.RECYCLED_NAME)) {
                spares++;
            }
            log.add("checkpoint: delete below " + lsn + " -> " + deleted + " segments");
        }

        void diskFull() {
            if (rnd.nextBoolean()) {
                long limit = dir.usedBytes() + rnd.nextInt(700);
                boolean copyOnWrite = rnd.nextBoolean();
                if (copyOnWrite) {
                    dir.setCopyOnWriteSpaceLimit(limit);
                } else {
                    dir.setSpaceLimit(limit);
                }
                log.add("disk full at " + limit + " bytes" + (copyOnWrite ? " (overwrites too)" : ""));
            } else {
                dir.clearSpaceLimit();
                log.add("disk space back");
            }
        }

        void reopen() {
            dir.clearSpaceLimit();
            long appended = writer.nextLsn() - 1;
            try {
                writer.close();
                guaranteed = appended;
                log.add("closed at " + appended);
            } catch (WalIoException e) {
                ioFailures++;
                log.add("close failed: " + e.getMessage());
            }
            dir.failNextForces(0);
            long written = writer.writtenLsn();
            Collector replayed = new Collector();
            WalReplayResult r = WalReader.replay(dir, KEY_BYTES, fromLsn, replayed);
            checkReplay(replayed, r, written);
            open();
        }

        void crash() {
            WalWriter w = writer;
            if (rnd.nextBoolean()) {
                dir.armCrash(1 + rnd.nextInt(8));
                try {
                    call(rnd.nextBoolean() ? "commit" : "sync");
                } catch (SimulatedCrash e) {
                    midCallCrashes++;
                    log.add("crashed in the middle: " + e.getMessage());
                }
                dir.armCrash(0);
            }
            guaranteed = Math.max(guaranteed, w.durableLsn());
            crashAndCheck(w, w.writtenLsn());
        }

        /** Crashes with a random fault, replays, checks against the model, and opens the writer again. */
        void crashAndCheck(WalWriter crashed, long written) {
            Fault fault = Fault.values()[rnd.nextInt(Fault.values().length)];
            crashes.merge(fault, 1, Integer::sum);
            log.add(dir.crash(rnd, fault) + " (guaranteed " + guaranteed + ", written "
                    + (crashed == null ? "?" : crashed.writtenLsn()) + ", appended " + model.size() + ")");
            dir.clearSpaceLimit();
            Collector replayed = new Collector();
            WalReplayResult r = WalReader.replay(dir, KEY_BYTES, fromLsn, replayed);
            log.add("replay: " + r);
            checkReplay(replayed, r, fault == Fault.KEEP_ALL ? written : Long.MIN_VALUE);
            if (r.torn()) {
                tornTails++;
            }
            open();
        }

        /** Replay returned exactly fromLsn..lastLsn, all the guaranteed ones, nothing never appended, each intact. */
        void checkReplay(Collector replayed, WalReplayResult r, long written) {
            assertThat(r.lastLsn()).as("acknowledged records survive").isGreaterThanOrEqualTo(guaranteed);
            assertThat(r.lastLsn()).as("what a process crash leaves survives").isGreaterThanOrEqualTo(written);
            assertThat(r.lastLsn()).as("no record that was never appended").isLessThanOrEqualTo(model.size());
            assertThat(replayed.lsns).as("replay from %d", fromLsn).hasSize((int) (r.lastLsn() - fromLsn + 1));
            for (int i = 0; i < replayed.lsns.size(); i++) {
                long lsn = replayed.lsns.get(i);
                assertThat(lsn).isEqualTo(fromLsn + i);
                assertThat(replayed.records.get(i)).as("record %d", lsn).isEqualTo(model.get((int) lsn - 1));
            }
        }
    }
}
