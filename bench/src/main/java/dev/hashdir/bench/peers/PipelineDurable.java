package dev.hashdir.bench.peers;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.pipeline.BatchController;
import dev.hashdir.engine.pipeline.CheckpointHook;
import dev.hashdir.engine.pipeline.IndexedFiller;
import dev.hashdir.engine.pipeline.Op;
import dev.hashdir.engine.pipeline.Pipeline;
import dev.hashdir.engine.pipeline.PipelineConfig;
import dev.hashdir.engine.pipeline.PipelineStats;
import dev.hashdir.engine.pipeline.ReplySink;
import dev.hashdir.engine.pipeline.RequestEvent;
import dev.hashdir.engine.pipeline.RequestFiller;
import dev.hashdir.engine.pipeline.Status;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * hashdir through its embedded single-writer {@link Pipeline} (engine thread, journal thread with
 * group commit, reply thread), used as an embedded user would use it: the caller publishes each
 * batch of pairs as one run of put events ({@link Pipeline#tryPublishAll}: the journal commits a
 * run in one group commit), keeps at most {@code inFlight} batches published and not yet
 * acknowledged, and counts a pair only once its acknowledgement arrived (the reply sink; in SYNC
 * mode an acknowledgement comes after the commit's fdatasync). The journal runs a fixed batch
 * setting of {@code batch} events and no wait ({@code batch-mode fixed}), so a commit covers at
 * most one batch; while one batch is committed, the engine thread applies the next. Checkpoints
 * are a {@link CheckpointHook} as the pipeline runs it by default, but every
 * {@value DurablePutBenchmark#CHECKPOINT_RECORDS} records as the other hashdir stores here (the
 * default is now {@value CheckpointHook#DEFAULT_RECORDS}, which would put no checkpoint inside a
 * run of 500,000 pairs), {@value CheckpointHook#DEFAULT_STEP_PAGES} pages a step at engine batch
 * ends, gated on the acknowledged LSN. The clock stops after the last acknowledgement and once no checkpoint
 * is running or due (driven by SYNC ticks, as the server's timer does, tick after tick); with
 * {@code finalCheckpoint}, once a checkpoint covering every pair is durable.
 *
 * <p>No allocation per pair: one filler and one sink for the whole run, the events are the ring's.
 */
final class PipelineDurable implements DurablePutBenchmark.SelfDrivenStore {

    private final DurableHashDir durable;
    private final Pipeline pipeline;
    private final int inFlight;
    private final PipelineConfig.Wait wait;
    private final boolean finalCheckpoint;
    private final boolean adaptive;
    private final Counter counter = new Counter();
    private final Fill fill = new Fill();
    private final long openNanos;
    private long waits;
    private long finishNanos;
    private long ticks;
    private long idleTicks;
    /** A tick answered faster than this took no checkpoint step that wrote pages (64 pages take 300 us and more). */
    private static final long IDLE_TICK_NANOS = 100_000;
    private PipelineStats stats;
    private final CheckpointHook hook;
    /** Engine thread only (read after the run). */
    private long batchEnds;
    private long steppingEnds;

    /** Counts acknowledged puts and SYNC ticks; wakes the publisher. Written only on the reply thread. */
    private static final class Counter implements ReplySink {
        volatile long acked;
        volatile long synced;
        volatile long failed;
        volatile String firstFailure;
        volatile Thread waiter;

        @Override
        public void onReply(RequestEvent e) {
            if (e.status() != Status.OK) {
                if (firstFailure == null) {
                    firstFailure = e.op() + " " + e.status() + ": " + e.error();
                }
                failed++;
            } else if (e.op() == Op.SYNC) {
                synced++;
            } else {
                acked++;
            }
            if (e.token() != 0) { // the last event of a batch, or a tick
                LockSupport.unpark(waiter);
            }
        }
    }

    /** Fills event {@code i} of a batch with pair {@code base + i}. */
    private final class Fill implements IndexedFiller<Fill> {
        final byte[] key = new byte[PeerStore.KEY_BYTES];
        long base;
        int size;

        @Override
        public void fill(RequestEvent e, int i, Fill self) {
            long index = base + i;
            PeerKeys.key(PeerKeys.HIT_SEED, index, key);
            e.op(Op.PUT).key(key).value(PeerKeys.value(index)).replyTo(counter, i == size - 1 ? 1 : 0, null);
        }
    }

    private static final RequestFiller<Counter> TICK = (e, sink) -> e.op(Op.SYNC).replyTo(sink, 1, null);

    /**
     * @param finalCheckpoint also make a checkpoint of every pair durable before the clock stops
     *                        (as the synchronous store does when the pair count is a multiple of
     *                        the checkpoint interval), not only the one running at the end
     * @param adaptive the server's default batch setting (adaptive, 1 to 4096 events a commit): a
     *                 commit may then take several batches that are waiting, as RocksDB's write
     *                 group does for concurrent writers; false: fixed, one batch a commit at most
     */
    PipelineDurable(Path dir, int batch, int inFlight, PipelineConfig.Wait wait, boolean finalCheckpoint,
                    boolean adaptive) {
        if (inFlight < 1) {
            throw new IllegalArgumentException("in-flight batches must be at least 1: " + inFlight);
        }
        this.inFlight = inFlight;
        this.wait = wait;
        this.finalCheckpoint = finalCheckpoint;
        this.adaptive = adaptive;
        long t0 = System.nanoTime();
        try {
            durable = DurableHashDir.create(dir, StoreOptions.defaults(),
                    HashDirConfig.defaults().withCacheBytes(DurablePutBenchmark.CACHE_BYTES),
                    WalOptions.of(PeerStore.KEY_BYTES, Durability.SYNC));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int ring = PipelineConfig.defaults().ringSize();
        while (ring < (long) batch * inFlight) {
            ring <<= 1;
        }
        hook = new CheckpointHook(DurablePutBenchmark.CHECKPOINT_RECORDS, CheckpointHook.DEFAULT_INTERVAL_MILLIS,
                CheckpointHook.DEFAULT_STEP_PAGES);
        // the server's way (EngineMaintenance): its own hook around the checkpoint policy; here it counts batch ends
        pipeline = Pipeline.start(durable.hashDir(), durable.wal(), PipelineConfig.defaults().withRingSize(ring)
                .withBatch(adaptive ? BatchController.Bounds.defaults() : BatchController.Bounds.fixed(batch, 0)).withWaitStrategy(wait), (hd, lsn, applied) -> {
                    batchEnds++;
                    if (hook.checkpointRunning()) {
                        steppingEnds++;
                    }
                    hook.onEndOfBatch(hd, lsn, applied);
                });
        hook.pipeline(pipeline);
        openNanos = System.nanoTime() - t0;
    }

    @Override
    public double run(long pairs, int batch) {
        Counter c = counter;
        c.waiter = Thread.currentThread();
        long start = System.nanoTime();
        long published = 0;
        long window = (long) inFlight * batch;
        while (published < pairs) {
            int n = (int) Math.min(batch, pairs - published);
            // at most inFlight batches published and not acknowledged
            while (published + n - c.acked > window) {
                check(c);
                waits++;
                LockSupport.park(this);
            }
            fill.base = published;
            fill.size = n;
            while (!pipeline.tryPublishAll(n, fill, fill)) {
                check(c);
                LockSupport.parkNanos(20_000);
            }
            published += n;
        }
        while (c.acked < pairs) {
            check(c);
            LockSupport.park(this);
        }
        long t1 = System.nanoTime();
        if (finalCheckpoint) {
            hook.force(); // after the running one, a checkpoint of everything (if it does not cover it all)
        }
        while (hook.needsTick()) { // the running (or due) checkpoint is finished inside the timed run
            long want = c.synced + 1;
            long tick = System.nanoTime();
            while (!pipeline.tryPublish(TICK, c)) {
                LockSupport.parkNanos(20_000);
            }
            ticks++;
            while (c.synced < want) {
                check(c);
                LockSupport.park(this);
            }
            if (System.nanoTime() - tick < IDLE_TICK_NANOS) {
                // too quick to have written pages: the checkpoint's sync runs on its thread; do not spin the ring
                idleTicks++;
                LockSupport.parkNanos(IDLE_TICK_NANOS);
            }
        }
        long end = System.nanoTime();
        finishNanos = end - t1;
        stats = pipeline.stats();
        return pairs * 1e9 / (end - start);
    }

    private static void check(Counter c) {
        if (c.failed > 0) {
            throw new IllegalStateException(c.failed + " requests failed, the first: " + c.firstFailure);
        }
    }

    @Override
    public String describe() {
        return "hashdir embedded Pipeline (engine, journal, reply threads), WAL SYNC, runs of " + "one batch via "
                + "tryPublishAll, at most " + inFlight + " batches in flight, batch-mode "
                + (adaptive ? "adaptive (server default: a commit may take several batches)" : "fixed (max = batch, no wait)")
                + ", "
                + "wait " + wait.name().toLowerCase(Locale.ROOT) + ", CheckpointHook ("
                + DurablePutBenchmark.CHECKPOINT_RECORDS + " records, " + CheckpointHook.DEFAULT_STEP_PAGES
                + " pages a step" + (finalCheckpoint ? ", ends with a checkpoint of everything" : "") + "), cache " + (DurablePutBenchmark.CACHE_BYTES >> 20) + " MiB";
    }

    @Override
    public String breakdown() {
        PipelineStats s = stats;
        if (s == null) {
            return "";
        }
        return String.format(Locale.ROOT, "hashdir-pipeline: %d commits, %.0f events a commit (last %d), commit "
                        + "latency EWMA %.0f us, checkpoints %d, engine batch ends %d (%d while a checkpoint ran), publisher waits %d, finish (last "
                        + "checkpoint, %d ticks, %d idle) %.1f ms; create (untimed) %d ms", s.commits(), s.meanBatch(), s.lastBatch(),
                s.controller().commitNanos() / 1000, hook.checkpoints(), batchEnds, steppingEnds, waits, ticks, idleTicks,
                finishNanos / 1e6, openNanos / 1_000_000);
    }

    @Override
    public void close() {
        try {
            pipeline.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
