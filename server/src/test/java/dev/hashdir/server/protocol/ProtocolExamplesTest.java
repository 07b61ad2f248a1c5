package dev.hashdir.server.protocol;

import dev.hashdir.server.protocol.Frames.U64;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hashdir.server.protocol.Frames.KEY_BYTES;
import static dev.hashdir.server.protocol.Frames.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The frames shown in docs/protocol.md are real: each request below is packed by msgpack-core as
 * a client would and decodes to the status the spec says, each reply is what {@link ReplyEncoder}
 * writes, and the spec shows exactly these bytes.
 */
class ProtocolExamplesTest {

    /** The example key: bytes 0x00, 0x01, ... 0x1f. */
    static final byte[] KEY = new byte[KEY_BYTES];

    static {
        for (int i = 0; i < KEY_BYTES; i++) {
            KEY[i] = (byte) i;
        }
    }

    private final RequestDecoder decoder = new RequestDecoder(KEY_BYTES);
    private final Request request = new Request(KEY_BYTES);
    private final ReplyEncoder encoder = new ReplyEncoder();
    private final Reply reply = new Reply();

    @Test
    void shouldShowRealFramesInTheSpec() throws IOException {
        Map<String, String> examples = new LinkedHashMap<>();

        byte[] ping = map("v", 1, "id", 1, "op", "ping");
        decodes(ping, Status.OK);
        examples.put("ping request", hex(ping));
        examples.put("ping reply", hex(encode(reply.answer(request))));

        byte[] put = map("v", 1, "id", 2, "op", "put", "key", KEY, "values", List.of(7, new U64(-1)));
        decodes(put, Status.OK);
        examples.put("put request", hex(put));
        examples.put("put reply", hex(encode(reply.answer(request).added(2))));

        byte[] get = map("v", 1, "id", 3, "op", "get", "key", KEY, "limit", 2);
        decodes(get, Status.OK);
        examples.put("get request", hex(get));
        examples.put("get reply", hex(encode(reply.answer(request).values(new long[] {7, -1L}, 0, 2, 2, false))));

        byte[] badKey = map("v", 1, "id", 4, "op", "count", "key", new byte[] {1, 2, 3});
        decodes(badKey, Status.BAD_REQUEST);
        examples.put("bad_request request", hex(badKey));
        examples.put("bad_request reply", hex(encode(reply.answer(request))));

        byte[] v2 = map("v", 2, "id", 5, "op", "ping");
        decodes(v2, Status.UNSUPPORTED_VERSION);
        examples.put("unsupported_version reply", hex(encode(reply.answer(request))));

        examples.forEach((name, hex) -> System.out.printf("%-26s %s%n", name, hex));
        String spec = Files.readString(Path.of("..", "docs", "protocol.md"), StandardCharsets.UTF_8);
        examples.forEach((name, hex) -> assertThat(spec).as("docs/protocol.md shows the %s", name).contains(hex));
    }

    private void decodes(byte[] frame, Status status) {
        assertThat(decoder.decode(frame, 0, frame.length, request)).as(request.error()).isEqualTo(status);
    }

    private byte[] encode(Reply r) {
        return Arrays.copyOf(encoder.buffer(), encoder.encode(r));
    }

    private static String hex(byte[] frame) {
        return HexFormat.of().formatHex(frame);
    }
}
