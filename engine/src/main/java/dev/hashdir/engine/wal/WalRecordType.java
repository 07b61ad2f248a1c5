package dev.hashdir.engine.wal;

/**
 * What a WAL record says: one logical operation on the directory, or a checkpoint mark. The code
 * is the {@code type} byte of {@link WalRecordLayout}; codes are part of the format and never
 * reused.
 */
public enum WalRecordType {

    /** Add one value to a key's set: {@code key, value}. */
    PUT(1),
    /** Add values to a key's set: {@code key, count, values}. */
    PUT_MANY(2),
    /** Remove one value from a key's set: {@code key, value}. */
    REMOVE(3),
    /** Remove values from a key's set: {@code key, count, values}. */
    REMOVE_MANY(4),
    /** Remove a key and all its values: {@code key}. */
    DELETE(5),
    /** A checkpoint was started or published: {@code epoch, checkpoint LSN}. */
    CHECKPOINT_MARK(6);

    private static final WalRecordType[] BY_CODE = new WalRecordType[256];

    static {
        for (WalRecordType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final byte code;

    WalRecordType(int code) {
        this.code = (byte) code;
    }

    /** The type byte written in the record. */
    public byte code() {
        return code;
    }

    /** The type for a record's type byte, or null when no type has that code. */
    public static WalRecordType fromCode(byte code) {
        return BY_CODE[code & 0xff];
    }

    /** True for types whose payload starts with a key. */
    public boolean hasKey() {
        return this != CHECKPOINT_MARK;
    }

    /** True for types carrying a counted list of values ({@code count, values}). */
    public boolean hasValueList() {
        return this == PUT_MANY || this == REMOVE_MANY;
    }
}
