package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.wal.FaultyWalDirectory;
import dev.hashdir.engine.wal.WalDirectory;
import dev.hashdir.engine.wal.WalFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link FaultyWalDirectory} whose forces can be held at a gate (to keep a commit in flight)
 * and are counted. Threading: the journal thread does the I/O; tests close and open the gate.
 */
final class GatedWalDirectory implements WalDirectory {

    final FaultyWalDirectory inner;
    final AtomicInteger forces = new AtomicInteger();
    /** Released once per force that reached the gate. */
    final Semaphore blocked = new Semaphore(0);
    private volatile CountDownLatch gate;

    GatedWalDirectory(long seed) {
        this.inner = new FaultyWalDirectory(seed, 4096);
    }

    /** Forces from now on wait until {@link #open()}. */
    void close() {
        gate = new CountDownLatch(1);
    }

    void open() {
        CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }

    /** Waits until a force is held at the gate. */
    void awaitBlocked() throws InterruptedException {
        if (!blocked.tryAcquire(10, TimeUnit.SECONDS)) {
            throw new AssertionError("no force reached the gate");
        }
    }

    @Override
    public List<String> list() throws IOException {
        return inner.list();
    }

    @Override
    public WalFile create(String name) throws IOException {
        return new Gated(inner.create(name));
    }

    @Override
    public WalFile openForWrite(String name) throws IOException {
        return new Gated(inner.openForWrite(name));
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

    private final class Gated implements WalFile {
        private final WalFile file;

        Gated(WalFile file) {
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
            CountDownLatch g = gate;
            if (g != null) {
                blocked.release();
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the gate", e);
                }
            }
            file.force();
            forces.incrementAndGet();
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
