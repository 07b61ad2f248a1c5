package dev.hashdir.bench.wal;

import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalWriter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * What a WAL roll costs the commit that makes it, with preallocated 64 MiB segments: SYNC commits
 * of one 64 KiB record each into real files until four rolls happened; the first two take a new
 * segment (64 MiB of zeros written and forced by the preparing thread once the current segment is
 * half full, or on the committing thread when that had not happened), then the segments behind
 * the current one are released as a checkpoint would, so the last two rolls take the spare (only
 * its header rewritten). Prints the creating open, each segment's median, p99 and largest commit
 * (the preparation runs beside them) and its roll's commit and kind. A plain {@code main}: {@code java -cp "bench/target/hashdir-bench.jar:bench/target/lib/*"
 * dev.hashdir.bench.wal.WalRollBenchmark [dir]} (default: a new directory under /tmp).
 */
public final class WalRollBenchmark {

    private WalRollBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("hashdir-wal-roll");
        long[] values = new long[8192];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 31L;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(32, 8);
            long t0 = System.nanoTime();
            FileWalDirectory wal = FileWalDirectory.open(dir.resolve("wal"));
            try (WalWriter w = WalWriter.open(wal, WalOptions.of(32, Durability.SYNC), 1, r -> { })) {
                System.out.printf(Locale.ROOT, "open on an empty WAL (creates a 64 MiB segment): %d ms%n",
                        (System.nanoTime() - t0) / 1_000_000);
                long spares = 0;
                long prepared = 0;
                for (int seg = 0; seg < 4; seg++) {
                    String current = w.currentSegment();
                    List<Long> commits = new ArrayList<>();
                    long roll;
                    while (true) {
                        w.appendPutMany(key, values, 0, values.length);
                        long s = System.nanoTime();
                        w.commit();
                        long e = System.nanoTime() - s;
                        if (!w.currentSegment().equals(current)) {
                            roll = e;
                            break;
                        }
                        commits.add(e);
                    }
                    Collections.sort(commits);
                    String kind = w.rollsIntoSpare() > spares ? "into the spare"
                            : w.rollsIntoPrepared() > prepared ? "into the segment prepared ahead"
                            : "new segment prepared on the roll";
                    spares = w.rollsIntoSpare();
                    prepared = w.rollsIntoPrepared();
                    System.out.printf(Locale.ROOT, "segment %d: 64 KiB commit median %d us, p99 %.1f ms, max %.1f ms;"
                                    + " the roll's commit %.1f ms (%s)%n",
                            seg, commits.get(commits.size() / 2) / 1000,
                            commits.get(commits.size() * 99 / 100) / 1e6, commits.getLast() / 1e6, roll / 1e6, kind);
                    if (seg >= 1) {
                        System.out.printf(Locale.ROOT, "released as by a checkpoint: %d segment(s)%n",
                                w.deleteSegmentsBelow(w.nextLsn()));
                    }
                }
            }
        }
    }
}
