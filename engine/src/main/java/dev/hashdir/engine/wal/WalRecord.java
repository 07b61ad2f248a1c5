package dev.hashdir.engine.wal;

import java.lang.foreign.MemorySegment;

import static dev.hashdir.engine.wal.WalRecordLayout.U32;
import static dev.hashdir.engine.wal.WalRecordLayout.U64;

/**
 * A reused, read-only view of one validated record during replay (a flyweight over the reader's
 * buffer): valid only inside {@link WalConsumer#accept}. Accessors for the type's fields; the
 * zero-allocation way to a key is {@link #segment()} at {@link #keyOffset()}.
 */
public final class WalRecord {

    private final int keyBytes;
    private MemorySegment segment;
    private long payload;
    private long payloadLength;
    private long lsn;
    private WalRecordType type;

    WalRecord(int keyBytes) {
        this.keyBytes = keyBytes;
    }

    void wrap(MemorySegment segment, long recordOffset, long recordLength, long lsn, WalRecordType type) {
        this.segment = segment;
        this.payload = recordOffset + WalRecordLayout.HEADER_BYTES;
        this.payloadLength = recordLength - WalRecordLayout.HEADER_BYTES;
        this.lsn = lsn;
        this.type = type;
    }

    public long lsn() {
        return lsn;
    }

    public WalRecordType type() {
        return type;
    }

    /** The memory the record lives in (the reader's buffer). */
    public MemorySegment segment() {
        return segment;
    }

    /** Offset of the payload in {@link #segment()}. */
    public long payloadOffset() {
        return payload;
    }

    public long payloadLength() {
        return payloadLength;
    }

    /** Offset of the key in {@link #segment()}; the key is {@code keyBytes} long. */
    public long keyOffset() {
        requireKey();
        return payload + WalRecordLayout.KEY_OFFSET;
    }

    /** The key as a slice of {@link #segment()} (allocates the slice object). */
    public MemorySegment key() {
        return segment.asSlice(keyOffset(), keyBytes);
    }

    public int keyBytes() {
        return keyBytes;
    }

    /** Number of values: 1 for PUT and REMOVE, the count for the list types, 0 otherwise. */
    public int valueCount() {
        return switch (type) {
            case PUT, REMOVE -> 1;
            case PUT_MANY, REMOVE_MANY -> segment.get(U32, payload + WalRecordLayout.countOffset(keyBytes));
            case DELETE, CHECKPOINT_MARK -> 0;
        };
    }

    /** Value {@code i} (unsigned, as a long) of PUT, REMOVE, PUT_MANY or REMOVE_MANY. */
    public long value(int i) {
        if (i < 0 || i >= valueCount()) {
            throw new IndexOutOfBoundsException("value " + i + " of a " + type + " record with " + valueCount()
                    + " values, lsn=" + lsn);
        }
        return type.hasValueList()
                ? segment.get(U64, payload + WalRecordLayout.valuesOffset(keyBytes, i))
                : segment.get(U64, payload + WalRecordLayout.valueOffset(keyBytes));
    }

    /** The checkpoint epoch of a CHECKPOINT_MARK. */
    public long checkpointEpoch() {
        requireType(WalRecordType.CHECKPOINT_MARK);
        return segment.get(U64, payload + WalRecordLayout.CHECKPOINT_EPOCH_OFFSET);
    }

    /** The checkpoint LSN of a CHECKPOINT_MARK. */
    public long checkpointLsn() {
        requireType(WalRecordType.CHECKPOINT_MARK);
        return segment.get(U64, payload + WalRecordLayout.CHECKPOINT_LSN_OFFSET);
    }

    private void requireKey() {
        if (!type.hasKey()) {
            throw new IllegalStateException("a " + type + " record has no key: lsn=" + lsn);
        }
    }

    private void requireType(WalRecordType expected) {
        if (type != expected) {
            throw new IllegalStateException("not a " + expected + " record: type=" + type + ", lsn=" + lsn);
        }
    }

    @Override
    public String toString() {
        return "WalRecord[lsn=" + lsn + ", type=" + type + ", payloadLength=" + payloadLength + "]";
    }
}
