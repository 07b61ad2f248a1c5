package dev.hashdir.server.protocol;

import dev.hashdir.server.protocol.Frames.Raw;
import dev.hashdir.server.protocol.Frames.U64;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static dev.hashdir.server.protocol.Frames.KEY_BYTES;
import static dev.hashdir.server.protocol.Frames.entries;
import static dev.hashdir.server.protocol.Frames.key;
import static dev.hashdir.server.protocol.Frames.map;
import static org.assertj.core.api.Assertions.assertThat;

/** Valid requests of every op, packed by msgpack-core as a client would, decode field by field. */
class RequestDecoderTest {

    private static final long[] EDGES = {0, 1, 127, 128, 255, 256, 65_535, 65_536, 0xffff_ffffL, 1L << 32,
            Long.MAX_VALUE, Long.MIN_VALUE, -2, -1};

    private final RequestDecoder decoder = new RequestDecoder(KEY_BYTES);
    private final Request request = new Request(KEY_BYTES);

    private Request ok(byte[] frame) {
        Status status = decoder.decode(frame, 0, frame.length, request);
        assertThat(status).as("status of %s: %s", HexFormat.of().formatHex(frame), request.error())
                .isEqualTo(Status.OK);
        assertThat(request.status()).isEqualTo(Status.OK);
        assertThat(request.error()).isNull();
        return request;
    }

    @Test
    void shouldDecodePing() {
        Request r = ok(map("v", 1, "id", 7, "op", "ping"));
        assertThat(r.op()).isEqualTo(Op.PING);
        assertThat(r.version()).isEqualTo(1);
        assertThat(r.hasId()).isTrue();
        assertThat(r.id()).isEqualTo(7);
        assertThat(r.hasKey()).isFalse();
        assertThat(r.hasValue()).isFalse();
        assertThat(r.hasValues()).isFalse();
        assertThat(r.opCount()).isZero();
    }

    @Test
    void shouldDecodePutOfOneValueOverTheWholeUint64Range() {
        for (long edge : EDGES) {
            Request r = ok(map("v", 1, "id", new U64(edge), "op", "put", "key", key(1), "value", new U64(edge)));
            assertThat(r.op()).isEqualTo(Op.PUT);
            assertThat(r.id()).as("id %s", Long.toUnsignedString(edge)).isEqualTo(edge);
            assertThat(r.key()).isEqualTo(key(1));
            assertThat(r.hasValue()).isTrue();
            assertThat(r.value()).as("value %s", Long.toUnsignedString(edge)).isEqualTo(edge);
            assertThat(r.hasValues()).isFalse();
        }
    }

    @Test
    void shouldDecodePutOfManyValues() {
        List<Object> values = new ArrayList<>();
        for (long e : EDGES) {
            values.add(new U64(e));
        }
        Request r = ok(map("v", 1, "id", 1, "op", "put", "key", key(2), "values", values));
        assertThat(r.hasValues()).isTrue();
        assertThat(r.hasValue()).isFalse();
        assertThat(r.valueCount()).isEqualTo(EDGES.length);
        assertThat(r.valuesToArray()).containsExactly(EDGES);
        for (int i = 0; i < EDGES.length; i++) {
            assertThat(r.value(i)).isEqualTo(EDGES[i]);
            assertThat(r.valueArray()[r.valuesOffset() + i]).isEqualTo(EDGES[i]);
        }
    }

    @Test
    void shouldDecodePutOfNoValuesAndOfTheMaximum() {
        assertThat(ok(map("op", "put", "key", key(3), "values", List.of())).valueCount()).isZero();
        List<Object> many = new ArrayList<>();
        for (int i = 0; i < Protocol.MAX_VALUES; i++) {
            many.add(new U64(-1L - i));
        }
        Request r = ok(map("op", "put", "key", key(3), "values", many));
        assertThat(r.valueCount()).isEqualTo(Protocol.MAX_VALUES);
        assertThat(r.value(0)).isEqualTo(-1L);
        assertThat(r.value(Protocol.MAX_VALUES - 1)).isEqualTo(-(long) Protocol.MAX_VALUES);
    }

    @Test
    void shouldDecodeGetWithAndWithoutPaging() {
        Request r = ok(map("v", 1, "id", 2, "op", "get", "key", key(4)));
        assertThat(r.op()).isEqualTo(Op.GET);
        assertThat(r.hasAfter()).isFalse();
        assertThat(r.hasLimit()).isFalse();
        assertThat(r.limit()).isEqualTo(Protocol.DEFAULT_LIMIT);

        r = ok(map("v", 1, "id", 2, "op", "get", "key", key(4), "after", new U64(-5), "limit", 50));
        assertThat(r.hasAfter()).isTrue();
        assertThat(r.after()).isEqualTo(-5L);
        assertThat(r.hasLimit()).isTrue();
        assertThat(r.limit()).isEqualTo(50);
    }

    @Test
    void shouldCapLimitAtTheMaximumAndAcceptZero() {
        assertThat(ok(map("op", "get", "key", key(5), "limit", 0)).limit()).isZero();
        assertThat(ok(map("op", "get", "key", key(5), "limit", Protocol.MAX_LIMIT)).limit())
                .isEqualTo(Protocol.MAX_LIMIT);
        assertThat(ok(map("op", "get", "key", key(5), "limit", Protocol.MAX_LIMIT + 1)).limit())
                .isEqualTo(Protocol.MAX_LIMIT);
        assertThat(ok(map("op", "scan", "limit", new U64(-1))).limit()).isEqualTo(Protocol.MAX_LIMIT);
    }

    @Test
    void shouldDecodeContainsCountRemoveDelete() {
        Request r = ok(map("v", 1, "id", 3, "op", "contains", "key", key(6), "value", new U64(Long.MIN_VALUE)));
        assertThat(r.op()).isEqualTo(Op.CONTAINS);
        assertThat(r.value()).isEqualTo(Long.MIN_VALUE);
        assertThat(r.key()).isEqualTo(key(6));

        r = ok(map("v", 1, "id", 4, "op", "count", "key", key(7)));
        assertThat(r.op()).isEqualTo(Op.COUNT);
        assertThat(r.key()).isEqualTo(key(7));

        r = ok(map("v", 1, "id", 5, "op", "remove", "key", key(8), "value", 9));
        assertThat(r.op()).isEqualTo(Op.REMOVE);
        assertThat(r.value()).isEqualTo(9);

        r = ok(map("v", 1, "id", 6, "op", "delete", "key", key(9)));
        assertThat(r.op()).isEqualTo(Op.DELETE);
        assertThat(r.key()).isEqualTo(key(9));
    }

    @Test
    void shouldDecodeScanFromTheStartAndFromACursor() {
        Request r = ok(map("v", 1, "id", 8, "op", "scan"));
        assertThat(r.op()).isEqualTo(Op.SCAN);
        assertThat(r.hasCursor()).isFalse();
        assertThat(r.limit()).isEqualTo(Protocol.DEFAULT_LIMIT);

        byte[] cursor = key(10);
        r = ok(map("v", 1, "id", 8, "op", "scan", "cursor", cursor, "limit", 100));
        assertThat(r.hasCursor()).isTrue();
        assertThat(r.cursorLength()).isEqualTo(KEY_BYTES);
        assertThat(r.cursor()).startsWith(cursor);
        assertThat(r.limit()).isEqualTo(100);

        r = ok(map("op", "scan", "cursor", new byte[Protocol.MAX_CURSOR_BYTES]));
        assertThat(r.cursorLength()).isEqualTo(Protocol.MAX_CURSOR_BYTES);
        r = ok(map("op", "scan", "cursor", new byte[0]));
        assertThat(r.hasCursor()).isTrue();
        assertThat(r.cursorLength()).isZero();
    }

    @Test
    void shouldDecodeStats() {
        assertThat(ok(map("v", 1, "id", 9, "op", "stats")).op()).isEqualTo(Op.STATS);
    }

    @Test
    void shouldDecodeBatchOfEveryOtherOp() {
        byte[] frame = map("v", 1, "id", 10, "op", "batch", "ops", List.of(
                entries("op", "ping"),
                entries("op", "put", "key", key(11), "value", new U64(-1)),
                entries("op", "put", "key", key(12), "values", List.of(1, new U64(Long.MIN_VALUE), 3)),
                entries("op", "get", "key", key(11), "after", 5, "limit", 2),
                entries("op", "contains", "key", key(11), "value", 4),
                entries("op", "count", "key", key(12)),
                entries("op", "remove", "key", key(12), "value", 3),
                entries("op", "delete", "key", key(11)),
                entries("op", "scan", "cursor", key(13), "limit", 7),
                entries("op", "stats"),
                entries("op", "put", "key", key(14), "values", List.of(8, 9))));
        Request r = ok(frame);
        assertThat(r.op()).isEqualTo(Op.BATCH);
        assertThat(r.id()).isEqualTo(10);
        assertThat(r.hasOps()).isTrue();
        assertThat(r.opCount()).isEqualTo(11);
        assertThat(r.op(0).op()).isEqualTo(Op.PING);
        assertThat(r.op(0).inBatch()).isTrue();
        assertThat(r.op(0).hasId()).isFalse();
        assertThat(r.op(1).value()).isEqualTo(-1L);
        assertThat(r.op(1).key()).isEqualTo(key(11));
        assertThat(r.op(2).valuesToArray()).containsExactly(1, Long.MIN_VALUE, 3);
        assertThat(r.op(3).after()).isEqualTo(5);
        assertThat(r.op(3).limit()).isEqualTo(2);
        assertThat(r.op(4).op()).isEqualTo(Op.CONTAINS);
        assertThat(r.op(5).key()).isEqualTo(key(12));
        assertThat(r.op(6).value()).isEqualTo(3);
        assertThat(r.op(7).op()).isEqualTo(Op.DELETE);
        assertThat(r.op(8).cursor()).startsWith(key(13));
        assertThat(r.op(8).limit()).isEqualTo(7);
        assertThat(r.op(9).op()).isEqualTo(Op.STATS);
        assertThat(r.op(10).valuesToArray()).containsExactly(8, 9);
        assertThat(r.op(10).valueArray()).isSameAs(r.op(2).valueArray());
    }

    @Test
    void shouldDecodeAnEmptyBatchAndTheLargestOne() {
        Request r = ok(map("op", "batch", "ops", List.of()));
        assertThat(r.hasOps()).isTrue();
        assertThat(r.opCount()).isZero();

        List<Object> ops = new ArrayList<>();
        for (int i = 0; i < Protocol.MAX_BATCH_OPS; i++) {
            ops.add(entries("op", "contains", "key", key(i), "value", i));
        }
        r = ok(map("op", "batch", "ops", ops));
        assertThat(r.opCount()).isEqualTo(Protocol.MAX_BATCH_OPS);
        assertThat(r.op(Protocol.MAX_BATCH_OPS - 1).key()).isEqualTo(key(Protocol.MAX_BATCH_OPS - 1));
        assertThat(r.op(Protocol.MAX_BATCH_OPS - 1).value()).isEqualTo(Protocol.MAX_BATCH_OPS - 1);
    }

    @Test
    void shouldReadAMissingOrNilVersionAsOneAndMissingIdAsNone() {
        Request r = ok(map("op", "ping"));
        assertThat(r.version()).isEqualTo(Protocol.VERSION_WHEN_ABSENT).isEqualTo(1);
        assertThat(r.hasId()).isFalse();
        r = ok(map("v", null, "id", null, "op", "ping"));
        assertThat(r.version()).isEqualTo(1);
        assertThat(r.hasId()).isFalse();
    }

    @Test
    void shouldTreatNilOptionalFieldsAsAbsent() {
        Request r = ok(map("op", "get", "key", key(15), "after", null, "limit", null));
        assertThat(r.hasAfter()).isFalse();
        assertThat(r.hasLimit()).isFalse();
        r = ok(map("op", "scan", "cursor", null));
        assertThat(r.hasCursor()).isFalse();
    }

    @Test
    void shouldReadFieldsInAnyOrder() {
        Request r = ok(map("value", 5, "key", key(16), "id", 11, "op", "remove", "v", 1));
        assertThat(r.op()).isEqualTo(Op.REMOVE);
        assertThat(r.value()).isEqualTo(5);
        assertThat(r.id()).isEqualTo(11);
        r = ok(map("ops", List.of(entries("key", key(17), "op", "count")), "op", "batch"));
        assertThat(r.op(0).op()).isEqualTo(Op.COUNT);
    }

    @Test
    void shouldSkipUnknownFieldsOfEveryKind() {
        byte[] ext = {(byte) 0xd6, (byte) 0xff, 0, 0, 0, 1}; // fixext4 timestamp
        byte[] frame = map(
                "trace", "abc",
                "future", entries("a", List.of(1, 2, entries("b", List.of(List.of(List.of())))), "c", 2.5),
                "when", new Raw(ext),
                "blob", new byte[300],
                "flags", java.util.Arrays.asList(true, false, null, -7, new U64(-1), 1.5),
                7, "an int key",
                new Raw(new byte[] {(byte) 0x91, 0x01}), "an array key",
                "v", 1, "id", 12, "op", "put", "key", key(18), "value", 3,
                "ops2", List.of(entries("op", "batch")));
        Request r = ok(frame);
        assertThat(r.op()).isEqualTo(Op.PUT);
        assertThat(r.id()).isEqualTo(12);
        assertThat(r.value()).isEqualTo(3);
    }

    @Test
    void shouldSkipUnknownFieldsInBatchOps() {
        Request r = ok(map("op", "batch", "ops", List.of(entries("op", "count", "key", key(19), "hint",
                entries("x", List.of(1, 2, 3))))));
        assertThat(r.op(0).op()).isEqualTo(Op.COUNT);
    }

    @Test
    void shouldValidateButIgnoreFieldsTheOpDoesNotUse() {
        Request r = ok(map("op", "ping", "key", key(20), "value", 1, "limit", 3));
        assertThat(r.op()).isEqualTo(Op.PING);
        assertThat(r.hasKey()).isTrue();
    }

    @Test
    void shouldAcceptEveryIntegerFormatOfANonNegativeValue() {
        // value 5 as positive fixint, uint8, uint16, uint32, uint64, int8, int16, int32, int64
        byte[][] fives = {
                {0x05},
                {(byte) 0xcc, 5},
                {(byte) 0xcd, 0, 5},
                {(byte) 0xce, 0, 0, 0, 5},
                {(byte) 0xcf, 0, 0, 0, 0, 0, 0, 0, 5},
                {(byte) 0xd0, 5},
                {(byte) 0xd1, 0, 5},
                {(byte) 0xd2, 0, 0, 0, 5},
                {(byte) 0xd3, 0, 0, 0, 0, 0, 0, 0, 5}};
        for (byte[] five : fives) {
            Request r = ok(map("op", "contains", "key", key(21), "value", new Raw(five), "id", new Raw(five)));
            assertThat(r.value()).as(HexFormat.of().formatHex(five)).isEqualTo(5);
            assertThat(r.id()).isEqualTo(5);
        }
        Request r = ok(map("op", "contains", "key", key(21), "value",
                new Raw(new byte[] {(byte) 0xcf, -1, -1, -1, -1, -1, -1, -1, -1})));
        assertThat(r.value()).isEqualTo(-1L);
    }

    @Test
    void shouldDecodeFromHeapDirectAndOffsetBuffers() {
        byte[] frame = map("v", 1, "id", 13, "op", "get", "key", key(22), "limit", 4);
        ByteBuffer heap = ByteBuffer.allocate(frame.length + 10).position(5);
        heap.put(frame).flip().position(5);
        assertThat(decoder.decode(heap, request)).isEqualTo(Status.OK);
        assertThat(request.key()).isEqualTo(key(22));
        assertThat(heap.position()).isEqualTo(5);

        ByteBuffer direct = ByteBuffer.allocateDirect(frame.length + 3).position(3);
        direct.put(frame).flip().position(3);
        assertThat(decoder.decode(direct, request)).isEqualTo(Status.OK);
        assertThat(request.limit()).isEqualTo(4);
        assertThat(request.id()).isEqualTo(13);

        byte[] padded = new byte[frame.length + 20];
        System.arraycopy(frame, 0, padded, 7, frame.length);
        assertThat(decoder.decode(padded, 7, frame.length, request)).isEqualTo(Status.OK);
        assertThat(request.key()).isEqualTo(key(22));
    }

    @Test
    void shouldCopyOutOfTheFrameSoTheFrameCanBeReused() {
        byte[] frame = map("op", "put", "key", key(23), "values", List.of(1, 2));
        ok(frame);
        java.util.Arrays.fill(frame, (byte) 0);
        assertThat(request.key()).isEqualTo(key(23));
        assertThat(request.valuesToArray()).containsExactly(1, 2);
    }

    @Test
    void shouldForgetThePreviousRequest() {
        ok(map("v", 1, "id", 14, "op", "get", "key", key(24), "after", 3, "limit", 9));
        Request r = ok(map("op", "ping"));
        assertThat(r.hasId()).isFalse();
        assertThat(r.hasKey()).isFalse();
        assertThat(r.hasAfter()).isFalse();
        assertThat(r.hasLimit()).isFalse();
        assertThat(r.limit()).isEqualTo(Protocol.DEFAULT_LIMIT);
        ok(map("op", "batch", "ops", List.of(entries("op", "ping"))));
        r = ok(map("op", "ping"));
        assertThat(r.opCount()).isZero();
        assertThat(r.hasOps()).isFalse();
    }
}
