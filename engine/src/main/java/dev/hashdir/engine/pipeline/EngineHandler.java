package dev.hashdir.engine.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.store.PageLostException;
import dev.hashdir.engine.wal.WalRecordType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
 * <p>Failures: detected corruption fails the request that met it ({@code internal}, the message
 * says where) and turns the pipeline read-only; reads that do not touch the damage go on. A page
 * write that failed under a request (the page cache keeps the page and the request completes)
 * turns the pipeline read-only before the next mutation.
 *
 * <p>Threading: runs only on the engine thread, which owns the {@link HashDir}; the
 * {@link EngineHook} is called on it at the end of every batch.
 */
final class EngineHandler implements EventHandler<RequestEvent> {

    static final int KEY_SLOT_BITS = 12;
    static final int KEY_SLOTS = 1 << KEY_SLOT_BITS;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final HashDir hd;
    private final PipelineState state;
    private final EngineHook hook;
    private final long[] slotLsn = new long[KEY_SLOTS];
    private final String badKey;
    private long nextLsn;
    private long lastAppliedLsn;
    private boolean mutated;
    private volatile long applied;
    /** {@link #lastAppliedLsn} as of the last batch end, for other threads. */
    private volatile long lastAppliedSeen;

    EngineHandler(HashDir hd, PipelineState state, EngineHook hook, long nextLsn) {
        this.hd = hd;
        this.state = state;
        this.hook = hook;
        this.nextLsn = nextLsn;
        this.lastAppliedLsn = nextLsn - 1;
        this.lastAppliedSeen = lastAppliedLsn;
        this.badKey = "key must be " + hd.keyBytes() + " bytes";
    }

    @Override
    public void onEvent(RequestEvent e, long sequence, boolean endOfBatch) {
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
            // a page written after the last good sync, once a sync failed: not damage; a restart
            // recovers it from the last checkpoint and the WAL (the failed checkpoint made this read-only)
            e.result(Status.INTERNAL, lost.getMessage() + "; a restart recovers it from the WAL");
        }
        if (endOfBatch) {
            boolean m = mutated;
            mutated = false;
            lastAppliedSeen = lastAppliedLsn;
            hook.onEndOfBatch(hd, lastAppliedLsn, m);
        }
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
            e.result(Status.TOO_LARGE, "too many values: max=" + e.valueArray().length);
            return;
        }
        if (op.isMutation()) {
            String reason = state.readOnlyReason();
            if (reason == null && hd.writeFailure() != null) {
                // a page write failed under an earlier request (an eviction; that request completed in
                // memory and is logged): no checkpoint can be written, so take no more changes
                state.fatal("page store write failed: " + hd.writeFailure() + " (read-only until restart; "
                        + "recovery replays the WAL)");
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
                hd.get(key, e.hasAfter, e.after, Math.min(e.limit, e.getResult().capacity()), e.getResult());
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
    private int slot(MemorySegment key) {
        long h = key.get(LONG, 0) ^ Long.rotateLeft(key.get(LONG, key.byteSize() - 8), 29);
        return (int) ((h * 0x9E3779B97F4A7C15L) >>> (64 - KEY_SLOT_BITS));
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
