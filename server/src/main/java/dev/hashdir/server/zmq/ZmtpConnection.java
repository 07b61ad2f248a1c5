package dev.hashdir.server.zmq;

import dev.hashdir.client.zmtp.Zmtp;
import dev.hashdir.client.zmtp.ZmtpException;
import dev.hashdir.server.protocol.Protocol;
import dev.hashdir.server.protocol.Reply;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One client connection of the {@link ZmtpTransport}: its input (greeting, handshake, frames,
 * read and parsed by the event loop) and its output buffer (replies appended and written by
 * whichever thread answers: the event loop for direct answers, pipeline threads for the
 * rest).
 *
 * <pre>
 *   state      input expected                        on it
 *   ---------- ------------------------------------- -------------------------------------------
 *   GREETING   the peer's 64-byte greeting           judged byte by byte (ZMTP 3, NULL): else
 *                                                    closed; whole: our READY is sent
 *   HANDSHAKE  the peer's READY command              Socket-Type DEALER, REQ or ROUTER: else closed
 *   READY      message frames and commands           [empty delimiter,] body -&gt; Dispatcher;
 *                                                    PING -&gt; PONG; other commands ignored
 * </pre>
 *
 * <p>Bounds: a body frame over {@link Protocol#MAX_MESSAGE_BYTES} is answered too_large from its
 * header (and its first bytes, for the id) and skipped, never buffered; a command over
 * {@link #MAX_COMMAND_BYTES} closes the connection; the output buffer holds at most
 * {@link #OUTPUT_LIMIT} bytes (one larger reply when it is empty): a reply beyond it is dropped.
 *
 * <p>Threading: input fields on the event loop only (the transport's selector thread, then the
 * engine's); output fields under this object's lock, held only while appending or writing (never
 * while waiting).
 */
final class ZmtpConnection implements Dispatcher.Origin {

    static final int MAX_COMMAND_BYTES = 64 * 1024;
    static final int OUTPUT_LIMIT = 8 << 20;
    private static final int INITIAL_BUFFER = 16 * 1024;
    /** Bytes of an oversized body frame read before it is answered too_large (the id is looked for there). */
    private static final int OVERSIZED_PREFIX = 1024;
    private static final int GREETING = 0;
    private static final int HANDSHAKE = 1;
    private static final int READY = 2;
    private static final byte[] DELIMITER = {Zmtp.FLAG_MORE, 0};

    private final ZmtpTransport transport;
    private final SocketChannel channel;
    private final int budgetSlot;
    final long openedNanos;
    private SelectionKey key;

    // input: event loop only
    private byte[] in = new byte[INITIAL_BUFFER];
    private ByteBuffer inBuf = ByteBuffer.wrap(in);
    private int inStart;
    private int inEnd;
    private int state = GREETING;
    /** Bytes of a greeting's signature (0xFF, 8 bytes of padding, 0x7F). */
    private static final int SIGNATURE_BYTES = 10;
    /** Whether the rest of our greeting (after the signature) was sent. */
    private boolean greetingSent;
    private int frames;
    private boolean firstEmpty;
    private boolean badShape;
    private long skip;
    private boolean delimiter;
    private boolean answered;

    // output: under the lock
    private byte[] out = new byte[INITIAL_BUFFER];
    private ByteBuffer outBuf = ByteBuffer.wrap(out);
    private int outLength;
    private boolean closed;
    private boolean waitingWritable;

    ZmtpConnection(ZmtpTransport transport, SocketChannel channel, long sequence) {
        this.transport = transport;
        this.channel = channel;
        this.budgetSlot = (int) (sequence & (Dispatcher.BUDGET_SLOTS - 1));
        this.openedNanos = System.nanoTime();
    }

    // ---- event loop -----------------------------------------------------------------------

    /**
     * Sends the signature of our greeting (its first 10 bytes) at once, the rest once the peer's
     * signature is in, as libzmq and JeroMQ do (ZMTP 3.1 §"Version negotiation" lets a peer wait for
     * ours before it sends its version). Sending all 64 bytes at once left a few percent of fresh
     * JeroMQ 0.6 client connections stalled for good (FirstConnectionTest).
     */
    void open(SelectionKey k) {
        this.key = k;
        byte[] g = transport.scratch();
        Zmtp.greeting(g, 0, true);
        sendRaw(g, SIGNATURE_BYTES);
    }

    boolean handshaking() {
        return state != READY;
    }

    SocketChannel channel() {
        return channel;
    }

    /** Reads what the socket has; -1 at end of stream. */
    int read() throws IOException {
        if (inStart == inEnd) {
            inStart = 0;
            inEnd = 0;
        } else if (inEnd == in.length) {
            room(inEnd - inStart + 1);
        }
        inBuf.limit(in.length).position(inEnd);
        int n = channel.read(inBuf);
        if (n > 0) {
            inEnd += n;
        }
        return n;
    }

    /**
     * Parses what was read: handles whole messages, keeps a partial frame for the next read.
     *
     * @throws ZmtpException when the peer breaks the protocol (the caller closes the connection)
     */
    void process() {
        Zmtp.FrameHeader h = transport.header();
        answered = false;
        while (true) {
            int avail = inEnd - inStart;
            if (state == GREETING) {
                String bad = Zmtp.greetingError(in, inStart, Math.min(avail, Zmtp.GREETING_BYTES));
                if (bad != null) {
                    throw new ZmtpException(bad);
                }
                if (!greetingSent && avail >= SIGNATURE_BYTES) {
                    greetingSent = true; // the peer's signature is in: the rest of our greeting
                    byte[] g = transport.scratch();
                    Zmtp.greeting(g, 0, true);
                    System.arraycopy(g, SIGNATURE_BYTES, g, 0, Zmtp.GREETING_BYTES - SIGNATURE_BYTES);
                    sendRaw(g, Zmtp.GREETING_BYTES - SIGNATURE_BYTES);
                }
                if (avail < Zmtp.GREETING_BYTES) {
                    break;
                }
                inStart += Zmtp.GREETING_BYTES;
                state = HANDSHAKE;
                byte[] r = transport.scratch();
                sendRaw(r, Zmtp.ready(r, 0, "ROUTER", null));
                continue;
            }
            if (skip > 0) {
                int k = (int) Math.min(skip, avail);
                inStart += k;
                skip -= k;
                if (skip > 0) {
                    break;
                }
                continue;
            }
            if (!h.read(in, inStart, avail)) {
                break;
            }
            long size = h.size();
            int hl = h.length();
            if (h.command()) {
                if (size > MAX_COMMAND_BYTES) {
                    throw new ZmtpException("command of " + size + " bytes, at most " + MAX_COMMAND_BYTES);
                }
                if (avail < hl + size) {
                    room(hl + (int) size);
                    break;
                }
                int body = inStart + hl;
                inStart = body + (int) size;
                command(body, (int) size);
                continue;
            }
            if (state != READY) {
                throw new ZmtpException("a message frame before the READY command");
            }
            if (h.more()) {
                frames++;
                if (frames == 1 && size == 0) {
                    firstEmpty = true;
                } else {
                    badShape = true;
                }
                inStart += hl;
                skip = size;
                continue;
            }
            // the message's last frame: the body when the message is [empty delimiter,] body
            boolean body = !badShape && (frames == 0 || frames == 1 && firstEmpty);
            if (body) {
                // wait for all of it, or (over the limit) for enough of it to find the request's id
                int need = (int) Math.min(size, size > Protocol.MAX_MESSAGE_BYTES ? OVERSIZED_PREFIX : size);
                if (avail < hl + need) {
                    room(hl + need);
                    break;
                }
            }
            long start = System.nanoTime();
            transport.countReceived();
            int n = frames + 1;
            delimiter = firstEmpty && n >= 2;
            frames = 0;
            firstEmpty = false;
            badShape = false;
            if (!body) {
                transport.dispatcher().badShape(this, n, start);
                inStart += hl;
                skip = size;
                continue;
            }
            if (size > Protocol.MAX_MESSAGE_BYTES) {
                // too_large from the header and the frame's first bytes: never buffered whole
                transport.dispatcher().handle(this, in, inStart + hl, (int) Math.min(avail - hl, size),
                        (int) Math.min(size, Integer.MAX_VALUE), start);
                inStart += hl;
                skip = size;
                continue;
            }
            int at = inStart + hl;
            inStart = at + (int) size;
            transport.dispatcher().handle(this, in, at, (int) size, (int) size, start);
        }
        if (answered) {
            flush();
        }
    }

    private void command(int body, int size) {
        if (state == HANDSHAKE) {
            if (Zmtp.isError(in, body, size)) {
                throw new ZmtpException("the peer sent ERROR during the handshake");
            }
            String type = Zmtp.readySocketType(in, body, size);
            if (!"DEALER".equals(type) && !"REQ".equals(type) && !"ROUTER".equals(type)) {
                throw new ZmtpException("peer socket type " + type + " cannot talk to a ROUTER");
            }
            state = READY;
            return;
        }
        if (Zmtp.isPing(in, body, size)) {
            byte[] p = transport.scratch();
            sendRaw(p, Zmtp.pong(p, 0, in, body, size));
        }
        // other commands (PONG, unknown ones) are ignored, as ZMTP 3.1 asks
    }

    /** Makes room for {@code bytes} from inStart: compacts, or grows (a frame within the limits). */
    private void room(int bytes) {
        int used = inEnd - inStart;
        if (bytes > in.length) {
            byte[] bigger = new byte[Math.max(bytes, Math.min(2 * in.length, Protocol.MAX_MESSAGE_BYTES
                    + Zmtp.MAX_HEADER_BYTES))];
            System.arraycopy(in, inStart, bigger, 0, used);
            in = bigger;
            inBuf = ByteBuffer.wrap(in);
        } else if (inStart + bytes > in.length) {
            System.arraycopy(in, inStart, in, 0, used);
        } else {
            return;
        }
        inStart = 0;
        inEnd = used;
    }

    @Override
    public int budgetSlot() {
        return budgetSlot;
    }

    @Override
    public void answer(Reply reply, long start) {
        transport.answer(this, delimiter, reply, start);
        answered = true;
    }

    @Override
    public void route(InFlight f) {
        f.route = this;
        f.delimiter = delimiter;
    }

    /** Writes what waits after OP_WRITE said the socket takes more. */
    void writable() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            writeOut();
            if (outLength == 0) {
                waitingWritable = false;
                key.interestOps(SelectionKey.OP_READ);
            }
        }
    }

    /** Closes the socket (replies still to come are dropped); false when it was closed already. */
    boolean close() {
        synchronized (this) {
            closed = true;
            outLength = 0;
            key.cancel();
        }
        if (!channel.isOpen()) {
            return false;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // closing: nothing to do about it
        }
        return true;
    }

    // ---- any thread -------------------------------------------------------------------------

    /**
     * Appends a reply message ([delimiter,] body) and writes it unless {@code later} (then
     * {@link #flush} must follow). False when it is dropped: the connection is closed, or its
     * output buffer is full (the client does not read).
     */
    boolean send(boolean delim, byte[] body, int n, boolean later) {
        synchronized (this) {
            if (closed) {
                return false;
            }
            int need = (delim ? 2 : 0) + Zmtp.headerBytes(n) + n;
            if (!ensureOut(need)) {
                return false;
            }
            if (delim) {
                out[outLength++] = DELIMITER[0];
                out[outLength++] = DELIMITER[1];
            }
            outLength += Zmtp.frameHeader(out, outLength, 0, n);
            System.arraycopy(body, 0, out, outLength, n);
            outLength += n;
            if (!later) {
                flushLocked();
            }
            return true;
        }
    }

    /** Writes what is buffered, unless the event loop is waiting to (the socket was full). */
    void flush() {
        synchronized (this) {
            flushLocked();
        }
    }

    private void sendRaw(byte[] b, int n) {
        synchronized (this) {
            if (closed || !ensureOut(n)) {
                return;
            }
            System.arraycopy(b, 0, out, outLength, n);
            outLength += n;
        }
        answered = true;
    }

    private boolean ensureOut(int need) {
        if (outLength + need <= out.length) {
            return true;
        }
        if (outLength > 0 && outLength + need > OUTPUT_LIMIT) {
            return false;
        }
        byte[] bigger = new byte[Math.max(outLength + need, 2 * out.length)];
        System.arraycopy(out, 0, bigger, 0, outLength);
        out = bigger;
        outBuf = ByteBuffer.wrap(out);
        return true;
    }

    private void flushLocked() {
        if (closed || waitingWritable || outLength == 0) {
            return;
        }
        try {
            writeOut();
        } catch (IOException e) {
            // the peer is gone: what waits is dropped; the selector thread closes the connection
            closed = true;
            outLength = 0;
            transport.closeLater(this);
            return;
        }
        if (outLength > 0) {
            waitingWritable = true;
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            transport.wakeup();
        }
    }

    private void writeOut() throws IOException {
        outBuf.limit(outLength).position(0);
        int w = channel.write(outBuf);
        if (w < outLength) {
            System.arraycopy(out, w, out, 0, outLength - w);
        }
        outLength -= w;
    }
}
