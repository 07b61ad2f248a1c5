package dev.hashdir.server.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The operations of protocol v1, each with its wire name (the {@code op} string). */
public enum Op {
    /** Liveness: replies ok and nothing else. */
    PING("ping"),
    /** Adds {@code value} or {@code values} to the set of {@code key}; replies {@code added}. */
    PUT("put"),
    /** Reads values of {@code key} after {@code after}, up to {@code limit}; replies {@code values count more}. */
    GET("get"),
    /** Whether {@code key} holds {@code value}; replies {@code found}. */
    CONTAINS("contains"),
    /** Values held by {@code key}; replies {@code count}. */
    COUNT("count"),
    /** Removes {@code value} from {@code key}; replies {@code removed} (bool). */
    REMOVE("remove"),
    /** Removes {@code key} and all its values; replies {@code removed} (count). */
    DELETE("delete"),
    /** Lists keys from {@code cursor}, up to {@code limit}; replies {@code keys cursor}. */
    SCAN("scan"),
    /** Runs {@code ops} in order; replies {@code results}. */
    BATCH("batch"),
    /** Server counters; replies {@code stats}. */
    STATS("stats");

    private static final Op[] ALL = values();

    private final String wireName;
    private final byte[] nameBytes;

    Op(String wireName) {
        this.wireName = wireName;
        this.nameBytes = wireName.getBytes(StandardCharsets.UTF_8);
    }

    /** The name on the wire, as in {@code {"op": "put"}}. */
    public String wireName() {
        return wireName;
    }

    /** UTF-8 bytes of the wire name; never modified. */
    byte[] nameBytes() {
        return nameBytes;
    }

    /** The op whose wire name is {@code bytes[from, from + length)}, or null; allocates nothing. */
    static Op byName(byte[] bytes, int from, int length) {
        for (Op op : ALL) {
            byte[] name = op.nameBytes;
            if (name.length == length && Arrays.equals(name, 0, length, bytes, from, from + length)) {
                return op;
            }
        }
        return null;
    }

    /** The op with this wire name, or null. */
    public static Op byWireName(String name) {
        for (Op op : ALL) {
            if (op.wireName.equals(name)) {
                return op;
            }
        }
        return null;
    }
}
