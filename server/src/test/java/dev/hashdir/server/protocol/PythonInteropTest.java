package dev.hashdir.server.protocol;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.hashdir.server.protocol.Frames.KEY_BYTES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Python client's view: requests packed by Python's msgpack ({@code msgpack.packb}, as the
 * Python client will) decode here, and replies encoded here unpack in Python to the values set,
 * uint64 above 2^63 included. Needs {@code /usr/bin/python3} with msgpack (Debian:
 * {@code apt-get install python3-msgpack}, which ./run-tests installs); without it this test fails.
 */
class PythonInteropTest {

    /** Debian's interpreter, which has python3-msgpack; the python3 on PATH may not. */
    private static final String PYTHON = "/usr/bin/python3";

    private static final String PACK_REQUESTS = """
            import msgpack
            key = bytes(range(32))
            requests = [
                {"v": 1, "id": 1, "op": "ping"},
                {"v": 1, "id": 2**64 - 1, "op": "put", "key": key, "values": [0, 2**63 - 1, 2**63, 2**64 - 1]},
                {"v": 1, "id": 3, "op": "get", "key": key, "after": 2**63, "limit": 10},
                {"v": 1, "id": 4, "op": "batch", "ops": [{"op": "contains", "key": key, "value": 2**64 - 1},
                                                         {"op": "delete", "key": key}]},
                {"v": 1, "id": 5, "op": "scan", "cursor": key, "limit": None, "client": "python"},
                {"v": 1, "id": 6, "op": "get", "key": "a str, not bytes"},
            ]
            for r in requests:
                print(msgpack.packb(r).hex())
            """;

    private static final String UNPACK_REPLIES = """
            import msgpack, sys
            for line in sys.stdin:
                print(repr(msgpack.unpackb(bytes.fromhex(line.strip()))))
            """;

    private final RequestDecoder decoder = new RequestDecoder(KEY_BYTES);
    private final Request request = new Request(KEY_BYTES);
    private final ReplyEncoder encoder = new ReplyEncoder();
    private final Reply reply = new Reply();

    @Test
    void shouldDecodeRequestsPackedByPython() throws Exception {
        List<String> frames = python(PACK_REQUESTS, "");
        assertThat(frames).hasSize(6);
        byte[] key = ProtocolExamplesTest.KEY;

        decode(frames.get(0), Status.OK);
        assertThat(request.op()).isEqualTo(Op.PING);

        decode(frames.get(1), Status.OK);
        assertThat(request.id()).isEqualTo(-1L);
        assertThat(request.key()).isEqualTo(key);
        assertThat(request.valuesToArray()).containsExactly(0, Long.MAX_VALUE, Long.MIN_VALUE, -1L);

        decode(frames.get(2), Status.OK);
        assertThat(request.after()).isEqualTo(Long.MIN_VALUE);
        assertThat(request.limit()).isEqualTo(10);

        decode(frames.get(3), Status.OK);
        assertThat(request.opCount()).isEqualTo(2);
        assertThat(request.op(0).value()).isEqualTo(-1L);
        assertThat(request.op(1).op()).isEqualTo(Op.DELETE);

        decode(frames.get(4), Status.OK);
        assertThat(request.hasLimit()).isFalse();
        assertThat(Arrays.copyOf(request.cursor(), request.cursorLength())).isEqualTo(key);

        decode(frames.get(5), Status.BAD_REQUEST);
        assertThat(request.error()).isEqualTo("key: expected bin of 32 bytes, got str");
        assertThat(request.id()).isEqualTo(6);
    }

    @Test
    void shouldEncodeRepliesPythonReads() throws Exception {
        byte[] keys = new byte[2 * KEY_BYTES];
        System.arraycopy(ProtocolExamplesTest.KEY, 0, keys, 0, KEY_BYTES);
        Map<String, Number> stats = new LinkedHashMap<>();
        stats.put("keys", 2L);
        stats.put("load_factor", 0.5);
        StringBuilder hex = new StringBuilder();
        hex.append(encode(reply.ok(Op.GET).id(-1L).values(new long[] {Long.MIN_VALUE, -1L}, 0, 2, 2, false)));
        hex.append(encode(reply.ok(Op.SCAN).id(2).keys(keys, 0, 2, KEY_BYTES, null, 0, 0)));
        reply.ok(Op.BATCH).id(3).results(2);
        reply.result(0).ok(Op.PUT).added(1);
        reply.result(1).fail(Status.READ_ONLY, "disk full");
        hex.append(encode(reply));
        hex.append(encode(reply.ok(Op.STATS).id(4).stats(stats)));
        hex.append(encode(reply.reset().fail(Status.BAD_REQUEST, "request: expected map, got array")));

        List<String> decoded = python(UNPACK_REPLIES, hex.toString());
        String key = "b'" + hexEscaped(ProtocolExamplesTest.KEY) + "'";
        String zeros = "b'" + "\\x00".repeat(KEY_BYTES) + "'";
        assertThat(decoded).containsExactly(
                "{'v': 1, 'id': 18446744073709551615, 'status': 'ok', 'values': [9223372036854775808, "
                        + "18446744073709551615], 'count': 2, 'more': False}",
                "{'v': 1, 'id': 2, 'status': 'ok', 'keys': [" + key + ", " + zeros + "], 'cursor': None}",
                "{'v': 1, 'id': 3, 'status': 'ok', 'results': [{'status': 'ok', 'added': 1}, "
                        + "{'status': 'read_only', 'error': 'disk full'}]}",
                "{'v': 1, 'id': 4, 'status': 'ok', 'stats': {'keys': 2, 'load_factor': 0.5}}",
                "{'v': 1, 'status': 'bad_request', 'error': 'request: expected map, got array'}");
    }

    private void decode(String hex, Status status) {
        byte[] frame = HexFormat.of().parseHex(hex);
        assertThat(decoder.decode(frame, 0, frame.length, request)).as(request.error()).isEqualTo(status);
    }

    private String encode(Reply r) {
        return HexFormat.of().formatHex(encoder.buffer(), 0, encoder.encode(r)) + "\n";
    }

    /** Python's repr of bytes: printable ASCII as is (quote and backslash escaped), the rest \xNN. */
    private static String hexEscaped(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c == '\\' || c == '\'') {
                s.append('\\').append((char) c);
            } else if (c == '\t') {
                s.append("\\t");
            } else if (c == '\n') {
                s.append("\\n");
            } else if (c == '\r') {
                s.append("\\r");
            } else if (c >= 0x20 && c < 0x7f) {
                s.append((char) c);
            } else {
                s.append(String.format("\\x%02x", c));
            }
        }
        return s.toString();
    }

    private static List<String> python(String script, String input) throws IOException, InterruptedException {
        assertThat(Path.of(PYTHON)).as("%s is missing: install python3-msgpack (apt-get install python3-msgpack)",
                PYTHON).exists();
        Process p = new ProcessBuilder(PYTHON, "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("python finished").isTrue();
        assertThat(p.exitValue()).as("python failed (needs python3-msgpack: apt-get install python3-msgpack):%n%s",
                out).isZero();
        return out.lines().toList();
    }
}
