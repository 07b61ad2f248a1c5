package dev.hashdir.client.zmtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/**
 * A blocking ZMTP 3.1 DEALER over one plain TCP socket, with no threads of its own: what a
 * ZeroMQ DEALER does for one peer, minus reconnecting and queueing. Messages are one frame each
 * way (a reply of several frames is returned as its last frame). Sends are buffered until
 * {@link #flush} (or until the buffer fills); a reply is read into a reused buffer and is valid
 * until the next {@link #receive}. The server's PINGs are answered; other commands are ignored.
 * Sending and receiving allocate nothing (the buffers grow to the largest message and stay).
 *
 * <p>Threading: one thread at a time.
 */
public final class ZmtpDealer implements AutoCloseable {

    /** Largest reply frame accepted: a larger one means the stream is not what it should be. */
    public static final int MAX_FRAME_BYTES = 64 << 20;

    private final Socket socket;
    private final InputStream input;
    private final OutputStream output;
    private final Zmtp.FrameHeader header = new Zmtp.FrameHeader();
    private byte[] out = new byte[1 << 16];
    private int outLength;
    private byte[] in = new byte[1 << 16];
    private int inStart;
    private int inEnd;
    private int bodyOffset;
    private int bodyLength;
    private boolean skipping;

    /**
     * Connects to {@code host:port} and completes the ZMTP handshake (greeting, READY both ways).
     *
     * @throws IOException when the connection fails, or the peer is not a ZMTP 3 ROUTER (or
     *                     DEALER) with the NULL mechanism
     */
    public ZmtpDealer(String host, int port, int timeoutMillis) throws IOException {
        socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            input = socket.getInputStream();
            output = socket.getOutputStream();
            handshake();
            socket.setSoTimeout(0);
        } catch (ZmtpException e) {
            socket.close();
            throw new IOException("ZMTP handshake with " + host + ":" + port + " failed: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Connects to a {@code tcp://host:port} endpoint (as ZeroMQ writes them). */
    public static ZmtpDealer connect(String endpoint, int timeoutMillis) throws IOException {
        URI u = URI.create(endpoint);
        if (!"tcp".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0) {
            throw new IllegalArgumentException("expected tcp://host:port, got " + endpoint);
        }
        return new ZmtpDealer(u.getHost(), u.getPort(), timeoutMillis);
    }

    private void handshake() throws IOException {
        outLength = Zmtp.greeting(out, 0, false);
        flush();
        fill(Zmtp.GREETING_BYTES);
        String bad = Zmtp.greetingError(in, inStart, Zmtp.GREETING_BYTES);
        if (bad != null) {
            throw new ZmtpException(bad);
        }
        inStart += Zmtp.GREETING_BYTES;
        outLength = Zmtp.ready(out, 0, "DEALER", null);
        flush();
        while (true) {
            fillHeader();
            int size = frameSize();
            fill(header.length() + size);
            int body = inStart + header.length();
            inStart = body + size;
            if (!header.command()) {
                throw new ZmtpException("a message frame before the peer's READY");
            }
            if (Zmtp.isError(in, body, size)) {
                throw new ZmtpException("the peer refused the handshake (ERROR command)");
            }
            if (Zmtp.isReady(in, body, size)) {
                String type = Zmtp.readySocketType(in, body, size);
                if (!"ROUTER".equals(type) && !"DEALER".equals(type)) {
                    throw new ZmtpException("peer socket type " + type + " does not talk to a DEALER");
                }
                return;
            }
        }
    }

    /** Buffers one single-frame message; written by {@link #flush} or when the buffer is full. */
    public void send(byte[] body, int off, int len) throws IOException {
        int need = Zmtp.headerBytes(len) + len;
        if (outLength + need > out.length) {
            flush();
            if (need > out.length) {
                out = new byte[need];
            }
        }
        outLength += Zmtp.frameHeader(out, outLength, 0, len);
        System.arraycopy(body, off, out, outLength, len);
        outLength += len;
    }

    /** Writes what {@link #send} buffered. */
    public void flush() throws IOException {
        if (outLength > 0) {
            output.write(out, 0, outLength);
            output.flush();
            outLength = 0;
        }
    }

    /**
     * Reads the next message; when not {@code block}, returns false at once unless one is whole in
     * the buffer or arrives without waiting. Its body is {@link #buffer()}[{@link #offset()},
     * + {@link #length()}) until the next call.
     *
     * @throws java.io.EOFException when the server closed the connection
     */
    public boolean receive(boolean block) throws IOException {
        while (true) {
            if (!header.read(in, inStart, inEnd - inStart)
                    || inEnd - inStart < header.length() + frameSize()) {
                if (!block && input.available() == 0) {
                    return false;
                }
                readSome();
                continue;
            }
            int size = frameSize();
            int body = inStart + header.length();
            inStart = body + size;
            if (header.command()) {
                if (Zmtp.isPing(in, body, size)) {
                    outLength += pong(body, size);
                    flush();
                }
                continue;
            }
            if (header.more()) {
                skipping = true; // an envelope frame: the reply is the last frame
                continue;
            }
            skipping = false;
            bodyOffset = body;
            bodyLength = size;
            return true;
        }
    }

    private int pong(int body, int size) {
        if (outLength + Zmtp.MAX_HEADER_BYTES + 1 + 4 + Zmtp.MAX_PING_CONTEXT > out.length) {
            out = java.util.Arrays.copyOf(out, 2 * out.length);
        }
        return Zmtp.pong(out, outLength, in, body, size);
    }

    public byte[] buffer() {
        return in;
    }

    public int offset() {
        return bodyOffset;
    }

    public int length() {
        return bodyLength;
    }

    /** Whether a multi-frame message is being read (its envelope frames are skipped). */
    boolean skipping() {
        return skipping;
    }

    private int frameSize() {
        long s = header.size();
        if (s > MAX_FRAME_BYTES) {
            throw new ZmtpException("frame of " + s + " bytes, more than " + MAX_FRAME_BYTES);
        }
        return (int) s;
    }

    private void fillHeader() throws IOException {
        while (!header.read(in, inStart, inEnd - inStart)) {
            readSome();
        }
    }

    /** Reads until {@code n} bytes are buffered from inStart. */
    private void fill(int n) throws IOException {
        while (inEnd - inStart < n) {
            readSome();
        }
    }

    /** One read (blocking) into the buffer, compacted or grown first when it is full. */
    private void readSome() throws IOException {
        if (inEnd == in.length) {
            int used = inEnd - inStart;
            int need = Math.max(used + 1, header.read(in, inStart, used) ? header.length() + frameSize() : 0);
            if (need > in.length) {
                byte[] bigger = new byte[Math.max(need, 2 * in.length)];
                System.arraycopy(in, inStart, bigger, 0, used);
                in = bigger;
            } else {
                System.arraycopy(in, inStart, in, 0, used);
            }
            inStart = 0;
            inEnd = used;
        } else if (inStart == inEnd) {
            inStart = 0;
            inEnd = 0;
        }
        int n = input.read(in, inEnd, in.length - inEnd);
        if (n < 0) {
            throw new java.io.EOFException("the server closed the connection");
        }
        inEnd += n;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing: nothing to do about it
        }
    }
}
