package dev.hashdir.bench.peers;

import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.EnvInfo;
import org.lmdbjava.GetOp;
import org.lmdbjava.Meta;
import org.lmdbjava.PutFlags;
import org.lmdbjava.SeekOp;
import org.lmdbjava.Stat;
import org.lmdbjava.Txn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * LMDB through lmdbjava: one database opened {@code MDB_DUPSORT | MDB_DUPFIXED}, the digest as
 * key, each value as an 8-byte big-endian duplicate (LMDB compares duplicates with memcmp, so
 * big-endian keeps unsigned order).
 *
 * <p>Settings, the fastest LMDB offers without durability: environment flags
 * {@code MDB_NOSYNC | MDB_NOMETASYNC | MDB_WRITEMAP | MDB_NOTLS | MDB_NORDAHEAD} (no msync or
 * fsync at commit, writes straight into the shared map); puts are grouped {@value #PUTS_PER_TXN}
 * per write transaction, and a read first commits the open write transaction (LMDB readers see
 * committed data only). Reads reuse one read transaction (reset and renewed only after writes) and
 * one cursor. Buffers: {@link ByteBufferProxy#PROXY_OPTIMAL} (needs
 * {@code --add-opens java.base/java.nio=ALL-UNNAMED}).
 *
 * <p>{@link #bytesOnDisk()} counts the pages up to the highest page ever used, {@code (last page
 * number + 1) * page size}: the data file itself is sparse at the map size under
 * {@code MDB_WRITEMAP}, and its holes take no disk.
 *
 * <p>Threading: one thread (see {@link PeerStore}).
 */
final class LmdbStore implements PeerStore {

    /** Puts per write transaction: large enough to amortize a commit, far below LMDB's dirty page limit. */
    static final int PUTS_PER_TXN = 10_000;
    private static final long MAP_BYTES = 64L << 30;
    private static final PutFlags[] NO_PUT_FLAGS = {};

    private final Env<ByteBuffer> env;
    private final Dbi<ByteBuffer> dbi;
    private final ByteBuffer keyBuffer = ByteBuffer.allocateDirect(KEY_BYTES);
    private final ByteBuffer valueBuffer = ByteBuffer.allocateDirect(Long.BYTES).order(ByteOrder.BIG_ENDIAN);
    private final Txn<ByteBuffer> readTxn;
    private final Cursor<ByteBuffer> readCursor;
    private boolean reading;
    private Txn<ByteBuffer> writeTxn;
    private int putsInTxn;

    LmdbStore(Path dir) {
        env = Env.create(ByteBufferProxy.PROXY_OPTIMAL)
                .setMapSize(MAP_BYTES)
                .setMaxDbs(1)
                .setMaxReaders(4)
                .open(dir.toFile(), EnvFlags.MDB_NOSYNC, EnvFlags.MDB_NOMETASYNC, EnvFlags.MDB_WRITEMAP,
                        EnvFlags.MDB_NOTLS, EnvFlags.MDB_NORDAHEAD);
        dbi = env.openDbi("hashdir", DbiFlags.MDB_CREATE, DbiFlags.MDB_DUPSORT, DbiFlags.MDB_DUPFIXED);
        readTxn = env.txnRead();
        readCursor = dbi.openCursor(readTxn);
        readTxn.reset();
    }

    @Override
    public String name() {
        return "lmdb";
    }

    @Override
    public void put(byte[] key, long value) {
        if (reading) {
            readTxn.reset();
            reading = false;
        }
        if (writeTxn == null) {
            writeTxn = env.txnWrite();
        }
        dbi.put(writeTxn, key(key), value(value), NO_PUT_FLAGS);
        if (++putsInTxn == PUTS_PER_TXN) {
            commit();
        }
    }

    @Override
    public int getAll(byte[] key, long[] out) {
        startReading();
        if (!readCursor.get(key(key), GetOp.MDB_SET_KEY)) {
            return 0;
        }
        int n = 0;
        do {
            out[n++] = readCursor.val().getLong(0);
        } while (n < out.length && readCursor.seek(SeekOp.MDB_NEXT_DUP));
        return n;
    }

    @Override
    public boolean contains(byte[] key, long value) {
        startReading();
        return readCursor.get(key(key), value(value), SeekOp.MDB_GET_BOTH);
    }

    @Override
    public void settle() {
        commit();
    }

    @Override
    public long bytesOnDisk() {
        commit();
        EnvInfo info = env.info();
        return (info.lastPageNumber + 1) * env.stat().pageSize;
    }

    /**
     * Pages of the tree (what a compacting copy would keep) against the high-water mark: LMDB never
     * overwrites the last committed tree, so after a load the file holds about two trees.
     */
    @Override
    public String spaceDetail() {
        commit();
        startReading();
        Stat tree = dbi.stat(readTxn);
        long treePages = tree.branchPages + tree.leafPages + tree.overflowPages;
        return "tree pages " + treePages + " (" + treePages * tree.pageSize + " B, depth " + tree.depth
                + "), high-water page " + env.info().lastPageNumber;
    }

    /** -1: LMDB has no cache of its own, it reads the map through the OS page cache. */
    @Override
    public long cacheBytesInUse() {
        return -1;
    }

    @Override
    public String describe() {
        Meta.Version lmdb = Meta.version();
        return "lmdbjava " + Env.class.getPackage().getImplementationVersion() + ", LMDB " + lmdb.major + "." + lmdb.minor
                + "." + lmdb.patch + ": DUPSORT|DUPFIXED, "
                + "NOSYNC|NOMETASYNC|WRITEMAP|NOTLS|NORDAHEAD, " + PUTS_PER_TXN + " puts per write txn, map "
                + (MAP_BYTES >> 30) + " GiB, page " + env.stat().pageSize + " B";
    }

    @Override
    public void close() {
        commit();
        if (reading) {
            readTxn.reset();
        }
        readCursor.close();
        readTxn.close();
        dbi.close();
        env.close();
    }

    private void startReading() {
        if (!reading) {
            commit();
            readTxn.renew();
            readCursor.renew(readTxn);
            reading = true;
        }
    }

    private void commit() {
        if (writeTxn != null) {
            writeTxn.commit();
            writeTxn.close();
            writeTxn = null;
            putsInTxn = 0;
        }
    }

    private ByteBuffer key(byte[] key) {
        keyBuffer.clear();
        keyBuffer.put(key, 0, KEY_BYTES).flip();
        return keyBuffer;
    }

    private ByteBuffer value(long value) {
        valueBuffer.clear();
        valueBuffer.putLong(0, value);
        return valueBuffer;
    }
}
