package dev.hashdir.server.protocol;

/**
 * The msgpack format bytes this package reads and writes (the msgpack spec, "formats"). Each
 * value starts with one format byte; some carry their value or length in it:
 *
 * <pre>
 *   first byte   format            followed by
 *   -----------  ----------------  -------------------------------------------
 *   0x00..0x7f   positive fixint   nothing (the value is the byte)
 *   0x80..0x8f   fixmap            N = byte &amp; 0x0f key/value pairs
 *   0x90..0x9f   fixarray          N = byte &amp; 0x0f elements
 *   0xa0..0xbf   fixstr            N = byte &amp; 0x1f bytes of UTF-8
 *   0xc0         nil
 *   0xc1         (never used)      invalid
 *   0xc2, 0xc3   false, true
 *   0xc4..0xc6   bin 8/16/32       length (1/2/4 bytes), then the bytes
 *   0xc7..0xc9   ext 8/16/32       length (1/2/4 bytes), type (1), the bytes
 *   0xca, 0xcb   float 32/64       4 / 8 bytes
 *   0xcc..0xcf   uint 8/16/32/64   1/2/4/8 bytes, big-endian
 *   0xd0..0xd3   int 8/16/32/64    1/2/4/8 bytes, big-endian two's complement
 *   0xd4..0xd8   fixext 1/2/4/8/16 type (1), then 1/2/4/8/16 bytes
 *   0xd9..0xdb   str 8/16/32       length (1/2/4 bytes), then UTF-8
 *   0xdc, 0xdd   array 16/32       count (2/4 bytes), then the elements
 *   0xde, 0xdf   map 16/32         count (2/4 bytes), then key, value, key, value...
 *   0xe0..0xff   negative fixint   nothing (the value is the byte, signed)
 * </pre>
 *
 * Lengths and counts are unsigned big-endian.
 */
final class MsgpackFormat {

    static final int POSFIXINT_MAX = 0x7f;
    static final int FIXMAP = 0x80;
    static final int FIXARRAY = 0x90;
    static final int FIXSTR = 0xa0;
    static final int NIL = 0xc0;
    static final int NEVER_USED = 0xc1;
    static final int FALSE = 0xc2;
    static final int TRUE = 0xc3;
    static final int BIN8 = 0xc4;
    static final int BIN16 = 0xc5;
    static final int BIN32 = 0xc6;
    static final int EXT8 = 0xc7;
    static final int EXT16 = 0xc8;
    static final int EXT32 = 0xc9;
    static final int FLOAT32 = 0xca;
    static final int FLOAT64 = 0xcb;
    static final int UINT8 = 0xcc;
    static final int UINT16 = 0xcd;
    static final int UINT32 = 0xce;
    static final int UINT64 = 0xcf;
    static final int INT8 = 0xd0;
    static final int INT16 = 0xd1;
    static final int INT32 = 0xd2;
    static final int INT64 = 0xd3;
    static final int FIXEXT1 = 0xd4;
    static final int FIXEXT16 = 0xd8;
    static final int STR8 = 0xd9;
    static final int STR16 = 0xda;
    static final int STR32 = 0xdb;
    static final int ARRAY16 = 0xdc;
    static final int ARRAY32 = 0xdd;
    static final int MAP16 = 0xde;
    static final int MAP32 = 0xdf;
    static final int NEGFIXINT = 0xe0;

    /** Largest count a fixmap / fixarray holds, and length a fixstr holds. */
    static final int FIX_COUNT_MAX = 15;
    static final int FIXSTR_LENGTH_MAX = 31;

    private MsgpackFormat() {
    }

    static boolean isFixMap(int b) {
        return (b & 0xf0) == FIXMAP;
    }

    static boolean isFixArray(int b) {
        return (b & 0xf0) == FIXARRAY;
    }

    static boolean isFixStr(int b) {
        return (b & 0xe0) == FIXSTR;
    }

    /** The kind of value a format byte starts, for error messages: "int", "str", "map"... */
    static String kind(int b) {
        if (b <= POSFIXINT_MAX || b >= NEGFIXINT) {
            return "int";
        }
        if (isFixMap(b)) {
            return "map";
        }
        if (isFixArray(b)) {
            return "array";
        }
        if (isFixStr(b)) {
            return "str";
        }
        return switch (b) {
            case NIL -> "nil";
            case NEVER_USED -> "invalid byte 0xc1";
            case FALSE, TRUE -> "bool";
            case BIN8, BIN16, BIN32 -> "bin";
            case EXT8, EXT16, EXT32, FIXEXT1, FIXEXT1 + 1, FIXEXT1 + 2, FIXEXT1 + 3, FIXEXT16 -> "ext";
            case FLOAT32, FLOAT64 -> "float";
            case UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64 -> "int";
            case STR8, STR16, STR32 -> "str";
            case ARRAY16, ARRAY32 -> "array";
            case MAP16, MAP32 -> "map";
            default -> throw new AssertionError("unreachable format byte " + b);
        };
    }
}
