package dev.hashdir.bench.load;

import dev.hashdir.client.zmtp.ZmtpDealer;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A hashdir protocol v1 connection (docs/protocol.md): requests encoded by hand into one reused
 * buffer ({@code {"id", "op", "key", "value"}}), replies walked for {@code id} and {@code status}
 * only. Over our blocking ZMTP DEALER ({@link ZmtpDealer}, the default: one plain socket, requests
 * buffered until {@link #flush}, as the Redis side does with Jedis) or a JeroMQ DEALER
 * ({@code --client jeromq}: an I/O thread, a message object per frame).
 */
final class HashdirConn implements Conn {

    /** JeroMQ 0.6.0 needs a short handshake interval on connecting sockets (README, "Known issues"). */
    private static final int HANDSHAKE_IVL_MS = 250;
    private static final byte[][] OPS = {ascii("put"), ascii("get"), ascii("contains")};
    private static final byte[] OK = ascii("ok");

    private final ZMQ.Socket socket;
    private final ZmtpDealer dealer;
    private final byte[] out = new byte[128];
    private final byte[] received = new byte[1 << 16];
    private byte[] in = received;
    private final int keyBytes;
    private long errors;
    private String firstError;
    private int pos;

    /** A connection through our own ZMTP DEALER. */
    HashdirConn(String endpoint, int keyBytes) {
        this.keyBytes = keyBytes;
        this.socket = null;
        try {
            this.dealer = ZmtpDealer.connect(endpoint, 5000);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to hashdir at " + endpoint, e);
        }
    }

    /** A connection through a JeroMQ DEALER. */
    HashdirConn(ZContext zmq, String endpoint, int keyBytes) {
        this.keyBytes = keyBytes;
        this.dealer = null;
        this.socket = zmq.createSocket(SocketType.DEALER);
        socket.setHandshakeIvl(HANDSHAKE_IVL_MS);
        socket.setLinger(0);
        socket.setSndHWM(0);
        socket.setRcvHWM(0);
        socket.connect(endpoint);
    }

    @Override
    public void send(int op, byte[] key, long value, long id) throws IOException {
        int p = 0;
        out[p++] = (byte) (op == GET ? 0x83 : 0x84);
        p = str(out, p, 'i', 'd');
        out[p++] = (byte) 0xcf;
        p = u64(out, p, id);
        p = str(out, p, 'o', 'p');
        byte[] name = OPS[op];
        out[p++] = (byte) (0xa0 | name.length);
        System.arraycopy(name, 0, out, p, name.length);
        p += name.length;
        out[p++] = (byte) 0xa3;
        out[p++] = 'k';
        out[p++] = 'e';
        out[p++] = 'y';
        out[p++] = (byte) 0xc4;
        out[p++] = (byte) keyBytes;
        System.arraycopy(key, 0, out, p, keyBytes);
        p += keyBytes;
        if (op != GET) {
            out[p++] = (byte) 0xa5;
            out[p++] = 'v';
            out[p++] = 'a';
            out[p++] = 'l';
            out[p++] = 'u';
            out[p++] = 'e';
            out[p++] = (byte) 0xcf;
            p = u64(out, p, value);
        }
        if (dealer != null) {
            dealer.send(out, 0, p);
        } else if (!socket.send(out, 0, p, 0)) {
            throw new IllegalStateException("ZeroMQ send failed: errno " + socket.errno());
        }
    }

    @Override
    public void flush() throws IOException {
        if (dealer != null) {
            dealer.flush();
        }
        // ZeroMQ sends each message as it is given
    }

    @Override
    public long receive(boolean block) throws IOException {
        if (dealer != null) {
            if (!dealer.receive(block)) {
                return -1;
            }
            in = dealer.buffer();
            return walk(dealer.offset(), dealer.length());
        }
        in = received;
        int n = socket.recv(in, 0, in.length, block ? 0 : ZMQ.DONTWAIT);
        if (n < 0) {
            if (block) {
                throw new IllegalStateException("ZeroMQ receive failed: errno " + socket.errno());
            }
            return -1;
        }
        if (n > in.length) {
            throw new IllegalStateException("reply of " + n + " bytes does not fit the " + in.length + "-byte buffer");
        }
        return walk(0, n);
    }

    /** Reads the reply map at {@code in[from, from + n)} for id and status; returns the id. */
    private long walk(int from, int n) {
        pos = from;
        int entries = mapHeader();
        long id = -1;
        boolean ok = false;
        for (int i = 0; i < entries; i++) {
            int keyLen = strHeader();
            int keyAt = pos;
            pos += keyLen;
            if (keyLen == 2 && in[keyAt] == 'i' && in[keyAt + 1] == 'd') {
                id = uint();
            } else if (keyLen == 6 && in[keyAt] == 's' && in[keyAt + 1] == 't') {
                int len = strHeader();
                ok = len == OK.length && in[pos] == OK[0] && in[pos + 1] == OK[1];
                pos += len;
            } else {
                skip();
            }
            if (pos > from + n) {
                throw new IllegalStateException("truncated reply of " + n + " bytes");
            }
        }
        if (!ok) {
            errors++;
            if (firstError == null) {
                firstError = describe(from, n);
            }
        }
        if (id < 0) {
            throw new IllegalStateException("reply without id: " + describe(from, n));
        }
        return id;
    }

    private String describe(int from, int n) {
        // the status and error strings are printable within the frame: enough to say what went wrong
        return new String(in, from, Math.min(n, 400), StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", ".");
    }

    private int mapHeader() {
        int b = in[pos++] & 0xff;
        if ((b & 0xf0) == 0x80) {
            return b & 0x0f;
        }
        if (b == 0xde) {
            return u16();
        }
        throw new IllegalStateException("reply is not a map: first byte 0x" + Integer.toHexString(b));
    }

    private int strHeader() {
        int b = in[pos++] & 0xff;
        if ((b & 0xe0) == 0xa0) {
            return b & 0x1f;
        }
        return switch (b) {
            case 0xd9 -> in[pos++] & 0xff;
            case 0xda -> u16();
            default -> throw new IllegalStateException("expected a str, found 0x" + Integer.toHexString(b));
        };
    }

    private long uint() {
        int b = in[pos++] & 0xff;
        if (b < 0x80) {
            return b;
        }
        return switch (b) {
            case 0xcc -> in[pos++] & 0xff;
            case 0xcd -> u16();
            case 0xce -> u32();
            case 0xcf -> (u32() << 32) | u32();
            default -> throw new IllegalStateException("expected a uint, found 0x" + Integer.toHexString(b));
        };
    }

    /** Skips one msgpack value of the kinds a reply holds. */
    private void skip() {
        int b = in[pos++] & 0xff;
        if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            return;
        }
        if ((b & 0xf0) == 0x80) {
            skipN(2 * (b & 0x0f));
        } else if ((b & 0xf0) == 0x90) {
            skipN(b & 0x0f);
        } else if ((b & 0xe0) == 0xa0) {
            pos += b & 0x1f;
        } else {
            switch (b) {
                case 0xcc, 0xd0 -> pos += 1;
                case 0xcd, 0xd1 -> pos += 2;
                case 0xce, 0xd2 -> pos += 4;
                case 0xcf, 0xd3 -> pos += 8;
                case 0xc4, 0xd9 -> pos += (in[pos] & 0xff) + 1;
                case 0xc5, 0xda -> {
                    int len = u16();
                    pos += len;
                }
                case 0xc6, 0xdb -> {
                    long len = u32();
                    pos += (int) len;
                }
                case 0xdc -> skipN(u16());
                case 0xdd -> skipN((int) u32());
                case 0xde -> skipN(2 * u16());
                default -> throw new IllegalStateException("unexpected msgpack type 0x" + Integer.toHexString(b));
            }
        }
    }

    private void skipN(int values) {
        for (int i = 0; i < values; i++) {
            skip();
        }
    }

    private int u16() {
        int v = (in[pos] & 0xff) << 8 | (in[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    private long u32() {
        long v = (long) (in[pos] & 0xff) << 24 | (in[pos + 1] & 0xff) << 16 | (in[pos + 2] & 0xff) << 8
                | (in[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    private static int str(byte[] b, int p, char c0, char c1) {
        b[p++] = (byte) 0xa2;
        b[p++] = (byte) c0;
        b[p++] = (byte) c1;
        return p;
    }

    private static int u64(byte[] b, int p, long v) {
        for (int s = 56; s >= 0; s -= 8) {
            b[p++] = (byte) (v >>> s);
        }
        return p;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public long errors() {
        return errors;
    }

    @Override
    public String firstError() {
        return firstError;
    }

    @Override
    public void close() {
        if (dealer != null) {
            dealer.close();
        } else {
            socket.close();
        }
    }
}
