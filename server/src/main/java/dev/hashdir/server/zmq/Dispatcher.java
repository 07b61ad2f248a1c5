package dev.hashdir.server.zmq;

import dev.hashdir.engine.pipeline.IndexedFiller;
import dev.hashdir.engine.pipeline.Pipeline;
import dev.hashdir.engine.pipeline.RequestEvent;
import dev.hashdir.engine.store.StoreFormat;
import dev.hashdir.server.protocol.Op;
import dev.hashdir.server.protocol.Protocol;
import dev.hashdir.server.protocol.Reply;
import dev.hashdir.server.protocol.Request;
import dev.hashdir.server.protocol.RequestDecoder;
import dev.hashdir.server.protocol.Status;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The data plane's protocol logic, shared by its transports ({@link JeromqTransport},
 * {@link ZmtpTransport}): decodes a request ({@link RequestDecoder}), answers at once what needs
 * no engine (errors, ping, stats, busy, not_ready) through the {@link Origin} it came from, and
 * publishes data ops into the {@link Pipeline} with an {@link InFlight} that says where the answer
 * goes. The pipeline's reply thread fills the InFlight ({@link ReplyCollector}) and hands it to
 * the transport's {@link Completion}, which sends the reply and gives the InFlight back.
 *
 * <p>Bounds: at most {@code maxInFlight} requests in the pipeline in all (the InFlight pool), at
 * most {@code maxPerClient} per client (counted per budget slot, which the transport picks per
 * client: two clients sharing a slot share a budget, never exceed it); over either, {@code busy}.
 *
 * <p>Requests and ring events: one event per op; a put of more values than an event holds is split
 * into several events (its parts are applied in order; should a later part fail, the earlier ones
 * stay applied and the reply, carrying the failure, acknowledges none); a request's events are
 * published at once, contiguously (no other op between), and committed by one group commit
 * (docs/protocol.md, put and batch). Ping, stats, a scan with limit 0 and a put of no values need
 * no event.
 *
 * <p>Allocation: decode, publish and collect allocate nothing once warm; errors and stats build
 * strings and maps.
 *
 * <p>Threading: {@link #attach}, {@link #drain}, {@link #inFlight} and {@link #giveBack} from any
 * thread; everything else on the transport's socket thread.
 */
final class Dispatcher {

    static final int BUDGET_SLOTS = 4096;

    /** Where the message being handled came from; the socket thread calls it during {@link #handle}. */
    interface Origin {

        /** This client's budget slot, in [0, {@link #BUDGET_SLOTS}). */
        int budgetSlot();

        /** Sends {@code reply} to this client now (its latency counted from {@code start}). */
        void answer(Reply reply, long start);

        /** Records in {@code f} where its reply goes. */
        void route(InFlight f);
    }

    /** Where finished requests go: the transport sends the reply and gives the InFlight back. */
    interface Completion {

        /**
         * A request's last event is in (pipeline thread). When {@code batched}, the caller calls
         * {@link #endOfBatch} after its batch and the reply may be written then.
         */
        void complete(InFlight f, boolean batched);

        /** A pipeline thread's batch is done (on that thread): write what its {@link #complete} calls held. */
        default void endOfBatch() {
        }
    }

    private final int maxPerClient;
    private final InFlight[] pool;
    private final ArrayDeque<InFlight> free;
    private final ArrayBlockingQueue<InFlight> returned;
    private final int[] budget = new int[BUDGET_SLOTS];
    private final ReplyCollector collector;
    private volatile Attached attached;
    private volatile boolean draining;

    // socket thread only
    private RequestDecoder decoder = new RequestDecoder(StoreFormat.MIN_KEY_BYTES);
    private Request request = new Request(StoreFormat.MIN_KEY_BYTES);
    private Attached using;
    private final Reply direct = new Reply();
    private final byte[] cursorKey = new byte[StoreFormat.MAX_KEY_BYTES];
    private int[] planOp = new int[64];
    private int[] planFrom = new int[64];
    private int[] planCount = new int[64];
    private int planned;
    private InFlight publishing;
    private final IndexedFiller<Dispatcher> filler = (e, i, p) -> p.fill(e, i);

    Dispatcher(int maxInFlight, int maxPerClient, Completion completion) {
        if (maxInFlight < 1 || maxPerClient < 1) {
            throw new IllegalArgumentException("in-flight bounds must be positive: maxInFlight=" + maxInFlight
                    + ", maxPerClient=" + maxPerClient);
        }
        this.maxPerClient = maxPerClient;
        this.pool = new InFlight[maxInFlight];
        this.free = new ArrayDeque<>(maxInFlight);
        for (int i = 0; i < maxInFlight; i++) {
            pool[i] = new InFlight(i);
            free.add(pool[i]);
        }
        this.returned = new ArrayBlockingQueue<>(maxInFlight);
        this.collector = new ReplyCollector(completion);
    }

    void attach(Attached a) {
        this.attached = a;
    }

    void drain() {
        draining = true;
    }

    /** Requests in the pipeline now (or answered and not yet taken back by the socket thread). */
    int inFlight() {
        return pool.length - free.size();
    }

    /** Any thread, once a request's reply is sent or dropped: the socket thread takes it back at {@link #reclaim}. */
    void giveBack(InFlight f) {
        if (!returned.offer(f)) {
            throw new IllegalStateException("InFlight " + f.index + " given back twice");
        }
    }

    /** Socket thread: takes back what {@link #giveBack} returned. */
    void reclaim() {
        InFlight f;
        while ((f = returned.poll()) != null) {
            release(f);
        }
    }

    /** Socket thread: the request of {@code f} is answered; its slot and budget are free again. */
    void release(InFlight f) {
        budget[f.budgetSlot]--;
        f.route = null;
        free.push(f);
    }

    /** Socket thread: a message that is not [empty delimiter,] one body frame. */
    void badShape(Origin o, int frames, long start) {
        direct.reset().fail(Status.BAD_REQUEST, "message: expected [empty delimiter,] one body frame, got "
                + frames + " frames after the routing id");
        o.answer(direct, start);
    }

    /**
     * Socket thread: handles the request whose body frame is {@code frameLength} bytes, of which
     * {@code buf[off, off + length)} are given (all of it, unless the frame is over the limit: then
     * a prefix is enough to answer too_large with the request's id).
     */
    void handle(Origin o, byte[] buf, int off, int length, int frameLength, long start) {
        Attached a = attached;
        if (a != using && a != null) {
            using = a;
            decoder = new RequestDecoder(a.keyBytes());
            request = new Request(a.keyBytes());
        }
        decoder.decodePrefix(buf, off, length, frameLength, request);
        Request r = request;
        Reply reply = direct.answer(r);
        if (a == null && !(r.status() == Status.OK && r.op() == Op.PING)) {
            // the key length is the store's, unknown until recovery is done: judge nothing but ping yet
            reply.reset();
            if (r.hasId()) {
                reply.id(r.id());
            }
            reply.fail(Status.NOT_READY, "not ready: the store is still recovering");
            o.answer(reply, start);
            return;
        }
        if (r.status() != Status.OK) {
            o.answer(reply, start);
            return;
        }
        switch (r.op()) {
            case PING -> o.answer(reply, start);
            case STATS -> {
                if (a == null) {
                    reply.fail(Status.NOT_READY, "not ready: the store is still recovering");
                } else {
                    reply.stats(a.stats().get());
                }
                o.answer(reply, start);
            }
            default -> publish(o, a, r, start);
        }
    }

    private void publish(Origin o, Attached a, Request r, long start) {
        if (a == null || draining || !a.pipeline().accepting()) {
            direct.fail(Status.NOT_READY, a == null ? "not ready: the store is still recovering"
                    : "not ready: the server is draining before shutdown");
            o.answer(direct, start);
            return;
        }
        int slot = o.budgetSlot();
        reclaim(); // what was answered since frees its slot and budget now
        if (budget[slot] >= maxPerClient || free.isEmpty()) {
            direct.fail(Status.BUSY, budget[slot] >= maxPerClient
                    ? "busy: this client has " + maxPerClient + " requests in flight, the most allowed"
                    : "busy: " + pool.length + " requests in flight, the most the server takes");
            o.answer(direct, start);
            return;
        }
        InFlight f = free.poll();
        f.reply.answer(r);
        String invalid = plan(a, r, f);
        if (invalid != null) {
            free.push(f);
            direct.fail(Status.BAD_REQUEST, invalid);
            o.answer(direct, start);
            return;
        }
        if (planned == 0) { // nothing for the engine: answered as planned
            free.push(f);
            o.answer(f.reply, start);
            return;
        }
        int ring = a.pipeline().config().ringSize();
        if (planned > ring) {
            free.push(f);
            direct.fail(Status.TOO_LARGE, "request: needs " + planned + " ring events, the ring holds " + ring);
            o.answer(direct, start);
            return;
        }
        o.route(f);
        f.budgetSlot = slot;
        f.startNanos = start;
        f.remaining(planned);
        publishing = f;
        boolean ok;
        budget[slot]++;
        try {
            ok = a.pipeline().tryPublishAll(planned, filler, this);
        } catch (RuntimeException e) {
            budget[slot]--;
            f.route = null;
            free.push(f);
            direct.fail(Status.INTERNAL, "publishing failed: " + e);
            o.answer(direct, start);
            return;
        } finally {
            publishing = null;
        }
        if (!ok) {
            budget[slot]--;
            f.route = null;
            free.push(f);
            direct.fail(a.pipeline().accepting() ? Status.BUSY : Status.NOT_READY,
                    a.pipeline().accepting() ? "busy: the request queue is full" : "not ready: the server is stopping");
            o.answer(direct, start);
        }
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
            planOp = Arrays.copyOf(planOp, 2 * planned);
            planFrom = Arrays.copyOf(planFrom, 2 * planned);
            planCount = Arrays.copyOf(planCount, 2 * planned);
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
                    byte[] k = kb == cursorKey.length ? cursorKey : Arrays.copyOf(q.cursor(), kb);
                    if (k == cursorKey) {
                        System.arraycopy(q.cursor(), 0, k, 0, kb);
                    }
                    e.key(k);
                }
            }
            default -> throw new IllegalStateException("no ring event for op " + q.op());
        }
    }
}
