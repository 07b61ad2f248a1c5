package dev.hashdir.server.zmq;

import dev.hashdir.engine.pipeline.IndexedFiller;
import dev.hashdir.engine.pipeline.Pipeline;
import dev.hashdir.engine.pipeline.RequestEvent;
import dev.hashdir.engine.store.StoreFormat;
import dev.hashdir.server.protocol.Op;
import dev.hashdir.server.protocol.Protocol;
import dev.hashdir.server.protocol.Reply;
import dev.hashdir.server.protocol.ReplyEncoder;
import dev.hashdir.server.protocol.Request;
import dev.hashdir.server.protocol.RequestDecoder;
import dev.hashdir.server.protocol.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ZeroMQ data plane (protocol v1, docs/protocol.md): one ROUTER socket, owned by one socket
 * thread that receives, decodes ({@link RequestDecoder}), answers at once what needs no engine
 * (errors, ping, stats, busy, not_ready) and publishes data ops into the {@link Pipeline}. The
 * pipeline's reply thread fills each request's {@link InFlight} ({@link ReplyCollector}) and
 * queues it; the socket thread, woken by a one-byte message that an inproc DEALER with a secret
 * routing id sends to the ROUTER itself, encodes and sends it: ZeroMQ sockets are used by their
 * owning thread only. The socket thread so waits in one blocking receive on one socket, not in a
 * JeroMQ poller (whose every call registers the sockets again and asks each for its events: a
 * dozen system calls per wake-up, most of the thread's time at low load).
 *
 * <pre>
 *   client --ROUTER--&gt; socket thread --tryPublishAll--&gt; [ring] --&gt; engine --&gt; journal --&gt; reply
 *                        ^ encode + send                                                   |
 *                        +---- done queue + inproc wake &lt;------------ ReplyCollector -------+
 * </pre>
 *
 * <p>Bounds: at most {@code maxInFlight} requests in the pipeline in all (the InFlight pool),
 * at most {@code maxPerClient} per client (counted per hashed routing id: two clients sharing a
 * slot share a budget, never exceed it); over either, {@code busy}. ZeroMQ's receive high-water
 * mark bounds what waits unread. A reply to a client that is gone or does not read (its send
 * queue full) is dropped and counted.
 *
 * <p>Requests and ring events: one event per op; a put of more values than an event holds is split
 * into several events (its parts are applied in order; should a later part fail, the earlier ones
 * stay applied and the reply, carrying the failure, acknowledges none); a request's events are
 * published at once, contiguously (no other op between), and committed by one group commit
 * (docs/protocol.md, put and batch). Ping, stats, a scan with limit 0 and a put of no values need
 * no event.
 *
 * <p>Allocation: decode, publish, collect and encode allocate nothing once warm; JeroMQ allocates
 * a message object per frame received and sent; errors and stats build strings and maps.
 *
 * <p>Threading: {@link #start}, {@link #attach}, {@link #drain} and {@link #close} from any
 * thread; everything else runs on the socket thread.
 */
public final class DataPlane implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);
    private static final long POLL_MS = 100;
    private static final int RECV_BURST = 256;
    private static final int BUDGET_SLOTS = 4096;
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final ZContext zmq = new ZContext(1);
    private final String bindSpec;
    private final int maxPerClient;
    private final RequestMetrics metrics;
    private final InFlight[] pool;
    private final ArrayDeque<InFlight> free;
    private final ArrayBlockingQueue<InFlight> done;
    private final int[] budget = new int[BUDGET_SLOTS];
    private final AtomicBoolean wakeArmed = new AtomicBoolean();
    private final String wakeEndpoint = "inproc://hashdir-wake-" + INSTANCES.incrementAndGet();
    /** Routing id of the wake-up DEALER: random, so that no client can pose as it. */
    private final byte[] wakeId = new byte[16];
    private static final byte[] WAKE = {1};
    private final CountDownLatch bound = new CountDownLatch(1);
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private volatile Attached attached;
    private volatile boolean draining;
    private volatile boolean running = true;
    private volatile String endpoint;
    private volatile RuntimeException startFailure;
    private ZMQ.Socket wakeSender; // created by the socket thread, then used by the reply thread only

    // socket thread only
    private ZMQ.Socket router;
    private RequestDecoder decoder = new RequestDecoder(StoreFormat.MIN_KEY_BYTES);
    private Request request = new Request(StoreFormat.MIN_KEY_BYTES);
    private Attached using;
    private final ReplyCollector collector;
    private final ReplyEncoder encoder = new ReplyEncoder();
    private final Reply direct = new Reply();
    private final byte[] identity = new byte[256];
    private int identityLength;
    private boolean delimiter;
    private final byte[] body = new byte[Protocol.MAX_MESSAGE_BYTES + 1];
    private final byte[] discard = new byte[64];
    private final byte[] cursorKey = new byte[StoreFormat.MAX_KEY_BYTES];
    private int[] planOp = new int[64];
    private int[] planFrom = new int[64];
    private int[] planCount = new int[64];
    private int planned;
    private InFlight publishing;
    private final IndexedFiller<DataPlane> filler = (e, i, p) -> p.fill(e, i);

    private DataPlane(String bindSpec, int maxInFlight, int maxPerClient, RequestMetrics metrics) {
        if (maxInFlight < 1 || maxPerClient < 1) {
            throw new IllegalArgumentException("in-flight bounds must be positive: maxInFlight=" + maxInFlight
                    + ", maxPerClient=" + maxPerClient);
        }
        this.bindSpec = bindSpec;
        this.maxPerClient = maxPerClient;
        this.metrics = metrics;
        this.pool = new InFlight[maxInFlight];
        this.free = new ArrayDeque<>(maxInFlight);
        for (int i = 0; i < maxInFlight; i++) {
            pool[i] = new InFlight(i);
            free.add(pool[i]);
        }
        this.done = new ArrayBlockingQueue<>(maxInFlight);
        this.collector = new ReplyCollector(done, this::wake);
        this.thread = Thread.ofPlatform().name("hashdir-zmq").unstarted(this::run);
    }

    /**
     * Binds {@code bindSpec} (e.g. {@code tcp://127.0.0.1:5555}, or {@code tcp://127.0.0.1:*} for
     * any free port) and starts answering: {@code not_ready} to data ops until {@link #attach}.
     */
    public static DataPlane start(String bindSpec, int maxInFlight, int maxPerClient, RequestMetrics metrics) {
        DataPlane p = new DataPlane(bindSpec, maxInFlight, maxPerClient, metrics);
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

    /** The endpoint bound, with the port chosen when {@code *} was asked. */
    public String endpoint() {
        return endpoint;
    }

    /** Starts serving data ops through {@code a}'s pipeline; the store's replies come to this plane. */
    public void attach(Attached a) {
        this.attached = a;
    }

    /** Stops taking data ops (they get not_ready); replies still in the pipeline are still sent. */
    public void drain() {
        draining = true;
    }

    /** Requests in the pipeline now. */
    public int inFlight() {
        return pool.length - free.size();
    }

    /** Replies dropped because their client was gone or not reading. */
    public long dropped() {
        return dropped.get();
    }

    /** Messages received. */
    public long received() {
        return received.get();
    }

    /** Stops the socket thread and closes the sockets; call after the pipeline is closed (drained). */
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
            direct.reset().fail(Status.BAD_REQUEST, "message: expected [empty delimiter,] one body frame, got "
                    + frames + " frames after the routing id");
            sendNow(direct, null, start);
            return true;
        }
        handle(Math.max(0, bodyLength), start);
        return true;
    }

    private void handle(int length, long start) {
        Attached a = attached;
        if (a != using && a != null) {
            using = a;
            decoder = new RequestDecoder(a.keyBytes());
            request = new Request(a.keyBytes());
        }
        decoder.decode(body, 0, Math.min(length, body.length), request);
        Request r = request;
        Reply reply = direct.answer(r);
        if (a == null && !(r.status() == Status.OK && r.op() == Op.PING)) {
            // the key length is the store's, unknown until recovery is done: judge nothing but ping yet
            reply.reset();
            if (r.hasId()) {
                reply.id(r.id());
            }
            reply.fail(Status.NOT_READY, "not ready: the store is still recovering");
            sendNow(reply, r.op(), start);
            return;
        }
        if (r.status() != Status.OK) {
            sendNow(reply, r.op(), start);
            return;
        }
        switch (r.op()) {
            case PING -> sendNow(reply, Op.PING, start);
            case STATS -> {
                if (a == null) {
                    reply.fail(Status.NOT_READY, "not ready: the store is still recovering");
                } else {
                    reply.stats(a.stats().get());
                }
                sendNow(reply, Op.STATS, start);
            }
            default -> publish(a, r, start);
        }
    }

    private void publish(Attached a, Request r, long start) {
        if (a == null || draining || !a.pipeline().accepting()) {
            direct.fail(Status.NOT_READY, a == null ? "not ready: the store is still recovering"
                    : "not ready: the server is draining before shutdown");
            sendNow(direct, r.op(), start);
            return;
        }
        int slot = budgetSlot();
        if (budget[slot] >= maxPerClient || free.isEmpty()) {
            direct.fail(Status.BUSY, budget[slot] >= maxPerClient
                    ? "busy: this client has " + maxPerClient + " requests in flight, the most allowed"
                    : "busy: " + pool.length + " requests in flight, the most the server takes");
            sendNow(direct, r.op(), start);
            return;
        }
        InFlight f = free.poll();
        f.reply.answer(r);
        String invalid = plan(a, r, f);
        if (invalid != null) {
            free.push(f);
            direct.fail(Status.BAD_REQUEST, invalid);
            sendNow(direct, r.op(), start);
            return;
        }
        if (planned == 0) { // nothing for the engine: answered as planned
            free.push(f);
            sendNow(f.reply, r.op(), start);
            return;
        }
        int ring = a.pipeline().config().ringSize();
        if (planned > ring) {
            free.push(f);
            direct.fail(Status.TOO_LARGE, "request: needs " + planned + " ring events, the ring holds " + ring);
            sendNow(direct, r.op(), start);
            return;
        }
        System.arraycopy(identity, 0, f.identity, 0, identityLength);
        f.identityLength = identityLength;
        f.delimiter = delimiter;
        f.budgetSlot = slot;
        f.startNanos = start;
        f.remaining = planned;
        publishing = f;
        boolean ok;
        try {
            ok = a.pipeline().tryPublishAll(planned, filler, this);
        } catch (RuntimeException e) {
            free.push(f);
            direct.fail(Status.INTERNAL, "publishing failed: " + e);
            sendNow(direct, r.op(), start);
            return;
        } finally {
            publishing = null;
        }
        if (!ok) {
            free.push(f);
            direct.fail(a.pipeline().accepting() ? Status.BUSY : Status.NOT_READY,
                    a.pipeline().accepting() ? "busy: the request queue is full" : "not ready: the server is stopping");
            sendNow(direct, r.op(), start);
            return;
        }
        budget[slot]++;
    }

    /**
     * Plans the ring events of {@code r} into planOp/planFrom/planCount and answers in {@code f}
     * what needs no event. Returns an error for a request v1 accepts but this server cannot run.
     */
    private String plan(Attached a, Request r, InFlight f) {
        planned = 0;
        f.batch = r.op() == Op.BATCH;
        int ops = f.batch ? r.opCount() : 1;
        f.ops(Math.max(1, ops));
        int gets = 0;
        int scans = 0;
        for (int i = 0; i < ops; i++) {
            Request q = f.batch ? r.op(i) : r;
            if (q.op() == Op.GET) {
                gets++;
            } else if (q.op() == Op.SCAN) {
                scans++;
            }
        }
        int maxGet = a.pipeline().config().maxGetValues();
        int getPage = gets <= 1 ? maxGet : Math.max(16, Math.min(maxGet, Protocol.MAX_VALUES / gets));
        f.getPage = getPage;
        f.ensureValues(gets * getPage);
        f.ensureKeys(scans * RequestEvent.SCAN_PAGE * a.keyBytes());
        int values = 0;
        int keys = 0;
        int maxValues = a.pipeline().config().maxValues();
        for (int i = 0; i < ops; i++) {
            Request q = f.batch ? r.op(i) : r;
            Reply target = f.batch ? f.reply.result(i) : f.reply;
            switch (q.op()) {
                case PING -> { }
                case STATS -> target.stats(a.stats().get());
                case PUT -> {
                    if (q.hasValue()) {
                        add(i, 0, 1);
                    } else if (q.valueCount() == 0) {
                        target.added(0);
                    } else {
                        for (int from = 0; from < q.valueCount(); from += maxValues) {
                            add(i, from, Math.min(maxValues, q.valueCount() - from));
                        }
                    }
                }
                case GET -> {
                    f.valueFrom[i] = values;
                    values += getPage;
                    add(i, 0, 1);
                }
                case SCAN -> {
                    if (q.hasCursor() && q.cursorLength() != 0 && q.cursorLength() != a.keyBytes()) {
                        return (f.batch ? "ops[" + i + "]." : "") + "cursor: expected a cursor this server issued ("
                                + a.keyBytes() + " bytes), got " + q.cursorLength() + " bytes";
                    }
                    if (q.limit() == 0) {
                        int n = q.hasCursor() ? q.cursorLength() : 0;
                        f.ensureKeys(keys + a.keyBytes());
                        if (n > 0) {
                            System.arraycopy(q.cursor(), 0, f.keys, keys, n);
                        }
                        target.keys(f.keys, keys, 0, a.keyBytes(), f.keys, keys, n);
                    } else {
                        f.keyFrom[i] = keys;
                        add(i, 0, 1);
                    }
                    keys += RequestEvent.SCAN_PAGE * a.keyBytes();
                }
                default -> add(i, 0, 1);
            }
        }
        return null;
    }

    private void add(int op, int from, int count) {
        if (planned == planOp.length) {
            planOp = java.util.Arrays.copyOf(planOp, 2 * planned);
            planFrom = java.util.Arrays.copyOf(planFrom, 2 * planned);
            planCount = java.util.Arrays.copyOf(planCount, 2 * planned);
        }
        planOp[planned] = op;
        planFrom[planned] = from;
        planCount[planned] = count;
        planned++;
    }

    /** Fills ring event {@code i} of the request being published (publishing thread = socket thread). */
    private void fill(RequestEvent e, int i) {
        InFlight f = publishing;
        int op = planOp[i];
        Request q = f.batch ? request.op(op) : request;
        e.replyTo(collector, op, f);
        switch (q.op()) {
            case PUT -> {
                if (q.hasValue()) {
                    e.op(dev.hashdir.engine.pipeline.Op.PUT).key(q.key()).value(q.value());
                } else {
                    e.op(dev.hashdir.engine.pipeline.Op.PUT_MANY).key(q.key())
                            .values(q.valueArray(), q.valuesOffset() + planFrom[i], planCount[i]);
                }
            }
            case GET -> {
                int page = Math.min(q.limit(), f.getPage);
                e.op(dev.hashdir.engine.pipeline.Op.GET).key(q.key()).limit(page);
                if (q.hasAfter()) {
                    e.after(q.after());
                }
            }
            case CONTAINS -> e.op(dev.hashdir.engine.pipeline.Op.CONTAINS).key(q.key()).value(q.value());
            case COUNT -> e.op(dev.hashdir.engine.pipeline.Op.COUNT).key(q.key());
            case REMOVE -> e.op(dev.hashdir.engine.pipeline.Op.REMOVE).key(q.key()).value(q.value());
            case DELETE -> e.op(dev.hashdir.engine.pipeline.Op.DELETE).key(q.key());
            case SCAN -> {
                e.op(dev.hashdir.engine.pipeline.Op.SCAN).limit(q.limit());
                if (q.hasCursor() && q.cursorLength() > 0) {
                    int kb = q.keyBytes();
                    byte[] k = kb == cursorKey.length ? cursorKey : java.util.Arrays.copyOf(q.cursor(), kb);
                    if (k == cursorKey) {
                        System.arraycopy(q.cursor(), 0, k, 0, kb);
                    }
                    e.key(k);
                }
            }
            default -> throw new IllegalStateException("no ring event for op " + q.op());
        }
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
            budget[f.budgetSlot]--;
            send(f.identity, f.identityLength, f.delimiter, f.reply, f.startNanos);
            free.push(f);
        }
    }

    private void sendNow(Reply reply, @SuppressWarnings("unused") Op op, long start) {
        send(identity, identityLength, delimiter, reply, start);
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

    private int budgetSlot() {
        int h = 1;
        for (int i = 0; i < identityLength; i++) {
            h = 31 * h + identity[i];
        }
        return (h ^ (h >>> 16)) & (BUDGET_SLOTS - 1);
    }
}
