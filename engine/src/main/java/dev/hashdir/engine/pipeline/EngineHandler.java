package dev.hashdir.engine.pipeline;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.StoreException;
import dev.hashdir.engine.recovery.WalApplier;
import dev.hashdir.engine.store.PageLostException;
import dev.hashdir.engine.wal.WalDirectory;
import dev.hashdir.engine.wal.WalReader;
import dev.hashdir.engine.wal.WalRecordType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The single writer: validates each request, applies it to the {@link HashDir}, stores the result
 * and, for a mutation that changed something, encodes its WAL record into the event with the LSN
 * the journal will give it (LSNs are gapless and the journal appends records in ring order, so the
 * engine knows them in advance; the journal checks).
 *
 * <p>No dirty reads: every answer records in {@code dependsLsn} the newest LSN whose effect it may
 * reveal, and the reply waits until that LSN is acknowledged. The engine keeps, per key-hash slot
 * ({@value #KEY_SLOTS} slots), the newest LSN applied to a key in that slot; a read or a no-op
 * mutation (a put of a present value) depends on its slot's LSN. Two keys sharing a slot only make
 * a read wait a little longer than it has to, never shorter.
 *
 * <p>Early answers ({@link PipelineConfig#earlyReads()}): an answer whose LSNs are all acknowledged
 * already ({@code max(lsn, dependsLsn) <= ackedLsn}: a read or a no-op mutation whose slot saw no
 * unacknowledged write, or a refusal) is handed to its sink here, right after it is applied, and
 * marked so that the reply thread skips it: it does not wait for the journal and reply threads nor
 * for the writes before it in the ring. That is the decision the reply thread would take, only
 * sooner: the acknowledged LSN never goes back, so nothing a crash could take away is revealed.
 * Not answered early: a mutation that wrote a record (its own LSN is not acknowledged yet), a SYNC
 * (it waits for a force in every mode), the events of a run ({@link Pipeline#tryPublishAll} with
 * two or more events: a batch or a split put keeps its answer in ring order on the reply thread).
 * Early answers are handed over batched ({@link ReplyBatch}): the sink gets its
 * {@link ReplySink#endOfBatch} after at most {@value #EARLY_BATCH} of them and at the end of the
 * engine's batch, before the checkpoint hook runs, so that a transport writes each connection once
 * for them instead of once per answer (a write costs about as much CPU as the read it answers).
 *
 * <p>Commits of its own ({@link PipelineConfig#inlineCommitEvents()}): at the end of a batch
 * whose unanswered events are at most that many, none of them a run or a SYNC, with no event
 * behind them in the ring and the journal thread idle (everything handed to it before committed,
 * {@link JournalHandler#idleThrough}), this thread appends their records, commits them
 * ({@link JournalHandler#commitInline}: a group commit, fdatasync in SYNC) and answers them
 * itself, in ring order; the journal and reply threads pass them. A lone write at low load then
 * costs no thread hand-off (two wake-ups, 20 to 40 us each on a small VM); under load the batches
 * are larger or the journal busy, and commits overlap the engine's work as before. A failed
 * commit answers them read_only, as the reply thread would.
 *
 * <p>Failures: detected corruption fails the request that met it ({@code internal}, the message
 * says where) and turns the pipeline read-only for good; reads that do not touch the damage go on.
 * A page store failure (a page write that failed under a request: the page cache keeps the page
 * and the request completes; or a failed checkpoint write or sync, thrown by the hook) turns the
 * pipeline read-only before the next mutation, until a resume succeeds: at most every
 * {@value #RESUME_MILLIS} ms, at a batch end once everything applied is acknowledged by the WAL,
 * this thread does what {@link dev.hashdir.engine.DurableHashDir#tryResume()} does: reopens the
 * HDF5 file at its last durable checkpoint ({@link HashDir#reload()}), replays the WAL after it
 * (so memory holds exactly what the WAL holds), writes a full checkpoint and only then takes
 * mutations again. A failed attempt stays read-only (reads of pages lost to a failed sync, or all
 * reads if reopening failed, answer {@code internal} meanwhile) and is tried again later.
 *
 * <p>Threading: runs only on the engine thread, which owns the {@link HashDir}; the
 * {@link EngineHook} is called on it at the end of every batch; early answers' sinks are called on it.
 */
final class EngineHandler implements EventHandler<RequestEvent> {

    static final int KEY_SLOT_BITS = 12;
    /** Most early answers handed to a sink before its endOfBatch: bounds how long one waits in a long batch. */
    static final int EARLY_BATCH = 64;
    static final int KEY_SLOTS = 1 << KEY_SLOT_BITS;
    /** Least time between two resume attempts after a page store failure. */
    static final long RESUME_MILLIS = 1000;
    private static final long RESUME_NANOS = TimeUnit.MILLISECONDS.toNanos(RESUME_MILLIS);
    private static final System.Logger LOG = System.getLogger(EngineHandler.class.getName());
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final HashDir hd;
    private final PipelineState state;
    private final EngineHook hook;
    private final WalDirectory walDir;
    private final LongConsumer trimWalBelow;
    private final long[] slotLsn = new long[KEY_SLOTS];
    private final String badKey;
    private final boolean earlyReads;
    private final JournalHandler journal;
    private final RingBuffer<RequestEvent> ring;
    private final int inlineMax;
    /** First sequence of the running batch, or -1 before its first event. */
    private long batchFirst = -1;
    /** Events of the running batch not answered early. */
    private int unanswered;
    /** No event of the running batch rules out a commit on this thread (a run, a SYNC). */
    private boolean inlineable = true;
    /** The end of the last batch that handed the journal unanswered events (-1: none yet). */
    private long journalWork = -1;
    private long nextLsn;
    private long lastAppliedLsn;
    private boolean mutated;
    private volatile long applied;
    /** {@link #lastAppliedLsn} as of the last batch end, for other threads. */
    private volatile long lastAppliedSeen;
    private volatile long resumes;
    /** Early answers ({@link #answerEarly}), of all that {@link #early} handed over. */
    private volatile long earlyReplies;
    private final ReplyBatch early = new ReplyBatch(EARLY_BATCH);
    /** This batch had an event not answered early (the journal and reply threads have work). */
    private boolean urgent;
    /** The last batch was answered early entirely (read by the Signalling wrapper right after it). */
    private boolean quietBatch;
    /** When the page store failed, or the last resume attempt began. */
    private long lastResumeNanos;

    /**
     * @param walDir       where the WAL's segments are (a resume replays them; the journal thread writes them)
     * @param trimWalBelow asks the journal thread to delete the WAL segments below an LSN (after a resume's checkpoint)
     * @param earlyReads   answer what depends on nothing unacknowledged here, at once
     * @param journal      the journal handler, for commits on this thread while it is idle
     * @param ring         the ring, to see a batch's events and whether more follow
     * @param inlineMax    most unanswered events of a batch this thread commits itself (0: never;
     *                     never with early reads off either)
     */
    EngineHandler(HashDir hd, PipelineState state, EngineHook hook, long nextLsn, WalDirectory walDir,
                  LongConsumer trimWalBelow, boolean earlyReads, JournalHandler journal,
                  RingBuffer<RequestEvent> ring, int inlineMax) {
        this.earlyReads = earlyReads;
        this.journal = journal;
        this.ring = ring;
        this.inlineMax = earlyReads ? inlineMax : 0; // early reads off: every answer from the reply thread, in ring order
        this.hd = hd;
        this.state = state;
        this.hook = hook;
        this.walDir = walDir;
        this.trimWalBelow = trimWalBelow;
        this.nextLsn = nextLsn;
        this.lastAppliedLsn = nextLsn - 1;
        this.lastAppliedSeen = lastAppliedLsn;
        this.badKey = "key must be " + hd.keyBytes() + " bytes";
    }

    @Override
    public void onEvent(RequestEvent e, long sequence, boolean endOfBatch) {
        try {
            handle(e, sequence, endOfBatch);
        } finally {
            if (endOfBatch) {
                early.flush(); // after a failure too: no early answer waits for a later batch
                batchFirst = -1;
                unanswered = 0;
                inlineable = true;
            }
        }
    }

    private void handle(RequestEvent e, long sequence, boolean endOfBatch) {
        if (batchFirst < 0) {
            batchFirst = sequence;
        }
        try {
            apply(e);
        } catch (IllegalArgumentException bad) {
            // HashDir validates before it changes anything
            e.result(Status.BAD_REQUEST, bad.getMessage());
        } catch (CorruptionException corrupt) {
            // never a wrong answer: this request fails, the pipeline turns read-only, other reads go on
            state.fatal("corruption detected: " + corrupt.getMessage() + " (read-only until repaired; check the store "
                    + "with hashdir check)");
            e.result(Status.INTERNAL, corrupt.getMessage());
        } catch (PageLostException lost) {
            // a page written after the last good sync, once a sync failed: not damage; the resume
            // recovers it from the last checkpoint and the WAL (the failed checkpoint made this read-only)
            e.result(Status.INTERNAL, lost.getMessage() + "; the resume (or a restart) recovers it from the WAL");
        } catch (StoreException broken) {
            if (!state.storeFailed()) {
                throw broken;
            }
            // a resume's reopen failed: nothing can be read until a later one succeeds
            e.result(Status.INTERNAL, broken.getMessage());
        }
        if (earlyReads && e.sink != null && !e.inRun && e.op != Op.SYNC && e.requiredLsn() <= state.ackedLsn()) {
            answerEarly(e);
        } else {
            urgent = true;
            unanswered++;
            inlineable &= !e.inRun && e.op != Op.SYNC;
        }
        if (endOfBatch) {
            lastAppliedSeen = lastAppliedLsn; // before any answer of this batch goes out
            if (urgent && inlineable && unanswered <= inlineMax && ring.getCursor() == sequence
                    && journal.idleThrough(journalWork)) {
                commitInline(batchFirst, sequence, unanswered);
                urgent = false; // all answered: the journal and reply threads pass the batch at their next wake-up
            }
            if (urgent) {
                journalWork = sequence; // unanswered events for the journal, up to here at most
            }
            early.flush(); // before the hook: a checkpoint step must not hold the early answers back
            quietBatch = !urgent;
            urgent = false;
            boolean m = mutated;
            mutated = false;
            if (!state.storeFailed() && hd.writeFailure() != null && !state.fatal()) {
                storeFailed(hd.writeFailure()); // an eviction under a read found the page store failing
            }
            if (state.storeFailed() && !state.fatal()) {
                maybeResume();
            }
            try {
                hook.onEndOfBatch(hd, lastAppliedLsn, m);
            } catch (CorruptionException corrupt) {
                state.fatal("corruption detected: " + corrupt.getMessage() + " (read-only until repaired; check the "
                        + "store with hashdir check)");
            } catch (UncheckedIOException | StoreException failed) {
                // a checkpoint write or sync failed (disk full, I/O error): resumable
                if (!state.storeFailed()) {
                    LOG.log(Level.ERROR, "page store write failed in a checkpoint; read-only until it resumes", failed);
                }
                storeFailed("checkpoint write failed: " + failed.getMessage());
            }
        }
    }

    /**
     * Appends the records of the unanswered events from {@code first} to {@code last}, commits
     * them on this thread and answers them (read_only if the commit failed), in ring order.
     */
    private void commitInline(long first, long last, int events) {
        for (long s = first; s <= last; s++) {
            RequestEvent x = ring.get(s);
            if (!x.answered) {
                x.journaled = true;
                journal.append(x);
            }
        }
        journal.commitInline(last, events);
        long acked = state.ackedLsn();
        for (long s = first; s <= last; s++) {
            RequestEvent x = ring.get(s);
            if (!x.answered) {
                if (x.status == Status.OK && x.requiredLsn() > acked) {
                    x.result(Status.READ_ONLY, state.notDurable(x));
                }
                x.answered = true;
                if (x.sink != null) {
                    early.deliver(x);
                }
            }
        }
    }

    /** Hands the answer to its sink now (batched); the reply thread will skip the event. */
    private void answerEarly(RequestEvent e) {
        e.answered = true;
        earlyReplies++;
        early.deliver(e);
    }

    private void storeFailed(String failure) {
        if (!state.storeFailed()) {
            lastResumeNanos = System.nanoTime(); // the first attempt a resume interval after the failure
        }
        state.storeFailed("page store write failed: " + failure + " (read-only until the disk takes writes again: "
                + "retried every " + RESUME_MILLIS + " ms; reads go on)");
    }

    /**
     * After a page store failure, once everything applied is acknowledged and the last attempt is
     * long enough ago: reopen the file, replay the WAL, checkpoint; writable again if all that worked.
     */
    private void maybeResume() {
        long now = System.nanoTime();
        if (now - lastResumeNanos < RESUME_NANOS || lastAppliedLsn > state.ackedLsn()) {
            return;
        }
        lastResumeNanos = now;
        long lsn = lastAppliedLsn;
        try {
            hd.reload(); // abandons a running checkpoint
            long from = hd.durableMeta().checkpointLsn() + 1;
            long last;
            try (WalApplier replay = new WalApplier(hd)) {
                last = WalReader.replay(walDir, hd.keyBytes(), from, replay).lastLsn();
                replay.finish();
            }
            if (last != lsn) {
                throw new StoreException("resume replayed the WAL from LSN " + from + " to " + last
                        + " but the engine applied up to " + lsn);
            }
            hd.caughtUp(); // reads were refused since the reload: memory lacked acknowledged changes
            hd.checkpoint(lsn);
        } catch (CorruptionException corrupt) {
            state.fatal("corruption detected: " + corrupt.getMessage() + " (read-only until repaired; check the store "
                    + "with hashdir check)");
            return;
        } catch (RuntimeException | IOException failed) {
            LOG.log(Level.WARNING, "resume after a page store failure failed; retrying in " + RESUME_MILLIS + " ms: "
                    + failed);
            storeFailed(failed.getMessage());
            return;
        }
        resumes++;
        trimWalBelow.accept(lsn + 1);
        hook.onResumed(hd, lsn);
        state.storeResumed();
        LOG.log(Level.INFO, "page store writable again: reopened, WAL replayed and checkpointed at LSN " + lsn);
    }

    private void apply(RequestEvent e) {
        Op op = e.op;
        if (op == null) {
            e.result(Status.BAD_REQUEST, "no op");
            return;
        }
        if (op == Op.SYNC) {
            e.dependsLsn = lastAppliedLsn;
            e.result(Status.OK, null);
            return;
        }
        if (op == Op.SCAN) {
            scan(e);
            return;
        }
        if (!e.keyOk) {
            e.result(Status.BAD_REQUEST, badKey);
            return;
        }
        if (e.tooMany) {
            e.result(Status.TOO_LARGE, "too many values: max=" + e.maxValues());
            return;
        }
        if (op.isMutation()) {
            String reason = state.readOnlyReason();
            if (reason == null && hd.writeFailure() != null) {
                // a page write failed under an earlier request (an eviction; that request completed in
                // memory and is logged): no checkpoint can be written, so take no more changes until a resume
                storeFailed(hd.writeFailure());
                reason = state.readOnlyReason();
            }
            if (reason != null) {
                e.result(Status.READ_ONLY, reason);
                return;
            }
        }
        MemorySegment key = e.key();
        int slot = slot(key);
        boolean changed = switch (op) {
            case PUT -> (e.number = hd.put(key, e.value)) > 0;
            case PUT_MANY -> {
                if (e.valueCount == 0) {
                    throw new IllegalArgumentException("values must not be empty");
                }
                yield (e.number = hd.putAll(key, e.valueArray(), 0, e.valueCount)) > 0;
            }
            case REMOVE -> e.flag = hd.remove(key, e.value);
            case DELETE -> (e.number = hd.delete(key)) > 0;
            case GET -> {
                hd.get(key, e.hasAfter, e.after, e.getLimit(), e.getResult());
                yield false;
            }
            case CONTAINS -> {
                e.flag = hd.contains(key, e.value);
                yield false;
            }
            case COUNT -> {
                e.number = hd.count(key);
                yield false;
            }
            case SYNC, SCAN -> throw new IllegalStateException("handled above");
        };
        if (changed) {
            long lsn = nextLsn++;
            e.encodeRecord(recordType(op), lsn);
            slotLsn[slot] = lsn;
            lastAppliedLsn = lsn;
            mutated = true;
        } else {
            e.dependsLsn = slotLsn[slot];
        }
        e.result(Status.OK, null);
        applied++;
    }

    /** A scan may reveal any key: it depends on the newest mutation applied. */
    private void scan(RequestEvent e) {
        int limit = Math.min(e.limit, RequestEvent.SCAN_PAGE);
        if (limit < 1) {
            throw new IllegalArgumentException("scan limit must be positive: limit=" + e.limit);
        }
        hd.scan(e.keyOk ? e.key() : null, limit, e.scanInto());
        e.dependsLsn = lastAppliedLsn;
        e.result(Status.OK, null);
        applied++;
    }

    private static WalRecordType recordType(Op op) {
        return switch (op) {
            case PUT -> WalRecordType.PUT;
            case PUT_MANY -> WalRecordType.PUT_MANY;
            case REMOVE -> WalRecordType.REMOVE;
            case DELETE -> WalRecordType.DELETE;
            default -> throw new IllegalArgumentException("not a mutation: " + op);
        };
    }

    /** Key-hash slot: the key's first and last 8 bytes mixed (keys are at least 16 bytes). */
    static int slot(MemorySegment key) {
        long h = key.get(LONG, 0) ^ Long.rotateLeft(key.get(LONG, key.byteSize() - 8), 29);
        return (int) ((h * 0x9E3779B97F4A7C15L) >>> (64 - KEY_SLOT_BITS));
    }

    /**
     * Engine thread, right after a batch: whether every event of it was answered early, so the
     * journal and reply threads need not be woken for it (they pass it at their next wake-up).
     */
    boolean quietBatch() {
        return quietBatch;
    }

    /** Answers handed to sinks on this thread before their turn (early reads): not those of its own commits. */
    long earlyReplies() {
        return earlyReplies;
    }

    /** Answers handed to sinks on this thread, early and after its own commits. */
    long engineReplies() {
        return early.replies();
    }

    /** Sinks that threw on this thread. */
    long sinkErrors() {
        return early.sinkErrors();
    }

    /** Times the engine resumed writing after a page store failure. */
    long resumes() {
        return resumes;
    }

    /** Requests applied successfully so far (reads included). */
    long applied() {
        return applied;
    }

    /** LSN of the last mutation applied to memory, as of the last batch end (any thread). */
    long lastAppliedLsn() {
        return lastAppliedSeen;
    }
}
