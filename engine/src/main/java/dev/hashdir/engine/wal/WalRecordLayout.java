package dev.hashdir.engine.wal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Binary layout of one WAL record and of each type's payload (little-endian). Records follow each
 * other without padding from {@link WalSegmentLayout#HEADER_BYTES} to the end of a segment.
 *
 * <pre>
 *   offset size field
 *   ------ ---- -----------------------------------------------------------
 *        0    4 length: bytes of the whole record, this header included
 *                 (u32, {@value #HEADER_BYTES}..{@value #MAX_RECORD_BYTES})
 *        4    4 CRC32C of bytes [8, length): LSN, type and payload
 *        8    8 LSN (u64): the previous record's LSN + 1, across segments
 *       16    1 type ({@link WalRecordType} code)
 *       17    n payload, n = length - 17, by type:
 *
 *   type                    payload
 *   ----------------------- -----------------------------------------------
 *   PUT, REMOVE             key[keyBytes]  value u64
 *   PUT_MANY, REMOVE_MANY   key[keyBytes]  count u32 (&gt;= 1)  values u64[count]
 *   DELETE                  key[keyBytes]
 *   CHECKPOINT_MARK         epoch u64  checkpoint LSN u64
 * </pre>
 *
 * <p>The length is outside the CRC: a damaged length makes the CRC be computed over the wrong
 * bytes, which fails; it is also bounded by the record limit and by the bytes left in the segment.
 */
public final class WalRecordLayout {

    /** Unaligned little-endian u32, as every field here is read. */
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Unaligned little-endian u64. */
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static final int LENGTH_OFFSET = 0;
    public static final int CRC_OFFSET = 4;
    /** The CRC covers the record from here to its end. */
    public static final int CRC_FROM = 8;
    public static final int LSN_OFFSET = 8;
    public static final int TYPE_OFFSET = 16;
    public static final int HEADER_BYTES = 17;
    /** Largest record, header included: bounds what a damaged length can make a reader allocate. */
    public static final int MAX_RECORD_BYTES = 16 << 20;

    /** Payload offsets, relative to the payload's start. */
    public static final int KEY_OFFSET = 0;
    public static final int CHECKPOINT_EPOCH_OFFSET = 0;
    public static final int CHECKPOINT_LSN_OFFSET = 8;
    public static final int CHECKPOINT_PAYLOAD_BYTES = 16;
    public static final int VALUE_BYTES = 8;
    public static final int COUNT_BYTES = 4;

    /** Most values one PUT_MANY / REMOVE_MANY record can carry with this key length. */
    public static int maxValues(int keyBytes) {
        return (MAX_RECORD_BYTES - HEADER_BYTES - keyBytes - COUNT_BYTES) / VALUE_BYTES;
    }

    /** Offset of the single value of PUT / REMOVE, relative to the payload. */
    public static int valueOffset(int keyBytes) {
        return keyBytes;
    }

    /** Offset of the count of PUT_MANY / REMOVE_MANY, relative to the payload. */
    public static int countOffset(int keyBytes) {
        return keyBytes;
    }

    /** Offset of value {@code i} of PUT_MANY / REMOVE_MANY, relative to the payload. */
    public static long valuesOffset(int keyBytes, int i) {
        return keyBytes + COUNT_BYTES + (long) i * VALUE_BYTES;
    }

    /** Payload bytes of a record of {@code type} holding {@code count} values (count ignored unless a list). */
    public static long payloadBytes(WalRecordType type, int keyBytes, int count) {
        return switch (type) {
            case PUT, REMOVE -> keyBytes + VALUE_BYTES;
            case PUT_MANY, REMOVE_MANY -> valuesOffset(keyBytes, count);
            case DELETE -> keyBytes;
            case CHECKPOINT_MARK -> CHECKPOINT_PAYLOAD_BYTES;
        };
    }

    /**
     * Checks that a payload has the shape its type requires.
     *
     * @return null when it does, else what is wrong
     */
    public static String checkPayload(WalRecordType type, int keyBytes, MemorySegment segment, long payload,
                                      long length) {
        if (type.hasValueList()) {
            if (length < valuesOffset(keyBytes, 1)) {
                return "payload of " + type + " too short: length=" + length + ", keyBytes=" + keyBytes;
            }
            long count = Integer.toUnsignedLong(segment.get(U32, payload + countOffset(keyBytes)));
            if (count < 1 || valuesOffset(keyBytes, 0) + count * VALUE_BYTES != length) {
                return "payload of " + type + " does not hold its count of values: count=" + count
                        + ", payload length=" + length;
            }
            return null;
        }
        long expected = payloadBytes(type, keyBytes, 0);
        return length == expected ? null
                : "payload of " + type + " has the wrong length: expected=" + expected + ", actual=" + length;
    }

    private WalRecordLayout() {
    }
}
