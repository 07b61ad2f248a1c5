package dev.hashdir.bench;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.server.config.ServerConfig;
import dev.hashdir.server.service.HashdirServer;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The durability figures of the engine at a given size (bench/durability.sh runs it):
 *
 * <ul>
 *   <li>{@code load}: inserts {@code --keys} fresh keys (one value each) through
 *       {@link DurableHashDir} in batches of {@code --batch} puts with a WAL commit per batch, and
 *       between batches drives checkpoints exactly as the server's {@code EngineMaintenance} does
 *       (begin every {@code --checkpoint-records} records, then one {@code checkpointStep(64)} per
 *       later batch). Every begin and step is timed on this thread, the engine thread: their longest and
 *       p99.9 are the engine-thread stalls checkpoints cause. Closes cleanly.</li>
 *   <li>{@code open}: open-to-ready after that clean close ({@link DurableHashDir#open}), repeated.</li>
 *   <li>{@code replay}: a child JVM opens the store, puts {@code --replay-records} more fresh keys
 *       (committed, no checkpoint) and halts; each repetition restores a copy of that crashed
 *       store and times the recovery (open = WAL replay) of those records.</li>
 * </ul>
 *
 * <p>Usage: {@code DurabilityBenchmark --dir DIR [--keys N] [--runs R] [--replay-records M]
 * [--cache-mb MB] [--checkpoint-records C] [--batch B] [--phases load,open,replay]}.
 */
public final class DurabilityBenchmark {

    private static final int KEY_BYTES = 32;
    private static final int STEP_PAGES = 64;
    private static final long SEED = 0x5EEDL;
    /** Checkpoint calls longer than this are printed one by one. */

    private DurabilityBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.child) {
            appendAndHalt(o);
            return;
        }
        Path store = o.dir.resolve("store");
        Path crashed = o.dir.resolve("crashed");
        Path work = o.dir.resolve("work");
        System.out.printf(Locale.ROOT, "keys=%d runs=%d replayRecords=%d cacheMB=%d checkpointRecords=%d batch=%d wal=%s%n",
                o.keys, o.runs, o.replayRecords, o.cacheMb, o.checkpointRecords, o.batch, durability);
        if (o.phases.contains("load")) {
            deleteTree(store);
            load(o, store);
        }
        if (o.phases.contains("stall")) {
            Stalls all = new Stalls();
            List<Double> maxes = new ArrayList<>();
            List<Double> p999s = new ArrayList<>();
            for (int r = -o.warmup; r < o.runs; r++) {
                deleteTree(work);
                copyTree(store, work);
                Stalls run = new Stalls();
                DurableHashDir d = DurableHashDir.open(work, config(o), walOptions());
                long t0 = System.nanoTime();
                long checkpoints = insert(d, o.keys, o.stallRecords, o, run);
                long nanos = System.nanoTime() - t0;
                d.close();
                System.out.printf(Locale.ROOT, "stall run %d%s: %d puts into %d keys in %.1f s, %d checkpoints%n", r + 1,
                        r < 0 ? " (warmup, not counted)" : "", o.stallRecords, o.keys, nanos / 1e9, checkpoints);
                run.print("run " + (r + 1));
                if (r < 0) {
                    continue;
                }
                maxes.add(run.wall.getMaxValue() / 1e6);
                p999s.add(run.wall.getValueAtPercentile(99.9) / 1e6);
                all.wall.add(run.wall);
                all.cpu.add(run.cpu);
                run.byKind.forEach((k, h) -> all.byKind.computeIfAbsent(k, x -> new Histogram(3_600_000_000_000L, 3)).add(h));
                if (run.worst > all.worst) {
                    all.worst = run.worst;
                    all.worstKind = run.worstKind;
                }
            }
            deleteTree(work);
            all.print("all stall runs together");
            System.out.printf(Locale.ROOT, "RESULT stall_runs max_median=%.3f max_min=%.3f max_max=%.3f p99.9_median=%.3f%n",
                    median(maxes), maxes.stream().mapToDouble(x -> x).min().orElse(0),
                    maxes.stream().mapToDouble(x -> x).max().orElse(0), median(p999s));
        }
        if (o.phases.contains("open")) {
            List<Double> ms = new ArrayList<>();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            for (int r = 0; r < o.runs; r++) {
                long c0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                DurableHashDir d = DurableHashDir.open(store, config(o), walOptions());
                long t1 = System.nanoTime();
                long cpu = threads.getCurrentThreadCpuTime() - c0;
                long keys = d.hashDir().stats().keys();
                d.close();
                ms.add((t1 - t0) / 1e6);
                System.out.printf(Locale.ROOT, "open run %d: %.1f ms (thread CPU %.1f ms; keys %d, replayed %d)%n", r + 1,
                        (t1 - t0) / 1e6, cpu / 1e6, keys, d.recordsReplayed());
            }
            System.out.printf(Locale.ROOT, "RESULT open_to_ready_ms median=%.1f min=%.1f max=%.1f%n", median(ms),
                    ms.stream().mapToDouble(x -> x).min().orElse(0), ms.stream().mapToDouble(x -> x).max().orElse(0));
            // the server's path: bind both planes, then recover() (PageStore opened for its key length,
            // DurableHashDir.open, pipeline start) until the state is SERVING, which is when /ready says 200
            List<Double> server = new ArrayList<>();
            for (int r = 0; r < o.runs; r++) {
                Map<String, String> flags = new HashMap<>();
                flags.put("data", store.toString());
                flags.put("bind", "tcp://127.0.0.1:*");
                flags.put("http", "127.0.0.1:0");
                flags.put("durability", "none");
                ServerConfig cfg = ServerConfig.resolve(null, Map.of(), flags);
                long t0 = System.nanoTime();
                HashdirServer s = HashdirServer.start(cfg);
                s.recover();
                long nanos = System.nanoTime() - t0;
                if (s.state() != HashdirServer.State.SERVING) {
                    throw new IllegalStateException("server not serving: " + s.state());
                }
                s.close();
                server.add(nanos / 1e6);
                System.out.printf(Locale.ROOT, "server open run %d: %.1f ms from start to serving%n", r + 1, nanos / 1e6);
            }
            System.out.printf(Locale.ROOT, "RESULT server_open_to_ready_ms median=%.1f min=%.1f max=%.1f%n",
                    median(server), server.stream().mapToDouble(x -> x).min().orElse(0),
                    server.stream().mapToDouble(x -> x).max().orElse(0));
        }
        if (o.phases.contains("replay")) {
            deleteTree(crashed);
            copyTree(store, crashed);
            runChild(o, crashed);
            List<Double> rates = new ArrayList<>();
            List<Double> cpuRates = new ArrayList<>();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            for (int r = 0; r < o.runs; r++) {
                deleteTree(work);
                copyTree(crashed, work);
                long c0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                DurableHashDir d = DurableHashDir.open(work, config(o), walOptions());
                long nanos = System.nanoTime() - t0;
                long cpu = threads.getCurrentThreadCpuTime() - c0;
                long replayed = d.recordsReplayed();
                long keys = d.hashDir().stats().keys();
                d.close();
                double rate = replayed * 1e9 / nanos;
                rates.add(rate);
                cpuRates.add(replayed * 1e9 / cpu);
                System.out.printf(Locale.ROOT, "replay run %d: %d records in %.1f ms = %.0f records/s (thread CPU %.1f ms"
                        + " = %.0f records per CPU second; keys now %d)%n", r + 1, replayed, nanos / 1e6, rate, cpu / 1e6,
                        replayed * 1e9 / cpu, keys);
                if (replayed != o.replayRecords || keys != o.keys + o.replayRecords) {
                    throw new IllegalStateException("replay lost records: replayed=" + replayed + ", keys=" + keys);
                }
            }
            deleteTree(work);
            // first: the JVM's first replay, its code still interpreted or C1-compiled while C2 works (what a
            // restarted server's replay is like); the median is over all runs
            System.out.printf(Locale.ROOT, "RESULT replay_records_per_sec median=%.0f min=%.0f max=%.0f "
                            + "per_cpu_second_median=%.0f first=%.0f%n", median(rates), rates.stream().mapToDouble(x -> x).min().orElse(0),
                    rates.stream().mapToDouble(x -> x).max().orElse(0), median(cpuRates), rates.isEmpty() ? 0 : rates.getFirst());
        }
    }

    private static HashDirConfig config(Options o) {
        return HashDirConfig.defaults().withCacheBytes((long) o.cacheMb << 20);
    }

    private static WalOptions walOptions() {
        return WalOptions.of(KEY_BYTES, durability);
    }

    /** The WAL's mode: NONE by default (the load is about checkpoints, not WAL syncs; a halt loses nothing written). */
    private static Durability durability = Durability.NONE;

    /** Inserts keys [0, keys) into a new store, recording every checkpoint call; closes cleanly. */
    private static void load(Options o, Path store) throws IOException {
        Stalls stalls = new Stalls();
        long t0 = System.nanoTime();
        DurableHashDir d = DurableHashDir.create(store, StoreOptions.defaults(), config(o), walOptions());
        long checkpoints = insert(d, 0, o.keys, o, stalls);
        long loadNanos = System.nanoTime() - t0;
        long c0 = System.nanoTime();
        d.close();
        System.out.printf(Locale.ROOT, "load: %d keys in %.1f s (%.0f puts/s), %d checkpoints; close %.1f ms%n",
                o.keys, loadNanos / 1e9, o.keys * 1e9 / loadNanos, checkpoints, (System.nanoTime() - c0) / 1e6);
        stalls.print("load 0.." + o.keys);
    }

    /**
     * Puts keys [from, from + count) in batches with a commit each, driving checkpoints between
     * batches as EngineMaintenance does; returns the checkpoints completed.
     */
    private static long insert(DurableHashDir d, long from, long count, Options o, Stalls stalls) throws IOException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        HashDir hd = d.hashDir();
        long checkpointLsn = hd.durableMeta().checkpointLsn();
        long began = 0;
        long checkpoints = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(KEY_BYTES, 8);
            for (long i = from; i < from + count; ) {
                long end = Math.min(from + count, i + o.batch);
                for (; i < end; i++) {
                    fillKey(key, SEED, i);
                    d.put(key, i);
                }
                long lsn = d.commit();
                String before = hd.checkpointStage();
                boolean running = !before.equals("none");
                if (!running && lsn - checkpointLsn < o.checkpointRecords) {
                    continue;
                }
                long c = threads.getCurrentThreadCpuTime();
                long s = System.nanoTime();
                boolean done;
                if (running) {
                    done = hd.checkpointStep(STEP_PAGES);
                } else {
                    hd.beginCheckpoint(lsn); // as EngineMaintenance: the first step comes with the next batch
                    began = lsn;
                    done = false;
                }
                long nanos = System.nanoTime() - s;
                long cpu = threads.getCurrentThreadCpuTime() - c;
                String kind = kind(before, hd.checkpointStage());
                stalls.record(kind, nanos, cpu);
                if (nanos > o.slowNanos) {
                    System.out.printf(Locale.ROOT, "  slow call: %s %.3f ms (thread CPU %.3f ms) at key %d, checkpoint %d%n",
                            kind, nanos / 1e6, cpu / 1e6, i, checkpoints + 1);
                }
                if (done) {
                    checkpointLsn = began;
                    checkpoints++;
                    d.wal().deleteSegmentsBelow(began + 1);
                }
            }
        }
        return checkpoints;
    }

    /** What a checkpoint call did, from the stage before and after it. */
    private static String kind(String before, String after) {
        return switch (before) {
            case "none" -> "begin";
            case "pages" -> after.equals("pages") ? "page step" : "last pages+roots+flush";
            case "sync_data" -> after.equals("sync_data") ? "poll (data sync runs)" : "meta+flush";
            case "sync_meta" -> after.equals("sync_meta") ? "poll (meta sync runs)" : "publish";
            default -> before + "->" + after;
        };
    }

    /** Durations of checkpoint calls on the engine thread: wall and that thread's CPU, overall and per kind. */
    private static final class Stalls {
        final Histogram wall = new Histogram(3_600_000_000_000L, 3);
        final Histogram cpu = new Histogram(3_600_000_000_000L, 3);
        final Map<String, Histogram> byKind = new TreeMap<>();
        long worst;
        String worstKind = "";

        void record(String kind, long nanos, long cpuNanos) {
            wall.recordValue(nanos);
            cpu.recordValue(Math.max(0, cpuNanos));
            byKind.computeIfAbsent(kind, k -> new Histogram(3_600_000_000_000L, 3)).recordValue(nanos);
            if (nanos > worst) {
                worst = nanos;
                worstKind = kind;
            }
        }

        void print(String what) {
            System.out.println("checkpoint calls on the engine thread, " + what + " (wall ms):");
            byKind.forEach((k, h) -> printLine(k, h));
            printLine("all (wall)", wall);
            printLine("all (thread CPU)", cpu);
            System.out.printf(Locale.ROOT, "worst call: %s, %.3f ms%n", worstKind, worst / 1e6);
            System.out.printf(Locale.ROOT, "RESULT checkpoint_stall_ms max=%.3f p99.9=%.3f p99=%.3f cpu_max=%.3f "
                            + "cpu_p99.9=%.3f calls=%d%n", wall.getMaxValue() / 1e6, wall.getValueAtPercentile(99.9) / 1e6,
                    wall.getValueAtPercentile(99) / 1e6, cpu.getMaxValue() / 1e6, cpu.getValueAtPercentile(99.9) / 1e6,
                    wall.getTotalCount());
        }
    }

    private static void printLine(String what, Histogram h) {
        System.out.printf(Locale.ROOT, "  %-24s n=%-7d p50=%.3f p99=%.3f p99.9=%.3f max=%.3f%n", what,
                h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
                h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
    }

    /** Child: opens, puts replayRecords fresh keys (committed in batches, never checkpointed), halts. */
    private static void appendAndHalt(Options o) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(KEY_BYTES, 8);
            DurableHashDir d = DurableHashDir.open(o.dir, config(o), walOptions());
            for (long i = 0; i < o.replayRecords; i++) {
                fillKey(key, SEED, o.keys + i);
                d.put(key, o.keys + i);
                if ((i + 1) % o.batch == 0) {
                    d.commit();
                }
            }
            long lsn = d.commit();
            System.out.printf(Locale.ROOT, "child: %d records committed up to LSN %d; halting without checkpoint%n",
                    o.replayRecords, lsn);
            System.out.flush();
        }
        Runtime.getRuntime().halt(0);
    }

    private static void runChild(Options o, Path crashed) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx2g", "-cp",
                System.getProperty("java.class.path"), DurabilityBenchmark.class.getName(), "--child", "--dir",
                crashed.toString(), "--keys", Long.toString(o.keys), "--replay-records", Long.toString(o.replayRecords),
                "--cache-mb", Integer.toString(o.cacheMb), "--batch", Integer.toString(o.batch), "--wal-durability",
                durability.name()));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IllegalStateException("child exited with " + rc);
        }
    }

    /** Key {@code i}: words 4i..4i+3 of splitmix64 from {@code seed} (as the peer benchmark's keys). */
    static void fillKey(MemorySegment key, long seed, long i) {
        long state = seed + 4 * i * 0x9E3779B97F4A7C15L;
        for (int w = 0; w < 4; w++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            key.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 8L * w, z ^ (z >>> 31));
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Comparator.naturalOrder());
        int n = s.size();
        return n == 0 ? 0 : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path q : s.toList()) {
                Path t = to.resolve(from.relativize(q).toString());
                if (Files.isDirectory(q)) {
                    Files.createDirectories(t);
                } else if (!q.getFileName().toString().endsWith(".lock")) {
                    Files.copy(q, t, StandardCopyOption.COPY_ATTRIBUTES);
                    // written back now: else the copy's dirty pages (1.3 GB at 10M keys) go to the disk
                    // under the run measured, in its first data sync, and its page I/O waits behind them
                    try (FileChannel c = FileChannel.open(t, StandardOpenOption.WRITE)) {
                        c.force(true);
                    }
                }
            }
        }
    }

    private static final class Options {
        Path dir;
        long keys = 10_000_000;
        int runs = 5;
        long replayRecords = 2_000_000;
        long stallRecords = 1_000_000;
        int warmup = 1;
        int cacheMb = 64;
        long checkpointRecords = 100_000;
        int batch = 1000;
        /** Checkpoint calls longer than this are printed one by one ({@code --slow-ms}). */
        long slowNanos = 5_000_000;
        String phases = "load,stall,open,replay";
        boolean child;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--child" -> o.child = true;
                    case "--dir" -> o.dir = Path.of(args[++i]);
                    case "--keys" -> o.keys = Long.parseLong(args[++i]);
                    case "--runs" -> o.runs = Integer.parseInt(args[++i]);
                    case "--replay-records" -> o.replayRecords = Long.parseLong(args[++i]);
                    case "--stall-records" -> o.stallRecords = Long.parseLong(args[++i]);
                    case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                    case "--cache-mb" -> o.cacheMb = Integer.parseInt(args[++i]);
                    case "--checkpoint-records" -> o.checkpointRecords = Long.parseLong(args[++i]);
                    case "--batch" -> o.batch = Integer.parseInt(args[++i]);
                    case "--slow-ms" -> o.slowNanos = (long) (Double.parseDouble(args[++i]) * 1e6);
                    case "--phases" -> o.phases = args[++i];
                    case "--wal-durability" -> durability = Durability.valueOf(args[++i].toUpperCase(Locale.ROOT));
                    default -> throw new IllegalArgumentException("unknown argument: " + a);
                }
            }
            if (o.dir == null) {
                throw new IllegalArgumentException("--dir DIR is required");
            }
            return o;
        }
    }
}
