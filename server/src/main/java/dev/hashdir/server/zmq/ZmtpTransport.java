package dev.hashdir.server.zmq;

import dev.hashdir.client.zmtp.Zmtp;
import dev.hashdir.client.zmtp.ZmtpException;
import dev.hashdir.engine.pipeline.IdleLoop;
import dev.hashdir.engine.pipeline.Pipeline;
import dev.hashdir.server.protocol.Reply;
import dev.hashdir.server.protocol.ReplyEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The data plane's own ZMTP 3.1 transport (docs/protocol.md, "Transport"): a ROUTER for ZeroMQ
 * DEALER and REQ clients over NIO. One event loop accepts, reads (one read takes every request a
 * client pipelined), parses frames ({@link ZmtpConnection}) and hands each message to the
 * {@link Dispatcher}; direct answers are appended to the connection's output and written once
 * per read. The loop runs on a selector thread of its own until the pipeline is attached; then,
 * unless told otherwise ({@link #attached}), the engine thread takes it over and runs it while it
 * has no event ({@link Pipeline#runWhileIdle}), Redis-style: a request is read, decoded, published
 * and applied by one thread, with no hand-off (a park/unpark costs 10 to 20 us on a small VM).
 * The loop's iterations are serialized by a lock, so that at the hand-over and at close only one
 * thread runs it. The pipeline thread that finishes a request encodes its reply and writes it to the
 * connection itself ({@link #complete}): no thread hop, no wake-up; the reply thread writes once
 * per connection at the end of its batch ({@link #endOfBatch}), as does the engine thread for its
 * early answers. A socket that would block
 * keeps the bytes; the event loop writes them once it takes more (OP_WRITE).
 *
 * <pre>
 *   client --TCP--&gt; event loop: read, parse, decode --tryPublishAll--&gt; [ring] --&gt; engine
 *      ^                                                                          --&gt; journal
 *      +---------- write (connection lock) &lt;-- encode &lt;-- ReplyCollector &lt;-- reply thread
 * </pre>
 *
 * <p>Bounds: a peer that has not finished its handshake within {@code handshakeMillis} is closed
 * (slow or silent peers hold nothing for long); a peer that breaks ZMTP is closed; budgets are
 * counted per connection. Replies for a closed connection, or beyond a connection's output
 * limit, are dropped and counted.
 *
 * <p>Allocation: reading, parsing, dispatching, encoding and writing allocate nothing per request
 * once warm (buffers grow to the largest message and stay); connections allocate their state.
 *
 * <p>Threading: {@link #complete} on pipeline threads; {@link #attached} and {@link #close} from
 * any thread; the rest on the thread running the event loop (the selector thread, then the
 * engine's).
 */
final class ZmtpTransport implements Transport, Dispatcher.Completion {

    /** How long a peer may take to finish its greeting and READY. */
    static final long HANDSHAKE_MILLIS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(ZmtpTransport.class);
    private static final long POLL_MS = 100;

    private final Dispatcher dispatcher;
    private final RequestMetrics metrics;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final String endpoint;
    private final long handshakeNanos;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
    private final ConcurrentLinkedQueue<ZmtpConnection> broken = new ConcurrentLinkedQueue<>();
    /** Per pipeline thread (engine, reply): its encoder and the connections its open batch owes a write. */
    private final ThreadLocal<Replier> repliers = ThreadLocal.withInitial(Replier::new);
    private volatile boolean running = true;
    /** Held by whichever thread runs an iteration of the event loop (the selector thread, or the engine's). */
    private final ReentrantLock looping = new ReentrantLock();
    /** The pipeline whose engine thread runs the event loop while idle ({@link #attached}), or null. */
    private volatile Pipeline engineLoop;
    private final IdleLoop idleLoop = new IdleLoop() {
        @Override
        public void poll(long maxNanos) {
            pollFromEngine(maxNanos);
        }

        @Override
        public void wake() {
            selector.wakeup();
        }
    };

    // event loop only (the selector thread, then the engine's)
    private final ReplyEncoder encoder = new ReplyEncoder();
    private final Zmtp.FrameHeader header = new Zmtp.FrameHeader();
    private final byte[] scratch = new byte[Zmtp.GREETING_BYTES + Zmtp.readyBytes(0)];
    private final ArrayList<ZmtpConnection> handshaking = new ArrayList<>();
    private final Consumer<SelectionKey> onReady = this::ready;
    private long sequence;

    private ZmtpTransport(ServerSocketChannel server, Selector selector, String endpoint, int maxInFlight,
            int maxPerClient, RequestMetrics metrics, long handshakeMillis) {
        this.server = server;
        this.selector = selector;
        this.endpoint = endpoint;
        this.metrics = metrics;
        this.handshakeNanos = TimeUnit.MILLISECONDS.toNanos(handshakeMillis);
        this.dispatcher = new Dispatcher(maxInFlight, maxPerClient, this);
        this.thread = Thread.ofPlatform().name("hashdir-zmtp").unstarted(this::run);
    }

    /** Binds {@code bindSpec} ({@code tcp://host:port}, port {@code *} for any) and starts the selector thread. */
    static ZmtpTransport start(String bindSpec, int maxInFlight, int maxPerClient, RequestMetrics metrics,
            long handshakeMillis) {
        if (maxInFlight < 1 || maxPerClient < 1) {
            throw new IllegalArgumentException("in-flight bounds must be positive: maxInFlight=" + maxInFlight
                    + ", maxPerClient=" + maxPerClient);
        }
        InetSocketAddress address = address(bindSpec);
        ServerSocketChannel s = null;
        Selector sel = null;
        try {
            s = ServerSocketChannel.open();
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(address, 1024);
            s.configureBlocking(false);
            sel = Selector.open();
            s.register(sel, SelectionKey.OP_ACCEPT);
            InetSocketAddress local = (InetSocketAddress) s.getLocalAddress();
            String host = bindSpec.substring("tcp://".length(), bindSpec.lastIndexOf(':'));
            String ep = "tcp://" + ("*".equals(host) ? "0.0.0.0" : host) + ":" + local.getPort();
            ZmtpTransport t = new ZmtpTransport(s, sel, ep, maxInFlight, maxPerClient, metrics, handshakeMillis);
            t.thread.start();
            LOG.info("data plane (zmtp) listening on {}", ep);
            return t;
        } catch (IOException | RuntimeException e) {
            closeQuietly(sel);
            closeQuietly(s);
            throw new IllegalArgumentException("cannot bind the data plane to " + bindSpec + ": " + e, e);
        }
    }

    private static InetSocketAddress address(String bindSpec) {
        String rest = bindSpec.startsWith("tcp://") ? bindSpec.substring("tcp://".length()) : null;
        int colon = rest == null ? -1 : rest.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("cannot bind the data plane to " + bindSpec
                    + ": expected tcp://host:port (port * for any free port)");
        }
        String host = rest.substring(0, colon);
        String port = rest.substring(colon + 1);
        int p;
        try {
            p = "*".equals(port) ? 0 : Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cannot bind the data plane to " + bindSpec + ": bad port " + port, e);
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("cannot bind the data plane to " + bindSpec + ": bad port " + port);
        }
        if ("*".equals(host)) {
            return new InetSocketAddress(p);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        URI.create("tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":1"); // rejects garbage early
        return new InetSocketAddress(host, p);
    }

    @Override
    public Dispatcher dispatcher() {
        return dispatcher;
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    @Override
    public long dropped() {
        return dropped.get();
    }

    @Override
    public long received() {
        return received.get();
    }

    /** Connections open now. */
    int connections() {
        return open.get();
    }

    /** Connections closed for breaking ZMTP or not finishing the handshake in time. */
    long refused() {
        return refused.get();
    }

    /**
     * The pipeline is attached: when {@code engineLoop}, its engine thread takes over the event loop
     * (it polls the selector while it has no event: {@link Pipeline#runWhileIdle}) and the selector
     * thread stops; otherwise (or when the pipeline cannot) the selector thread goes on.
     */
    void attached(Pipeline p, boolean engineLoop) {
        if (engineLoop && running && p.runWhileIdle(idleLoop)) {
            this.engineLoop = p;
            selector.wakeup(); // the selector thread sees engineLoop set and stops
        }
    }

    /** Whether the engine thread runs the event loop (after {@link #attached}, until closed). */
    boolean onEngine() {
        return engineLoop != null;
    }

    @Override
    public void close() {
        running = false;
        Pipeline p = engineLoop;
        if (p != null) {
            p.runWhileIdle(null); // a poll in progress returns first
        }
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (p != null) {
            looping.lock();
            try {
                shutDown();
            } finally {
                looping.unlock();
            }
        }
    }

    // ---- pipeline threads -----------------------------------------------------------------------

    /** One pipeline thread's reply state. */
    private static final class Replier {
        final ReplyEncoder encoder = new ReplyEncoder();
        /** Connections with batched replies of this thread not yet written (a connection may repeat). */
        final ArrayList<ZmtpConnection> owed = new ArrayList<>();
    }

    @Override
    public void complete(InFlight f, boolean batched) {
        try {
            ZmtpConnection c = (ZmtpConnection) f.route;
            Replier r = repliers.get();
            int n = r.encoder.encode(f.reply);
            if (!c.send(f.delimiter, r.encoder.buffer(), n, batched)) {
                dropped.incrementAndGet();
            } else if (batched && (r.owed.isEmpty() || r.owed.getLast() != c)) {
                r.owed.add(c);
            }
            metrics.answered(f.reply.op(), f.reply.status(), System.nanoTime() - f.startNanos);
        } finally {
            dispatcher.giveBack(f); // also when the reply could not be sent: its slot and budget are free again
        }
    }

    /**
     * A pipeline thread's batch is done: one write per connection for its batched replies (a
     * connection listed twice is written once: the second flush finds nothing to write).
     */
    @Override
    public void endOfBatch() {
        ArrayList<ZmtpConnection> owed = repliers.get().owed;
        for (int i = 0, n = owed.size(); i < n; i++) {
            owed.get(i).flush();
        }
        owed.clear();
    }

    /** A pipeline thread found the connection broken: the event loop closes it. */
    void closeLater(ZmtpConnection c) {
        broken.add(c);
        selector.wakeup();
    }

    void wakeup() {
        selector.wakeup();
    }

    // ---- event loop ----------------------------------------------------------------------------

    Zmtp.FrameHeader header() {
        return header;
    }

    byte[] scratch() {
        return scratch;
    }

    void countReceived() {
        received.incrementAndGet();
    }

    /** A direct answer (event loop): appended; the connection writes it after this read. */
    void answer(ZmtpConnection c, boolean delimiter, Reply reply, long start) {
        int n = encoder.encode(reply);
        if (!c.send(delimiter, encoder.buffer(), n, true)) {
            dropped.incrementAndGet();
        }
        metrics.answered(reply.op(), reply.status(), System.nanoTime() - start);
    }

    /** The selector thread: runs the event loop until closed, or until the engine thread takes it over. */
    private void run() {
        boolean handedOver = false;
        try {
            while (running) {
                looping.lock();
                try {
                    if (engineLoop != null) {
                        handedOver = true;
                        return;
                    }
                    pollOnce(POLL_MS);
                } finally {
                    looping.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                LOG.error("data plane failed; it answers no more requests", e);
            }
        } finally {
            if (!handedOver) {
                shutDown();
            }
        }
    }

    /** The engine thread, while it has no event: one iteration of the event loop, at most {@code maxNanos}. */
    private void pollFromEngine(long maxNanos) {
        if (running && looping.tryLock()) { // not: the selector thread still finishes its last iteration
            try {
                if (running) {
                    pollOnce(Math.max(1, TimeUnit.NANOSECONDS.toMillis(maxNanos)));
                    return;
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("data plane failed; it answers no more requests", e);
                running = false;
                shutDown(); // its clients see their connections close, as when the selector thread fails
            } finally {
                looping.unlock();
            }
        }
        LockSupport.parkNanos(this, Math.min(maxNanos, 1_000_000));
    }

    /** One iteration of the event loop: reads, dispatches, closes what broke, expires handshakes. */
    private void pollOnce(long timeoutMillis) throws IOException {
        selector.select(onReady, timeoutMillis);
        dispatcher.reclaim();
        ZmtpConnection c;
        while ((c = broken.poll()) != null) {
            close(c, null);
        }
        if (!handshaking.isEmpty()) {
            expireHandshakes();
        }
    }

    /**
     * Closed, or the event loop failed: what the drained pipeline answered last still goes out if
     * it can, then every socket closes. Once only (the loop's lock held, or its thread ending).
     */
    private void shutDown() {
        if (!selector.isOpen()) {
            return; // shut down already (the event loop failed)
        }
        for (SelectionKey k : selector.keys()) {
            if (k.attachment() instanceof ZmtpConnection c) {
                c.flush();
                if (c.close()) {
                    open.decrementAndGet();
                }
            }
        }
        closeQuietly(selector);
        closeQuietly(server);
    }

    private void ready(SelectionKey k) {
        if (!(k.attachment() instanceof ZmtpConnection c)) {
            accept();
            return;
        }
        try {
            if (k.isReadable()) {
                int n = c.read();
                if (n < 0) {
                    close(c, null);
                    return;
                }
                if (n > 0) {
                    c.process();
                }
            }
            if (k.isValid() && k.isWritable()) {
                c.writable();
            }
        } catch (ZmtpException e) {
            refused.incrementAndGet();
            close(c, e.getMessage());
        } catch (IOException e) {
            close(c, null);
        } catch (RuntimeException e) {
            // a bug, not the peer's doing: this connection goes, the others are still served
            LOG.error("data plane connection {} failed; closing it", remote(c), e);
            close(c, null);
        }
    }

    private void accept() {
        try {
            SocketChannel ch;
            while ((ch = server.accept()) != null) {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ZmtpConnection c = new ZmtpConnection(this, ch, sequence++);
                open.incrementAndGet();
                c.open(ch.register(selector, SelectionKey.OP_READ, c));
                c.flush();
                handshaking.add(c);
            }
        } catch (IOException e) {
            LOG.warn("accepting a data plane connection failed: {}", e.toString());
        }
    }

    private void expireHandshakes() {
        long now = System.nanoTime();
        for (int i = handshaking.size() - 1; i >= 0; i--) {
            ZmtpConnection c = handshaking.get(i);
            if (!c.handshaking() || !c.channel().isOpen()) {
                handshaking.remove(i);
            } else if (now - c.openedNanos > handshakeNanos) {
                handshaking.remove(i);
                refused.incrementAndGet();
                close(c, "no ZMTP handshake within " + TimeUnit.NANOSECONDS.toMillis(handshakeNanos) + " ms");
            }
        }
    }

    private void close(ZmtpConnection c, String why) {
        if (why != null) {
            LOG.debug("closing data plane connection {}: {}", remote(c), why);
        }
        if (c.close()) {
            open.decrementAndGet();
        }
    }

    private static String remote(ZmtpConnection c) {
        try {
            return String.valueOf(c.channel().getRemoteAddress());
        } catch (IOException e) {
            return "(closed)";
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // closing: nothing to do about it
        }
    }
}
