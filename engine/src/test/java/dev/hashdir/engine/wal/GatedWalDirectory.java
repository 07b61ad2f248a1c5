package dev.hashdir.engine.wal;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test seam over any {@link WalDirectory} (a {@link FaultyWalDirectory} in the engine's pipeline
 * tests, the real files in the server's tests): the I/O goes through to it, with switches the
 * tests flip from outside.
 * <ul>
 *   <li>{@link #holdForces}: every force waits at a gate until {@link #releaseForces}, so a commit
 *       stays in flight and requests pile up behind it;</li>
 *   <li>{@link #holdListing}: listing the directory, the first thing recovery does, waits until
 *       {@link #releaseListing} (a slow recovery);</li>
 *   <li>{@link #failForces}: forces fail with ENOSPC's message, as on a full disk.</li>
 * </ul>
 * Successful forces are counted ({@link #forces}). Forces of a file while it is named
 * {@link WalSegmentLayout#PREPARING_NAME} (a segment being prepared, ahead or by a roll) pass
 * the gate and are not counted: they are no commit's; {@link #failForces} fails them too. Whether
 * the preparation runs on a thread of its own is the directory's below. Shared with the server module's tests through
 * the engine's test-jar. Threading: the journal (or recovering) thread does the I/O; tests flip
 * the switches.
 */
public final class GatedWalDirectory extends ForwardingWalDirectory {

    /** Forces that went through to the directory below. */
    public final AtomicInteger forces = new AtomicInteger();
    private final Gate forceGate = new Gate();
    private final Gate listingGate = new Gate();
    /** The open files written through this directory, by their current name (renames follow them). */
    private final Map<String, Gated> named = new ConcurrentHashMap<>();
    private volatile boolean failForces;
    private volatile boolean failReads;

    public GatedWalDirectory(WalDirectory inner) {
        super(inner);
    }

    /** Forces from now on wait at the gate until {@link #releaseForces()}. */
    public void holdForces() {
        forceGate.close();
    }

    public void releaseForces() {
        forceGate.open();
    }

    /** Waits until a force is held at the gate. */
    public void awaitForceHeld() throws InterruptedException {
        forceGate.awaitHeld("force");
    }

    /** Forces that reached the gate while it was closed and were not yet awaited. */
    public int forcesAtGate() {
        return forceGate.held.availablePermits();
    }

    public void holdListing() {
        listingGate.close();
    }

    public void releaseListing() {
        listingGate.open();
    }

    public void awaitListingHeld() throws InterruptedException {
        listingGate.awaitHeld("listing");
    }

    /** From now on forces fail (true) as on a full disk, or work again (false). */
    public void failForces(boolean fail) {
        failForces = fail;
    }

    /** From now on opening a file to read it (a replay) fails (true) as on a failing disk, or works again (false). */
    public void failReads(boolean fail) {
        failReads = fail;
    }

    @Override
    public WalFile openForRead(String name) throws IOException {
        if (failReads) {
            throw new IOException("open(" + describe(name) + ") (simulated): Input/output error");
        }
        return inner.openForRead(name);
    }

    @Override
    public List<String> list() throws IOException {
        listingGate.pass();
        return inner.list();
    }

    @Override
    public WalFile create(String name) throws IOException {
        return new Gated(inner.create(name), name);
    }

    @Override
    public WalFile openForWrite(String name) throws IOException {
        return new Gated(inner.openForWrite(name), name);
    }


    @Override
    public void rename(String from, String to) throws IOException {
        inner.rename(from, to);
        Gated file = named.remove(from);
        if (file != null) {
            file.name = to;
            named.put(to, file);
        }
    }





    /** A gate callers wait at while it is closed; counts each call that reached it closed. */
    private static final class Gate {
        final Semaphore held = new Semaphore(0);
        private volatile CountDownLatch latch;

        void close() {
            latch = new CountDownLatch(1);
        }

        void open() {
            CountDownLatch l = latch;
            latch = null;
            if (l != null) {
                l.countDown();
            }
        }

        void pass() throws IOException {
            CountDownLatch l = latch;
            if (l != null) {
                held.release();
                try {
                    l.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the gate", e);
                }
            }
        }

        void awaitHeld(String what) throws InterruptedException {
            if (!held.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new AssertionError("no " + what + " reached the gate within 30 s");
            }
        }
    }

    private final class Gated extends ForwardingWalDirectory.File {
        private volatile String name;

        Gated(WalFile file, String name) {
            super(file);
            this.name = name;
            named.put(name, this);
        }

        @Override
        public void force() throws IOException {
            boolean gated = !name.equals(WalSegmentLayout.PREPARING_NAME);
            if (gated) {
                forceGate.pass();
            }
            if (failForces) {
                throw new IOException("No space left on device (injected by the test)");
            }
            file.force();
            if (gated) {
                forces.incrementAndGet();
            }
        }

        @Override
        public void close() throws IOException {
            named.remove(name, this);
            file.close();
        }
    }
}
