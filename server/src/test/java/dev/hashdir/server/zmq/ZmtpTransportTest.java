package dev.hashdir.server.zmq;

import dev.hashdir.client.zmtp.Zmtp;
import dev.hashdir.client.zmtp.ZmtpDealer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.value.Value;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ZMTP transport through real sockets, without a store (ping is answered, data ops are
 * not_ready: enough to see every message framed, parsed and answered): JeroMQ and pyzmq REQ and
 * DEALER clients, raw sockets for what no library sends (bad greetings, other mechanisms and
 * socket types, one byte at a time, oversized frames, a silent peer, a client that stops
 * reading, many connections).
 */
class ZmtpTransportTest {

    private static final long HANDSHAKE_MILLIS = 500;

    private DataPlane plane;
    private String host;
    private int port;

    @BeforeEach
    void start() {
        plane = DataPlane.startZmtp("tcp://127.0.0.1:*", 64, 16, RequestMetrics.NONE, HANDSHAKE_MILLIS);
        URI u = URI.create(plane.endpoint());
        host = u.getHost();
        port = u.getPort();
    }

    @AfterEach
    void stop() {
        plane.close();
    }

    @Test
    void shouldAnswerJeromqReqAndDealer() {
        try (ZContext ctx = new ZContext(1)) {
            for (SocketType type : new SocketType[] {SocketType.REQ, SocketType.DEALER}) {
                ZMQ.Socket s = ctx.createSocket(type);
                s.setHandshakeIvl(250);
                s.setReceiveTimeOut(5000);
                s.connect(plane.endpoint());
                for (int i = 0; i < 20; i++) {
                    s.send(pack(Map.of("id", i, "op", "ping")));
                    Map<String, String> r = unpack(s.recv());
                    assertThat(r).as("%s reply %d", type, i).containsEntry("status", "ok").containsEntry("id", "" + i);
                }
                s.send(pack(Map.of("id", 99, "op", "get", "key", new byte[16])));
                assertThat(unpack(s.recv())).containsEntry("status", "not_ready").containsEntry("id", "99");
            }
        }
    }

    @Test
    void shouldAnswerPyzmqReqAndDealer(@TempDir Path dir) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(python), "needs /usr/bin/python3");
        Path script = dir.resolve("t.py");
        Files.writeString(script, """
                import sys, zmq, msgpack
                ctx = zmq.Context()
                for kind in (zmq.REQ, zmq.DEALER):
                    s = ctx.socket(kind)
                    s.setsockopt(zmq.RCVTIMEO, 5000)
                    s.setsockopt(zmq.LINGER, 0)
                    s.connect(sys.argv[1])
                    n = 1 if kind == zmq.REQ else 50
                    for rnd in range(10):
                        for i in range(n):
                            s.send(msgpack.packb({"id": rnd * 100 + i, "op": "ping"}))
                        got = set()
                        for i in range(n):
                            r = msgpack.unpackb(s.recv())
                            assert r["status"] == "ok", r
                            got.add(r["id"])
                        assert got == set(rnd * 100 + i for i in range(n)), got
                    s.close()
                print("pyzmq ok")
                """);
        Process p = new ProcessBuilder(python.toString(), script.toString(), plane.endpoint())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("pyzmq ok");
    }

    @Test
    void shouldAnswerOurOwnDealerPipelined() throws IOException {
        try (ZmtpDealer d = new ZmtpDealer(host, port, 5000)) {
            int n = 2000;
            for (int i = 0; i < n; i++) {
                byte[] b = pack(Map.of("id", i, "op", "ping"));
                d.send(b, 0, b.length);
            }
            d.flush();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                assertThat(d.receive(true)).isTrue();
                Map<String, String> r = unpack(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length()));
                assertThat(r).containsEntry("status", "ok");
                ids.add(r.get("id"));
            }
            assertThat(ids).hasSize(n).doesNotHaveDuplicates();
        }
    }

    @Test
    void shouldCloseBadPeersAndKeepServingOthers() throws Exception {
        byte[] http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] zmtp2 = greeting();
        zmtp2[10] = 1; // ZMTP 2.0: revision byte 1, socket type next
        zmtp2[11] = 5; // DEALER
        byte[] curve = greeting();
        System.arraycopy("CURVE".getBytes(StandardCharsets.US_ASCII), 0, curve, 12, 5);
        byte[] pub = concat(greeting(), ready("PUB"));
        byte[] badFlags = concat(greeting(), ready("DEALER"), new byte[] {(byte) 0x80, 1, 0});
        byte[] messageFirst = concat(greeting(), new byte[] {0, 1, 'x'});
        byte[] hugeCommand = concat(greeting(), new byte[] {Zmtp.FLAG_COMMAND | Zmtp.FLAG_LONG, 0, 0, 0, 0, 0, 2, 0, 0});
        Map<String, byte[]> peers = Map.of("http", http, "zmtp2", zmtp2, "curve", curve, "pub", pub,
                "reserved flags", badFlags, "message before READY", messageFirst, "huge command", hugeCommand);
        for (Map.Entry<String, byte[]> peer : peers.entrySet()) {
            try (Socket s = new Socket(host, port)) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(peer.getValue());
                assertThat(readUntilClosed(s.getInputStream())).as(peer.getKey() + ": closed by the server").isTrue();
            }
            assertPingAnswered();
        }
        assertThat(((ZmtpTransportAccess) () -> plane).refused()).isEqualTo(peers.size());
    }

    @Test
    void shouldCloseAPeerThatDoesNotFinishItsHandshake() throws Exception {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(Arrays.copyOf(greeting(), 5)); // and then nothing
            long t0 = System.nanoTime();
            assertThat(readUntilClosed(s.getInputStream())).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(HANDSHAKE_MILLIS / 2);
        }
        assertPingAnswered();
    }

    /** Greeting, READY, PING, an unknown command and messages (DEALER and REQ shaped), one byte a write. */
    @Test
    void shouldParseAStreamFedOneByteAtATime() throws Exception {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(greeting());
        stream.write(ready("DEALER"));
        byte[] b = new byte[64];
        stream.write(b, 0, Zmtp.ping(b, 0, new byte[] {7, 7}, 2));
        stream.write(command("WHATEVER", 3));
        int messages = 12;
        for (int i = 0; i < messages; i++) {
            byte[] body = pack(Map.of("id", i, "op", "ping"));
            if (i % 3 == 1) {
                stream.write(new byte[] {Zmtp.FLAG_MORE, 0}); // REQ's empty delimiter
            }
            stream.write(frame(0, body));
        }
        byte[] all = stream.toByteArray();
        try (Socket s = new Socket(host, port)) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            for (byte x : all) {
                out.write(x);
                out.flush();
            }
            InputStream in = s.getInputStream();
            byte[] reply = readFully(in, 64);
            assertThat(Zmtp.greetingError(reply, 0, 64)).isNull();
            Frame ready = readFrame(in);
            assertThat(ready.command).isTrue();
            assertThat(Zmtp.readySocketType(ready.body, 0, ready.body.length)).isEqualTo("ROUTER");
            Frame pong = readFrame(in);
            assertThat(Zmtp.isPong(pong.body, 0, pong.body.length)).isTrue();
            assertThat(Arrays.copyOfRange(pong.body, pong.body.length - 2, pong.body.length)).containsExactly(7, 7);
            for (int i = 0; i < messages; i++) {
                Frame f = readFrame(in);
                if (i % 3 == 1) {
                    assertThat(f.more).as("reply %d to a REQ-shaped request starts with a delimiter", i).isTrue();
                    assertThat(f.body).isEmpty();
                    f = readFrame(in);
                }
                assertThat(f.more).isFalse();
                assertThat(unpack(f.body)).containsEntry("status", "ok").containsEntry("id", "" + i);
            }
        }
    }

    /** The same stream cut at seeded random points, over several connections at once. */
    @Test
    void shouldParseStreamsCutAtRandomPoints() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<Socket> sockets = new ArrayList<>();
        List<byte[]> streams = new ArrayList<>();
        int messages = 300;
        for (int c = 0; c < 4; c++) {
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            stream.write(greeting());
            stream.write(ready(c % 2 == 0 ? "DEALER" : "REQ"));
            for (int i = 0; i < messages; i++) {
                if (c % 2 == 1) {
                    stream.write(new byte[] {Zmtp.FLAG_MORE, 0});
                }
                Map<String, Object> m = new HashMap<>(Map.of("id", i, "op", "ping"));
                if (rnd.nextInt(5) == 0) {
                    m.put("pad", new byte[300 + rnd.nextInt(3000)]); // a long (8-byte size) frame
                }
                stream.write(frame(0, pack(m)));
            }
            streams.add(stream.toByteArray());
            Socket s = new Socket(host, port);
            s.setTcpNoDelay(true);
            s.setSoTimeout(10_000);
            sockets.add(s);
        }
        try {
            int[] at = new int[sockets.size()];
            boolean more = true;
            while (more) {
                more = false;
                for (int c = 0; c < sockets.size(); c++) {
                    byte[] all = streams.get(c);
                    int n = Math.min(all.length - at[c], 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 600));
                    if (n > 0) {
                        sockets.get(c).getOutputStream().write(all, at[c], n);
                        sockets.get(c).getOutputStream().flush();
                        at[c] += n;
                        more |= at[c] < all.length;
                    }
                }
            }
            for (int c = 0; c < sockets.size(); c++) {
                InputStream in = sockets.get(c).getInputStream();
                readFully(in, 64);
                readFrame(in); // READY
                for (int i = 0; i < messages; i++) {
                    Frame f = readFrame(in);
                    if (c % 2 == 1) {
                        assertThat(f.more && f.body.length == 0).as("delimiter, seed %d", seed).isTrue();
                        f = readFrame(in);
                    }
                    assertThat(unpack(f.body)).as("connection %d reply %d, seed %d", c, i, seed)
                            .containsEntry("status", "ok").containsEntry("id", "" + i);
                }
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void shouldAnswerAMultiFrameMessageBadRequestAndSkipItsFrames() throws Exception {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(concat(greeting(), ready("DEALER"), frame(Zmtp.FLAG_MORE, pack(Map.of("id", 1, "op", "ping"))),
                    frame(0, pack(Map.of("id", 2, "op", "ping"))), frame(0, pack(Map.of("id", 3, "op", "ping")))));
            InputStream in = s.getInputStream();
            readFully(in, 64);
            readFrame(in);
            Map<String, String> bad = unpack(readFrame(in).body);
            assertThat(bad).containsEntry("status", "bad_request");
            assertThat(bad.get("error")).contains("got 2 frames");
            assertThat(unpack(readFrame(in).body)).containsEntry("status", "ok").containsEntry("id", "3");
        }
    }

    @Test
    void shouldDropRepliesToAClientThatDoesNotReadAndServeOthers() throws Exception {
        try (Socket s = new Socket(host, port)) {
            s.setReceiveBufferSize(4096);
            OutputStream out = s.getOutputStream();
            out.write(concat(greeting(), ready("DEALER")));
            // not_ready replies of ~80 bytes: 200k of them are more than the output limit and the socket buffers
            byte[] one = frame(0, pack(Map.of("id", 1, "op", "count", "key", new byte[16])));
            byte[] many = new byte[one.length * 1000];
            for (int i = 0; i < 1000; i++) {
                System.arraycopy(one, 0, many, i * one.length, one.length);
            }
            for (int i = 0; i < 200; i++) {
                out.write(many);
            }
            out.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (plane.received() < 200_000 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(plane.received()).isEqualTo(200_000);
            assertThat(plane.dropped()).as("replies beyond the output limit").isPositive();
            assertPingAnswered();
        }
    }

    @Test
    void shouldFreeTheStateOfManyConnectionsOpenedAndClosed() throws Exception {
        Random rnd = new Random(42);
        for (int i = 0; i < 300; i++) {
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    try (ZmtpDealer d = new ZmtpDealer(host, port, 5000)) {
                        byte[] b = pack(Map.of("id", i, "op", "ping"));
                        d.send(b, 0, b.length);
                        d.flush();
                        assertThat(d.receive(true)).isTrue();
                    }
                }
                case 1 -> {
                    try (Socket s = new Socket(host, port)) {
                        s.getOutputStream().write(Arrays.copyOf(greeting(), rnd.nextInt(64)));
                    }
                }
                default -> {
                    try (ZmtpDealer d = new ZmtpDealer(host, port, 5000)) {
                        byte[] b = pack(Map.of("id", i, "op", "ping"));
                        for (int k = 0; k < 50; k++) {
                            d.send(b, 0, b.length);
                        }
                        d.flush(); // and close without reading: the replies go to a closed connection
                    }
                }
            }
        }
        ZmtpTransportAccess t = () -> plane;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.connections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(t.connections()).as("connections still held").isZero();
        assertPingAnswered();
    }

    /**
     * Once warm, the selector thread allocates nothing per request: 20,000 pipelined pings (read,
     * parsed, decoded, answered, written) add less than one byte per request to its allocation.
     */
    @Test
    void shouldAllocateNothingPerRequestOnTheSelectorThreadOnceWarm() throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Thread selector = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("hashdir-zmtp")).findFirst().orElseThrow();
        int n = 20_000;
        try (ZmtpDealer d = new ZmtpDealer(host, port, 5000)) {
            byte[] b = pack(Map.of("id", 12345, "op", "ping"));
            long before = 0;
            for (int round = 0; round < 6; round++) {
                if (round == 5) {
                    before = threads.getThreadAllocatedBytes(selector.threadId());
                }
                for (int i = 0; i < n; i++) {
                    d.send(b, 0, b.length);
                    if (i % 100 == 99) {
                        d.flush();
                        for (int k = 0; k < 100; k++) {
                            assertThat(d.receive(true)).isTrue();
                        }
                    }
                }
            }
            long allocated = threads.getThreadAllocatedBytes(selector.threadId()) - before;
            assertThat(allocated).as("bytes allocated by the selector thread for %d requests", n).isLessThan(n);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Reaches into the plane's transport (same package). */
    private interface ZmtpTransportAccess {
        DataPlane plane();

        default ZmtpTransport transport() {
            return plane().zmtp();
        }

        default long refused() {
            return transport().refused();
        }

        default int connections() {
            return transport().connections();
        }
    }

    private void assertPingAnswered() throws IOException {
        try (ZmtpDealer d = new ZmtpDealer(host, port, 5000)) {
            byte[] b = pack(Map.of("id", 5, "op", "ping"));
            d.send(b, 0, b.length);
            d.flush();
            assertThat(d.receive(true)).isTrue();
            assertThat(unpack(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length())))
                    .containsEntry("status", "ok");
        }
    }

    /** Reads (and discards) until the peer closes; false on a timeout. */
    private static boolean readUntilClosed(InputStream in) throws IOException {
        byte[] b = new byte[4096];
        try {
            while (true) {
                if (in.read(b) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server: closed too
        }
    }

    private record Frame(boolean more, boolean command, byte[] body) {
    }

    private static Frame readFrame(InputStream in) throws IOException {
        byte[] h = readFully(in, 2);
        long size = h[1] & 0xff;
        if ((h[0] & Zmtp.FLAG_LONG) != 0) {
            byte[] rest = readFully(in, 7);
            for (byte x : rest) {
                size = size << 8 | (x & 0xff);
            }
        }
        return new Frame((h[0] & Zmtp.FLAG_MORE) != 0, (h[0] & Zmtp.FLAG_COMMAND) != 0, readFully(in, (int) size));
    }

    private static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new IOException("connection closed after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    private static byte[] greeting() {
        byte[] g = new byte[64];
        Zmtp.greeting(g, 0, false);
        return g;
    }

    private static byte[] ready(String type) {
        byte[] b = new byte[Zmtp.readyBytes(0)];
        return Arrays.copyOf(b, Zmtp.ready(b, 0, type, null));
    }

    private static byte[] command(String name, int dataBytes) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[1 + n.length + dataBytes];
        body[0] = (byte) n.length;
        System.arraycopy(n, 0, body, 1, n.length);
        return frame(Zmtp.FLAG_COMMAND, body);
    }

    private static byte[] frameHeader(int flags, long size) {
        byte[] h = new byte[9];
        return Arrays.copyOf(h, Zmtp.frameHeader(h, 0, flags, size));
    }

    private static byte[] frame(int flags, byte[] body) {
        return concat(frameHeader(flags, body.length), body);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    private static byte[] pack(Map<String, ?> m) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(m.size());
            for (Map.Entry<String, ?> e : m.entrySet()) {
                p.packString(e.getKey());
                Object v = e.getValue();
                if (v instanceof Integer i) {
                    p.packInt(i);
                } else if (v instanceof String s) {
                    p.packString(s);
                } else if (v instanceof byte[] b) {
                    p.packBinaryHeader(b.length);
                    p.writePayload(b);
                } else {
                    throw new IllegalArgumentException("cannot pack " + v);
                }
            }
            return p.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> unpack(byte[] b) {
        try (var u = MessagePack.newDefaultUnpacker(b)) {
            Map<String, String> m = new HashMap<>();
            for (Map.Entry<Value, Value> e : u.unpackValue().asMapValue().entrySet()) {
                m.put(e.getKey().asStringValue().asString(), e.getValue().isStringValue()
                        ? e.getValue().asStringValue().asString() : e.getValue().toString());
            }
            return m;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
