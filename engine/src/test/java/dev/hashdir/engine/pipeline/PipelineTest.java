package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FaultyWalDirectory;
import dev.hashdir.engine.wal.GatedWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalReader;
import dev.hashdir.engine.wal.WalWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The pipeline end to end over a real store and an in-memory, fault-injecting WAL directory. */
class PipelineTest {

    private static final int KEY_BYTES = 32;
    private static final long TIMEOUT_S = 30;

    @TempDir
    Path tmp;

    private final FaultyWalDirectory faultyWal = new FaultyWalDirectory(7, 4096);
    private final GatedWalDirectory walDir = new GatedWalDirectory(faultyWal);
    private Pipeline pipeline;

    @AfterEach
    void tearDown() throws IOException {
        walDir.releaseForces();
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private Pipeline start(Durability durability, PipelineConfig config, EngineHook hook) throws IOException {
        HashDir hd = HashDir.create(tmp.resolve("data"), StoreOptions.defaults(), HashDirConfig.defaults());
        WalWriter wal = WalWriter.open(walDir, WalOptions.of(KEY_BYTES, durability), 1, r -> { });
        pipeline = Pipeline.start(hd, wal, config, hook);
        return pipeline;
    }

    private WalWriter wal;

    private Pipeline start(WalOptions options, PipelineConfig config) throws IOException {
        HashDir hd = HashDir.create(tmp.resolve("data"), StoreOptions.defaults(), HashDirConfig.defaults());
        wal = WalWriter.open(walDir, options, 1, r -> { });
        pipeline = Pipeline.start(hd, wal, config, EngineHook.NONE);
        return pipeline;
    }

    private Pipeline start(Durability durability) throws IOException {
        return start(durability, PipelineConfig.defaults().withRingSize(1024), EngineHook.NONE);
    }

    /**
     * Every commit on the journal thread: for tests that hold a force at the gate while the engine
     * goes on (a commit on the engine thread would hold the engine too).
     */
    private static PipelineConfig journalCommits() {
        return PipelineConfig.defaults().withRingSize(1024).withInlineCommitEvents(0);
    }

    /** Waits until the journal thread has passed every event published: it is idle. */
    private void awaitJournalIdle() throws InterruptedException {
        Await.until(() -> "the journal passes what was published", TIMEOUT_S, 1,
                () -> pipeline.journalSequence() >= pipeline.cursor());
    }

    static byte[] key(int i) {
        byte[] k = new byte[KEY_BYTES];
        SplittableRandom r = new SplittableRandom(i * 0x9E3779B97F4A7C15L + 1);
        for (int j = 0; j < KEY_BYTES; j++) {
            k[j] = (byte) r.nextInt(256);
        }
        return k;
    }

    static Reply done(CompletableFuture<Reply> f) {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no reply: " + e, e);
        }
    }

    /** Some threads, each on its own keys, against a model of unsigned sorted sets. */
    @Test
    void shouldAnswerAsTheModelWithSeveralProducers() throws Exception {
        start(Durability.SYNC);
        modelWithSeveralProducers();
    }

    /** The same with the PARKING wait strategy: handlers sleep until the one before them wakes them. */
    @Test
    void shouldAnswerAsTheModelWithParkingHandlers() throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(1024).withWaitStrategy(PipelineConfig.Wait.PARKING),
                EngineHook.NONE);
        modelWithSeveralProducers();
    }

    private void modelWithSeveralProducers() throws Exception {
        int threads = 4;
        int steps = 750;
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            long seed = 1000 + t;
            int base = t * 1000;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    runModel(seed, base, steps);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("model run failed", failure.get());
        }
        PipelineStats stats = pipeline.stats();
        assertThat(stats.applied()).isEqualTo((long) threads * steps);
        assertThat(stats.ackedLsn()).isEqualTo(stats.lastAppliedLsn());
        long records = stats.lastAppliedLsn();
        pipeline.close();
        pipeline = null;
        long[] replayed = {0};
        WalReader.replay(walDir, KEY_BYTES, 1, r -> replayed[0]++);
        assertThat(replayed[0]).isEqualTo(records);
    }

    private void runModel(long seed, int base, int steps) {
        SplittableRandom rnd = new SplittableRandom(seed);
        java.util.Map<Integer, TreeSet<Long>> model = new java.util.HashMap<>();
        for (int step = 0; step < steps; step++) {
            int k = base + rnd.nextInt(20);
            byte[] key = key(k);
            TreeSet<Long> set = model.computeIfAbsent(k, x -> new TreeSet<>(Long::compareUnsigned));
            long v = rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(40);
            String at = "seed=" + seed + ", step=" + step;
            switch (rnd.nextInt(8)) {
                case 0, 1 -> assertThat(done(pipeline.put(key, v)).number()).as(at).isEqualTo(set.add(v) ? 1 : 0);
                case 2 -> {
                    long[] vs = rnd.longs(1 + rnd.nextInt(5), 0, 60).toArray();
                    int added = 0;
                    for (long x : vs) {
                        added += set.add(x) ? 1 : 0;
                    }
                    assertThat(done(pipeline.putAll(key, vs)).number()).as(at).isEqualTo(added);
                }
                case 3 -> assertThat(done(pipeline.remove(key, v)).flag()).as(at).isEqualTo(set.remove(v));
                case 4 -> {
                    if (rnd.nextInt(4) == 0) {
                        assertThat(done(pipeline.delete(key)).number()).as(at).isEqualTo(set.size());
                        set.clear();
                    } else {
                        assertThat(done(pipeline.contains(key, v)).flag()).as(at).isEqualTo(set.contains(v));
                    }
                }
                case 5 -> assertThat(done(pipeline.count(key)).number()).as(at).isEqualTo(set.size());
                default -> {
                    int limit = 1 + rnd.nextInt(8);
                    Reply r = done(pipeline.get(key, limit));
                    long[] expected = set.stream().limit(limit).mapToLong(Long::longValue).toArray();
                    assertThat(r.status()).as(at).isEqualTo(Status.OK);
                    assertThat(r.values()).as(at).containsExactly(expected);
                    assertThat(r.number()).as(at).isEqualTo(set.size());
                    assertThat(r.flag()).as(at).isEqualTo(set.size() > limit);
                }
            }
        }
    }

    @Test
    void shouldCommitABurstOfPutsWithFewForces() throws Exception {
        start(Durability.SYNC, journalCommits(), EngineHook.NONE);
        assertThat(done(pipeline.put(key(0), 0)).ok()).isTrue();
        walDir.holdForces();
        CompletableFuture<Reply> first = pipeline.put(key(1), 1);
        walDir.awaitForceHeld();
        int before = walDir.forces.get();
        int n = 300;
        List<CompletableFuture<Reply>> burst = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            burst.add(pipeline.put(key(2 + i % 50), i));
        }
        Thread.sleep(50);
        assertThat(first).isNotDone();
        assertThat(burst).noneMatch(CompletableFuture::isDone);
        walDir.releaseForces();
        for (CompletableFuture<Reply> f : burst) {
            Reply r = done(f);
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.lsn()).isPositive().isLessThanOrEqualTo(pipeline.stats().ackedLsn());
        }
        int forces = walDir.forces.get() - before;
        assertThat(forces).as("forces for %d puts", n).isLessThan(n / 10);
        assertThat(pipeline.stats().meanBatch()).isGreaterThan(1.0);
    }

    @Test
    void shouldNotAnswerAReadBeforeTheWriteItSawIsDurable() throws Exception {
        start(Durability.SYNC);
        walDir.holdForces();
        CompletableFuture<Reply> put = pipeline.put(key(1), 42);
        walDir.awaitForceHeld();
        CompletableFuture<Reply> contains = pipeline.contains(key(1), 42);
        CompletableFuture<Reply> get = pipeline.get(key(1), 10);
        CompletableFuture<Reply> count = pipeline.count(key(1));
        Thread.sleep(100);
        assertThat(put).isNotDone();
        assertThat(contains).isNotDone();
        assertThat(get).isNotDone();
        assertThat(count).isNotDone();
        walDir.releaseForces();
        assertThat(done(contains).flag()).isTrue();
        assertThat(put).isDone();
        assertThat(done(get).values()).containsExactly(42);
        assertThat(done(count).number()).isEqualTo(1);
    }

    /** A key whose key-hash slot differs from {@code other}'s (so its reads do not depend on other's writes). */
    private static byte[] keyInAnotherSlot(byte[] other, int from) {
        int slot = EngineHandler.slot(MemorySegment.ofArray(other));
        for (int i = from; i < from + 1000; i++) {
            if (EngineHandler.slot(MemorySegment.ofArray(key(i))) != slot) {
                return key(i);
            }
        }
        throw new AssertionError("no key in another slot among 1000");
    }

    /**
     * Puts 7 to {@code b} (acknowledged), then holds the WAL's forces and puts 42 to {@code a}:
     * returns that put once its force waits at the gate (not acknowledged until released).
     */
    private CompletableFuture<Reply> putHeldBehindAnAcknowledgedPut(byte[] a, byte[] b) throws Exception {
        assertThat(done(pipeline.put(b, 7)).ok()).isTrue();
        walDir.holdForces();
        CompletableFuture<Reply> put = pipeline.put(a, 42);
        walDir.awaitForceHeld();
        return put;
    }

    /** Publishes one event of {@code op} on {@code key}, answered into {@code replies} with the answering thread's name. */
    private static <T> RequestFiller<T> recording(Op op, byte[] key, long value, ConcurrentLinkedQueue<String> threads,
                                                  CompletableFuture<Reply> reply) {
        ReplySink sink = e -> {
            threads.add(Thread.currentThread().getName());
            reply.complete(Reply.of(e));
        };
        return (e, unused) -> e.op(op).key(key).value(value).replyTo(sink, 0, null);
    }

    /**
     * No dirty reads with early answers: while the put of key A waits for its force (held at the
     * gate), every read that may reveal it (get, contains, count of A; a scan; a no-op put of A's new
     * value) is held back, while reads of a key B in another slot, whose write is acknowledged,
     * are answered at once by the engine thread (early reads are on by default), overtaking the
     * put in ring order. A sync is never answered early. Once the force goes through, the held
     * answers see the put. Would fail if an early answer revealed the unacknowledged put (the held
     * futures would be done) or if early reads did not overtake (B's futures would time out).
     */
    @Test
    void shouldAnswerCleanReadsEarlyAndHoldReadsOfUnacknowledgedWrites() throws Exception {
        start(Durability.SYNC, journalCommits(), EngineHook.NONE);
        assertThat(pipeline.config().earlyReads()).isTrue();
        byte[] a = key(1);
        byte[] b = keyInAnotherSlot(a, 2);
        CompletableFuture<Reply> put = putHeldBehindAnAcknowledgedPut(a, b);
        List<CompletableFuture<Reply>> held = List.of(pipeline.get(a, 10), pipeline.contains(a, 42),
                pipeline.count(a), pipeline.scan(null, 10), pipeline.sync());
        CompletableFuture<Reply> noOpPutOfA = new CompletableFuture<>();
        ConcurrentLinkedQueue<String> aThreads = new ConcurrentLinkedQueue<>();
        CompletableFuture<Reply> getB = new CompletableFuture<>();
        CompletableFuture<Reply> noOpPutOfB = new CompletableFuture<>();
        ConcurrentLinkedQueue<String> bThreads = new ConcurrentLinkedQueue<>();
        assertThat(pipeline.tryPublish(recording(Op.PUT, a, 42, aThreads, noOpPutOfA), null)).isTrue();
        assertThat(pipeline.tryPublish(recording(Op.GET, b, 0, bThreads, getB), null)).isTrue();
        assertThat(pipeline.tryPublish(recording(Op.PUT, b, 7, bThreads, noOpPutOfB), null)).isTrue();
        CompletableFuture<Reply> containsB = pipeline.contains(b, 7);
        CompletableFuture<Reply> countB = pipeline.count(b);

        // answered while the put before them in the ring is still not durable
        assertThat(done(getB).values()).containsExactly(7);
        assertThat(done(noOpPutOfB).number()).isZero();
        assertThat(done(containsB).flag()).isTrue();
        assertThat(done(countB).number()).isEqualTo(1);
        assertThat(bThreads).containsOnly("hashdir-engine");
        assertThat(put).isNotDone();
        Thread.sleep(100);
        assertThat(put).isNotDone();
        assertThat(held).noneMatch(CompletableFuture::isDone);
        assertThat(noOpPutOfA).isNotDone();
        assertThat(pipeline.stats().earlyReplies()).isGreaterThanOrEqualTo(4);

        walDir.releaseForces();
        Reply putReply = done(put);
        assertThat(putReply.ok()).isTrue();
        assertThat(done(held.get(0)).values()).containsExactly(42);
        assertThat(done(held.get(1)).flag()).isTrue();
        assertThat(done(held.get(2)).number()).isEqualTo(1);
        assertThat(done(held.get(3)).keys().length).isEqualTo(2);
        assertThat(done(held.get(4)).ok()).isTrue();
        assertThat(done(noOpPutOfA).number()).as("the value was added by the put before").isZero();
        assertThat(aThreads).containsOnly("hashdir-reply");
    }

    /**
     * The events of a run (a protocol batch, a split put) keep their answers in ring order on the
     * reply thread: a run of two reads of an acknowledged key, published behind a put whose force
     * is held, is not answered before that put, while the same read published alone is.
     */
    @Test
    void shouldNotAnswerTheEventsOfARunEarly() throws Exception {
        start(Durability.SYNC, journalCommits(), EngineHook.NONE);
        byte[] a = key(1);
        byte[] b = keyInAnotherSlot(a, 2);
        CompletableFuture<Reply> put = putHeldBehindAnAcknowledgedPut(a, b);
        ConcurrentLinkedQueue<Reply> run = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
        ReplySink sink = e -> {
            threads.add(Thread.currentThread().getName());
            run.add(Reply.of(e));
        };
        IndexedFiller<Void> reads = (e, i, unused) -> e.op(Op.CONTAINS).key(b).value(7).replyTo(sink, i, null);
        assertThat(pipeline.tryPublishAll(2, reads, null)).isTrue();
        assertThat(done(pipeline.contains(b, 7)).flag()).as("a single read overtakes").isTrue();
        Thread.sleep(100);
        assertThat(run).as("the run's reads wait for the put before them").isEmpty();
        walDir.releaseForces();
        assertThat(done(put).ok()).isTrue();
        Await.until(() -> "the run's two answers", TIMEOUT_S, 1, () -> run.size() >= 2);
        assertThat(run).hasSize(2).allMatch(Reply::flag);
        assertThat(threads).containsOnly("hashdir-reply");
    }

    /** With early reads off every answer goes through the reply thread, in ring order (the A/B baseline). */
    @Test
    void shouldAnswerEverythingInRingOrderWithEarlyReadsOff() throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(1024).withEarlyReads(false), EngineHook.NONE);
        byte[] a = key(1);
        byte[] b = keyInAnotherSlot(a, 2);
        CompletableFuture<Reply> put = putHeldBehindAnAcknowledgedPut(a, b);
        CompletableFuture<Reply> getB = pipeline.get(b, 10);
        Thread.sleep(100);
        assertThat(getB).isNotDone();
        walDir.releaseForces();
        assertThat(done(getB).values()).containsExactly(7);
        assertThat(put).isDone();
        assertThat(pipeline.stats().earlyReplies()).isZero();
        assertThat(pipeline.stats().inlineCommits()).as("no commit on the engine thread either").isZero();
    }

    /**
     * ASYNC acknowledges a write once it is written, before any force: with the force interval and
     * the retry tick an hour away, and every force held at the gate, a put and a read of it are
     * answered although no force ran. An explicit sync still forces (and waits for the gate).
     */
    @Test
    void shouldAcknowledgeAsyncWritesOnceWrittenBeforeAnyForce() throws Exception {
        start(WalOptions.of(KEY_BYTES, Durability.ASYNC).withAsyncForceInterval(Duration.ofHours(1)),
                PipelineConfig.defaults().withRingSize(64).withRetryInterval(Duration.ofHours(1)));
        assertThat(pipeline.durability()).isEqualTo(Durability.ASYNC);
        assertThat(pipeline.stats().durability()).isEqualTo(Durability.ASYNC);
        int forcesBefore = walDir.forces.get();
        walDir.holdForces();
        Reply put = done(pipeline.put(key(1), 42));
        assertThat(put.status()).isEqualTo(Status.OK);
        assertThat(put.lsn()).isPositive().isLessThanOrEqualTo(pipeline.ackedLsn());
        Reply read = done(pipeline.contains(key(1), 42));
        assertThat(read.flag()).as("a read of an acknowledged ASYNC write").isTrue();
        assertThat(walDir.forces.get()).as("no force ran for the acknowledged write").isEqualTo(forcesBefore);
        assertThat(walDir.forcesAtGate()).as("no force even reached the gate").isZero();
        assertThat(faultyWal.size(wal.currentSegment())).as("but it was written").isPositive();

        CompletableFuture<Reply> sync = pipeline.sync();
        walDir.awaitForceHeld();
        assertThat(sync).isNotDone();
        walDir.releaseForces();
        assertThat(done(sync).ok()).isTrue();
        assertThat(walDir.forces.get()).isGreaterThan(forcesBefore);
    }

    /**
     * ASYNC forces what it acknowledged within its interval by itself: after one put and no other
     * request, the pipeline's timer forces the WAL (the durable LSN reaches the put's) although
     * nothing else arrives. The bound below is generous (a loaded machine); the time it took is
     * printed, the interval being 200 ms.
     */
    @Test
    void shouldForceAsyncWritesWithinTheIntervalWithoutFurtherRequests() throws Exception {
        Duration interval = Duration.ofMillis(200);
        start(WalOptions.of(KEY_BYTES, Durability.ASYNC).withAsyncForceInterval(interval),
                PipelineConfig.defaults().withRingSize(64).withRetryInterval(Duration.ofHours(1)));
        int forcesBefore = walDir.forces.get();
        long t0 = System.nanoTime();
        Reply put = done(pipeline.put(key(2), 7));
        assertThat(put.status()).isEqualTo(Status.OK);
        long deadline = t0 + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (wal.durableLsn() < put.lsn() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("async: put acknowledged, forced by the timer %d ms later (interval %d ms)%n", ms,
                interval.toMillis());
        assertThat(wal.durableLsn()).as("forced by the interval timer alone").isGreaterThanOrEqualTo(put.lsn());
        assertThat(walDir.forces.get()).isGreaterThan(forcesBefore);
        assertThat(pipeline.stats().commits()).as("the put's own commit").isEqualTo(1);
    }

    /**
     * A run of events published together (a protocol batch, a split put) is committed together:
     * with the controller allowing 4 events per commit, 64 puts published by one tryPublishAll
     * take one force, not 16, and every one is answered ok.
     */
    @Test
    void shouldCommitARunPublishedTogetherInOneGroupCommit() throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(256)
                .withBatch(new BatchController.Bounds(1, 4, 0)), EngineHook.NONE);
        assertThat(done(pipeline.put(key(0), 0)).ok()).isTrue();
        int forcesBefore = walDir.forces.get();
        long commitsBefore = pipeline.stats().commits();
        int n = 64;
        ConcurrentLinkedQueue<Reply> replies = new ConcurrentLinkedQueue<>();
        ReplySink sink = e -> replies.add(Reply.of(e));
        IndexedFiller<Void> filler = (e, i, unused) -> e.op(Op.PUT).key(key(1 + i % 8)).value(i).replyTo(sink, i, null);
        assertThat(pipeline.tryPublishAll(n, filler, null)).isTrue();
        assertThat(done(pipeline.count(key(1))).number()).isEqualTo(n / 8);
        assertThat(replies).hasSize(n).allMatch(Reply::ok);
        assertThat(pipeline.stats().commits() - commitsBefore).as("commits for one run of %d events", n)
                .isEqualTo(1);
        assertThat(walDir.forces.get() - forcesBefore).isEqualTo(1);
        // single events still commit at most 4 at a time
        List<CompletableFuture<Reply>> singles = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            singles.add(pipeline.put(key(20 + i), i));
        }
        singles.forEach(f -> assertThat(done(f).ok()).isTrue());
        assertThat(pipeline.stats().lastBatch()).isLessThanOrEqualTo(4);
    }

    /**
     * A sink may gather a batch's I/O: every reply it gets on the reply thread is marked batched,
     * and an endOfBatch follows each run of its replies, none left owed once all are answered.
     */
    @Test
    void shouldCallEndOfBatchAfterEveryRunOfBatchedReplies() throws Exception {
        // early reads off: every reply comes from the reply thread, batched (an early read, answered
        // on the engine thread, is not batched and is sent at once: see the early-read tests)
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(256).withEarlyReads(false), EngineHook.NONE);
        int n = 200;
        java.util.concurrent.atomic.AtomicInteger owed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger unbatched = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger ends = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch flushed = new java.util.concurrent.CountDownLatch(n);
        ReplySink sink = new ReplySink() {
            @Override
            public void onReply(RequestEvent e) {
                if (!e.replyBatched()) {
                    unbatched.incrementAndGet();
                }
                owed.incrementAndGet();
            }

            @Override
            public void endOfBatch() {
                ends.incrementAndGet();
                for (int k = owed.getAndSet(0); k > 0; k--) {
                    flushed.countDown();
                }
            }
        };
        for (int i = 0; i < n; i++) {
            int v = i;
            RequestFiller<Void> filler = (e, unused) -> e.op(v % 2 == 0 ? Op.PUT : Op.CONTAINS).key(key(v % 16))
                    .value(v).replyTo(sink, v, null);
            while (!pipeline.tryPublish(filler, null)) {
                Thread.onSpinWait();
            }
        }
        assertThat(flushed.await(30, TimeUnit.SECONDS)).as("every reply flushed by an endOfBatch").isTrue();
        assertThat(unbatched.get()).isZero();
        assertThat(owed.get()).isZero();
        assertThat(ends.get()).isBetween(1, n);
    }

    /**
     * A read answered early is handed over batched on the engine thread, and the engine thread
     * ends that batch for the sink (endOfBatch, on the same thread) by the end of its own batch:
     * nothing it answered waits for a later request.
     */
    @Test
    void shouldHandAnEarlyReadToTheSinkBatchedAndEndTheBatchOnTheEngineThread() throws Exception {
        start(Durability.SYNC);
        assertThat(done(pipeline.put(key(1), 1)).ok()).isTrue();
        CompletableFuture<String> answered = new CompletableFuture<>();
        CompletableFuture<String> ended = new CompletableFuture<>();
        ReplySink sink = new ReplySink() {
            @Override
            public void onReply(RequestEvent e) {
                answered.complete(Thread.currentThread().getName() + " batched=" + e.replyBatched() + " found=" + e.flag());
            }

            @Override
            public void endOfBatch() {
                ended.complete(Thread.currentThread().getName());
            }
        };
        RequestFiller<Void> filler = (e, unused) -> e.op(Op.CONTAINS).key(key(1)).value(1).replyTo(sink, 1, null);
        assertThat(pipeline.tryPublish(filler, null)).isTrue();
        assertThat(answered.get(TIMEOUT_S, TimeUnit.SECONDS)).isEqualTo("hashdir-engine batched=true found=true");
        assertThat(ended.get(TIMEOUT_S, TimeUnit.SECONDS)).as("the batch ended without another request")
                .isEqualTo("hashdir-engine");
        assertThat(pipeline.stats().earlyReplies()).isEqualTo(1);
    }

    /**
     * A long run of early answers to one sink is cut into batches of at most EARLY_BATCH: 500 reads
     * published at once, each endOfBatch covering at most 64 of them, on the engine thread.
     */
    @Test
    void shouldEndTheSinksBatchOfEarlyAnswersEverySixtyFour() throws Exception {
        start(Durability.SYNC);
        assertThat(done(pipeline.put(key(1), 1)).ok()).isTrue();
        int n = 500;
        java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger largest = new java.util.concurrent.atomic.AtomicInteger();
        ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
        java.util.concurrent.CountDownLatch flushed = new java.util.concurrent.CountDownLatch(n);
        ReplySink sink = new ReplySink() {
            @Override
            public void onReply(RequestEvent e) {
                largest.accumulateAndGet(open.incrementAndGet(), Math::max);
            }

            @Override
            public void endOfBatch() {
                threads.add(Thread.currentThread().getName());
                for (int k = open.getAndSet(0); k > 0; k--) {
                    flushed.countDown();
                }
            }
        };
        RequestFiller<Void> filler = (e, unused) -> e.op(Op.CONTAINS).key(key(1)).value(1).replyTo(sink, 1, null);
        for (int i = 0; i < n; i++) {
            while (!pipeline.tryPublish(filler, null)) {
                Thread.onSpinWait();
            }
        }
        assertThat(flushed.await(TIMEOUT_S, TimeUnit.SECONDS)).as("every early answer's batch ended").isTrue();
        assertThat(largest.get()).isBetween(1, EngineHandler.EARLY_BATCH);
        assertThat(threads).containsOnly("hashdir-engine");
    }

    /** README's embedded example: a DurableHashDir's parts in a pipeline; what it acknowledged is there on reopen. */
    @Test
    void shouldRunOverADurableHashDirAsTheReadmeShows() throws Exception {
        Path dir = tmp.resolve("embedded");
        dev.hashdir.engine.DurableHashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults(),
                WalOptions.of(KEY_BYTES, Durability.SYNC)).close();
        dev.hashdir.engine.DurableHashDir d = dev.hashdir.engine.DurableHashDir.open(dir, HashDirConfig.defaults(),
                WalOptions.of(KEY_BYTES, Durability.SYNC));
        try (Pipeline p = Pipeline.start(d.hashDir(), d.wal(), PipelineConfig.defaults())) {
            assertThat(p.put(key(1), 7).join().number()).isEqualTo(1);
            assertThat(p.putAll(key(2), new long[]{1, 2, 3}).join().number()).isEqualTo(3);
            assertThat(p.get(key(1), 10).join().values()).containsExactly(7);
        }
        try (dev.hashdir.engine.DurableHashDir again = dev.hashdir.engine.DurableHashDir.open(dir,
                HashDirConfig.defaults(), WalOptions.of(KEY_BYTES, Durability.SYNC))) {
            assertThat(again.count(java.lang.foreign.MemorySegment.ofArray(key(2)))).isEqualTo(3);
            assertThat(again.contains(java.lang.foreign.MemorySegment.ofArray(key(1)), 7)).isTrue();
        }
    }

    /** The embedded future API scans too: pages of keys, every key once, ascending, after a cursor. */
    @Test
    void shouldScanEveryKeyByPagesThroughTheFutureApi() throws Exception {
        start(Durability.SYNC);
        TreeSet<String> expected = new TreeSet<>();
        List<CompletableFuture<Reply>> puts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            puts.add(pipeline.put(key(i), i));
            expected.add(java.util.HexFormat.of().formatHex(key(i)));
        }
        puts.forEach(f -> assertThat(done(f).ok()).isTrue());
        List<String> seen = new ArrayList<>();
        byte[] cursor = null;
        int pages = 0;
        while (true) {
            Reply r = done(pipeline.scan(cursor, 100));
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.keys().length).isLessThanOrEqualTo(100);
            for (byte[] k : r.keys()) {
                seen.add(java.util.HexFormat.of().formatHex(k));
            }
            pages++;
            if (!r.flag()) {
                break;
            }
            cursor = r.keys()[r.keys().length - 1];
        }
        assertThat(pages).isGreaterThanOrEqualTo(3);
        assertThat(seen).as("every key once, ascending").containsExactlyElementsOf(expected);
        assertThat(done(pipeline.scan(new byte[3], 10)).status()).isEqualTo(Status.BAD_REQUEST);
    }

    @Test
    void shouldRefuseWhenTheRingIsFullAndLoseNothing() throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(8), EngineHook.NONE);
        ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
        ReplySink sink = e -> {
            if (e.status() == Status.OK) {
                acked.add(e.token());
            }
        };
        RequestFiller<Long> filler = (e, i) -> e.op(Op.PUT).key(key(7)).value(i).replyTo(sink, i, null);
        walDir.holdForces();
        assertThat(pipeline.tryPublish(filler, 0L)).isTrue();
        walDir.awaitForceHeld();
        long accepted = 1;
        boolean refused = false;
        for (long i = 1; i < 100; i++) {
            if (pipeline.tryPublish(filler, i)) {
                accepted++;
            } else {
                refused = true;
                assertThat(pipeline.accepting()).isTrue();
            }
        }
        assertThat(refused).isTrue();
        assertThat(accepted).isLessThanOrEqualTo(8);
        assertThat(pipeline.stats().busy()).isPositive();
        walDir.releaseForces();
        Reply count;
        while ((count = done(pipeline.count(key(7)))).status() == Status.BUSY) {
            Thread.sleep(1); // the ring drains once the force is through
        }
        assertThat(count.number()).isEqualTo(accepted);
        // the count, answered early by the engine thread, may overtake the puts' answers, which the
        // reply thread delivers: every accepted put is answered ok, sooner or later
        long total = accepted;
        Await.until(() -> "every accepted put answered", TIMEOUT_S, 1, () -> acked.size() >= total);
        assertThat(acked).hasSize((int) accepted);
    }

    @Test
    void shouldAcknowledgeNothingNotDurableWhenTheDiskIsFull() throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(64).withRetryInterval(Duration.ofHours(1)),
                EngineHook.NONE);
        assertThat(done(pipeline.put(key(1), 1)).ok()).isTrue();
        // the WAL segment is preallocated: only a copy-on-write file system fails its overwrites
        faultyWal.setCopyOnWriteSpaceLimit(faultyWal.usedBytes());

        awaitJournalIdle(); // the failing commit is the engine thread's own
        long inlineBefore = pipeline.stats().inlineCommits(); // the first put's commit may have been either thread's
        Reply lost = done(pipeline.put(key(2), 2));
        assertThat(pipeline.stats().inlineCommits()).isEqualTo(inlineBefore + 1);
        assertThat(lost.status()).isEqualTo(Status.READ_ONLY);
        assertThat(lost.error()).contains("not durable").contains("disk full");
        assertThat(pipeline.readOnlyReason()).contains("disk full");

        Reply refused = done(pipeline.put(key(3), 3));
        assertThat(refused.status()).isEqualTo(Status.READ_ONLY);
        assertThat(refused.lsn()).isZero();
        assertThat(done(pipeline.get(key(1), 10)).values()).containsExactly(1);
        assertThat(done(pipeline.count(key(4))).number()).isZero();
        Reply dirty = done(pipeline.contains(key(2), 2));
        assertThat(dirty.status()).as("a read of a write that is not durable").isEqualTo(Status.READ_ONLY);

        faultyWal.clearSpaceLimit();
        assertThat(done(pipeline.sync()).ok()).isTrue();
        assertThat(pipeline.readOnlyReason()).isNull();
        // the write that failed was retried from the WAL buffer: memory and WAL are one history again
        assertThat(done(pipeline.contains(key(2), 2)).flag()).isTrue();
        assertThat(done(pipeline.put(key(3), 3)).ok()).isTrue();
        assertThat(pipeline.stats().failedCommits()).isPositive();
    }

    @Test
    void shouldGoReadOnlyWhenAHandlerFails() throws Exception {
        boolean[] fail = {false};
        start(Durability.NONE, PipelineConfig.defaults().withRingSize(64).withInlineCommitEvents(0), (hd, lsn, mutated) -> {
            if (mutated && fail[0]) {
                throw new IllegalStateException("checkpoint exploded");
            }
        });
        assertThat(done(pipeline.put(key(1), 1)).ok()).isTrue();
        fail[0] = true;
        Reply broken = done(pipeline.put(key(2), 2));
        assertThat(broken.status()).isEqualTo(Status.INTERNAL);
        assertThat(pipeline.readOnlyReason()).contains("checkpoint exploded");
        assertThat(done(pipeline.put(key(3), 3)).status()).isEqualTo(Status.READ_ONLY);
        assertThat(done(pipeline.contains(key(1), 1)).flag()).isTrue();
    }

    /**
     * A handler failure after a commit on the engine thread: the put was durable and answered ok
     * before the end-of-batch hook threw (an answer is never taken back); the pipeline turns
     * read-only all the same, and the put is there.
     */
    @Test
    void shouldGoReadOnlyWhenTheHookFailsAfterACommitOnTheEngineThread() throws Exception {
        boolean[] fail = {false};
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(64), (hd, lsn, mutated) -> {
            if (mutated && fail[0]) {
                throw new IllegalStateException("checkpoint exploded");
            }
        });
        assertThat(done(pipeline.put(key(1), 1)).ok()).isTrue();
        awaitJournalIdle();
        fail[0] = true;
        Reply put = done(pipeline.put(key(2), 2));
        assertThat(put.ok()).isTrue();
        assertThat(put.lsn()).isEqualTo(2).isLessThanOrEqualTo(pipeline.ackedLsn());
        assertThat(pipeline.stats().inlineCommits()).isEqualTo(2);
        // the hook runs after the answer went out
        Await.until(() -> "read-only after the hook failed", TIMEOUT_S, 1, () -> pipeline.readOnlyReason() != null);
        assertThat(pipeline.readOnlyReason()).contains("checkpoint exploded");
        assertThat(done(pipeline.put(key(3), 3)).status()).isEqualTo(Status.READ_ONLY);
        assertThat(done(pipeline.contains(key(2), 2)).flag()).isTrue();
    }

    /**
     * While the journal thread is idle, the engine thread commits a lone write itself and answers
     * it: 20 puts, each published once the one before is answered, with a read of it in between
     * (answered early), are each committed on their own and answered on the engine thread, with
     * no wait for the journal thread to pass the batches before (it has no work in them), and the
     * WAL holds all 20. A run of two puts (published together) still goes through the journal and
     * reply threads. With commits on the engine thread off, every put is answered by the reply thread.
     */
    @ParameterizedTest
    @CsvSource({"0, SLEEPING", "0, PARKING", "1, SLEEPING", "4, PARKING"})
    void shouldCommitALoneWriteOnTheEngineThreadWhileTheJournalIsIdle(int inline, PipelineConfig.Wait wait)
            throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(1024).withInlineCommitEvents(inline)
                .withWaitStrategy(wait), EngineHook.NONE);
        ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
        int puts = 20;
        for (int i = 0; i < puts; i++) {
            CompletableFuture<Reply> put = new CompletableFuture<>();
            assertThat(pipeline.tryPublish(recording(Op.PUT, key(i), i, threads, put), null)).isTrue();
            Reply r = done(put);
            assertThat(r.ok()).isTrue();
            assertThat(r.lsn()).isEqualTo(i + 1).isLessThanOrEqualTo(pipeline.ackedLsn());
            assertThat(done(pipeline.contains(key(i), i)).flag()).isTrue();
        }
        // counted right after the sink's call
        Await.until(() -> "every answer counted", TIMEOUT_S, 1, () -> pipeline.stats().replies() >= 2 * puts);
        PipelineStats stats = pipeline.stats();
        assertThat(stats.commits()).isEqualTo(puts);
        assertThat(stats.earlyReplies()).isEqualTo(puts);
        assertThat(stats.replies()).isEqualTo(2 * puts);
        if (inline > 0) {
            assertThat(threads).hasSize(puts).containsOnly("hashdir-engine");
            assertThat(stats.inlineCommits()).isEqualTo(puts);
        } else {
            assertThat(threads).hasSize(puts).containsOnly("hashdir-reply");
            assertThat(stats.inlineCommits()).isZero();
        }

        awaitJournalIdle();
        ConcurrentLinkedQueue<String> runThreads = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Reply> run = new ConcurrentLinkedQueue<>();
        ReplySink sink = e -> {
            runThreads.add(Thread.currentThread().getName());
            run.add(Reply.of(e));
        };
        IndexedFiller<Void> twoPuts = (e, i, unused) -> e.op(Op.PUT).key(key(100 + i)).value(i).replyTo(sink, i, null);
        assertThat(pipeline.tryPublishAll(2, twoPuts, null)).isTrue();
        Await.until(() -> "the run's two answers", TIMEOUT_S, 1, () -> run.size() >= 2);
        assertThat(run).hasSize(2).allMatch(Reply::ok);
        assertThat(runThreads).containsOnly("hashdir-reply");
        assertThat(pipeline.stats().inlineCommits()).isEqualTo(stats.inlineCommits());

        pipeline.closeWithoutCheckpoint();
        pipeline = null;
        long[] replayed = {0};
        WalReader.replay(walDir, KEY_BYTES, 1, r -> replayed[0]++);
        assertThat(replayed[0]).isEqualTo(puts + 2);
    }

    /**
     * Commits slower than {@link PipelineConfig#INLINE_MAX_COMMIT_NANOS} on average stay on the
     * journal thread, so a slow disk holds the journal, not the engine's reads: after a first
     * commit held 50 ms at the gate (made on the engine thread, the journal being idle), the next
     * lone put is committed by the journal thread and answered by the reply thread.
     */
    @Test
    void shouldLeaveCommitsToTheJournalThreadWhileTheDiskIsSlow() throws Exception {
        start(Durability.SYNC);
        ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
        walDir.holdForces();
        CompletableFuture<Reply> first = new CompletableFuture<>();
        assertThat(pipeline.tryPublish(recording(Op.PUT, key(1), 1, threads, first), null)).isTrue();
        walDir.awaitForceHeld();
        Thread.sleep(50);
        walDir.releaseForces();
        assertThat(done(first).ok()).isTrue();
        assertThat(pipeline.stats().controller().commitNanos()).isGreaterThan(PipelineConfig.INLINE_MAX_COMMIT_NANOS);
        awaitJournalIdle();
        CompletableFuture<Reply> second = new CompletableFuture<>();
        assertThat(pipeline.tryPublish(recording(Op.PUT, key(2), 2, threads, second), null)).isTrue();
        assertThat(done(second).ok()).isTrue();
        assertThat(threads).containsExactly("hashdir-engine", "hashdir-reply");
        assertThat(pipeline.stats().inlineCommits()).isEqualTo(1);
    }

    @Test
    void shouldAnswerBadRequestsAndChangeNothing() throws Exception {
        start(Durability.NONE);
        assertThat(done(pipeline.put(new byte[5], 1)).status()).isEqualTo(Status.BAD_REQUEST);
        assertThat(done(pipeline.putAll(key(1), new long[0])).status()).isEqualTo(Status.BAD_REQUEST);
        assertThat(done(pipeline.putAll(key(1), new long[2000])).status()).isEqualTo(Status.TOO_LARGE);
        assertThat(done(pipeline.get(key(1), 0)).status()).isEqualTo(Status.BAD_REQUEST);
        assertThat(pipeline.stats().lastAppliedLsn()).isZero();
        assertThat(pipeline.readOnlyReason()).isNull();
    }

    @Test
    void shouldDrainEverythingPublishedBeforeStop() throws Exception {
        start(Durability.SYNC);
        List<CompletableFuture<Reply>> futures = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            futures.add(pipeline.put(key(i % 40), i));
        }
        pipeline.close();
        assertThat(futures).allMatch(CompletableFuture::isDone);
        assertThat(futures).allMatch(f -> f.join().ok());
        assertThat(done(pipeline.put(key(1), 1)).status()).isEqualTo(Status.NOT_READY);
        pipeline = null;
        try (HashDir hd = HashDir.open(tmp.resolve("data"), HashDirConfig.defaults())) {
            for (int k = 0; k < 40; k++) {
                assertThat(hd.count(key(k))).isEqualTo(10);
            }
        }
    }

    /**
     * A stand-in for a network event loop: what "arrives" (the inbox) is run by whichever thread
     * polls, at most 32 a poll.
     */
    private static final class InboxLoop implements IdleLoop {
        final java.util.concurrent.LinkedBlockingQueue<Runnable> inbox = new java.util.concurrent.LinkedBlockingQueue<>();
        final java.util.Set<String> pollers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicLong polls = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong wakes = new java.util.concurrent.atomic.AtomicLong();
        /** While set, a poll waits until something arrives (a wake included), however long, and says it began. */
        volatile boolean untilWoken;
        final java.util.concurrent.Semaphore waitingForWake = new java.util.concurrent.Semaphore(0);

        @Override
        public void poll(long maxNanos) {
            polls.incrementAndGet();
            pollers.add(Thread.currentThread().getName());
            try {
                Runnable r;
                if (untilWoken) {
                    waitingForWake.release();
                    r = inbox.poll(TIMEOUT_S, TimeUnit.SECONDS);
                } else {
                    r = inbox.poll(maxNanos, TimeUnit.NANOSECONDS);
                }
                for (int i = 0; r != null; i++) {
                    r.run();
                    r = i < 31 ? inbox.poll() : null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void wake() {
            wakes.incrementAndGet();
            inbox.offer(() -> { });
        }
    }

    /**
     * The engine thread runs an idle loop instead of sleeping, and what the loop publishes (from
     * the engine thread) is served; a publish from another thread wakes the loop; once the loop is
     * taken away it is polled no more; a close with a loop polling completes.
     */
    @Test
    void shouldRunAnIdleLoopOnTheEngineThreadAndServeWhatItPublishes() throws Exception {
        // the ring holds every request of the test at once: none is refused busy
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(1024).withWaitStrategy(PipelineConfig.Wait.PARKING),
                EngineHook.NONE);
        InboxLoop loop = new InboxLoop();
        assertThat(pipeline.runWhileIdle(loop)).isTrue();
        int n = 600;
        List<CompletableFuture<CompletableFuture<Reply>>> arrived = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            CompletableFuture<CompletableFuture<Reply>> f = new CompletableFuture<>();
            arrived.add(f);
            // a get of a key put just before it, in the same poll or the next: read your writes
            loop.inbox.add(k % 2 == 0 ? () -> f.complete(pipeline.put(key(k / 2), k))
                    : () -> f.complete(pipeline.get(key(k / 2), 10)));
        }
        loop.wake();
        for (int i = 0; i < n; i++) {
            Reply r = done(arrived.get(i).get(TIMEOUT_S, TimeUnit.SECONDS));
            assertThat(r.status()).as("request %d", i).isEqualTo(Status.OK);
            if (i % 2 == 0) {
                assertThat(r.number()).as("put %d", i).isEqualTo(1);
            } else {
                assertThat(r.values()).as("get %d", i).containsExactly(i - 1);
            }
        }
        assertThat(loop.pollers).containsExactly("hashdir-engine");

        // a publish from another thread while the engine polls: only the loop's wake gets it out
        // of this poll (which waits for something to arrive), and it serves the put
        loop.untilWoken = true;
        loop.waitingForWake.acquire();
        long wakes = loop.wakes.get();
        assertThat(done(pipeline.put(key(9999), 1)).number()).isEqualTo(1);
        assertThat(loop.wakes.get()).isGreaterThan(wakes);
        loop.untilWoken = false;

        assertThat(pipeline.runWhileIdle(null)).isTrue();
        long polls = loop.polls.get();
        for (int i = 0; i < 50; i++) {
            assertThat(done(pipeline.put(key(10_000 + i), i)).number()).isEqualTo(1);
        }
        assertThat(loop.polls.get()).as("polls after the loop was taken away").isEqualTo(polls);

        assertThat(pipeline.runWhileIdle(loop)).isTrue();
        assertThat(done(pipeline.put(key(20_000), 1)).number()).isEqualTo(1);
        pipeline.close(); // the engine polls the loop: the halt must still stop it
        assertThat(pipeline.runWhileIdle(new InboxLoop())).as("closed").isFalse();
        pipeline = null;
    }

    @Test
    void shouldRefuseAnIdleLoopWithAnotherWaitStrategy() throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(256).withWaitStrategy(PipelineConfig.Wait.SLEEPING),
                EngineHook.NONE);
        InboxLoop loop = new InboxLoop();
        assertThat(pipeline.runWhileIdle(loop)).isFalse();
        assertThat(done(pipeline.put(key(1), 1)).number()).isEqualTo(1);
        assertThat(loop.polls.get()).isZero();
    }

    /**
     * The answer to {@code call}, asked again while it is busy: in a ring of 4 the journal and
     * reply threads may still hold slots of reads the engine answered early (they pass such
     * events lazily), so a request right after them may find the ring full; busy changed nothing.
     */
    private static Reply untilNotBusy(java.util.function.Supplier<CompletableFuture<Reply>> call) {
        for (int tries = 0; ; tries++) {
            Reply r = done(call.get());
            if (r.status() != Status.BUSY || tries == 10_000) {
                return r;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    /**
     * An event's value and page arrays start small and grow to the largest request through its
     * slot: in a ring of 4, puts and gets of 1 to 1024 values pass every slot in turn, answered
     * exactly as a model says.
     */
    @Test
    void shouldGrowAnEventsArraysToTheLargestRequestThroughItsSlot() throws Exception {
        start(Durability.SYNC, PipelineConfig.defaults().withRingSize(4), EngineHook.NONE);
        SplittableRandom rnd = new SplittableRandom(41);
        TreeSet<Long> model = new TreeSet<>(Long::compareUnsigned);
        byte[] k = key(77);
        for (int step = 0; step < 60; step++) {
            int n = switch (rnd.nextInt(3)) {
                case 0 -> 1 + rnd.nextInt(RequestEvent.INITIAL_VALUES);
                case 1 -> RequestEvent.INITIAL_VALUES + 1 + rnd.nextInt(100);
                default -> 1024;
            };
            String at = "step " + step + ", n=" + n;
            if (rnd.nextBoolean()) {
                long[] vs = rnd.longs(n).toArray();
                int added = 0;
                for (long v : vs) {
                    added += model.add(v) ? 1 : 0;
                }
                Reply r = untilNotBusy(() -> pipeline.putAll(k, vs));
                assertThat(r.status()).as(at).isEqualTo(Status.OK);
                assertThat(r.number()).as(at).isEqualTo(added);
            } else {
                Reply r = untilNotBusy(() -> pipeline.get(k, n));
                long[] expected = model.stream().limit(n).mapToLong(Long::longValue).toArray();
                assertThat(r.values()).as(at).containsExactly(expected);
                assertThat(r.number()).as(at).isEqualTo(model.size());
                assertThat(r.flag()).as(at).isEqualTo(model.size() > n);
            }
        }
        assertThat(done(pipeline.putAll(k, new long[1025])).status()).isEqualTo(Status.TOO_LARGE);
    }
}
