package dev.hashdir.engine.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import dev.hashdir.bindings.libc.LibC;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalWriter;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The single-writer pipeline (DESIGN.md section 7): a Disruptor ring of preallocated
 * {@link RequestEvent}s and three handlers in a chain, each on its own thread:
 * <pre>
 *   producers --tryPublish--&gt; [ring] --&gt; engine --&gt; journal --&gt; reply --&gt; ReplySink
 *                                  applies,       appends,      releases answers
 *                                  encodes WAL    group-commits  once acknowledged
 * </pre>
 * The zero-allocation way in is {@link #tryPublish} with a {@link RequestFiller} and a
 * {@link ReplySink}; the {@code CompletableFuture} methods ({@link #put}, {@link #get}, ...) are
 * for embedded users and allocate.
 *
 * <p>Acknowledgement: a mutation is answered once its record is acknowledged by the WAL's
 * durability mode (SYNC: forced; ASYNC, NONE: written); an answer that may reveal a write is held
 * until that write is (no dirty reads, see {@link EngineHandler}). While the journal thread is
 * idle, the engine thread commits a batch of a few writes itself and answers them
 * ({@link PipelineConfig#inlineCommitEvents()}): at low load a write then crosses no thread. A read that saw nothing
 * unacknowledged is answered by the engine thread at once ({@link PipelineConfig#earlyReads()}),
 * so answers may complete out of ring order (see {@link ReplySink}). If a commit fails, nothing of
 * it is acknowledged: those answers are read_only, the pipeline refuses mutations until a retry
 * succeeds, reads go on (see {@link JournalHandler}). A page store (HDF5 file) write failure
 * makes it refuse mutations until the engine thread has reopened the file, replayed the WAL and
 * checkpointed ({@link #pageStoreFailed()}, see {@link EngineHandler}); detected corruption, until
 * restart. An unexpected exception in a handler is logged, answers its event {@code internal}, and
 * makes the pipeline read-only until restart.
 *
 * <p>Checkpoints: {@link #start(HashDir, WalWriter, PipelineConfig)} runs the default
 * {@link CheckpointHook} (by WAL records and time, in budgeted steps, deleting the WAL below each);
 * a caller passing its own {@link EngineHook} decides itself.
 *
 * <p>Ownership: the pipeline owns the {@link HashDir} and the {@link WalWriter} from
 * {@link #start} to {@link #close}; nothing else may touch them meanwhile.
 *
 * <p>Threading: {@link #tryPublish} and the future methods from any number of threads;
 * {@link #close} from one.
 */
public final class Pipeline implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Pipeline.class.getName());
    private static final String[] THREAD_NAMES = {"hashdir-engine", "hashdir-journal", "hashdir-reply"};
    private static final long DRAIN_PARK_NANOS = 100_000;
    private static final long CHECKPOINT_TICK_NANOS = 10_000_000;

    private final HashDir hd;
    private final WalWriter wal;
    private final PipelineConfig config;
    private final Arena arena = Arena.ofShared();
    private final Disruptor<RequestEvent> disruptor;
    private final RingBuffer<RequestEvent> ring;
    private final PipelineState state;
    private final BatchController controller;
    private final EngineHandler engine;
    private final JournalHandler journal;
    private final ReplyHandler reply;
    private final EventHandler<RequestEvent> lastHandler;
    private final EventHandler<RequestEvent> journalHandler;
    private final WaitStrategy waiting;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger publishing = new AtomicInteger();
    private final LongAdder busy = new LongAdder();
    private final Thread timer;
    /** The default checkpoint hook when the pipeline made it (the timer then drives it while idle), or null. */
    private final CheckpointHook ownHook;
    private volatile boolean accepting;
    private boolean closed;

    private Pipeline(HashDir hd, WalWriter wal, PipelineConfig config, EngineHook hook, CheckpointHook ownHook) {
        this.hd = hd;
        this.ownHook = ownHook;
        this.wal = wal;
        this.config = config;
        this.state = new PipelineState(wal.durableLsn());
        this.controller = new BatchController(config.batch());
        int keyBytes = hd.keyBytes();
        if (wal.options().keyBytes() != keyBytes) {
            throw new IllegalArgumentException("WAL and store key lengths differ: wal=" + wal.options().keyBytes()
                    + ", store=" + keyBytes);
        }
        long slot = RequestEvent.payloadBytes(keyBytes, config.maxValues());
        slot = (slot + 7) & ~7L;
        // 34 MB with the defaults, of which a slot's small records touch a page: mapped, not zeroed
        // up front (that was 10-30 ms of a fresh server's start)
        MemorySegment payloads = LibC.zeroedOnDemand(slot * config.ringSize(), arena);
        long stride = slot;
        int[] next = {0};
        WaitStrategy waiting = waitStrategy(config.waitStrategy(), config.spinNanos());
        this.waiting = waiting;
        this.disruptor = new Disruptor<>(
                () -> new RequestEvent(keyBytes, config.maxValues(), config.maxGetValues(),
                        payloads.asSlice(stride * next[0]++, stride)),
                config.ringSize(), threadFactory(), ProducerType.MULTI, waiting);
        this.ring = disruptor.getRingBuffer();
        this.journal = new JournalHandler(wal, controller, state, ring, System::nanoTime, threadCpuClock(),
                config.retryInterval().toNanos());
        EngineHandler engineHandler = new EngineHandler(hd, state, hook, wal.nextLsn(), wal.directory(),
                this::deleteWalBelow, config.earlyReads(), journal, ring, config.inlineCommitEvents());
        this.engine = engineHandler;
        ReplyHandler replyHandler = new ReplyHandler(state);
        this.reply = replyHandler;
        // with PARKING, a handler waiting for the one before it sleeps: each handler wakes it after a batch
        // a batch answered early entirely needs nobody woken after it while the ring has room:
        // the journal passes it at its next wake-up (another batch's signal, or its park's timeout);
        // the same for the reply thread after a journal batch answered entirely (early reads, commits on the engine thread)
        RingBuffer<RequestEvent> rb = disruptor.getRingBuffer();
        int roomy = rb.getBufferSize() / 2;
        // each wakes the next: the handlers' threads start in chain order (threadFactory)
        EventHandler<RequestEvent> e = signalling(engineHandler, waiting, () -> threads.get(1),
                () -> engineHandler.quietBatch() && rb.remainingCapacity() > roomy);
        EventHandler<RequestEvent> j = signalling(journal, waiting, () -> threads.get(2),
                () -> journal.quietBatch() && rb.remainingCapacity() > roomy);
        EventHandler<RequestEvent> r = signalling(replyHandler, waiting, null, null); // nothing waits for the last
        this.lastHandler = r;
        this.journalHandler = j;
        disruptor.handleEventsWith(e).then(j).then(r);
        disruptor.handleExceptionsFor(e).with(failing("engine"));
        disruptor.handleExceptionsFor(j).with(failing("journal"));
        disruptor.handleExceptionsFor(r).with(failing("reply"));
        this.timer = Thread.ofPlatform().daemon().name("hashdir-pipeline-timer").unstarted(this::tick);
    }

    /**
     * Starts the pipeline over an open store and its open WAL (recovered: the store holds what
     * the WAL holds), taking ownership of both.
     *
     * @param hook called on the engine thread at the end of every batch (checkpoints)
     */
    public static Pipeline start(HashDir hd, WalWriter wal, PipelineConfig config, EngineHook hook) {
        return start(hd, wal, config, hook, null);
    }

    /**
     * Starts the pipeline as {@link #start(HashDir, WalWriter, PipelineConfig, EngineHook)} does,
     * with the default checkpoint policy: a {@link CheckpointHook} with
     * {@link CheckpointHook#DEFAULT_RECORDS} records, {@link CheckpointHook#DEFAULT_INTERVAL_MILLIS}
     * ms and {@link CheckpointHook#DEFAULT_STEP_PAGES} pages a step ({@link #checkpoints()}); the
     * pipeline's timer keeps it going while no request comes.
     */
    public static Pipeline start(HashDir hd, WalWriter wal, PipelineConfig config) {
        return start(hd, wal, config, new CheckpointHook(CheckpointHook.DEFAULT_RECORDS,
                CheckpointHook.DEFAULT_INTERVAL_MILLIS, CheckpointHook.DEFAULT_STEP_PAGES));
    }

    /**
     * Starts the pipeline with {@code checkpoints} as its checkpoint policy, driven while idle by
     * the pipeline's timer (every retry interval, when it has something to do).
     */
    public static Pipeline start(HashDir hd, WalWriter wal, PipelineConfig config, CheckpointHook checkpoints) {
        return start(hd, wal, config, checkpoints, checkpoints);
    }

    private static Pipeline start(HashDir hd, WalWriter wal, PipelineConfig config, EngineHook hook,
                                  CheckpointHook own) {
        if (own != null) {
            own.attach(hd.durableMeta().checkpointLsn());
        }
        Pipeline p = new Pipeline(hd, wal, config, hook, own);
        if (own != null) {
            own.pipeline(p);
        }
        p.disruptor.start();
        p.accepting = true;
        p.timer.start();
        return p;
    }

    // ---- the zero-allocation path --------------------------------------------------------------

    /**
     * Claims a ring slot, lets {@code filler} fill it and publishes it. The answer goes to the
     * sink the filler set ({@link RequestEvent#replyTo}).
     *
     * @return false when the ring is full (answer busy) or the pipeline is not accepting requests
     *         ({@link #accepting()} false: answer not_ready); nothing was published then
     * @throws RuntimeException what the filler threw; the slot is published empty (no answer)
     */
    public <A> boolean tryPublish(RequestFiller<A> filler, A arg) {
        publishing.incrementAndGet();
        try {
            if (!accepting) {
                return false;
            }
            long seq;
            try {
                seq = ring.tryNext();
            } catch (InsufficientCapacityException full) {
                busy.increment();
                return false;
            }
            RequestEvent e = ring.get(seq);
            try {
                e.clear();
                filler.fill(e, arg);
            } catch (RuntimeException | Error ex) {
                e.clear();
                throw ex;
            } finally {
                ring.publish(seq);
            }
            return true;
        } finally {
            publishing.decrementAndGet();
        }
    }

    /**
     * Claims {@code n} consecutive ring slots, lets {@code filler} fill each (index 0..n-1) and
     * publishes them together: all or nothing, and no other producer's event lands between them
     * (a protocol batch runs with no other request's op in between). The journal commits their
     * records in one group commit: it never commits between two events of the run, so they become
     * durable together (or, if that commit fails, none of them is acknowledged).
     *
     * @return false when fewer than {@code n} slots are free (busy) or the pipeline is not
     *         accepting requests (not_ready); nothing was published then
     * @throws IllegalArgumentException when {@code n} is not 1..ring size
     */
    public <A> boolean tryPublishAll(int n, IndexedFiller<A> filler, A arg) {
        if (n < 1 || n > config.ringSize()) {
            throw new IllegalArgumentException("events must be 1.." + config.ringSize() + ": n=" + n);
        }
        publishing.incrementAndGet();
        try {
            if (!accepting) {
                return false;
            }
            long hi;
            try {
                hi = ring.tryNext(n);
            } catch (InsufficientCapacityException full) {
                busy.increment();
                return false;
            }
            long lo = hi - n + 1;
            try {
                for (int i = 0; i < n; i++) {
                    RequestEvent e = ring.get(lo + i);
                    e.clear();
                    filler.fill(e, i, arg);
                    e.continued = i < n - 1;
                    e.inRun = n > 1;
                }
            } catch (RuntimeException | Error ex) {
                for (long s = lo; s <= hi; s++) {
                    ring.get(s).clear();
                }
                throw ex;
            } finally {
                ring.publish(lo, hi);
            }
            return true;
        } finally {
            publishing.decrementAndGet();
        }
    }

    /**
     * Lets the engine thread run {@code loop} while it has no event, instead of sleeping (a network
     * event loop that publishes from the engine thread: no hand-off between the socket's thread and
     * the engine); null stops it, and once this returns the loop is no longer polled. Only with the
     * {@link PipelineConfig.Wait#PARKING} wait strategy.
     *
     * @return false (and nothing changed) when the pipeline's wait strategy is another, or it is closed
     */
    public synchronized boolean runWhileIdle(IdleLoop loop) {
        if (!(waiting instanceof ParkingWaitStrategy parking) || closed && loop != null) {
            return false;
        }
        parking.runWhileIdle(threads.getFirst(), loop); // the engine's: the handlers' threads start in chain order
        return true;
    }

    /** The newest LSN acknowledged by the durability mode (durable in SYNC). */
    public long ackedLsn() {
        return state.ackedLsn();
    }

    /**
     * Asks the journal thread, which owns the WAL writer, to delete the WAL segments wholly below
     * {@code lsn} after its next commit. Call it only once a checkpoint covering them is durable.
     */
    public void deleteWalBelow(long lsn) {
        journal.trimBelow(lsn);
    }

    /** True while requests are taken (after start, before close). */
    public boolean accepting() {
        return accepting;
    }

    // ---- the CompletableFuture API (allocates) -------------------------------------------------

    private static final class ReplyFuture extends CompletableFuture<Reply> {
    }

    private record Request(Op op, byte[] key, long value, long[] values, boolean hasAfter, long after, int limit,
                           ReplyFuture future) {
    }

    private static final ReplySink FUTURE_SINK = e -> ((ReplyFuture) e.attachment()).complete(Reply.of(e));

    private static final RequestFiller<Request> FUTURE_FILLER = (e, r) -> {
        e.op(r.op()).replyTo(FUTURE_SINK, 0, r.future());
        if (r.key() != null) {
            e.key(r.key());
        }
        e.value(r.value()).limit(r.limit());
        if (r.values() != null) {
            e.values(r.values(), 0, r.values().length);
        }
        if (r.hasAfter()) {
            e.after(r.after());
        }
    };

    private CompletableFuture<Reply> submit(Op op, byte[] key, long value, long[] values, boolean hasAfter,
                                            long after, int limit) {
        ReplyFuture f = new ReplyFuture();
        if (!tryPublish(FUTURE_FILLER, new Request(op, key, value, values, hasAfter, after, limit, f))) {
            f.complete(accepting ? Reply.refused(op, Status.BUSY, "ring full")
                    : Reply.refused(op, Status.NOT_READY, "pipeline not accepting requests"));
        }
        return f;
    }

    /**
     * Adds a value; completes (on a pipeline thread: the reply thread, or the engine thread for a
     * read answered early; chain with the async methods for real work) once acknowledged. A full ring completes it with busy at once.
     */
    public CompletableFuture<Reply> put(byte[] key, long value) {
        return submit(Op.PUT, key, value, null, false, 0, 1);
    }

    public CompletableFuture<Reply> putAll(byte[] key, long[] values) {
        return submit(Op.PUT_MANY, key, 0, values, false, 0, 1);
    }

    public CompletableFuture<Reply> remove(byte[] key, long value) {
        return submit(Op.REMOVE, key, value, null, false, 0, 1);
    }

    public CompletableFuture<Reply> delete(byte[] key) {
        return submit(Op.DELETE, key, 0, null, false, 0, 1);
    }

    /** The first page of values (up to {@code limit}, capped at maxGetValues). */
    public CompletableFuture<Reply> get(byte[] key, int limit) {
        return submit(Op.GET, key, 0, null, false, 0, limit);
    }

    /** A page of values strictly after {@code after} (unsigned). */
    public CompletableFuture<Reply> get(byte[] key, long after, int limit) {
        return submit(Op.GET, key, 0, null, true, after, limit);
    }

    public CompletableFuture<Reply> contains(byte[] key, long value) {
        return submit(Op.CONTAINS, key, value, null, false, 0, 1);
    }

    public CompletableFuture<Reply> count(byte[] key) {
        return submit(Op.COUNT, key, 0, null, false, 0, 1);
    }

    /**
     * A page of keys, ascending (unsigned byte-wise), strictly after {@code cursor} (null: from the
     * first key), at most {@code limit} (capped at {@link RequestEvent#SCAN_PAGE}): {@link Reply#keys()};
     * {@link Reply#flag()} says whether more may follow (pass the last key back as the cursor).
     * Like every read it is answered once what it saw is acknowledged.
     */
    public CompletableFuture<Reply> scan(byte[] cursor, int limit) {
        if (cursor != null && cursor.length != hd.keyBytes()) {
            return CompletableFuture.completedFuture(Reply.refused(Op.SCAN, Status.BAD_REQUEST,
                    "cursor must be a key of " + hd.keyBytes() + " bytes: length=" + cursor.length));
        }
        return submit(Op.SCAN, cursor, 0, null, false, 0, limit);
    }

    /** Completes once everything published before it is forced to disk, in any durability mode. */
    public CompletableFuture<Reply> sync() {
        return submit(Op.SYNC, null, 0, null, false, 0, 1);
    }

    // ---- state -----------------------------------------------------------------------------------

    public Durability durability() {
        return wal.options().durability();
    }

    public PipelineConfig config() {
        return config;
    }

    /** Why mutations are refused, or null while writable. */
    public String readOnlyReason() {
        return state.readOnlyReason();
    }

    /**
     * Whether a page store (HDF5 file) write or sync failed and the engine thread has not resumed
     * yet: mutations are refused meanwhile; it retries every second (see {@link EngineHandler}).
     */
    public boolean pageStoreFailed() {
        return state.storeFailed();
    }

    /** Times the pipeline resumed writing after a page store failure. */
    public long resumes() {
        return engine.resumes();
    }

    /** The checkpoint policy this pipeline runs by default ({@link #start(HashDir, WalWriter, PipelineConfig)}), or null. */
    public CheckpointHook checkpoints() {
        return ownHook;
    }

    public PipelineStats stats() {
        long commits = journal.commits();
        return new PipelineStats(durability(), ring.getCursor() + 1, busy.sum(), engine.applied(), commits,
                journal.inlineCommits(),
                commits == 0 ? 0 : (double) journal.committedEvents() / commits, journal.lastBatch(),
                journal.failedCommits(), engine.lastAppliedLsn(), state.ackedLsn(),
                reply.replies() + engine.engineReplies(), engine.earlyReplies(),
                reply.sinkErrors() + engine.sinkErrors(), ring.remainingCapacity(), state.readOnlyReason(),
                controller.snapshot());
    }

    /** Tests: the sequence of the last event the journal thread passed. */
    long journalSequence() {
        return disruptor.getSequenceValueFor(journalHandler);
    }

    /** Tests: the sequence of the last event published (or claimed). */
    long cursor() {
        return ring.getCursor();
    }

    // ---- stop --------------------------------------------------------------------------------

    /**
     * Drains and stops: takes no new requests, processes and answers everything published,
     * stops the threads, then closes the WAL (a final sync) and the store.
     */
    @Override
    public void close() throws IOException {
        close(true);
    }

    /**
     * Tests: drains and stops as {@link #close()} does, but leaves the store at its last durable
     * checkpoint (as a crash after the last acknowledgement would): the next open replays the WAL after it.
     */
    void closeWithoutCheckpoint() throws IOException {
        close(false);
    }

    private synchronized void close(boolean checkpoint) throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        accepting = false;
        while (publishing.get() > 0) {
            Thread.onSpinWait();
        }
        timer.interrupt();
        while (disruptor.getSequenceValueFor(lastHandler) < ring.getCursor()) {
            LockSupport.parkNanos(DRAIN_PARK_NANOS);
        }
        disruptor.halt();
        if (waiting instanceof ParkingWaitStrategy parking) {
            parking.wakeIdle(); // an engine thread polling its idle loop sees the halt now
        }
        joinAll();
        try {
            wal.close();
        } finally {
            try {
                if (!checkpoint || hd.writeFailure() != null || state.storeFailed()) {
                    hd.abandon(); // no checkpoint can be written; the WAL holds everything since the last one
                } else {
                    hd.close();
                }
            } finally {
                arena.close();
            }
        }
    }

    private void joinAll() {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        try {
            timer.join();
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- internals ---------------------------------------------------------------------------

    private static final RequestFiller<Void> TICK = (e, unused) -> e.op(Op.SYNC);

    /**
     * Timer thread: forces the WAL at the ASYNC interval, drives retries after a WAL failure and
     * resumes after a page store failure, and the default checkpoint hook while no request comes.
     */
    private void tick() {
        long retry = config.retryInterval().toNanos();
        long async = wal.options().asyncForceInterval().toNanos();
        boolean isAsync = durability() == Durability.ASYNC && async > 0;
        long period = isAsync ? Math.min(async, retry) : retry;
        while (accepting && !Thread.currentThread().isInterrupted()) {
            // a running checkpoint of the default hook takes a step a tick: keep it moving while idle
            LockSupport.parkNanos(this, ownHook != null && ownHook.checkpointRunning()
                    ? Math.min(period, CHECKPOINT_TICK_NANOS) : period);
            if (accepting && (isAsync || state.walFailed() || state.storeFailed()
                    || ownHook != null && ownHook.needsTick())) {
                tryPublish(TICK, null);
            }
        }
    }

    private ThreadFactory threadFactory() {
        return r -> {
            Thread t = Thread.ofPlatform().name(THREAD_NAMES[Math.min(threads.size(), THREAD_NAMES.length - 1)])
                    .unstarted(r);
            threads.add(t);
            return t;
        };
    }

    /** The calling thread's CPU time in nanoseconds, or a supplier of -1 when the JVM cannot measure it. */
    private static java.util.function.LongSupplier threadCpuClock() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!mx.isCurrentThreadCpuTimeSupported() || !mx.isThreadCpuTimeEnabled()) {
            return () -> -1;
        }
        return mx::getCurrentThreadCpuTime;
    }

    private static WaitStrategy waitStrategy(PipelineConfig.Wait wait, long spinNanos) {
        return switch (wait) {
            case BLOCKING -> new BlockingWaitStrategy();
            case SLEEPING -> new SleepingWaitStrategy();
            case YIELDING -> new YieldingWaitStrategy();
            case PARKING -> new ParkingWaitStrategy(spinNanos);
        };
    }

    private static EventHandler<RequestEvent> signalling(EventHandler<RequestEvent> handler, WaitStrategy waiting,
                                                         java.util.function.Supplier<Thread> next,
                                                         java.util.function.BooleanSupplier quiet) {
        return waiting instanceof ParkingWaitStrategy parking ? new Signalling(handler, parking, next, quiet) : handler;
    }

    /**
     * A handler that, at the end of each batch, advances its own sequence (what its processor would
     * do right after) and signals the handler after it ({@code next}'s thread), parked in
     * {@link ParkingWaitStrategy}, to wake now; unless {@code quiet} says the batch needs nobody
     * woken (the next handler then passes it at its next wake-up), or there is no next (null).
     */
    private static final class Signalling implements EventHandler<RequestEvent> {

        private final EventHandler<RequestEvent> handler;
        private final ParkingWaitStrategy waiting;
        private final java.util.function.Supplier<Thread> next;
        private final java.util.function.BooleanSupplier quiet;
        private Sequence sequence;

        Signalling(EventHandler<RequestEvent> handler, ParkingWaitStrategy waiting,
                   java.util.function.Supplier<Thread> next, java.util.function.BooleanSupplier quiet) {
            this.handler = handler;
            this.waiting = waiting;
            this.next = next;
            this.quiet = quiet;
        }

        @Override
        public void onEvent(RequestEvent event, long seq, boolean endOfBatch) throws Exception {
            handler.onEvent(event, seq, endOfBatch);
            if (endOfBatch) {
                sequence.set(seq);
                if (next != null && (quiet == null || !quiet.getAsBoolean())) {
                    waiting.signal(next.get());
                }
            }
        }

        @Override
        public void setSequenceCallback(Sequence callback) {
            this.sequence = callback;
            handler.setSequenceCallback(callback);
        }

        @Override
        public void onBatchStart(long batchSize, long queueDepth) {
            handler.onBatchStart(batchSize, queueDepth);
        }

        @Override
        public void onStart() {
            handler.onStart();
        }

        @Override
        public void onShutdown() {
            handler.onShutdown();
        }

        @Override
        public void onTimeout(long seq) throws Exception {
            handler.onTimeout(seq);
        }
    }

    /** Fails loudly: logs, answers the event internal, and makes the pipeline read-only until restart. */
    private ExceptionHandler<RequestEvent> failing(String handler) {
        return new ExceptionHandler<>() {
            @Override
            public void handleEventException(Throwable ex, long sequence, RequestEvent event) {
                String reason = handler + " handler failed at sequence " + sequence + "; read-only until restart: "
                        + ex;
                LOG.log(Level.ERROR, reason, ex);
                state.fatal(reason);
                if (event != null) {
                    event.result(Status.INTERNAL, reason);
                }
            }

            @Override
            public void handleOnStartException(Throwable ex) {
                LOG.log(Level.ERROR, handler + " handler failed to start", ex);
                state.fatal(handler + " handler failed to start: " + ex);
            }

            @Override
            public void handleOnShutdownException(Throwable ex) {
                LOG.log(Level.ERROR, handler + " handler failed to shut down", ex);
            }
        };
    }
}
