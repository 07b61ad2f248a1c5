package dev.hashdir.server.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The fields a v1 request map may hold, with their wire names; anything else is ignored. */
enum RequestField {
    V(Protocol.V, true),
    ID(Protocol.ID, true),
    OP(Protocol.OP, false),
    KEY(Protocol.KEY, false),
    VALUE(Protocol.VALUE, false),
    VALUES(Protocol.VALUES, false),
    AFTER(Protocol.AFTER, true),
    LIMIT(Protocol.LIMIT, true),
    CURSOR(Protocol.CURSOR, true),
    OPS(Protocol.OPS, false);

    private static final RequestField[] ALL = values();

    final String wireName;
    final byte[] nameBytes;
    /** Bit in a set of fields seen (to refuse a field given twice). */
    final int bit;
    /** Whether nil means the same as leaving the field out. */
    final boolean nilIsAbsent;

    RequestField(String wireName, boolean nilIsAbsent) {
        this.wireName = wireName;
        this.nameBytes = wireName.getBytes(StandardCharsets.UTF_8);
        this.bit = 1 << ordinal();
        this.nilIsAbsent = nilIsAbsent;
    }

    /** The field named by {@code bytes[from, from + length)}, or null; allocates nothing. */
    static RequestField byName(byte[] bytes, int from, int length) {
        for (RequestField f : ALL) {
            byte[] name = f.nameBytes;
            if (name.length == length && Arrays.equals(name, 0, length, bytes, from, from + length)) {
                return f;
            }
        }
        return null;
    }
}
