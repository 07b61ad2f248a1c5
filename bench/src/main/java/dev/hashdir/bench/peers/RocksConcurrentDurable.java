package dev.hashdir.bench.peers;

import org.rocksdb.BloomFilter;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * RocksDB with several writer threads, so that it too can overlap a batch's fsync with the next
 * batches: each thread takes the next batch number, builds its {@link WriteBatch} and writes it
 * with {@code setSync(true)}, WAL on; RocksDB's write group lets concurrent writers share one WAL
 * write and sync (the leader writes and syncs for the group). A pair counts once the write that
 * holds it returned. {@code pipelined} sets {@code enable_pipelined_write} (the WAL write of one
 * group overlaps the memtable insert of the previous one). Other options as in
 * {@link DurablePutBenchmark}'s single-writer RocksDB store.
 */
final class RocksConcurrentDurable implements DurablePutBenchmark.SelfDrivenStore {

    static {
        RocksDB.loadLibrary();
    }

    private static final byte[] EMPTY = {};
    private final LRUCache cache = new LRUCache(DurablePutBenchmark.CACHE_BYTES);
    private final BloomFilter filter = new BloomFilter(10, false);
    private final Options options;
    private final RocksDB db;
    private final int writers;
    private final boolean pipelined;

    RocksConcurrentDurable(Path dir, int writers, boolean pipelined) {
        if (writers < 1) {
            throw new IllegalArgumentException("writers must be at least 1: " + writers);
        }
        this.writers = writers;
        this.pipelined = pipelined;
        options = DurablePutBenchmark.RocksDurable.options(cache, filter).setCreateIfMissing(true)
                .setEnablePipelinedWrite(pipelined);
        db = DurablePutBenchmark.RocksDurable.open(options, dir);
    }

    @Override
    public double run(long pairs, int batch) {
        long batches = (pairs + batch - 1) / batch;
        AtomicLong next = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int w = 0; w < writers; w++) {
            threads.add(Thread.ofPlatform().name("rocks-writer-" + w).start(() -> {
                byte[] key = new byte[PeerStore.KEY_BYTES];
                byte[] pair = new byte[PeerStore.KEY_BYTES + Long.BYTES];
                try {
                    go.await();
                } catch (InterruptedException e) {
                    failure.compareAndSet(null, e);
                    return;
                }
                try (WriteBatch wb = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)
                        .setDisableWAL(false)) {
                    long b;
                    while ((b = next.getAndIncrement()) < batches && failure.get() == null) {
                        long end = Math.min(pairs, (b + 1) * batch);
                        for (long i = b * batch; i < end; i++) {
                            PeerKeys.key(PeerKeys.HIT_SEED, i, key);
                            System.arraycopy(key, 0, pair, 0, PeerStore.KEY_BYTES);
                            long value = PeerKeys.value(i);
                            for (int k = 0; k < Long.BYTES; k++) {
                                pair[PeerStore.KEY_BYTES + k] = (byte) (value >>> (8 * (Long.BYTES - 1 - k)));
                            }
                            wb.put(pair, EMPTY);
                        }
                        db.write(sync, wb);
                        wb.clear();
                    }
                } catch (RocksDBException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        long start = System.nanoTime(); // the writers are started, waiting: the clock starts as they go
        go.countDown();
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        long nanos = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException("RocksDB write failed: " + failure.get(), failure.get());
        }
        return pairs * 1e9 / nanos;
    }

    @Override
    public String describe() {
        return "RocksDB " + RocksDB.rocksdbVersion() + ", " + writers + " writer threads, each a synced WriteBatch per "
                + "batch (WAL on; concurrent writers share a WAL sync)" + (pipelined ? ", enable_pipelined_write" : "");
    }

    @Override
    public void close() {
        db.close();
        options.close();
        filter.close();
        cache.close();
    }
}
