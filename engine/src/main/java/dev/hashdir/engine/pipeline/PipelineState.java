package dev.hashdir.engine.pipeline;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What the pipeline threads share: the acknowledged LSN, the LSNs a failed commit left not
 * durable, and the read-only state with its reason.
 *
 * <p>Threading: the journal thread moves the LSNs; any pipeline thread may make the pipeline
 * read-only; the reply thread waits here for LSNs to be acknowledged. The read-only state changes
 * under this object's lock (a WAL failure and a page store failure may overlap: the pipeline is
 * writable only once both are over).
 */
final class PipelineState {

    /** The reply thread re-checks at least this often even without a wake-up. */
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private volatile long ackedLsn;
    private volatile long failedThroughLsn;
    private volatile String readOnlyReason;
    private volatile boolean walFailed;
    /** The page store (HDF5 file) failed; the engine thread resumes ({@link EngineHandler}); guarded by this. */
    private volatile String storeFailed;
    private volatile boolean fatal;
    private volatile Thread waiter;
    /** The waiter is in {@link #awaitAcked} (and may park): only then do LSN moves unpark it. */
    private volatile boolean awaiting;

    PipelineState(long ackedLsn) {
        this.ackedLsn = ackedLsn;
    }

    /** The newest LSN acknowledged by the durability mode (durable in SYNC, written otherwise). */
    long ackedLsn() {
        return ackedLsn;
    }

    /** Journal: LSNs up to {@code lsn} are acknowledged. */
    void acked(long lsn) {
        ackedLsn = lsn;
        if (walFailed) {
            synchronized (this) {
                walFailed = false;
                if (!fatal) {
                    readOnlyReason = storeFailed;
                }
            }
        }
        wake();
    }

    /**
     * Journal: a commit failed; the records up to {@code lsn} are applied in memory but not
     * acknowledged, and whoever waits for them is answered read_only.
     */
    void walFailed(long lsn, String reason) {
        failedThroughLsn = lsn;
        synchronized (this) {
            if (!fatal) {
                readOnlyReason = reason;
                walFailed = true;
            }
        }
        wake();
    }

    /**
     * Engine thread: a page store write or sync failed (disk full, I/O error; not corruption):
     * read-only until the engine thread resumes ({@link #storeResumed}). Waiting answers are not
     * affected: everything applied is still in the WAL's history.
     */
    synchronized void storeFailed(String reason) {
        storeFailed = reason;
        if (!fatal && !walFailed) {
            readOnlyReason = reason;
        }
    }

    /** Engine thread: the resume after a page store failure succeeded. */
    synchronized void storeResumed() {
        storeFailed = null;
        if (!fatal && !walFailed) {
            readOnlyReason = null;
        }
    }

    /** Any thread: an unexpected failure, or corruption; read-only until restart. */
    void fatal(String reason) {
        synchronized (this) {
            readOnlyReason = reason;
            fatal = true;
        }
        failedThroughLsn = Long.MAX_VALUE;
        wake();
    }

    /** Why mutations are refused, or null while writable. */
    String readOnlyReason() {
        return readOnlyReason;
    }

    /** The read_only message of an answer whose LSN a failed commit left not acknowledged. */
    String notDurable(RequestEvent e) {
        String reason = readOnlyReason;
        return e.lsn > 0 ? "not durable: " + reason : "depends on a write that is not durable: " + reason;
    }

    boolean walFailed() {
        return walFailed;
    }

    /** Whether the page store failed and the engine thread has not resumed yet. */
    boolean storeFailed() {
        return storeFailed != null;
    }

    boolean fatal() {
        return fatal;
    }

    /**
     * Reply thread: waits until {@code lsn} is acknowledged (true) or known not to be (false).
     * Everything appended is either committed or failed by the journal before long, so this ends.
     */
    boolean awaitAcked(long lsn) {
        if (lsn <= ackedLsn) {
            return true;
        }
        // no lost wake-up: this writes awaiting, then reads the LSNs; a mover writes an LSN, then
        // reads awaiting (volatiles: one of the two sees the other's write)
        awaiting = true;
        try {
            while (true) {
                if (lsn <= ackedLsn) {
                    return true;
                }
                if (lsn <= failedThroughLsn) {
                    return false;
                }
                LockSupport.parkNanos(this, PARK_NANOS);
            }
        } finally {
            awaiting = false;
        }
    }

    /** Reply thread: registers itself to be woken when LSNs move. */
    void waitingThread(Thread t) {
        waiter = t;
    }

    /**
     * Unparks the waiter if it waits in {@link #awaitAcked}; not while it waits for work elsewhere
     * (a wake-up there would be one per commit, for nothing).
     */
    private void wake() {
        Thread t = waiter;
        if (t != null && awaiting) {
            LockSupport.unpark(t);
        }
    }
}
