package dev.hashdir.bench.peers;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The engine against LMDB and RocksDB on the same keys and values, no durability: every store is
 * created empty, loaded with {@code keys} pairs (key {@code i} of {@link PeerKeys#HIT_SEED} with
 * value {@link PeerKeys#value}{@code (i)}, one value per key) in {@code @Setup(Level.Trial)}, then
 * settled ({@link PeerStore#settle()}), then measured by one of:
 *
 * <ul>
 *   <li>{@link #getHit}: all values of a present key;</li>
 *   <li>{@link #getMiss}: all values of an absent key (from {@link PeerKeys#MISS_SEED});</li>
 *   <li>{@link #contains}: whether a present key holds its value;</li>
 *   <li>{@link #put}: {@value #PUT_BATCH} fresh pairs (hit keys {@code keys, keys+1, ...}) per
 *       invocation, timed as one shot and divided by the batch, so the store grows by a known
 *       amount (a time-based loop would add an unbounded number of keys).</li>
 * </ul>
 *
 * <p>Reads walk the keys in index order, wrapping at {@code keys}: each key is a random digest, so
 * the access pattern over the store is uniform random, and the same for every store. Each read
 * checks its answer (one value, the right one; nothing for a miss) so a broken adapter fails the
 * run instead of scoring well.
 *
 * <p>The preload is timed and reported (it is also an insert-throughput figure, from empty to
 * {@code keys}), and so are {@link PeerStore#bytesOnDisk()} and {@link PeerStore#cacheBytesInUse()}
 * after it; every benchmark also counts the heap bytes its thread allocates per operation in the
 * measured iterations (see {@link #reportAllocation()}). All of it goes to stdout,
 * and as lines of tab-separated values to the file named by the system property
 * {@value #LOADS_PROPERTY} when it is set (bench/peers.sh reads it).
 *
 * <p>Run: {@code java -cp bench/target/hashdir-bench.jar:bench/target/lib/* org.openjdk.jmh.Main
 * PeerBenchmark -p keys=1000000 -prof gc}, or bench/peers.sh. Data goes to a
 * fresh directory under {@code java.io.tmpdir} and is deleted at the end of each trial.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {
        "-Xms1g", "-Xmx1g",
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow",
        // lmdbjava's PROXY_OPTIMAL reads the address of direct ByteBuffers
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        // lmdbjava's own benchmarks run without its argument checks
        "-Dlmdbjava.disable.checks=true"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PeerBenchmark {

    /** Fresh pairs per {@link #put} invocation. */
    static final int PUT_BATCH = 10_000;
    /** System property: file to which each trial appends its preload line (and put allocation). */
    static final String LOADS_PROPERTY = "hashdir.peers.loads";
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Param({"hashdir", "lmdb", "rocksdb"})
    public String store;

    @Param({"1000000"})
    public int keys;

    /** Block / page cache budget for the stores that have one. */
    @Param({"2048"})
    public int cacheMiB;

    private String benchmark;
    private Path dir;
    private PeerStore db;
    private final byte[] key = new byte[PeerStore.KEY_BYTES];
    private final long[] values = new long[8];
    private long nextRead;
    private long nextFresh;
    private long operations;
    private long iterationAllocated;
    private long iterationOperations;
    private long measuredAllocated;
    private long measuredOperations;

    @Setup(Level.Trial)
    public void load(BenchmarkParams params) throws IOException {
        dir = Files.createTempDirectory("hashdir-peers-" + store);
        db = PeerStores.create(store, dir, (long) cacheMiB << 20);
        long start = System.nanoTime();
        for (long i = 0; i < keys; i++) {
            PeerKeys.key(PeerKeys.HIT_SEED, i, key);
            db.put(key, PeerKeys.value(i));
        }
        long loaded = System.nanoTime();
        db.settle();
        long settled = System.nanoTime();
        spotCheck();
        benchmark = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        report((loaded - start) / 1e9, (settled - loaded) / 1e9, db.bytesOnDisk());
        nextFresh = keys;
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        iterationAllocated = THREADS.getCurrentThreadAllocatedBytes();
        iterationOperations = operations;
    }

    @TearDown(Level.Iteration)
    public void endIteration(IterationParams iteration) {
        if (iteration.getType() == IterationType.MEASUREMENT) {
            measuredAllocated += THREADS.getCurrentThreadAllocatedBytes() - iterationAllocated;
            measuredOperations += operations - iterationOperations;
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        reportAllocation();
        appendLine(String.format(Locale.ROOT, "end\t%s\t%d\t%s\t%d%n", store, keys, benchmark, db.cacheBytesInUse()));
        db.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(PeerBenchmark::delete);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long getHit() {
        operations++;
        long i = nextReadIndex();
        PeerKeys.key(PeerKeys.HIT_SEED, i, key);
        if (db.getAll(key, values) != 1 || values[0] != PeerKeys.value(i)) {
            throw new IllegalStateException(store + ": wrong values for key " + i);
        }
        return values[0];
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int getMiss() {
        operations++;
        PeerKeys.key(PeerKeys.MISS_SEED, nextReadIndex(), key);
        int n = db.getAll(key, values);
        if (n != 0) {
            throw new IllegalStateException(store + ": values for an absent key");
        }
        return n;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public boolean contains() {
        operations++;
        long i = nextReadIndex();
        PeerKeys.key(PeerKeys.HIT_SEED, i, key);
        if (!db.contains(key, PeerKeys.value(i))) {
            throw new IllegalStateException(store + ": key " + i + " lost its value");
        }
        return true;
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(PUT_BATCH)
    @Warmup(iterations = 5)
    @Measurement(iterations = 20)
    public void put() {
        for (int n = 0; n < PUT_BATCH; n++) {
            long i = nextFresh++;
            PeerKeys.key(PeerKeys.HIT_SEED, i, key);
            db.put(key, PeerKeys.value(i));
        }
        operations += PUT_BATCH;
    }

    private long nextReadIndex() {
        long i = nextRead;
        nextRead = i + 1 == keys ? 0 : i + 1;
        return i;
    }

    /** A few hundred reads of each kind before measuring: a store that loses data fails here. */
    private void spotCheck() {
        long step = Math.max(1, keys / 500);
        for (long i = 0; i < keys; i += step) {
            PeerKeys.key(PeerKeys.HIT_SEED, i, key);
            long value = PeerKeys.value(i);
            if (db.getAll(key, values) != 1 || values[0] != value || !db.contains(key, value)
                    || db.contains(key, value + 1)) {
                throw new IllegalStateException(store + ": key " + i + " does not read back after the load");
            }
            PeerKeys.key(PeerKeys.MISS_SEED, i, key);
            if (db.getAll(key, values) != 0 || db.contains(key, value)) {
                throw new IllegalStateException(store + ": absent key " + i + " reads as present");
            }
        }
    }

    private void report(double loadSeconds, double settleSeconds, long bytes) throws IOException {
        long cached = db.cacheBytesInUse();
        String detail = db.spaceDetail();
        System.out.printf(Locale.ROOT, "%n# peers: %s keys=%d load=%.2fs (%.0f pairs/s) settle=%.2fs bytes=%d (%.1f B/pair)"
                        + " cache=%d; %s [%s]%n", store, keys, loadSeconds, keys / loadSeconds, settleSeconds, bytes,
                (double) bytes / keys, cached, detail, db.describe());
        appendLine(String.format(Locale.ROOT, "load\t%s\t%d\t%s\t%.3f\t%.3f\t%d\t%d\t%s\t%s%n",
                store, keys, benchmark, loadSeconds, settleSeconds, bytes, cached, db.describe(), detail));
    }

    /**
     * Heap bytes the benchmark thread allocated in the measured iterations, per operation: counted
     * by the thread itself from iteration setup to teardown, so it is the store's (and this class's)
     * allocation alone. {@code -prof gc} counts more: JMH's per-iteration objects (about 6.8 KB per
     * single-shot iteration, 0.68 B per put here) and, in the last measured iteration, this trial's
     * teardown, where the store is closed (a flush of the whole store for hashdir).
     */
    private void reportAllocation() throws IOException {
        double perOp = measuredOperations == 0 ? 0 : (double) measuredAllocated / measuredOperations;
        System.out.printf(Locale.ROOT, "%n# peers: %s keys=%d %s allocation %.4f B/op over %d operations%n",
                store, keys, benchmark, perOp, measuredOperations);
        appendLine(String.format(Locale.ROOT, "alloc\t%s\t%d\t%s\t%d\t%d%n",
                store, keys, benchmark, measuredOperations, measuredAllocated));
    }

    private static void appendLine(String line) throws IOException {
        String file = System.getProperty(LOADS_PROPERTY);
        if (file != null) {
            Files.writeString(Path.of(file), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private static void delete(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
