package dev.hashdir.client.zmtp;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZmtpTest {

    @Test
    void shouldWriteAGreetingItAccepts() {
        byte[] g = new byte[64];
        assertThat(Zmtp.greeting(g, 0, true)).isEqualTo(64);
        assertThat(g[0] & 0xff).isEqualTo(0xff);
        assertThat(g[9]).isEqualTo((byte) 0x7f);
        assertThat(g[10]).isEqualTo((byte) 3);
        assertThat(g[11]).isEqualTo((byte) 1);
        assertThat(new String(g, 12, 4, StandardCharsets.US_ASCII)).isEqualTo("NULL");
        assertThat(g[32]).isEqualTo((byte) 1);
        for (int n = 0; n <= 64; n++) {
            assertThat(Zmtp.greetingError(g, 0, n)).as("prefix of %d bytes", n).isNull();
        }
    }

    @Test
    void shouldRefuseOtherGreetingsAsSoonAsTheirBytesSaySo() {
        byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(Zmtp.greetingError(http, 0, 1)).contains("first byte 0x47");

        byte[] zmtp10 = new byte[64];
        Zmtp.greeting(zmtp10, 0, false);
        zmtp10[9] = 0x7e;
        assertThat(Zmtp.greetingError(zmtp10, 0, 9)).isNull();
        assertThat(Zmtp.greetingError(zmtp10, 0, 10)).contains("ZMTP 1.0");

        byte[] zmtp20 = new byte[64];
        Zmtp.greeting(zmtp20, 0, false);
        zmtp20[10] = 1; // ZMTP 2.0: revision 1, then the socket type
        assertThat(Zmtp.greetingError(zmtp20, 0, 10)).isNull();
        assertThat(Zmtp.greetingError(zmtp20, 0, 11)).contains("version 1 is not supported");

        byte[] curve = new byte[64];
        Zmtp.greeting(curve, 0, false);
        System.arraycopy("CURVE".getBytes(StandardCharsets.US_ASCII), 0, curve, 12, 5);
        assertThat(Zmtp.greetingError(curve, 0, 31)).isNull();
        assertThat(Zmtp.greetingError(curve, 0, 32)).contains("\"CURVE\" is not supported");

        byte[] nullTrailing = new byte[64];
        Zmtp.greeting(nullTrailing, 0, false);
        nullTrailing[20] = 'X'; // "NULL\0\0\0\0X...": not the NULL mechanism
        assertThat(Zmtp.greetingError(nullTrailing, 0, 64)).contains("is not supported");
    }

    @Test
    void shouldRoundTripFrameHeadersOfEverySizeClass() {
        long[] sizes = {0, 1, 254, 255, 256, 65_535, 1 << 20, Integer.MAX_VALUE + 1L, Long.MAX_VALUE};
        byte[] b = new byte[9];
        Zmtp.FrameHeader h = new Zmtp.FrameHeader();
        for (long size : sizes) {
            for (int flags : new int[] {0, Zmtp.FLAG_MORE, Zmtp.FLAG_COMMAND}) {
                int n = Zmtp.frameHeader(b, 0, flags, size);
                assertThat(n).isEqualTo(Zmtp.headerBytes(size)).isEqualTo(size <= 255 ? 2 : 9);
                for (int k = 0; k < n; k++) {
                    assertThat(h.read(b, 0, k)).as("size %d, %d of %d header bytes", size, k, n).isFalse();
                }
                assertThat(h.read(b, 0, n)).isTrue();
                assertThat(h.size()).isEqualTo(size);
                assertThat(h.length()).isEqualTo(n);
                assertThat(h.more()).isEqualTo((flags & Zmtp.FLAG_MORE) != 0);
                assertThat(h.command()).isEqualTo((flags & Zmtp.FLAG_COMMAND) != 0);
            }
        }
    }

    @Test
    void shouldRejectReservedFlagsAndNegativeSizes() {
        Zmtp.FrameHeader h = new Zmtp.FrameHeader();
        assertThatThrownBy(() -> h.read(new byte[] {0x08, 1}, 0, 2)).isInstanceOf(ZmtpException.class)
                .hasMessageContaining("reserved");
        byte[] negative = {Zmtp.FLAG_LONG, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0};
        assertThatThrownBy(() -> h.read(negative, 0, 9)).isInstanceOf(ZmtpException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void shouldRoundTripReadyWithSocketTypeAndIdentity() {
        byte[] b = new byte[Zmtp.readyBytes(5)];
        int n = Zmtp.ready(b, 0, "DEALER", "abcde".getBytes(StandardCharsets.US_ASCII));
        Zmtp.FrameHeader h = new Zmtp.FrameHeader();
        assertThat(h.read(b, 0, n)).isTrue();
        assertThat(h.command()).isTrue();
        assertThat(h.length() + h.size()).isEqualTo(n);
        assertThat(Zmtp.isReady(b, h.length(), (int) h.size())).isTrue();
        assertThat(Zmtp.readySocketType(b, h.length(), (int) h.size())).isEqualTo("DEALER");
        // a property running past the command is refused
        assertThatThrownBy(() -> Zmtp.readySocketType(b, h.length(), (int) h.size() - 1))
                .isInstanceOf(ZmtpException.class);
    }

    @Test
    void shouldAnswerPingWithItsContext() {
        byte[] ping = new byte[64];
        byte[] context = {9, 8, 7};
        int n = Zmtp.ping(ping, 0, context, 3);
        Zmtp.FrameHeader h = new Zmtp.FrameHeader();
        assertThat(h.read(ping, 0, n)).isTrue();
        assertThat(Zmtp.isPing(ping, 2, (int) h.size())).isTrue();
        byte[] pong = new byte[64];
        int m = Zmtp.pong(pong, 0, ping, 2, (int) h.size());
        assertThat(h.read(pong, 0, m)).isTrue();
        assertThat(Zmtp.isPong(pong, 2, (int) h.size())).isTrue();
        assertThat(Arrays.copyOfRange(pong, m - 3, m)).isEqualTo(context);
    }

    /**
     * A stream of frames of random sizes parsed from prefixes cut at seeded random points: the
     * header is incomplete until all its bytes are there, then reads the frame written.
     */
    @Test
    void shouldParseFramesCutAtRandomPoints() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<long[]> written = new ArrayList<>();
        byte[] hb = new byte[9];
        for (int i = 0; i < 2000; i++) {
            int size = rnd.nextInt(4) == 0 ? 256 + rnd.nextInt(2000) : rnd.nextInt(256);
            int flags = rnd.nextInt(2) == 0 ? 0 : Zmtp.FLAG_MORE;
            int n = Zmtp.frameHeader(hb, 0, flags, size);
            stream.write(hb, 0, n);
            byte[] body = new byte[size];
            rnd.nextBytes(body);
            stream.write(body, 0, size);
            written.add(new long[] {flags, size});
        }
        byte[] all = stream.toByteArray();
        Zmtp.FrameHeader h = new Zmtp.FrameHeader();
        int pos = 0;
        int available = 0;
        int frame = 0;
        while (frame < written.size()) {
            available = Math.min(all.length, available + 1 + rnd.nextInt(700));
            while (frame < written.size() && h.read(all, pos, available - pos)
                    && available - pos >= h.length() + h.size()) {
                assertThat(h.size()).as("frame %d, seed %d", frame, seed).isEqualTo(written.get(frame)[1]);
                assertThat(h.more()).as("frame %d, seed %d", frame, seed).isEqualTo(written.get(frame)[0] != 0);
                pos += h.length() + (int) h.size();
                frame++;
            }
        }
        assertThat(pos).as("seed %d", seed).isEqualTo(all.length);
    }

    /**
     * The DEALER against a scripted ROUTER that writes its greeting, READY, a PING and replies in
     * chunks cut at seeded random points: the client reassembles every message and answers the PING.
     */
    @Test
    void shouldReadRepliesSplitAtRandomPointsAndAnswerPings() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        ByteArrayOutputStream script = new ByteArrayOutputStream();
        byte[] b = new byte[1 << 16];
        script.write(b, 0, Zmtp.greeting(b, 0, true));
        script.write(b, 0, Zmtp.ready(b, 0, "ROUTER", null));
        script.write(b, 0, Zmtp.ping(b, 0, new byte[] {42}, 1));
        List<byte[]> replies = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] body = new byte[rnd.nextInt(10) == 0 ? 300 + rnd.nextInt(70_000) : rnd.nextInt(200)];
            rnd.nextBytes(body);
            replies.add(body);
            script.write(b, 0, Zmtp.frameHeader(b, 0, 0, body.length));
            script.write(body);
        }
        byte[] all = script.toByteArray();
        AtomicReference<byte[]> clientSent = new AtomicReference<>();
        try (ServerSocket server = new ServerSocket(0)) {
            Thread t = Thread.ofPlatform().start(() -> {
                try (Socket s = server.accept()) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    Random split = new Random(seed + 1);
                    for (int p = 0; p < all.length; ) {
                        int n = Math.min(all.length - p, 1 + split.nextInt(split.nextBoolean() ? 3 : 3000));
                        out.write(all, p, n);
                        out.flush();
                        p += n;
                    }
                    InputStream in = s.getInputStream();
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    byte[] r = new byte[4096];
                    int n;
                    while ((n = in.read(r)) > 0) {
                        got.write(r, 0, n);
                    }
                    clientSent.set(got.toByteArray());
                } catch (IOException e) {
                    clientSent.set(new byte[0]);
                }
            });
            try (ZmtpDealer d = new ZmtpDealer("127.0.0.1", server.getLocalPort(), 10_000)) {
                for (int i = 0; i < replies.size(); i++) {
                    assertThat(d.receive(true)).isTrue();
                    assertThat(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length()))
                            .as("reply %d, seed %d", i, seed).isEqualTo(replies.get(i));
                }
            }
            t.join(10_000);
        }
        byte[] sent = clientSent.get();
        // the client's greeting (64), READY, then the PONG with the PING's context
        assertThat(Zmtp.greetingError(sent, 0, 64)).isNull();
        Zmtp.FrameHeader h = new Zmtp.FrameHeader();
        assertThat(h.read(sent, 64, sent.length - 64)).isTrue();
        assertThat(Zmtp.readySocketType(sent, 64 + h.length(), (int) h.size())).isEqualTo("DEALER");
        int pong = 64 + h.length() + (int) h.size();
        assertThat(h.read(sent, pong, sent.length - pong)).isTrue();
        assertThat(Zmtp.isPong(sent, pong + h.length(), (int) h.size())).isTrue();
        assertThat(sent[pong + h.length() + (int) h.size() - 1]).isEqualTo((byte) 42);
    }
}
