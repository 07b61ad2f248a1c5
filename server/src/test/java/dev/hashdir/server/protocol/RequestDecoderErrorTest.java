package dev.hashdir.server.protocol;

import dev.hashdir.server.protocol.Frames.Raw;
import dev.hashdir.server.protocol.Frames.U64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static dev.hashdir.server.protocol.Frames.KEY_BYTES;
import static dev.hashdir.server.protocol.Frames.entries;
import static dev.hashdir.server.protocol.Frames.key;
import static dev.hashdir.server.protocol.Frames.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every class of bad input gets its status and a message naming the field, what was expected and
 * what was found; the id is echoed whenever it could be read; the decoder works on afterwards.
 */
class RequestDecoderErrorTest {

    private static final byte[] VALID = map("v", 1, "id", 99, "op", "get", "key", key(1), "limit", 3);

    private final RequestDecoder decoder = new RequestDecoder(KEY_BYTES);
    private final Request request = new Request(KEY_BYTES);

    /** After each bad frame the same decoder and request decode a valid one completely. */
    @AfterEach
    void decoderStillWorks() {
        assertThat(decoder.decode(VALID, 0, VALID.length, request)).isEqualTo(Status.OK);
        assertThat(request.error()).isNull();
        assertThat(request.id()).isEqualTo(99);
        assertThat(request.op()).isEqualTo(Op.GET);
        assertThat(request.key()).isEqualTo(key(1));
        assertThat(request.limit()).isEqualTo(3);
    }

    private Request fails(byte[] frame, Status status) {
        Status got = decoder.decode(frame, 0, frame.length, request);
        assertThat(got).as("status of %s (%s)", hex(frame), request.error()).isEqualTo(status);
        assertThat(request.status()).isEqualTo(status);
        assertThat(request.error()).isNotBlank();
        return request;
    }

    private void failsWith(byte[] frame, Status status, String error) {
        assertThat(fails(frame, status).error()).isEqualTo(error);
    }

    private static String hex(byte[] frame) {
        return frame.length > 64 ? HexFormat.of().formatHex(frame, 0, 64) + "..." : HexFormat.of().formatHex(frame);
    }

    // ---- not a request map ------------------------------------------------------------------------

    @Test
    void shouldRefuseWhatIsNotAMsgpackMap() {
        failsWith(new byte[0], Status.BAD_REQUEST, "request: empty frame, expected a msgpack map");
        failsWith(new byte[] {(byte) 0xc1}, Status.BAD_REQUEST, "request: expected map, got invalid byte 0xc1");
        failsWith(Frames.pack(List.of(1, 2)), Status.BAD_REQUEST, "request: expected map, got array");
        failsWith(Frames.pack("ping"), Status.BAD_REQUEST, "request: expected map, got str");
        failsWith(Frames.pack(7), Status.BAD_REQUEST, "request: expected map, got int");
        failsWith(Frames.pack(null), Status.BAD_REQUEST, "request: expected map, got nil");
        failsWith("{\"op\":\"ping\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII), Status.BAD_REQUEST,
                "request: expected map, got int"); // '{' is 0x7b, a positive fixint
    }

    @Test
    void shouldRefuseAnInvalidByteInsideAnUnknownField() {
        failsWith(map("x", new Raw(new byte[] {(byte) 0xc1}), "op", "ping"), Status.BAD_REQUEST,
                "field \"x\": not msgpack, invalid byte 0xc1 at offset 3");
    }

    @Test
    void shouldRefuseEveryTruncationOfAValidFrame() {
        byte[] frame = map("v", 1, "id", 5, "op", "put", "key", key(2), "values", List.of(1, 300, new U64(-1)));
        for (int length = 0; length < frame.length; length++) {
            Status status = decoder.decode(frame, 0, length, request);
            assertThat(status).as("prefix of %d bytes", length).isEqualTo(Status.BAD_REQUEST);
            assertThat(request.error()).as("prefix of %d bytes", length)
                    .containsAnyOf("truncated", "empty frame");
        }
        byte[] cut = Arrays.copyOf(frame, frame.length - 3);
        failsWith(cut, Status.BAD_REQUEST, "values[2]: truncated, 9 bytes needed at offset 65, 6 left");
        assertThat(request.id()).isEqualTo(5);
        byte[] inKey = Arrays.copyOf(frame, 30);
        failsWith(inKey, Status.BAD_REQUEST, "key: truncated, bin of 32 bytes declared before offset 21 but 9 bytes left");
    }

    @Test
    void shouldRefuseTrailingBytes() {
        byte[] frame = Arrays.copyOf(VALID, VALID.length + 2);
        failsWith(frame, Status.BAD_REQUEST, "request: 2 trailing bytes after the request map at offset "
                + VALID.length);
        assertThat(request.id()).isEqualTo(99);
    }

    // ---- version --------------------------------------------------------------------------------

    @Test
    void shouldAnswerANewerVersionWithUnsupportedVersion() {
        failsWith(map("v", 2, "id", 3, "op", "ping"), Status.UNSUPPORTED_VERSION,
                "v: this server speaks protocol version 1 at most, the request has v=2");
        assertThat(request.id()).isEqualTo(3);
        failsWith(map("v", new U64(-1), "op", "ping"), Status.UNSUPPORTED_VERSION,
                "v: this server speaks protocol version 1 at most, the request has v=18446744073709551615");
        assertThat(request.hasId()).isFalse();
    }

    @Test
    void shouldPreferUnsupportedVersionToWhatV1MakesOfTheRest() {
        // a v2 request may hold ops, fields and limits v1 does not know, before or after its v
        failsWith(map("op", "frobnicate", "key", "not bin", "v", 2, "id", 4), Status.UNSUPPORTED_VERSION,
                "v: this server speaks protocol version 1 at most, the request has v=2");
        assertThat(request.id()).isEqualTo(4);
        List<Object> many = new ArrayList<>();
        for (int i = 0; i <= Protocol.MAX_VALUES; i++) {
            many.add(i);
        }
        fails(map("id", 6, "op", "put", "key", key(3), "values", many, "v", 3), Status.UNSUPPORTED_VERSION);
        assertThat(request.id()).isEqualTo(6);
    }

    @Test
    void shouldRefuseAVersionThatIsNotAPositiveInteger() {
        failsWith(map("v", 0, "op", "ping"), Status.BAD_REQUEST, "v: expected 1, got 0 (versions start at 1)");
        failsWith(map("v", -1, "op", "ping"), Status.BAD_REQUEST, "v: expected uint64, got negative int -1");
        failsWith(map("v", "1", "op", "ping"), Status.BAD_REQUEST, "v: expected uint64, got str");
        failsWith(map("v", 1.0, "op", "ping"), Status.BAD_REQUEST, "v: expected uint64, got float");
    }

    // ---- id -------------------------------------------------------------------------------------

    @Test
    void shouldEchoTheIdEvenWhenItComesAfterTheError() {
        fails(map("op", "get", "key", new byte[31], "id", new U64(-2)), Status.BAD_REQUEST);
        assertThat(request.hasId()).isTrue();
        assertThat(request.id()).isEqualTo(-2L);

        byte[] deep = nestedArrays(10_000);
        fails(map("op", "ping", "deep", new Raw(deep), "id", 77), Status.BAD_REQUEST);
        assertThat(request.id()).as("id after a value nested too deep").isEqualTo(77);

        fails(map(new Raw(deep), 1, "op", "ping", "id", 78), Status.BAD_REQUEST);
        assertThat(request.id()).as("id after a key nested too deep").isEqualTo(78);
    }

    @Test
    void shouldEchoNoIdThatIsNotAUint64() {
        failsWith(map("id", -5, "op", "ping"), Status.BAD_REQUEST, "id: expected uint64, got negative int -5");
        assertThat(request.hasId()).isFalse();
        failsWith(map("id", "abc", "op", "ping"), Status.BAD_REQUEST, "id: expected uint64, got str");
        assertThat(request.hasId()).isFalse();
        failsWith(map("op", "ping", "x", new Raw(new byte[] {(byte) 0xc1}), "id", 5), Status.BAD_REQUEST,
                "field \"x\": not msgpack, invalid byte 0xc1 at offset 11");
        assertThat(request.hasId()).as("id behind bytes that are not msgpack").isFalse();
    }

    // ---- op ---------------------------------------------------------------------------------------

    @Test
    void shouldRefuseAMissingUnknownOrMistypedOp() {
        failsWith(map("v", 1, "id", 3), Status.BAD_REQUEST, "op: missing (every request needs op)");
        assertThat(request.id()).isEqualTo(3);
        failsWith(map("op", "frobnicate", "id", 4), Status.BAD_REQUEST, "op: unknown op \"frobnicate\", expected one "
                + "of ping, put, get, contains, count, remove, delete, scan, batch, stats");
        assertThat(request.id()).isEqualTo(4);
        failsWith(map("op", "PING"), Status.BAD_REQUEST, "op: unknown op \"PING\", expected one of ping, put, get, "
                + "contains, count, remove, delete, scan, batch, stats");
        failsWith(map("op", 5), Status.BAD_REQUEST, "op: expected str (an op name), got int");
        failsWith(map("op", "ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), Status.BAD_REQUEST,
                "op: expected str (an op name), got bin");
        assertThat(fails(map("op", "x\n\"é".repeat(30)), Status.BAD_REQUEST).error())
                .startsWith("op: unknown op \"x\\u000a\\u0022\\u00e9x\\u000a")
                .contains("...\", expected one of");
    }

    // ---- fields ----------------------------------------------------------------------------------

    @Test
    void shouldNameTheMissingFieldAndTheOpThatNeedsIt() {
        failsWith(map("op", "get"), Status.BAD_REQUEST, "key: missing (get needs key)");
        failsWith(map("op", "count"), Status.BAD_REQUEST, "key: missing (count needs key)");
        failsWith(map("op", "delete"), Status.BAD_REQUEST, "key: missing (delete needs key)");
        failsWith(map("op", "put", "value", 1), Status.BAD_REQUEST, "key: missing (put needs key)");
        failsWith(map("op", "contains", "key", key(4)), Status.BAD_REQUEST, "value: missing (contains needs value)");
        failsWith(map("op", "remove", "key", key(4)), Status.BAD_REQUEST, "value: missing (remove needs value)");
        failsWith(map("op", "remove", "key", key(4), "values", List.of(1)), Status.BAD_REQUEST,
                "value: missing (remove needs value)");
        failsWith(map("op", "put", "key", key(4)), Status.BAD_REQUEST, "value: missing (put needs value or values)");
        failsWith(map("op", "put", "key", key(4), "value", 1, "values", List.of(2)), Status.BAD_REQUEST,
                "value, values: both given, put takes one of them");
        failsWith(map("op", "batch"), Status.BAD_REQUEST, "ops: missing (batch needs ops)");
        failsWith(map("op", "get", "key", null), Status.BAD_REQUEST, "key: expected bin of 32 bytes, got nil");
    }

    @Test
    void shouldSayWhatKeyLengthWasExpectedAndWhatCame() {
        failsWith(map("op", "get", "key", new byte[31]), Status.BAD_REQUEST,
                "key: expected bin of 32 bytes, got bin of 31 bytes");
        failsWith(map("op", "get", "key", new byte[33]), Status.BAD_REQUEST,
                "key: expected bin of 32 bytes, got bin of 33 bytes");
        failsWith(map("op", "get", "key", new byte[0]), Status.BAD_REQUEST,
                "key: expected bin of 32 bytes, got bin of 0 bytes");
        failsWith(map("op", "get", "key", "x".repeat(32)), Status.BAD_REQUEST,
                "key: expected bin of 32 bytes, got str");
        failsWith(map("op", "get", "key", new Raw(new byte[] {(byte) 0xd4, 1, 2})), Status.BAD_REQUEST,
                "key: expected bin of 32 bytes, got ext");
        RequestDecoder decoder16 = new RequestDecoder(16);
        Request r16 = new Request(16);
        byte[] frame = map("op", "get", "key", key(5));
        assertThat(decoder16.decode(frame, 0, frame.length, r16)).isEqualTo(Status.BAD_REQUEST);
        assertThat(r16.error()).isEqualTo("key: expected bin of 16 bytes, got bin of 32 bytes");
    }

    @Test
    void shouldRefuseValuesThatAreNotUint64() {
        failsWith(map("op", "contains", "key", key(6), "value", -1), Status.BAD_REQUEST,
                "value: expected uint64, got negative int -1");
        failsWith(map("op", "contains", "key", key(6), "value", Long.MIN_VALUE), Status.BAD_REQUEST,
                "value: expected uint64, got negative int -9223372036854775808");
        failsWith(map("op", "contains", "key", key(6), "value", 1.5), Status.BAD_REQUEST,
                "value: expected uint64, got float");
        failsWith(map("op", "contains", "key", key(6), "value", "5"), Status.BAD_REQUEST,
                "value: expected uint64, got str");
        failsWith(map("op", "contains", "key", key(6), "value", true), Status.BAD_REQUEST,
                "value: expected uint64, got bool");
        failsWith(map("op", "contains", "key", key(6), "value", null), Status.BAD_REQUEST,
                "value: expected uint64, got nil");
        failsWith(map("op", "put", "key", key(6), "values", List.of(1, 2, -3)), Status.BAD_REQUEST,
                "values[2]: expected uint64, got negative int -3");
        failsWith(map("op", "put", "key", key(6), "values", List.of(1, "2")), Status.BAD_REQUEST,
                "values[1]: expected uint64, got str");
        failsWith(map("op", "put", "key", key(6), "values", 5), Status.BAD_REQUEST,
                "values: expected array, got int");
        failsWith(map("op", "get", "key", key(6), "after", -1), Status.BAD_REQUEST,
                "after: expected uint64, got negative int -1");
        failsWith(map("op", "get", "key", key(6), "limit", -3), Status.BAD_REQUEST,
                "limit: expected uint64, got negative int -3");
        failsWith(map("op", "get", "key", key(6), "limit", "10"), Status.BAD_REQUEST,
                "limit: expected uint64, got str");
    }

    @Test
    void shouldRefuseACursorThisServerNeverIssued() {
        failsWith(map("op", "scan", "cursor", new byte[Protocol.MAX_CURSOR_BYTES + 1]), Status.BAD_REQUEST,
                "cursor: bin of 129 bytes, at most 128 (not a cursor this server issued)");
        failsWith(map("op", "scan", "cursor", "abc"), Status.BAD_REQUEST, "cursor: expected bin, got str");
    }

    @Test
    void shouldRefuseAFieldGivenTwice() {
        failsWith(map("op", "get", "op", "put"), Status.BAD_REQUEST, "op: given twice");
        failsWith(map("op", "get", "key", key(7), "key", key(8)), Status.BAD_REQUEST, "key: given twice");
        failsWith(map("id", 1, "id", 2, "op", "ping"), Status.BAD_REQUEST, "id: given twice");
        assertThat(request.id()).as("the first id").isEqualTo(1);
        Request r = request;
        byte[] frame = map("x", 1, "x", 2, "op", "ping");
        assertThat(decoder.decode(frame, 0, frame.length, r)).as("unknown fields may repeat").isEqualTo(Status.OK);
    }

    // ---- limits --------------------------------------------------------------------------------------

    @Test
    void shouldRefuseAFrameOverTheSizeLimitBeforeReadingIt() {
        byte[] big = new byte[Protocol.MAX_MESSAGE_BYTES + 1];
        byte[] head = map("id", 12, "op", "put", "key", key(9), "blob", new Raw(new byte[] {(byte) 0xc6}));
        System.arraycopy(head, 0, big, 0, head.length);
        failsWith(big, Status.TOO_LARGE, "request: frame of 1048577 bytes, at most 1048576");
        assertThat(request.id()).isEqualTo(12);
        ByteBuffer direct = ByteBuffer.allocateDirect(big.length).put(big).flip();
        assertThat(decoder.decode(direct, request)).isEqualTo(Status.TOO_LARGE);
        assertThat(request.id()).isEqualTo(12);
        byte[] atLimit = new byte[Protocol.MAX_MESSAGE_BYTES];
        System.arraycopy(head, 0, atLimit, 0, head.length);
        assertThat(decoder.decode(atLimit, 0, atLimit.length, request)).as(request.error())
                .isEqualTo(Status.BAD_REQUEST);
    }

    @Test
    void shouldRefuseMoreValuesThanTheLimit() {
        List<Object> many = new ArrayList<>();
        for (int i = 0; i <= Protocol.MAX_VALUES; i++) {
            many.add(i & 0x7f);
        }
        failsWith(map("id", 13, "op", "put", "key", key(10), "values", many), Status.TOO_LARGE,
                "values: 65537 values, at most 65536 per request");
        assertThat(request.id()).isEqualTo(13);
        List<Object> half = many.subList(0, Protocol.MAX_VALUES / 2 + 1);
        failsWith(map("op", "batch", "id", 14, "ops", List.of(
                        entries("op", "put", "key", key(10), "values", half),
                        entries("op", "put", "key", key(11), "values", half))), Status.TOO_LARGE,
                "ops[1].values: 32769 values after 32769 in earlier ops, at most 65536 per request "
                        + "(a batch counted whole)");
        assertThat(request.id()).isEqualTo(14);
    }

    @Test
    void shouldRefuseMoreOpsThanTheLimit() {
        List<Object> ops = new ArrayList<>();
        for (int i = 0; i <= Protocol.MAX_BATCH_OPS; i++) {
            ops.add(entries("op", "ping"));
        }
        failsWith(map("id", 15, "op", "batch", "ops", ops), Status.TOO_LARGE, "ops: 1025 ops, at most 1024 per batch");
        assertThat(request.id()).isEqualTo(15);
    }

    @Test
    void shouldCheckHugeDeclaredSizesBeforeReading() {
        byte[] array32 = {(byte) 0xdd, -1, -1, -1, -1};
        failsWith(map("op", "put", "key", key(12), "values", new Raw(array32)), Status.BAD_REQUEST,
                "values: truncated, array of 4294967295 elements declared before offset 58 but 0 bytes left");
        failsWith(map("op", "batch", "ops", new Raw(array32)), Status.BAD_REQUEST,
                "ops: truncated, array of 4294967295 elements declared before offset 19 but 0 bytes left");
        failsWith(new byte[] {(byte) 0xdf, -1, -1, -1, -1, (byte) 0xa1, 'x', 1}, Status.BAD_REQUEST,
                "request: truncated, map of 4294967295 entries declared before offset 5 but 3 bytes left");
        failsWith(map("op", "get", "key", new Raw(new byte[] {(byte) 0xc6, -1, -1, -1, -1})), Status.BAD_REQUEST,
                "key: truncated, bin of 4294967295 bytes declared before offset 17 but 0 bytes left");
        failsWith(map("op", "ping", "x", new Raw(new byte[] {(byte) 0xdb, 0x7f, -1, -1, -1})), Status.BAD_REQUEST,
                "field \"x\": truncated, str of 2147483647 bytes declared before offset 16 but 0 bytes left");
        failsWith(map("op", "ping", "x", new Raw(new byte[] {(byte) 0xc9, -1, -1, -1, -1, 1})), Status.BAD_REQUEST,
                "field \"x\": truncated, ext of 4294967295 bytes declared at offset 11 but 0 bytes left");
        failsWith(new byte[] {(byte) 0x81, (byte) 0xdb, -1, -1, -1, -1}, Status.BAD_REQUEST,
                "request: truncated, str of 4294967295 bytes declared before offset 6 but 0 bytes left");
    }

    @Test
    void shouldRefuseDeepNestingWithoutRecursion() {
        byte[] deep = nestedArrays(10_000);
        failsWith(map("id", 16, "op", "ping", "deep", new Raw(deep)), Status.BAD_REQUEST,
                "field \"deep\": nested deeper than 32 levels at offset 49");
        assertThat(request.id()).isEqualTo(16);
        byte[] deepMaps = new byte[10_000 * 2 + 1];
        for (int i = 0; i < 10_000; i++) {
            deepMaps[2 * i] = (byte) 0x81; // {0: {0: ...}}
            deepMaps[2 * i + 1] = 0;
        }
        deepMaps[deepMaps.length - 1] = (byte) 0xc0;
        fails(map("op", "ping", "deep", new Raw(deepMaps)), Status.BAD_REQUEST);
        fails(deepMaps, Status.BAD_REQUEST);
        // 31 levels of arrays under the request map are fine
        byte[] ok = map("op", "ping", "deep", new Raw(nestedArrays(31)));
        assertThat(decoder.decode(ok, 0, ok.length, request)).as(request.error()).isEqualTo(Status.OK);
        byte[] tooDeep = map("op", "ping", "deep", new Raw(nestedArrays(32)));
        fails(tooDeep, Status.BAD_REQUEST);
    }

    // ---- batch ----------------------------------------------------------------------------------

    @Test
    void shouldNameTheBatchOpThatIsWrong() {
        failsWith(map("op", "batch", "id", 20, "ops", List.of(entries("op", "ping"), entries("op", "get", "key",
                new byte[3]))), Status.BAD_REQUEST, "ops[1].key: expected bin of 32 bytes, got bin of 3 bytes");
        assertThat(request.id()).isEqualTo(20);
        failsWith(map("op", "batch", "ops", List.of(entries("op", "ping"), 5)), Status.BAD_REQUEST,
                "ops[1]: expected map, got int");
        failsWith(map("op", "batch", "ops", List.of(entries("key", key(13)))), Status.BAD_REQUEST,
                "ops[0].op: missing (every request needs op)");
        failsWith(map("op", "batch", "ops", List.of(entries("op", "count"))), Status.BAD_REQUEST,
                "ops[0].key: missing (count needs key)");
        failsWith(map("op", "batch", "ops", List.of(entries("op", "batch", "ops", List.of()))), Status.BAD_REQUEST,
                "ops[0].op: a batch cannot contain a batch");
        failsWith(map("op", "batch", "ops", List.of(entries("ops", List.of(), "op", "ping"))), Status.BAD_REQUEST,
                "ops[0].ops: a batch op cannot hold ops (a batch cannot contain a batch)");
        failsWith(map("op", "batch", "ops", List.of(entries("op", "ping", "id", 1))), Status.BAD_REQUEST,
                "ops[0].id: not allowed in a batch op (the batch's id covers its ops)");
        failsWith(map("op", "batch", "ops", List.of(entries("v", 1, "op", "ping"))), Status.BAD_REQUEST,
                "ops[0].v: not allowed in a batch op (the batch's v covers its ops)");
        failsWith(map("op", "batch", "ops", List.of(entries("op", "put", "key", key(14), "values",
                List.of(1, new U64(-1), -1)))), Status.BAD_REQUEST, "ops[0].values[2]: expected uint64, got negative int -1");
        failsWith(map("op", "batch", "ops", List.of(entries("op", "ping", "x", new Raw(nestedArrays(40))))),
                Status.BAD_REQUEST, "ops[0].field \"x\": nested deeper than 32 levels at offset 55");
        failsWith(map("op", "batch", "ops", "ping"), Status.BAD_REQUEST, "ops: expected array, got str");
    }

    @Test
    void shouldNameAFieldWithANonStrName() {
        failsWith(map(5, new Raw(new byte[] {(byte) 0xc1}), "op", "ping"), Status.BAD_REQUEST,
                "field with a non-str name at offset 1: not msgpack, invalid byte 0xc1 at offset 2");
    }

    /** {@code depth} nested one-element arrays around a nil: [[[...nil...]]]. */
    static byte[] nestedArrays(int depth) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(depth + 1);
        for (int i = 0; i < depth; i++) {
            out.write(0x91);
        }
        out.write(0xc0);
        return out.toByteArray();
    }
}
