package dev.hashdir.bench.peers;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.pipeline.PipelineConfig;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Durable inserts, the engine against RocksDB and LMDB in one run: every store starts empty and
 * takes {@code --pairs} fresh pairs (key {@code i} of {@link PeerKeys#HIT_SEED} with
 * {@link PeerKeys#value}{@code (i)}), {@code --batch} pairs per durable commit; a pair is counted
 * only once the commit that holds it has returned, i.e. is on disk:
 *
 * <ul>
 *   <li>hashdir: {@link DurableHashDir} with its WAL in SYNC mode; {@code put} per pair, then
 *       {@link DurableHashDir#commit()} per batch (group commit: one write and one fdatasync of the
 *       WAL). Checkpoints run as the server runs them: one begins every
 *       {@value #CHECKPOINT_RECORDS} records (the server's default {@code checkpoint-records} until
 *       session 4; it is now 1,000,000, which would put no checkpoint inside the run, as RocksDB's
 *       64 MiB memtable is never flushed in it) and
 *       writes {@value #CHECKPOINT_STEP_PAGES} pages after every batch until it is durable, all
 *       inside the timed loop; the checkpoint running at the end is finished in the timed loop too.
 *       One thread: the puts, the commit's fdatasync and the checkpoint steps never overlap.</li>
 *   <li>hashdir-overlap: the same with {@link DurableHashDir#commitAsync()}: a batch's fdatasync
 *       runs on the WAL's force thread while the caller puts the next batch (and takes its
 *       checkpoint step); the next {@code commitAsync} waits for it first, so at most one batch is
 *       unacknowledged; the last is awaited ({@link DurableHashDir#awaitCommit()}) before the clock stops.</li>
 *   <li>hashdir-pipeline: the embedded {@link dev.hashdir.engine.pipeline.Pipeline} ({@link PipelineDurable}):
 *       each batch published as one run of put events, at most {@code --in-flight} batches
 *       unacknowledged (default 2, as many as the RocksDB writers), a commit per batch (fixed batch setting), a pair counted when its
 *       acknowledgement arrived; the engine thread applies the next batches while the journal thread
 *       waits for a commit's fdatasync. Checkpoints by the pipeline's default policy (the server's);
 *       the clock stops once the last pair is acknowledged and no checkpoint runs or is due
 *       ({@code --final-checkpoint}: once a checkpoint of every pair is durable).
 *       hashdir-pipeline-group (not run by default): the same with the server's default adaptive batch
 *       setting, so one commit may take several waiting batches, as RocksDB's write group does.</li>
 *   <li>RocksDB: a {@link WriteBatch} of the batch's pairs (the same 40-byte keys as
 *       {@link RocksStore}: digest + big-endian value, empty value) written with
 *       {@code WriteOptions.setSync(true)}, WAL on: one WAL write and fsync per batch. Other
 *       options as in {@link RocksStore} (Bloom filter, LRU cache, defaults).</li>
 *   <li>rocksdb-mt, rocksdb-mt-pipelined: the same with {@code --rocks-writers} threads (default 2)
 *       writing batches concurrently, so RocksDB too overlaps a batch's fsync with the next batches
 *       (its write group syncs the WAL once for the writers waiting together);
 *       {@code -pipelined} adds {@code enable_pipelined_write} ({@link RocksConcurrentDurable}).</li>
 *   <li>LMDB: one write transaction per batch ({@code MDB_DUPSORT | MDB_DUPFIXED}, 8-byte
 *       big-endian duplicates as in {@link LmdbStore}), committed durably: neither
 *       {@code MDB_NOSYNC} nor {@code MDB_NOMETASYNC}, so each commit syncs the data and the meta
 *       page. {@code MDB_NOTLS | MDB_NORDAHEAD}; {@code --lmdb-writemap} adds {@code MDB_WRITEMAP}
 *       (commit then msyncs).</li>
 * </ul>
 *
 * <p>Rounds: each round runs every store once on a fresh directory, in a rotated order; the
 * result per store is the median of its rounds' pairs/s. Warm-up rounds ({@code --warmup-rounds},
 * default 1) run the same way first and are not counted (the JIT compiles each store's path). Close (and, for hashdir, its final
 * checkpoint) is outside the timed loop, as is opening. The ratio printed at the end is each hashdir
 * store's median against the fastest other store's median. Each run also prints the CPU time and
 * heap allocation of the threads that worked.
 *
 * <p>Run (after {@code mvn -pl bench -am package -DskipTests}):
 * {@code java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
 * --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
 * -cp "bench/target/hashdir-bench.jar:bench/target/lib/*" dev.hashdir.bench.peers.DurablePutBenchmark
 * --pairs 500000 --rounds 5 --dir /tmp/hashdir-durable-bench}.
 */
public final class DurablePutBenchmark {

    static final long CHECKPOINT_RECORDS = 100_000;
    static final int CHECKPOINT_STEP_PAGES = 64;
    static final long CACHE_BYTES = 256L << 20;

    /** A store that makes a batch durable per {@link #commit()}. */
    interface DurableStore extends AutoCloseable {
        void put(byte[] key, long value);

        void commit();

        /**
         * Timed: {@code pairs} pairs, {@code batch} per durable commit; returns pairs per second.
         * Stores that overlap batches (several threads) drive themselves here.
         */
        default double run(long pairs, int batch) {
            return DurablePutBenchmark.run(this, pairs, batch);
        }

        /** Work the store still owes inside the measurement (hashdir: a running checkpoint). */
        default void finish() {
        }

        String describe();

        /** Where the time went, when the store can tell (empty otherwise). */
        default String breakdown() {
            return "";
        }

        @Override
        void close();
    }

    /** A store that overlaps batches on threads of its own: only {@link #run} drives it. */
    interface SelfDrivenStore extends DurableStore {
        @Override
        double run(long pairs, int batch);

        @Override
        default void put(byte[] key, long value) {
            throw new UnsupportedOperationException("drives itself: run()");
        }

        @Override
        default void commit() {
            throw new UnsupportedOperationException("drives itself: run()");
        }
    }

    private DurablePutBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long pairs = 500_000;
        int batch = 1000;
        int rounds = 5;
        int warmups = 1;
        boolean writemap = false;
        int inFlight = 2;
        boolean finalCheckpoint = false;
        int writers = 2;
        PipelineConfig.Wait wait = PipelineConfig.Wait.PARKING;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"), "hashdir-durable-bench");
        List<String> stores = List.of("hashdir", "hashdir-overlap", "hashdir-pipeline", "rocksdb", "rocksdb-mt", "rocksdb-mt-pipelined",
                "lmdb");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pairs" -> pairs = Long.parseLong(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup-rounds" -> warmups = Integer.parseInt(args[++i]);
                case "--dir" -> parent = Path.of(args[++i]);
                case "--stores" -> stores = List.of(args[++i].split(","));
                case "--lmdb-writemap" -> writemap = true;
                case "--in-flight" -> inFlight = Integer.parseInt(args[++i]);
                case "--final-checkpoint" -> finalCheckpoint = true;
                case "--rocks-writers" -> writers = Integer.parseInt(args[++i]);
                case "--pipeline-wait" -> wait = PipelineConfig.Wait.valueOf(args[++i].toUpperCase(Locale.ROOT));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (--pairs N --batch N --rounds N --warmup-rounds N --dir D --stores a,b --lmdb-writemap"
                        + " --in-flight N --final-checkpoint --rocks-writers N --pipeline-wait parking|sleeping|blocking|yielding)");
            }
        }
        if (pairs < batch || batch < 1 || rounds < 1) {
            throw new IllegalArgumentException("need pairs >= batch >= 1 and rounds >= 1");
        }
        Files.createDirectories(parent);
        System.out.printf(Locale.ROOT, "durable puts: %d pairs per run, %d per commit, %d rounds, data under %s%n", pairs,
                batch, rounds, parent);
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        for (String s : stores) {
            rates.put(s, new ArrayList<>());
        }
        for (int round = -warmups; round < rounds; round++) {
            for (int j = 0; j < stores.size(); j++) {
                String name = stores.get(Math.floorMod(j + round, stores.size()));
                Path dir = parent.resolve(name + "-" + round);
                deleteTree(dir);
                Files.createDirectories(dir);
                double rate;
                String description;
                String breakdown;
                try (DurableStore store = open(name, dir, writemap, batch, inFlight, wait, writers, finalCheckpoint)) {
                    description = store.describe();
                    CpuTimes cpu = CpuTimes.now();
                    long wall0 = System.nanoTime();
                    rate = store.run(pairs, batch);
                    String cpuUse = cpu.since(System.nanoTime() - wall0);
                    breakdown = store.breakdown();
                    breakdown = breakdown.isEmpty() ? cpuUse : breakdown + "\n    " + cpuUse;
                }
                long bytes = sizeOf(dir);
                deleteTree(dir);
                if (round >= 0) {
                    rates.get(name).add(rate);
                }
                System.out.printf(Locale.ROOT, (round < 0 ? "warmup " : "round ") + "%d %-20s %,12.0f pairs/s  (%,.0f commits/s, %,d bytes on disk)  %s%n",
                        round + 1, name, rate, rate / batch, bytes, round == -warmups ? description : "");
                if (!breakdown.isEmpty()) {
                    System.out.println("    " + breakdown);
                }
            }
        }
        System.out.println();
        Map<String, Double> medians = new LinkedHashMap<>();
        rates.forEach((name, list) -> medians.put(name, median(list)));
        String fastest = medians.entrySet().stream().filter(e -> !e.getKey().startsWith("hashdir"))
                .max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        System.out.printf(Locale.ROOT, "%-20s %14s  %s%n", "store", "median pairs/s", "rounds");
        medians.forEach((name, m) -> System.out.printf(Locale.ROOT, "%-20s %,14.0f  %s%n", name, m,
                rates.get(name).stream().map(r -> String.format(Locale.ROOT, "%,.0f", r)).toList()));
        if (fastest != null) {
            double peer = medians.get(fastest);
            medians.forEach((name, m) -> {
                if (name.startsWith("hashdir")) {
                    System.out.printf(Locale.ROOT, "%s / fastest peer (%s) = %.2fx%n", name, fastest, m / peer);
                }
            });
        }
    }

    /** Timed: {@code pairs} puts, a durable commit every {@code batch}; returns pairs per second. */
    static double run(DurableStore store, long pairs, int batch) {
        byte[] key = new byte[PeerStore.KEY_BYTES];
        long start = System.nanoTime();
        for (long i = 0; i < pairs; ) {
            long end = Math.min(pairs, i + batch);
            for (; i < end; i++) {
                PeerKeys.key(PeerKeys.HIT_SEED, i, key);
                store.put(key, PeerKeys.value(i));
            }
            store.commit();
        }
        store.finish();
        long nanos = System.nanoTime() - start;
        return pairs * 1e9 / nanos;
    }

    static DurableStore open(String name, Path dir, boolean writemap, int batch, int inFlight, PipelineConfig.Wait wait,
                             int writers, boolean finalCheckpoint) {
        return switch (name) {
            case "hashdir" -> new HashDirDurable(dir, false);
            case "hashdir-overlap" -> new HashDirDurable(dir, true);
            case "hashdir-pipeline" -> new PipelineDurable(dir, batch, inFlight, wait, finalCheckpoint, false);
            case "hashdir-pipeline-group" -> new PipelineDurable(dir, batch, inFlight, wait, finalCheckpoint, true);
            case "rocksdb" -> new RocksDurable(dir);
            case "rocksdb-mt" -> new RocksConcurrentDurable(dir, writers, false);
            case "rocksdb-mt-pipelined" -> new RocksConcurrentDurable(dir, writers, true);
            case "lmdb" -> new LmdbDurable(dir, writemap);
            default -> throw new IllegalArgumentException("unknown store " + name
                    + " (hashdir, hashdir-overlap, hashdir-pipeline, hashdir-pipeline-group, rocksdb, rocksdb-mt, rocksdb-mt-pipelined, lmdb)");
        };
    }

    /** {@link DurableHashDir}: WAL in SYNC mode, group commit per batch, checkpoints as the server does them. */
    static final class HashDirDurable implements DurableStore {
        private final DurableHashDir db;
        private final boolean overlap;
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment key = arena.allocate(PeerStore.KEY_BYTES, Long.BYTES);
        private long sinceCheckpoint;
        private long checkpoints;
        private long commitNanos;
        private long batches;
        private long checkpointNanos;
        private long finishNanos;
        private long started;
        /** Creating the store, outside the timed loop: includes preallocating the first WAL segment. */
        private final long openNanos;

        HashDirDurable(Path dir, boolean overlap) {
            this.overlap = overlap;
            long t0 = System.nanoTime();
            try {
                db = DurableHashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults().withCacheBytes(CACHE_BYTES),
                        WalOptions.of(PeerStore.KEY_BYTES, Durability.SYNC));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            openNanos = System.nanoTime() - t0;
        }

        /** The store (tests). */
        DurableHashDir db() {
            return db;
        }

        @Override
        public void put(byte[] k, long value) {
            if (started == 0) {
                started = System.nanoTime();
            }
            MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, PeerStore.KEY_BYTES);
            sinceCheckpoint += db.put(key, value);
        }

        @Override
        public void commit() {
            long t0 = System.nanoTime();
            if (overlap) {
                db.commitAsync(); // waits for the previous batch's force (acknowledging it), starts this one's
            } else {
                db.commit();
            }
            long t1 = System.nanoTime();
            commitNanos += t1 - t0;
            batches++;
            try {
                if (db.checkpointRunning()) {
                    if (db.checkpointStep(CHECKPOINT_STEP_PAGES)) {
                        checkpoints++;
                    }
                } else if (sinceCheckpoint >= CHECKPOINT_RECORDS) {
                    sinceCheckpoint = 0;
                    db.beginCheckpoint();
                    if (db.checkpointStep(CHECKPOINT_STEP_PAGES)) {
                        checkpoints++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                checkpointNanos += System.nanoTime() - t1;
            }
        }

        @Override
        public void finish() {
            long t0 = System.nanoTime();
            db.awaitCommit(); // the last batch's force
            try {
                while (db.checkpointRunning()) {
                    if (db.checkpointStep(CHECKPOINT_STEP_PAGES)) {
                        checkpoints++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            finishNanos = System.nanoTime() - t0;
            checkpointNanos += finishNanos;
        }

        @Override
        public String breakdown() {
            long total = System.nanoTime() - started;
            long n = Math.max(1, batches);
            return String.format(Locale.ROOT, "hashdir time: WAL commits %.0f%%, checkpoints %.0f%% (%d), puts and the "
                    + "rest %.0f%%; per batch: commit %d us, checkpoint steps %d us, puts and the rest %d us; the "
                    + "checkpoint running at the end finished in %.1f ms; create (untimed, WAL segment preallocated) "
                    + "%d ms", 100.0 * commitNanos / total,
                    100.0 * checkpointNanos / total, checkpoints, 100.0 * (total - commitNanos - checkpointNanos) / total,
                    commitNanos / n / 1000, checkpointNanos / n / 1000, (total - commitNanos - checkpointNanos) / n / 1000,
                    finishNanos / 1e6, openNanos / 1_000_000);
        }

        @Override
        public String describe() {
            return "DurableHashDir, WAL SYNC (group commit: one fdatasync per batch"
                    + (overlap ? ", commitAsync: the fdatasync runs on the WAL's force thread while the next batch is "
                    + "put, and is waited for by the next commitAsync" : "") + "), checkpoint every "
                    + CHECKPOINT_RECORDS + " records in steps of " + CHECKPOINT_STEP_PAGES + " pages, cache "
                    + (CACHE_BYTES >> 20) + " MiB";
        }

        @Override
        public void close() {
            try {
                db.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                arena.close();
            }
        }
    }

    /** RocksDB: one synced {@link WriteBatch} per batch, WAL on. */
    static final class RocksDurable implements DurableStore {
        static {
            RocksDB.loadLibrary();
        }

        private final LRUCache cache = new LRUCache(CACHE_BYTES);
        private final BloomFilter filter = new BloomFilter(10, false);
        private final Options options;
        private final WriteOptions sync = new WriteOptions().setSync(true).setDisableWAL(false);
        private final WriteBatch writeBatch = new WriteBatch();
        private final RocksDB db;
        private final byte[] pair = new byte[PeerStore.KEY_BYTES + Long.BYTES];
        private static final byte[] EMPTY = {};

        RocksDurable(Path dir) {
            options = options(cache, filter).setCreateIfMissing(true);
            db = open(options, dir);
        }

        /** The peer benchmark's options ({@link RocksStore}): fixed-length prefix, Bloom filter, LRU block cache. */
        static Options options(LRUCache cache, BloomFilter filter) {
            Options o = new Options();
            o.useFixedLengthPrefixExtractor(PeerStore.KEY_BYTES);
            o.setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(filter)
                    .setWholeKeyFiltering(true));
            return o;
        }

        static RocksDB open(Options options, Path dir) {
            try {
                return RocksDB.open(options, dir.toString());
            } catch (RocksDBException e) {
                throw new IllegalStateException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void put(byte[] key, long value) {
            System.arraycopy(key, 0, pair, 0, PeerStore.KEY_BYTES);
            for (int b = 0; b < Long.BYTES; b++) {
                pair[PeerStore.KEY_BYTES + b] = (byte) (value >>> (8 * (Long.BYTES - 1 - b)));
            }
            try {
                writeBatch.put(pair, EMPTY);
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void commit() {
            try {
                db.write(sync, writeBatch);
            } catch (RocksDBException e) {
                throw new IllegalStateException("RocksDB write failed: " + e.getMessage(), e);
            }
            writeBatch.clear();
        }

        @Override
        public String describe() {
            return "RocksDB " + RocksDB.rocksdbVersion() + ", WriteBatch per batch, WriteOptions.setSync(true), WAL on, "
                    + "block cache " + (CACHE_BYTES >> 20) + " MiB, Bloom 10 bits/key";
        }

        @Override
        public void close() {
            writeBatch.close();
            db.close();
            sync.close();
            options.close();
            filter.close();
            cache.close();
        }
    }

    /** LMDB: one durable write transaction per batch. */
    static final class LmdbDurable implements DurableStore {
        private static final PutFlags[] NO_PUT_FLAGS = {};
        private final Env<ByteBuffer> env;
        private final Dbi<ByteBuffer> dbi;
        private final ByteBuffer keyBuffer = ByteBuffer.allocateDirect(PeerStore.KEY_BYTES);
        private final ByteBuffer valueBuffer = ByteBuffer.allocateDirect(Long.BYTES).order(ByteOrder.BIG_ENDIAN);
        private final boolean writemap;
        private Txn<ByteBuffer> txn;

        LmdbDurable(Path dir, boolean writemap) {
            this.writemap = writemap;
            EnvFlags[] flags = writemap
                    ? new EnvFlags[]{EnvFlags.MDB_WRITEMAP, EnvFlags.MDB_NOTLS, EnvFlags.MDB_NORDAHEAD}
                    : new EnvFlags[]{EnvFlags.MDB_NOTLS, EnvFlags.MDB_NORDAHEAD};
            env = Env.create(ByteBufferProxy.PROXY_OPTIMAL).setMapSize(64L << 30).setMaxDbs(1).setMaxReaders(4)
                    .open(dir.toFile(), flags);
            dbi = env.openDbi("hashdir", DbiFlags.MDB_CREATE, DbiFlags.MDB_DUPSORT, DbiFlags.MDB_DUPFIXED);
        }

        @Override
        public void put(byte[] key, long value) {
            if (txn == null) {
                txn = env.txnWrite();
            }
            keyBuffer.clear();
            keyBuffer.put(key).flip();
            valueBuffer.clear();
            valueBuffer.putLong(0, value);
            dbi.put(txn, keyBuffer, valueBuffer, NO_PUT_FLAGS);
        }

        @Override
        public void commit() {
            if (txn != null) {
                txn.commit();
                txn.close();
                txn = null;
            }
        }

        @Override
        public String describe() {
            return "LMDB (lmdbjava), one write txn per batch, durable commit (no MDB_NOSYNC/NOMETASYNC), "
                    + (writemap ? "MDB_WRITEMAP, " : "") + "MDB_NOTLS, MDB_NORDAHEAD, DUPSORT|DUPFIXED";
        }

        @Override
        public void close() {
            commit();
            dbi.close();
            env.close();
        }
    }

    /**
     * CPU time of the process, CPU time and heap allocation of each live thread, to show where a
     * run's CPU went and that the hot paths allocate nothing per pair (threads that ended during
     * the run, such as the RocksDB writers, are not seen).
     */
    record CpuTimes(long process, Map<String, long[]> threads) {
        private static final com.sun.management.ThreadMXBean MX =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

        static CpuTimes now() {
            Map<String, long[]> m = new LinkedHashMap<>();
            for (long id : MX.getAllThreadIds()) {
                java.lang.management.ThreadInfo info = MX.getThreadInfo(id);
                long t = MX.getThreadCpuTime(id);
                long a = MX.getThreadAllocatedBytes(id);
                if (info != null && t >= 0) {
                    m.put(info.getThreadName() + "#" + id, new long[]{t, a});
                }
            }
            long p = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
            return new CpuTimes(p, m);
        }

        /**
         * "cpu: process X ms in Y ms wall; thread ms (allocated KiB), ..." for the threads that used
         * 5 ms or more since this.
         */
        String since(long wallNanos) {
            CpuTimes later = now();
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "cpu: process %.0f ms in %.0f ms wall;",
                    (later.process - process) / 1e6, wallNanos / 1e6));
            later.threads.forEach((name, t) -> {
                long[] before = threads.getOrDefault(name, new long[2]);
                long d = t[0] - before[0];
                if (d >= 5_000_000) {
                    b.append(String.format(Locale.ROOT, " %s %.0f ms (%d KiB)", name.substring(0, name.indexOf('#')),
                            d / 1e6, (t[1] - before[1]) >> 10));
                }
            });
            return b.toString();
        }
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
