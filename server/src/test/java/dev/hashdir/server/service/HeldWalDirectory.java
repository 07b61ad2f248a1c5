package dev.hashdir.server.service;

import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalDirectory;
import dev.hashdir.engine.wal.WalFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Test seam for a server's WAL (the server module's counterpart of the engine's GatedWalDirectory):
 * the real files, with three switches the tests flip from outside.
 * <ul>
 *   <li>{@link #holdForces}: every force waits at a gate until {@link #releaseForces}, so a commit
 *       stays in flight and requests pile up behind it (busy, draining);</li>
 *   <li>{@link #holdListing}: listing the directory, the first thing recovery does, waits until
 *       {@link #releaseListing} (a slow recovery, to observe not_ready);</li>
 *   <li>{@link #failForces}: forces fail with ENOSPC's message, as on a full disk (read_only).</li>
 * </ul>
 * Threading: the server's journal (or recovering) thread does the I/O; tests flip the switches.
 */
final class HeldWalDirectory implements WalDirectory {

    private final FileWalDirectory inner;
    private final Gate forces = new Gate();
    private final Gate listing = new Gate();
    private volatile boolean failForces;

    private HeldWalDirectory(FileWalDirectory inner) {
        this.inner = inner;
    }

    static HeldWalDirectory open(Path dir) throws IOException {
        return new HeldWalDirectory(FileWalDirectory.open(dir));
    }

    void holdForces() {
        forces.close();
    }

    void releaseForces() {
        forces.open();
    }

    /** Waits until a force is held at the gate. */
    void awaitForceHeld() throws InterruptedException {
        forces.awaitHeld("force");
    }

    void holdListing() {
        listing.close();
    }

    void releaseListing() {
        listing.open();
    }

    void awaitListingHeld() throws InterruptedException {
        listing.awaitHeld("listing");
    }

    /** From now on forces fail (true) as on a full disk, or work again (false). */
    void failForces(boolean fail) {
        failForces = fail;
    }

    @Override
    public List<String> list() throws IOException {
        listing.pass();
        return inner.list();
    }

    @Override
    public WalFile create(String name) throws IOException {
        return new Held(inner.create(name));
    }

    @Override
    public WalFile openForWrite(String name) throws IOException {
        return new Held(inner.openForWrite(name));
    }

    @Override
    public WalFile openForRead(String name) throws IOException {
        return inner.openForRead(name);
    }

    @Override
    public void delete(String name) throws IOException {
        inner.delete(name);
    }

    @Override
    public void syncDirectory() throws IOException {
        inner.syncDirectory();
    }

    @Override
    public String describe(String name) {
        return inner.describe(name);
    }

    /** A gate calls wait at while it is closed; counts each call that reached it closed. */
    private static final class Gate {
        private final Semaphore held = new Semaphore(0);
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

    private final class Held implements WalFile {
        private final WalFile file;

        Held(WalFile file) {
            this.file = file;
        }

        @Override
        public void append(MemorySegment src) throws IOException {
            file.append(src);
        }

        @Override
        public void write(long position, MemorySegment src) throws IOException {
            file.write(position, src);
        }

        @Override
        public long read(long position, MemorySegment dst) throws IOException {
            return file.read(position, dst);
        }

        @Override
        public void force() throws IOException {
            forces.pass();
            if (failForces) {
                throw new IOException("No space left on device (injected by the test)");
            }
            file.force();
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            file.truncate(size);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
