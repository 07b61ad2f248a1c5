package dev.hashdir.bench.peers;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * RocksDB through rocksdbjni: one entry per (key, value) pair, its RocksDB key the digest followed
 * by the value as 8 big-endian bytes (so the pairs of a digest sort by unsigned value), its RocksDB
 * value empty. {@link #getAll} is a prefix seek over the digest, {@link #contains} a point get of
 * the 40-byte key.
 *
 * <p>Settings: write-ahead log disabled ({@code WriteOptions.disableWAL}, no sync), so a put is a
 * memtable insert, and what is in the memtables is written out at flush or close; fixed 32-byte
 * prefix extractor; block-based tables with a 10 bits/key Bloom filter holding both prefixes and
 * whole keys; an LRU block cache of the given size; other options at RocksDB's defaults (64 MiB
 * memtable, leveled compaction, Snappy compression, two background jobs). Reads reuse one
 * iterator ({@code prefix_same_as_start}) and refresh it only after writes, instead of opening one
 * per read. {@link #settle()} flushes the memtable and compacts the whole range, the steady state
 * with the fewest files and the smallest size, so reads and {@link #bytesOnDisk()} are measured at
 * RocksDB's best.
 *
 * <p>{@link #bytesOnDisk()} is {@code rocksdb.live-sst-files-size}: the table files, without the
 * few KiB of MANIFEST, OPTIONS and info logs.
 *
 * <p>Threading: one thread (see {@link PeerStore}).
 */
final class RocksStore implements PeerStore {

    private static final int PAIR_BYTES = KEY_BYTES + Long.BYTES;
    private static final byte[] EMPTY = {};

    static {
        RocksDB.loadLibrary();
    }

    private final long cacheBytes;
    private final LRUCache cache;
    private final BloomFilter filter;
    private final Options options;
    private final WriteOptions writeOptions;
    private final ReadOptions pointRead;
    private final ReadOptions prefixRead;
    private final RocksDB db;
    private final RocksIterator iterator;
    private final byte[] pair = new byte[PAIR_BYTES];
    private final byte[] found = new byte[PAIR_BYTES];
    private boolean iteratorStale;

    RocksStore(Path dir, long cacheBytes) {
        this.cacheBytes = cacheBytes;
        cache = new LRUCache(cacheBytes);
        filter = new BloomFilter(10, false);
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setFilterPolicy(filter)
                .setWholeKeyFiltering(true);
        options = new Options().setCreateIfMissing(true);
        options.useFixedLengthPrefixExtractor(KEY_BYTES);
        options.setTableFormatConfig(table);
        writeOptions = new WriteOptions().setDisableWAL(true).setSync(false);
        pointRead = new ReadOptions();
        prefixRead = new ReadOptions().setPrefixSameAsStart(true);
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
        }
        iterator = db.newIterator(prefixRead);
    }

    @Override
    public String name() {
        return "rocksdb";
    }

    @Override
    public void put(byte[] key, long value) {
        try {
            db.put(writeOptions, pair(key, value), 0, PAIR_BYTES, EMPTY, 0, 0);
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB put failed: " + e.getMessage(), e);
        }
        iteratorStale = true;
    }

    @Override
    public int getAll(byte[] key, long[] out) {
        if (iteratorStale) {
            refresh();
        }
        int n = 0;
        for (iterator.seek(key); n < out.length && iterator.isValid(); iterator.next()) {
            if (iterator.key(found, 0, PAIR_BYTES) != PAIR_BYTES || !Arrays.equals(found, 0, KEY_BYTES, key, 0, KEY_BYTES)) {
                break;
            }
            out[n++] = bigEndianLong(found, KEY_BYTES);
        }
        return n;
    }

    @Override
    public boolean contains(byte[] key, long value) {
        try {
            return db.get(pointRead, pair(key, value), 0, PAIR_BYTES, EMPTY, 0, 0) != RocksDB.NOT_FOUND;
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB get failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void settle() {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush);
            db.compactRange();
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB flush or compaction failed: " + e.getMessage(), e);
        }
        refresh();
    }

    @Override
    public long bytesOnDisk() {
        try {
            return db.getLongProperty("rocksdb.live-sst-files-size");
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB property failed: " + e.getMessage(), e);
        }
    }

    /** Table files per level, and the memory their index and filter blocks take outside the block cache. */
    @Override
    public String spaceDetail() {
        try {
            StringBuilder detail = new StringBuilder("sst files per level:");
            for (int level = 0; level < 7; level++) {
                detail.append(' ').append(db.getProperty("rocksdb.num-files-at-level" + level));
            }
            return detail.append(", index and filter blocks held outside the block cache ")
                    .append(db.getLongProperty("rocksdb.estimate-table-readers-mem")).append(" B").toString();
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB property failed: " + e.getMessage(), e);
        }
    }

    /** The block cache's usage (data, index and filter blocks live outside it, at RocksDB's defaults). */
    @Override
    public long cacheBytesInUse() {
        return cache.getUsage();
    }

    @Override
    public String describe() {
        return "rocksdbjni " + RocksDB.rocksdbVersion() + ": WAL disabled, "
                + "prefix extractor 32 B, Bloom 10 bits/key (prefix + whole key), LRU block cache "
                + (cacheBytes >> 20) + " MiB, compression "
                + options.compressionType() + ", write buffer " + (options.writeBufferSize() >> 20) + " MiB";
    }

    @Override
    public void close() {
        iterator.close();
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush);
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB flush at close failed: " + e.getMessage(), e);
        } finally {
            db.close();
            prefixRead.close();
            pointRead.close();
            writeOptions.close();
            options.close();
            filter.close();
            cache.close();
        }
    }

    private void refresh() {
        try {
            iterator.refresh();
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB iterator refresh failed: " + e.getMessage(), e);
        }
        iteratorStale = false;
    }

    private byte[] pair(byte[] key, long value) {
        System.arraycopy(key, 0, pair, 0, KEY_BYTES);
        for (int b = 0; b < Long.BYTES; b++) {
            pair[KEY_BYTES + b] = (byte) (value >>> (8 * (Long.BYTES - 1 - b)));
        }
        return pair;
    }

    private static long bigEndianLong(byte[] bytes, int at) {
        long v = 0;
        for (int b = 0; b < Long.BYTES; b++) {
            v = (v << 8) | (bytes[at + b] & 0xFF);
        }
        return v;
    }
}
