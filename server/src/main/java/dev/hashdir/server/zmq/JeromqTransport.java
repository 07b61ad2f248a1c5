package dev.hashdir.server.zmq;

import dev.hashdir.server.protocol.Protocol;
import dev.hashdir.server.protocol.Reply;
import dev.hashdir.server.protocol.ReplyEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The JeroMQ transport of the data plane: one ROUTER socket, owned by one socket thread that
 * receives and hands each message to the {@link Dispatcher}. The pipeline's reply thread queues
 * each finished request ({@link #complete}); the socket thread, woken by a one-byte message that
 * an inproc DEALER with a secret routing id sends to the ROUTER itself, encodes and sends it:
 * ZeroMQ sockets are used by their owning thread only. The socket thread so waits in one blocking
 * receive on one socket, not in a JeroMQ poller (whose every call registers the sockets again and
 * asks each for its events: a dozen system calls per wake-up, most of the thread's time at low
 * load).
 *
 * <pre>
 *   client --ROUTER--&gt; socket thread --tryPublishAll--&gt; [ring] --&gt; engine --&gt; journal --&gt; reply
 *                        ^ encode + send                                                   |
 *                        +---- done queue + inproc wake &lt;------------ ReplyCollector -------+
 * </pre>
 *
 * <p>Budgets are counted per hashed routing id. ZeroMQ's receive high-water mark bounds what waits
 * unread. A reply to a client that is gone or does not read (its send queue full) is dropped and
 * counted.
 *
 * <p>Allocation: JeroMQ allocates a message object per frame received and sent.
 *
 * <p>Threading: {@link #close} from any thread; {@link #complete} on pipeline threads; everything
 * else runs on the socket thread.
 */
final class JeromqTransport implements Transport, Dispatcher.Origin, Dispatcher.Completion {

    private static final Logger LOG = LoggerFactory.getLogger(JeromqTransport.class);
    private static final long POLL_MS = 100;
    private static final int RECV_BURST = 256;
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final ZContext zmq = new ZContext(1);
    private final String bindSpec;
    private final RequestMetrics metrics;
    private final Dispatcher dispatcher;
    private final ArrayBlockingQueue<InFlight> done;
    private final AtomicBoolean wakeArmed = new AtomicBoolean();
    private final String wakeEndpoint = "inproc://hashdir-wake-" + INSTANCES.incrementAndGet();
    /** Routing id of the wake-up DEALER: random, so that no client can pose as it. */
    private final byte[] wakeId = new byte[16];
    private static final byte[] WAKE = {1};
    private final CountDownLatch bound = new CountDownLatch(1);
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private volatile boolean running = true;
    private volatile String endpoint;
    private volatile RuntimeException startFailure;
    private ZMQ.Socket wakeSender; // created by the socket thread, then used by the reply thread only

    // socket thread only
    private ZMQ.Socket router;
    private final ReplyEncoder encoder = new ReplyEncoder();
    private final byte[] identity = new byte[256];
    private int identityLength;
    private boolean delimiter;
    private final byte[] body = new byte[Protocol.MAX_MESSAGE_BYTES + 1];
    private final byte[] discard = new byte[64];

    private JeromqTransport(String bindSpec, int maxInFlight, int maxPerClient, RequestMetrics metrics) {
        this.bindSpec = bindSpec;
        this.metrics = metrics;
        this.dispatcher = new Dispatcher(maxInFlight, maxPerClient, this);
        this.done = new ArrayBlockingQueue<>(maxInFlight);
        this.thread = Thread.ofPlatform().name("hashdir-zmq").unstarted(this::run);
    }

    /** Binds {@code bindSpec} and starts the socket thread. */
    static JeromqTransport start(String bindSpec, int maxInFlight, int maxPerClient, RequestMetrics metrics) {
        JeromqTransport p = new JeromqTransport(bindSpec, maxInFlight, maxPerClient, metrics);
        p.thread.start();
        try {
            p.bound.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (p.startFailure != null) {
            p.close();
            throw p.startFailure;
        }
        return p;
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

    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (wakeSender != null) {
                wakeSender.close();
                wakeSender = null;
            }
        }
        zmq.close();
    }

    // ---- the socket thread ---------------------------------------------------------------------

    private void run() {
        try {
            router = zmq.createSocket(SocketType.ROUTER);
            router.setRouterMandatory(true);
            router.setLinger(0);
            router.setMaxMsgSize(16L << 20);
            router.setRcvHWM(10_000);
            router.setSndHWM(10_000);
            router.setReceiveTimeOut((int) POLL_MS);
            router.bind(bindSpec);
            endpoint = router.getLastEndpoint();
            router.bind(wakeEndpoint);
            new java.security.SecureRandom().nextBytes(wakeId);
            ZMQ.Socket w = zmq.createSocket(SocketType.DEALER);
            w.setIdentity(wakeId);
            w.setLinger(0);
            w.connect(wakeEndpoint);
            synchronized (this) {
                wakeSender = w;
            }
        } catch (RuntimeException e) {
            startFailure = new IllegalArgumentException("cannot bind the data plane to " + bindSpec + ": " + e, e);
            bound.countDown();
            return;
        }
        bound.countDown();
        LOG.info("data plane listening on {}", endpoint);
        try {
            while (running) {
                sendDone();
                // wait (at most POLL_MS) for a request or a wake-up, then take what else is there
                if (!receiveOne(true)) {
                    continue;
                }
                sendDone();
                for (int i = 0; i < RECV_BURST && receiveOne(false); i++) {
                    sendDone();
                }
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.error("data plane failed; it answers no more requests", e);
            }
        } finally {
            // replies the drained pipeline finished after this loop's last turn still go out
            try {
                sendDone();
            } catch (RuntimeException e) {
                LOG.warn("could not send the last replies: {}", e.toString());
            }
        }
    }

    /** Receives and handles one message (a request or a wake-up); false when none came. */
    private boolean receiveOne(boolean block) {
        int n = router.recv(identity, 0, identity.length, block ? 0 : ZMQ.DONTWAIT);
        if (n < 0) {
            return false;
        }
        if (n == wakeId.length && java.util.Arrays.equals(identity, 0, n, wakeId, 0, n)) {
            while (router.hasReceiveMore()) {
                router.recv(discard, 0, discard.length, 0);
            }
            // disarm before draining: a reply queued after the drain sends a new wake-up
            wakeArmed.set(false);
            return true;
        }
        long start = System.nanoTime();
        received.incrementAndGet();
        identityLength = Math.min(n, identity.length);
        delimiter = false;
        int frames = 0;
        int bodyLength = 0;
        boolean empty = false;
        while (router.hasReceiveMore()) {
            frames++;
            if (frames == 1) {
                bodyLength = router.recv(body, 0, body.length, 0);
                empty = bodyLength == 0;
            } else if (frames == 2 && empty) {
                bodyLength = router.recv(body, 0, body.length, 0);
            } else {
                router.recv(discard, 0, discard.length, 0);
            }
        }
        delimiter = empty && frames >= 2;
        boolean shapeOk = frames == 1 || frames == 2 && empty;
        if (!shapeOk) {
            dispatcher.badShape(this, frames, start);
            return true;
        }
        int length = Math.max(0, bodyLength);
        dispatcher.handle(this, body, 0, Math.min(length, body.length), length, start);
        return true;
    }

    @Override
    public void complete(InFlight f, boolean batched) {
        done.offer(f);
        wake();
    }

    /** Reply thread: wakes the socket thread unless a wake-up is already pending. */
    private void wake() {
        if (wakeArmed.compareAndSet(false, true)) {
            synchronized (this) {
                if (wakeSender != null && running) {
                    wakeSender.send(WAKE, 0, 1, ZMQ.DONTWAIT);
                }
            }
        }
    }

    private void sendDone() {
        InFlight f;
        while ((f = done.poll()) != null) {
            send(f.identity, f.identityLength, f.delimiter, f.reply, f.startNanos);
            dispatcher.release(f);
        }
    }

    @Override
    public void answer(Reply reply, long start) {
        send(identity, identityLength, delimiter, reply, start);
    }

    @Override
    public void route(InFlight f) {
        System.arraycopy(identity, 0, f.identity, 0, identityLength);
        f.identityLength = identityLength;
        f.delimiter = delimiter;
    }

    private void send(byte[] id, int idLength, boolean delim, Reply reply, long start) {
        int n = encoder.encode(reply);
        try {
            boolean ok = router.send(id, 0, idLength, ZMQ.SNDMORE | ZMQ.DONTWAIT)
                    && (!delim || router.send(discard, 0, 0, ZMQ.SNDMORE | ZMQ.DONTWAIT))
                    && router.send(encoder.buffer(), 0, n, ZMQ.DONTWAIT);
            if (!ok) {
                dropped.incrementAndGet();
            }
        } catch (ZMQException e) {
            dropped.incrementAndGet();
        }
        metrics.answered(reply.op(), reply.status(), System.nanoTime() - start);
    }

    @Override
    public int budgetSlot() {
        int h = 1;
        for (int i = 0; i < identityLength; i++) {
            h = 31 * h + identity[i];
        }
        return (h ^ (h >>> 16)) & (Dispatcher.BUDGET_SLOTS - 1);
    }
}
