package dev.hashdir.bench.peers;

/**
 * What the side-by-side benchmark asks of every store: a multi-value map from 32-byte digests to
 * sets of unsigned 64-bit values, with no durability before {@link #close()}.
 *
 * <p>Keys are passed as a caller-owned {@code byte[]} of exactly {@link #KEY_BYTES} bytes that the
 * caller reuses between calls; an implementation copies what it needs and keeps no reference.
 * On the measured paths ({@link #put}, {@link #getAll}, {@link #contains}) an implementation should
 * not allocate: buffers, cursors and iterators are opened once and reused.
 *
 * <p>Threading: not thread-safe. One thread opens, uses and closes a store.
 */
public interface PeerStore extends AutoCloseable {

    /** Key length of every store in this benchmark (a SHA-256 digest). */
    int KEY_BYTES = 32;

    /** Short name as used in the benchmark's {@code store} parameter. */
    String name();

    /** Adds {@code value} to the set of {@code key}; adding a present value changes nothing. */
    void put(byte[] key, long value);

    /**
     * Copies the values of {@code key}, ascending in unsigned order, into {@code out} (at most
     * {@code out.length} of them) and returns how many were copied; 0 when the key holds nothing.
     */
    int getAll(byte[] key, long[] out);

    /** Whether the set of {@code key} holds {@code value}. */
    boolean contains(byte[] key, long value);

    /**
     * Brings the store to a settled state: everything put so far is in the store's files (not
     * fsynced) and background work the store would do anyway is done. Not measured.
     */
    void settle();

    /** Bytes the store's data takes on disk after {@link #settle()}; see each store for what counts. */
    long bytesOnDisk();

    /** How the space of {@link #bytesOnDisk()} splits, in the store's own terms, on one line. */
    String spaceDetail();

    /**
     * Bytes of the store's own cache in use now (RocksDB: block cache; hashdir: pages in its page
     * cache times the page size), or -1 for a store that reads through the OS page cache (LMDB).
     */
    long cacheBytesInUse();

    /** The settings that matter for the comparison, on one line (printed with the results). */
    String describe();

    /** Releases everything; what was put is durable only after this returns. */
    @Override
    void close();
}
