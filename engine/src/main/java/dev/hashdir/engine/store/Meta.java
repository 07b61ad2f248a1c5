package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

import static dev.hashdir.engine.store.MetaLayout.*;

/**
 * One decoded meta slot: the root of a checkpoint. Immutable.
 *
 * @param formatRead      oldest reader version that can read the file
 * @param formatWrite     version that wrote the file
 * @param keyBytes        key length
 * @param pageSize        page size
 * @param epoch           checkpoint number
 * @param checkpointLsn   WAL replay starts at this LSN
 * @param pageCount       high-water mark of allocated page ids
 * @param directoryRoot   root page of the directory, or 0
 * @param pageMapRoot     row of the page map's first index page, or 0
 * @param deletionLogRoot row of the deletion log's first page, or 0
 * @param keys            number of keys
 * @param values          number of (key, value) pairs
 * @param globalDepth     directory global depth
 * @param rowCount        high-water mark of rows of /pages (0 or 1: none used)
 */
public record Meta(int formatRead, int formatWrite, int keyBytes, int pageSize, long epoch, long checkpointLsn,
                   long pageCount, long directoryRoot, long pageMapRoot, long deletionLogRoot, long keys,
                   long values, int globalDepth, long rowCount) {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    /** The meta of a new, empty store. */
    public static Meta initial(StoreOptions options) {
        return new Meta(StoreFormat.WRITE_VERSION, StoreFormat.WRITE_VERSION, options.keyBytes(), options.pageSize(),
                1, 0, 1, StoreFormat.NULL_PAGE, StoreFormat.NULL_PAGE, StoreFormat.NULL_PAGE, 0, 0, 0, 1);
    }

    /** The slot this meta is written to. */
    public int slot() {
        return (int) (epoch & 1);
    }

    /** A copy for the next checkpoint. */
    public Meta withEpoch(long newEpoch) {
        return new Meta(formatRead, formatWrite, keyBytes, pageSize, newEpoch, checkpointLsn, pageCount, directoryRoot,
                pageMapRoot, deletionLogRoot, keys, values, globalDepth, rowCount);
    }

    /** Writes this meta, checksummed, into {@code slot} ({@link MetaLayout#SLOT_BYTES} bytes). */
    public void encode(MemorySegment slot) {
        slot.asSlice(0, SLOT_BYTES).fill((byte) 0);
        slot.set(LONG, MAGIC_OFFSET, MAGIC);
        slot.set(INT, FORMAT_READ_OFFSET, formatRead);
        slot.set(INT, FORMAT_WRITE_OFFSET, formatWrite);
        slot.set(INT, KEY_BYTES_OFFSET, keyBytes);
        slot.set(INT, PAGE_SIZE_OFFSET, pageSize);
        slot.set(LONG, EPOCH_OFFSET, epoch);
        slot.set(LONG, CHECKPOINT_LSN_OFFSET, checkpointLsn);
        slot.set(LONG, PAGE_COUNT_OFFSET, pageCount);
        slot.set(LONG, DIRECTORY_ROOT_OFFSET, directoryRoot);
        slot.set(LONG, PAGE_MAP_ROOT_OFFSET, pageMapRoot);
        slot.set(LONG, DELETION_LOG_ROOT_OFFSET, deletionLogRoot);
        slot.set(LONG, KEYS_OFFSET, keys);
        slot.set(LONG, VALUES_OFFSET, values);
        slot.set(INT, GLOBAL_DEPTH_OFFSET, globalDepth);
        slot.set(LONG, ROW_COUNT_OFFSET, rowCount);
        slot.set(INT, CRC_OFFSET, Checksums.crc32c(slot, 0, CRC_OFFSET));
    }

    /**
     * Decodes a slot; empty when it is not a valid meta (never written, torn, or bit-rotted), with the
     * reason in {@code why} when given.
     */
    public static Optional<Meta> decode(MemorySegment slot, StringBuilder why) {
        long magic = slot.get(LONG, MAGIC_OFFSET);
        if (magic != MAGIC) {
            return invalid(why, "magic=0x" + Long.toHexString(magic) + ", expected 0x" + Long.toHexString(MAGIC));
        }
        int stored = slot.get(INT, CRC_OFFSET);
        int actual = Checksums.crc32c(slot, 0, CRC_OFFSET);
        if (stored != actual) {
            return invalid(why, "crc32c stored=0x" + Integer.toHexString(stored) + ", computed=0x"
                    + Integer.toHexString(actual));
        }
        return Optional.of(new Meta(slot.get(INT, FORMAT_READ_OFFSET), slot.get(INT, FORMAT_WRITE_OFFSET),
                slot.get(INT, KEY_BYTES_OFFSET), slot.get(INT, PAGE_SIZE_OFFSET), slot.get(LONG, EPOCH_OFFSET),
                slot.get(LONG, CHECKPOINT_LSN_OFFSET), slot.get(LONG, PAGE_COUNT_OFFSET),
                slot.get(LONG, DIRECTORY_ROOT_OFFSET), slot.get(LONG, PAGE_MAP_ROOT_OFFSET),
                slot.get(LONG, DELETION_LOG_ROOT_OFFSET), slot.get(LONG, KEYS_OFFSET), slot.get(LONG, VALUES_OFFSET),
                slot.get(INT, GLOBAL_DEPTH_OFFSET), slot.get(LONG, ROW_COUNT_OFFSET)));
    }

    private static Optional<Meta> invalid(StringBuilder why, String reason) {
        if (why != null) {
            why.append(reason);
        }
        return Optional.empty();
    }
}
