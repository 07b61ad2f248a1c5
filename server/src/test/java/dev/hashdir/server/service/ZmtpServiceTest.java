package dev.hashdir.server.service;

import dev.hashdir.client.zmtp.Zmtp;
import dev.hashdir.client.zmtp.ZmtpDealer;
import dev.hashdir.server.zmq.DataPlane;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.value.Value;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ZMTP transport (transport=zmtp) in front of a real store: oversized frames refused from their
 * header, seeded garbage and damaged requests through a pipelined connection (every one answered
 * with a status, the server unharmed), and our own blocking DEALER doing data ops.
 */
class ZmtpServiceTest {

    @TempDir
    Path dir;
    private HashdirServer server;
    private String host;
    private int port;

    @BeforeEach
    void start() throws IOException {
        server = HashdirServer.start(dev.hashdir.server.config.ServerConfig.resolve(null,
                Map.of("HASHDIR_TRANSPORT", "zmtp"), new HashMap<>(Map.of("data", dir.resolve("data").toString(),
                        "bind", "tcp://127.0.0.1:*", "http", "127.0.0.1:0"))));
        server.recover();
        assertThat(server.dataPlane().kind()).isEqualTo(DataPlane.Kind.ZMTP);
        URI u = URI.create(server.dataPlane().endpoint());
        host = u.getHost();
        port = u.getPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void shouldRefuseAnOversizedFrameFromItsHeaderAndGoOn() throws Exception {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            byte[] b = new byte[128];
            out.write(b, 0, Zmtp.greeting(b, 0, false));
            out.write(b, 0, Zmtp.ready(b, 0, "DEALER", null));
            byte[] start = Wire.pack(Wire.m("id", 77, "op", "put"));
            byte[] body = Arrays.copyOf(start, (2 << 20) + 5); // over the 1 MiB limit
            out.write(b, 0, Zmtp.frameHeader(b, 0, 0, body.length));
            out.write(body);
            byte[] ping = Wire.pack(Wire.m("id", 78, "op", "ping"));
            out.write(b, 0, Zmtp.frameHeader(b, 0, 0, ping.length));
            out.write(ping);
            out.flush();
            InputStream in = s.getInputStream();
            in.readNBytes(64);
            frame(in); // READY
            Map<String, Value> r = Wire.unpack(frame(in));
            assertThat(r.get("status").toString()).isEqualTo("too_large");
            assertThat(r.get("id").toString()).isEqualTo("77");
            assertThat(r.get("error").toString()).contains("frame of " + body.length + " bytes");
            r = Wire.unpack(frame(in));
            assertThat(r.get("status").toString()).isEqualTo("ok");
            assertThat(r.get("id").toString()).isEqualTo("78");
        }
    }

    /**
     * Seeded fuzz through the socket: random bytes, valid requests truncated or with bytes flipped,
     * pipelined on one connection; each is answered (one reply per request, a status in each) and a
     * clean connection still reads what the valid ones wrote.
     */
    @Test
    void shouldAnswerEveryFuzzedRequestThroughTheSocket() throws Exception {
        long seed = Long.getLong("zmtp.fuzz.seed", System.nanoTime());
        Random rnd = new Random(seed);
        int n = 3000;
        Map<String, Integer> statuses = new HashMap<>();
        try (ZmtpDealer d = new ZmtpDealer(host, port, 5000)) {
            for (int i = 0; i < n; i++) {
                byte[] valid = Wire.pack(Wire.m("id", i, "op", List.of("put", "get", "count", "contains").get(
                        rnd.nextInt(4)), "key", ServiceSocketTest.key(rnd.nextInt(50)), "value", rnd.nextInt(1000)));
                byte[] f = switch (rnd.nextInt(4)) {
                    case 0 -> randomBytes(rnd, rnd.nextInt(200));
                    case 1 -> Arrays.copyOf(valid, rnd.nextInt(valid.length + 1));
                    case 2 -> {
                        byte[] m = valid.clone();
                        for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                            m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
                        }
                        yield m;
                    }
                    default -> valid;
                };
                d.send(f, 0, f.length);
                if (i % 100 == 99) {
                    d.flush();
                    drain(d, 100, statuses, seed);
                }
            }
        }
        assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum()).as("seed %d", seed).isEqualTo(n);
        assertThat(statuses).as("seed %d", seed).containsKeys("ok", "bad_request").doesNotContainKey("internal");
        try (Wire w = new Wire(server.dataPlane().endpoint(), org.zeromq.SocketType.DEALER)) {
            assertThat(w.call(Wire.m("id", 1, "op", "ping")).get("status").toString()).isEqualTo("ok");
        }
    }

    @Test
    void shouldServeDataOpsThroughOurOwnDealer() throws Exception {
        try (ZmtpDealer d = new ZmtpDealer(host, port, 5000)) {
            int n = 500;
            for (int i = 0; i < n; i++) {
                byte[] f = Wire.pack(Wire.m("id", i, "op", "put", "key", ServiceSocketTest.key(i % 10), "value", i));
                d.send(f, 0, f.length);
            }
            d.flush();
            Set<Long> ids = new HashSet<>();
            for (int i = 0; i < n; i++) {
                assertThat(d.receive(true)).isTrue();
                Map<String, Value> r = Wire.unpack(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length()));
                assertThat(r.get("status").toString()).as("reply %s", r).isEqualTo("ok");
                ids.add(r.get("id").asIntegerValue().toLong());
            }
            assertThat(ids).hasSize(n);
            byte[] f = Wire.pack(Wire.m("id", 9999, "op", "count", "key", ServiceSocketTest.key(3)));
            d.send(f, 0, f.length);
            d.flush();
            assertThat(d.receive(true)).isTrue();
            Map<String, Value> r = Wire.unpack(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length()));
            assertThat(r.get("count").toString()).isEqualTo("50");
        }
    }

    /** The JeroMQ transport stays selectable and serves the same protocol (REQ and DEALER, data ops). */
    @Test
    void shouldStillServeOnTheJeromqTransport() throws Exception {
        server.close();
        Map<String, String> flags = new HashMap<>(Map.of("data", dir.resolve("data2").toString(),
                "bind", "tcp://127.0.0.1:*", "http", "127.0.0.1:0"));
        server = HashdirServer.start(dev.hashdir.server.config.ServerConfig.resolve(null,
                Map.of("HASHDIR_TRANSPORT", "jeromq"), flags));
        server.recover();
        assertThat(server.dataPlane().kind()).isEqualTo(DataPlane.Kind.JEROMQ);
        try (Wire w = new Wire(server.dataPlane().endpoint(), org.zeromq.SocketType.DEALER);
             Wire req = new Wire(server.dataPlane().endpoint(), org.zeromq.SocketType.REQ)) {
            assertThat(w.call(Wire.m("id", 1, "op", "put", "key", ServiceSocketTest.key(1), "value", 7))
                    .get("added").toString()).isEqualTo("1");
            assertThat(req.call(Wire.m("id", 2, "op", "get", "key", ServiceSocketTest.key(1)))
                    .get("values").toString()).isEqualTo("[7]");
        }
    }

    private static void drain(ZmtpDealer d, int n, Map<String, Integer> statuses, long seed) throws IOException {
        for (int i = 0; i < n; i++) {
            assertThat(d.receive(true)).isTrue();
            Map<String, Value> r = Wire.unpack(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length()));
            assertThat(r).as("seed %d", seed).containsKey("status");
            statuses.merge(r.get("status").toString(), 1, Integer::sum);
        }
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] frame(InputStream in) throws IOException {
        byte[] h = in.readNBytes(2);
        long size = h[1] & 0xff;
        if ((h[0] & Zmtp.FLAG_LONG) != 0) {
            for (byte x : in.readNBytes(7)) {
                size = size << 8 | (x & 0xff);
            }
        }
        return in.readNBytes((int) size);
    }
}
