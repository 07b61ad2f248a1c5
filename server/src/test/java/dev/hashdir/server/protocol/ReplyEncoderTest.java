package dev.hashdir.server.protocol;

import dev.hashdir.server.protocol.Frames.U64;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hashdir.server.protocol.Frames.KEY_BYTES;
import static dev.hashdir.server.protocol.Frames.entries;
import static dev.hashdir.server.protocol.Frames.key;
import static dev.hashdir.server.protocol.Frames.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Replies of every op encode to exactly the bytes msgpack-core's packer makes of the same map
 * (smallest formats, uint64 from 2^63 up), and decode back to what was set.
 */
class ReplyEncoderTest {

    private static final long[] EDGES = {0, 1, 127, 128, 255, 256, 65_535, 65_536, 0xffff_ffffL, 1L << 32,
            Long.MAX_VALUE, Long.MIN_VALUE, -2, -1};

    private final ReplyEncoder encoder = new ReplyEncoder();
    private final Reply reply = new Reply();

    private byte[] encoded(Reply r) {
        int n = encoder.encode(r);
        assertThat(n).isEqualTo(encoder.length());
        return Arrays.copyOf(encoder.buffer(), n);
    }

    private void encodesAs(Reply r, byte[] expected) {
        byte[] got = encoded(r);
        assertThat(HexFormat.of().formatHex(got)).isEqualTo(HexFormat.of().formatHex(expected));
    }

    @Test
    void shouldEncodePing() {
        encodesAs(reply.ok(Op.PING).id(1), map("v", 1, "id", 1, "status", "ok"));
    }

    @Test
    void shouldEncodePutAndCountsOverTheWholeUint64Range() {
        for (long edge : EDGES) {
            encodesAs(reply.ok(Op.PUT).id(edge).added(edge),
                    map("v", 1, "id", new U64(edge), "status", "ok", "added", new U64(edge)));
            encodesAs(reply.ok(Op.COUNT).id(edge).count(edge),
                    map("v", 1, "id", new U64(edge), "status", "ok", "count", new U64(edge)));
            encodesAs(reply.ok(Op.DELETE).id(edge).removedCount(edge),
                    map("v", 1, "id", new U64(edge), "status", "ok", "removed", new U64(edge)));
        }
    }

    @Test
    void shouldEncodeValuesFromTwoToTheSixtyThreeUpAsUint64() throws IOException {
        reply.ok(Op.GET).id(2).values(new long[] {Long.MIN_VALUE, -1L}, 0, 2, -1L, false);
        byte[] frame = encoded(reply);
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(frame)) {
            assertThat(u.unpackMapHeader()).isEqualTo(6);
            assertThat(u.unpackString()).isEqualTo("v");
            u.skipValue();
            assertThat(u.unpackString()).isEqualTo("id");
            u.skipValue();
            assertThat(u.unpackString()).isEqualTo("status");
            u.skipValue();
            assertThat(u.unpackString()).isEqualTo("values");
            assertThat(u.unpackArrayHeader()).isEqualTo(2);
            assertThat(u.getNextFormat()).isEqualTo(MessageFormat.UINT64);
            assertThat(u.unpackBigInteger()).isEqualTo(BigInteger.ONE.shiftLeft(63));
            assertThat(u.getNextFormat()).isEqualTo(MessageFormat.UINT64);
            assertThat(u.unpackBigInteger()).isEqualTo(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
            assertThat(u.unpackString()).isEqualTo("count");
            assertThat(u.getNextFormat()).isEqualTo(MessageFormat.UINT64);
            assertThat(u.unpackBigInteger()).isEqualTo(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
        }
    }

    @Test
    void shouldEncodeGetWithPageCountAndMore() {
        long[] values = new long[EDGES.length + 4];
        System.arraycopy(EDGES, 0, values, 2, EDGES.length);
        List<Object> expected = new ArrayList<>();
        for (long e : EDGES) {
            expected.add(new U64(e));
        }
        encodesAs(reply.ok(Op.GET).id(3).values(values, 2, EDGES.length, 1_000_000, true),
                map("v", 1, "id", 3, "status", "ok", "values", expected, "count", 1_000_000, "more", true));
        encodesAs(reply.ok(Op.GET).id(3).values(values, 0, 0, 0, false),
                map("v", 1, "id", 3, "status", "ok", "values", List.of(), "count", 0, "more", false));
    }

    @Test
    void shouldEncodeContainsAndRemove() {
        encodesAs(reply.ok(Op.CONTAINS).id(4).found(true), map("v", 1, "id", 4, "status", "ok", "found", true));
        encodesAs(reply.ok(Op.CONTAINS).id(4).found(false), map("v", 1, "id", 4, "status", "ok", "found", false));
        encodesAs(reply.ok(Op.REMOVE).id(5).removed(true), map("v", 1, "id", 5, "status", "ok", "removed", true));
        encodesAs(reply.ok(Op.REMOVE).id(5), map("v", 1, "id", 5, "status", "ok", "removed", false));
    }

    @Test
    void shouldEncodeScanWithAndWithoutACursor() {
        byte[] keys = new byte[3 * KEY_BYTES + 5];
        System.arraycopy(key(1), 0, keys, 5, KEY_BYTES);
        System.arraycopy(key(2), 0, keys, 5 + KEY_BYTES, KEY_BYTES);
        System.arraycopy(key(3), 0, keys, 5 + 2 * KEY_BYTES, KEY_BYTES);
        encodesAs(reply.ok(Op.SCAN).id(6).keys(keys, 5, 3, KEY_BYTES, keys, 5 + 2 * KEY_BYTES, KEY_BYTES),
                map("v", 1, "id", 6, "status", "ok", "keys", List.of(key(1), key(2), key(3)), "cursor", key(3)));
        encodesAs(reply.ok(Op.SCAN).id(6).keys(keys, 5, 1, KEY_BYTES, null, 0, 0),
                map("v", 1, "id", 6, "status", "ok", "keys", List.of(key(1)), "cursor", null));
    }

    @Test
    void shouldEncodeBatchResultsInOrderWithTheirOwnStatus() {
        reply.ok(Op.BATCH).id(7).results(3);
        reply.result(0).ok(Op.PUT).added(1);
        reply.result(1).ok(Op.GET).values(new long[] {5, -1}, 0, 2, 2, false);
        reply.result(2).fail(Status.READ_ONLY, "disk full: writes refused until space returns");
        encodesAs(reply, map("v", 1, "id", 7, "status", "ok", "results", List.of(
                entries("status", "ok", "added", 1),
                entries("status", "ok", "values", List.of(5, new U64(-1)), "count", 2, "more", false),
                entries("status", "read_only", "error", "disk full: writes refused until space returns"))));
        reply.ok(Op.BATCH).id(8).results(0);
        encodesAs(reply, map("v", 1, "id", 8, "status", "ok", "results", List.of()));
    }

    @Test
    void shouldEncodeStatsOfEveryNumberKind() {
        Map<String, Number> stats = new LinkedHashMap<>();
        stats.put("keys", 12L);
        stats.put("depth", 3);
        stats.put("load_factor", 0.75);
        stats.put("delta", -40_000L);
        stats.put("huge", new BigInteger("18446744073709551615"));
        encodesAs(reply.ok(Op.STATS).id(9).stats(stats), map("v", 1, "id", 9, "status", "ok", "stats", entries(
                "keys", 12, "depth", 3, "load_factor", 0.75, "delta", -40_000, "huge", new U64(-1))));
    }

    @Test
    void shouldEncodeEveryErrorStatusWithItsMessageAndNoResults() {
        for (Status s : Status.values()) {
            if (s == Status.OK) {
                continue;
            }
            encodesAs(reply.ok(Op.GET).id(10).fail(s, "what went wrong"),
                    map("v", 1, "id", 10, "status", s.wireName(), "error", "what went wrong"));
        }
    }

    @Test
    void shouldEncodeLongErrorMessagesInStr8Str16AndStr32() {
        for (int length : new int[] {31, 32, 255, 256, 65_535, 65_536}) {
            String error = "e".repeat(length);
            encodesAs(reply.reset().fail(Status.INTERNAL, error), map("v", 1, "status", "internal", "error", error));
        }
        String unicode = "clé \u00e9\u4e2d \uD83D\uDE00";
        encodesAs(reply.reset().fail(Status.BAD_REQUEST, unicode), map("v", 1, "status", "bad_request", "error",
                unicode));
    }

    @Test
    void shouldAnswerADecodedRequestWithItsIdAndStatus() {
        RequestDecoder decoder = new RequestDecoder(KEY_BYTES);
        Request request = new Request(KEY_BYTES);
        byte[] bad = map("op", "get", "key", new byte[3], "id", new U64(-1));
        assertThat(decoder.decode(bad, 0, bad.length, request)).isEqualTo(Status.BAD_REQUEST);
        encodesAs(reply.answer(request), map("v", 1, "id", new U64(-1), "status", "bad_request", "error",
                "key: expected bin of 32 bytes, got bin of 3 bytes"));

        byte[] v2 = map("v", 2, "op", "get", "id", 5);
        assertThat(decoder.decode(v2, 0, v2.length, request)).isEqualTo(Status.UNSUPPORTED_VERSION);
        Map<String, Value> decoded = Frames.reply(encoded(reply.answer(request)));
        assertThat(decoded.get("v").asIntegerValue().asInt()).as("highest supported").isEqualTo(Protocol.VERSION);
        assertThat(decoded.get("status").asStringValue().asString()).isEqualTo("unsupported_version");

        byte[] noId = map("op", "ping");
        assertThat(decoder.decode(noId, 0, noId.length, request)).isEqualTo(Status.OK);
        encodesAs(reply.answer(request), map("v", 1, "status", "ok"));

        byte[] batch = map("id", 6, "op", "batch", "ops", List.of(entries("op", "count", "key", key(1)),
                entries("op", "contains", "key", key(2), "value", 3)));
        assertThat(decoder.decode(batch, 0, batch.length, request)).isEqualTo(Status.OK);
        reply.answer(request);
        assertThat(reply.result(0).op()).isEqualTo(Op.COUNT);
        assertThat(reply.result(1).op()).isEqualTo(Op.CONTAINS);
        reply.result(0).count(4);
        reply.result(1).found(true);
        encodesAs(reply, map("v", 1, "id", 6, "status", "ok", "results", List.of(
                entries("status", "ok", "count", 4), entries("status", "ok", "found", true))));
    }

    @Test
    void shouldGrowForALargeReplyAndKeepGoing() {
        long[] values = new long[Protocol.MAX_LIMIT];
        Arrays.fill(values, -1L);
        reply.ok(Op.GET).id(11).values(values, 0, values.length, values.length, true);
        Map<String, Value> decoded = Frames.reply(encoded(reply));
        assertThat(encoder.length()).isGreaterThan(ReplyEncoder.INITIAL_CAPACITY);
        assertThat(decoded.get("values").asArrayValue().size()).isEqualTo(Protocol.MAX_LIMIT);
        encodesAs(reply.ok(Op.PING).id(12), map("v", 1, "id", 12, "status", "ok"));
    }

    @Test
    void shouldRefuseCallerBugs() {
        assertThatThrownBy(() -> encoder.encode(new Reply())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("an ok reply needs an op");
        assertThatThrownBy(() -> reply.fail(Status.OK, "x")).isInstanceOf(IllegalArgumentException.class);
        reply.ok(Op.BATCH).results(1);
        assertThatThrownBy(() -> reply.result(0).id(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> encoder.encode(reply.result(0))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> reply.values(new long[2], 1, 2, 0, false))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> reply.keys(new byte[64], 0, 3, 32, null, 0, 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
