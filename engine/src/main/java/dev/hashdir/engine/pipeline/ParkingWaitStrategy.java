package dev.hashdir.engine.pipeline;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A wait strategy that sleeps until woken, also while waiting for the handler before it (not only
 * for the ring's cursor, as Disruptor's blocking strategies do): a waiter spins for
 * {@code spinNanos} ({@link PipelineConfig#spinNanos()}; 0: not at all), then registers and parks.
 * On a small shared VM a park/unpark hand-off costs 10 to 20 us, so a hand-off that comes within
 * the spin is caught without it. The ring signals ({@link #signalAllWhenBlocking}) on every
 * publish; the pipeline's handlers signal after each batch, once their sequence is advanced
 * ({@link Pipeline}'s {@code Signalling} wrapper). An idle pipeline then burns no CPU and a
 * hand-off costs one unpark instead of a sleep of a fixed length (SLEEPING parks ~60 us a round
 * on Linux).
 *
 * <p>A signal wakes only the waiters it is for, and only when their wait is over (the sequence
 * they wait on reached the one they want): a publish wakes the first handler (the engine), which
 * waits on the ring's cursor; a handler's batch end wakes the handler after it
 * ({@link #signal(Thread)}). So a publish never wakes the journal or reply thread, which would
 * only park again, or pass a batch that needs nothing of them (answered early) one wake-up per
 * request; they pass such batches at their next wake-up. A halt's alert wakes nobody early: an
 * alerted waiter sees it within {@link #PARK_NANOS}.
 *
 * <p>No lost wake-up: a waiter registers (the sequence it waits on and the value it wants), then
 * re-reads the sequence; a signaller advances the sequence, issues a full fence, then reads the
 * registrations and each one's sequence (Dekker: one of them sees the other). A park still ends
 * after {@link #PARK_NANOS} as a safety net.
 *
 * <p>An {@link IdleLoop} ({@link #runWhileIdle}): its thread (the engine's) does not park but
 * polls the loop, which may publish; a signal from another thread wakes it through
 * {@link IdleLoop#wake}, its own publishes wake nobody.
 *
 * <p>Threading: any number of waiters, at most {@link #SLOTS} at once (the pipeline has three);
 * any thread may signal. Allocates one registration per waiting thread, once.
 */
final class ParkingWaitStrategy implements WaitStrategy {

    static final int SLOTS = 8;
    /** Spins between two reads of the clock. */
    private static final int SPINS_PER_CLOCK = 32;
    private static final long PARK_NANOS = 1_000_000;
    /** The longest poll of an idle loop: a wake-up is never lost (the loop's wake is sticky), this bounds a missed one. */
    private static final long IDLE_POLL_NANOS = 10_000_000;

    /** A parked thread: what it waits on and for which value; written before it is published in a slot. */
    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        Sequence on;
        long wanted;
        /** The idle loop this waiter polls instead of parking, or null. */
        IdleLoop loop;
        /** It waits on the ring's cursor (the first handler, for producers), not on a handler before it. */
        boolean onCursor;
    }

    /** The thread that polls {@link #idleLoop} instead of parking, and the loop (null: none). */
    private record Idle(Thread thread, IdleLoop loop) {
    }

    private final AtomicReferenceArray<Waiter> waiters = new AtomicReferenceArray<>(SLOTS);
    private final ThreadLocal<Waiter> own = ThreadLocal.withInitial(Waiter::new);
    private final long spinNanos;
    private volatile Idle idle;
    /** Set by the idle thread while it polls (so that {@link #runWhileIdle} can wait a poll out). */
    private volatile boolean polling;

    /** @param spinNanos how long a waiter spins before it parks, 0 or more */
    ParkingWaitStrategy(long spinNanos) {
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spin must be zero or more: spinNanos=" + spinNanos);
        }
        this.spinNanos = spinNanos;
    }

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException {
        long available = dependentSequence.get();
        if (available >= sequence) {
            return available;
        }
        if (spinNanos > 0) {
            long deadline = System.nanoTime() + spinNanos;
            int spins = 0;
            while ((available = dependentSequence.get()) < sequence) {
                barrier.checkAlert();
                Thread.onSpinWait();
                if (++spins == SPINS_PER_CLOCK) {
                    spins = 0;
                    if (System.nanoTime() - deadline >= 0) {
                        break;
                    }
                }
            }
        }
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            Idle in = idle;
            IdleLoop loop = in != null && in.thread == Thread.currentThread() ? in.loop : null;
            int slot = register(dependentSequence, dependentSequence == cursor, sequence, loop);
            try {
                if (dependentSequence.get() < sequence) {
                    barrier.checkAlert();
                    if (loop == null) {
                        LockSupport.parkNanos(this, PARK_NANOS);
                    } else {
                        poll(loop);
                    }
                }
            } finally {
                if (slot >= 0) {
                    waiters.set(slot, null);
                }
            }
        }
        return available;
    }

    private void poll(IdleLoop loop) {
        polling = true;
        try {
            if (idle != null) { // not taken away meanwhile
                loop.poll(IDLE_POLL_NANOS);
            }
        } finally {
            polling = false;
        }
    }

    /**
     * Lets {@code thread} poll {@code loop} instead of parking (null: park again). On return the
     * thread no longer polls a loop taken away (its poll in progress, if any, has returned).
     */
    void runWhileIdle(Thread thread, IdleLoop loop) {
        Idle before = idle;
        idle = loop == null ? null : new Idle(thread, loop);
        if (before != null && before.thread != Thread.currentThread()) {
            before.loop.wake();
            while (polling && before.thread.isAlive()) {
                LockSupport.parkNanos(100_000);
            }
        }
    }

    /** Makes the idle loop's poll return now, if one runs (the pipeline's halt: the alert is seen at once). */
    void wakeIdle() {
        Idle in = idle;
        if (in != null) {
            in.loop.wake();
        }
    }

    /**
     * Takes a free slot for this thread, waiting on {@code on} for {@code wanted} (the volatile CAS
     * publishes the fields and is seen by a signaller after its fence); -1 when none is free.
     */
    private int register(Sequence on, boolean onCursor, long wanted, IdleLoop loop) {
        Waiter me = own.get();
        me.on = on;
        me.onCursor = onCursor;
        me.wanted = wanted;
        me.loop = loop;
        for (int i = 0; i < SLOTS; i++) {
            if (waiters.get(i) == null && waiters.compareAndSet(i, null, me)) {
                return i;
            }
        }
        return -1; // more waiters than slots: this one relies on the park timeout
    }

    /**
     * A publish: wakes the registered waiters on the ring's cursor (the first handler) whose wait
     * is over. Not the handlers waiting for the one before them, whose wait may be over too (that
     * one passed a batch quietly): they are woken by {@link #signal(Thread)}, or pass it at their
     * next wake-up.
     */
    @Override
    public void signalAllWhenBlocking() {
        wake(null);
    }

    /**
     * A handler's batch end: wakes {@code next} (the handler after it) if it is registered and its
     * wait is over.
     */
    void signal(Thread next) {
        wake(next);
    }

    /** Wakes the waiters on the cursor (thread null) or {@code thread}'s, whose wait is over. */
    private void wake(Thread thread) {
        VarHandle.fullFence();
        for (int i = 0; i < SLOTS; i++) {
            Waiter w = waiters.get(i);
            if (w != null && (thread == null ? w.onCursor : w.thread == thread) && w.on.get() >= w.wanted) {
                IdleLoop loop = w.loop;
                if (loop == null) {
                    LockSupport.unpark(w.thread);
                } else if (w.thread != Thread.currentThread()) {
                    loop.wake(); // its own publishes need no wake-up: it checks the ring after its poll
                }
            }
        }
    }
}
