package dev.hashdir.client;

import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.IntegerValue;
import org.msgpack.value.Value;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZEvent;
import org.zeromq.ZMQ;
import org.zeromq.ZMonitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * hashdir protocol v1 client (docs/protocol.md): one ZeroMQ DEALER connection, owned by one I/O
 * thread, with any number of requests in flight. Every call sends one request with a fresh
 * {@code id} and returns a future completed by the reply with that id, in whatever order replies
 * come. A reply whose status is not {@code ok} completes the future with a {@link HashdirException}
 * carrying the status and the server's message; no reply within the timeout completes it with a
 * {@link HashdirTimeoutException}. Thread-safe; {@link #sync()} gives blocking versions of the calls.
 *
 * <p>Reconnecting: ZeroMQ reconnects by itself (every 100 ms, backing off to 2 s) when the server
 * goes away and comes back on the same endpoint. Requests sent on a connection that drops fail at
 * once with status {@code disconnected} (they may or may not have been done: writes are idempotent,
 * repeat them); requests made while no server is there wait for the next connection up to their
 * timeout.
 *
 * <p>Keys are {@code byte[]} of the store's key length. Values are unsigned 64-bit integers held in
 * a {@code long}: {@code -1L} is 2^64-1 (see {@link Long#toUnsignedString(long)}).
 */
public final class HashdirClient implements AutoCloseable {

    public static final String DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** JeroMQ 0.6.0 needs a short handshake interval on connecting sockets (README, "Known issues"). */
    static final int HANDSHAKE_IVL_MS = 250;
    private static final int RECONNECT_IVL_MS = 100;
    private static final int RECONNECT_IVL_MAX_MS = 2000;
    private static final long IDLE_POLL_MS = 1000;

    /** One page of a key's values: {@code values} ascending unsigned, {@code count} in all, {@code more} after the page. */
    public record GetResult(long[] values, long count, boolean more) {
    }

    /**
     * One page of keys, ascending (unsigned byte-wise); {@code cursor} continues the scan, null when
     * it is complete.
     */
    public record ScanResult(List<byte[]> keys, byte[] cursor) {
    }

    /**
     * The result of one op of a {@link Batch}: {@code status} ({@code ok} or why not), {@code error}
     * (null when ok) and {@code result}, what the same call alone completes with (null when not
     * ok): {@code Long} for put (added), count and delete (removed); {@code Boolean} for contains
     * and remove; {@link GetResult}; {@link ScanResult}; a stats {@code Map}; null for ping.
     */
    public record OpResult(String op, String status, String error, Object result) {

        public boolean ok() {
            return status.equals("ok");
        }

        /** The result, or throws the op's failure as a {@link HashdirException}. */
        public Object orThrow() {
            if (!ok()) {
                throw new HashdirException(status, error);
            }
            return result;
        }
    }

    private final String endpoint;
    private final Duration timeout;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<Pending> submitted = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final Pipe wakeup;
    private final Thread io;
    private final Sync sync = new Sync();
    private volatile boolean closed;

    /** Connects to {@link #DEFAULT_ENDPOINT} with {@link #DEFAULT_TIMEOUT}. */
    public HashdirClient() {
        this(DEFAULT_ENDPOINT, DEFAULT_TIMEOUT);
    }

    public HashdirClient(String endpoint) {
        this(endpoint, DEFAULT_TIMEOUT);
    }

    /** Connects (in the background: ZeroMQ connects and reconnects by itself) to {@code endpoint}. */
    public HashdirClient(String endpoint, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.endpoint = endpoint;
        this.timeout = timeout;
        try {
            this.wakeup = Pipe.open();
            wakeup.source().configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Loop loop = new Loop();
        this.io = new Thread(loop, "hashdir-client " + endpoint);
        io.setDaemon(true);
        io.start();
        loop.awaitStarted();
    }

    public String endpoint() {
        return endpoint;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Blocking versions of the calls. */
    public Sync sync() {
        return sync;
    }

    // ---- calls -------------------------------------------------------------------------------------

    public CompletableFuture<Void> ping() {
        return call("ping", Map.of(), r -> null);
    }

    /**
     * A page of keys after {@code cursor} (null: from the first key), at most {@code limit} (null:
     * 1,000). Pass the result's cursor back to continue; it is null when the scan is complete.
     */
    public CompletableFuture<ScanResult> scan(byte[] cursor, Integer limit) {
        return call("scan", scanFields(cursor, limit), HashdirClient::scanResult);
    }

    /** A new batch: add ops, then {@link Batch#send()} them as one request. */
    public Batch batch() {
        return new Batch();
    }

    /**
     * Ops sent as one {@code batch} request (docs/protocol.md): they run in order with no other
     * request's op in between, their writes go to the WAL in one group commit, and the reply lists
     * one {@link OpResult} per op. A batch is isolated, not atomic: an op can fail alone. Not
     * thread-safe; one batch per thread.
     */
    public final class Batch {
        private final List<Map<String, Object>> ops = new java.util.ArrayList<>();
        private final List<Function<Map<String, Value>, Object>> parsers = new java.util.ArrayList<>();

        private Batch() {
        }

        private Batch add(String op, Map<String, Object> fields, Function<Map<String, Value>, Object> parser) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("op", op);
            m.putAll(fields);
            ops.add(m);
            parsers.add(parser);
            return this;
        }

        public Batch ping() {
            return add("ping", Map.of(), r -> null);
        }

        public Batch put(byte[] key, long... values) {
            return add("put", fields("key", key, "values", values), r -> u64(r.get("added")));
        }

        public Batch get(byte[] key) {
            return get(key, null, null);
        }

        public Batch get(byte[] key, Long after, Integer limit) {
            return add("get", getFields(key, after, limit), HashdirClient::getResult);
        }

        public Batch contains(byte[] key, long value) {
            return add("contains", fields("key", key, "value", value), r -> r.get("found").asBooleanValue().getBoolean());
        }

        public Batch count(byte[] key) {
            return add("count", fields("key", key), r -> u64(r.get("count")));
        }

        public Batch remove(byte[] key, long value) {
            return add("remove", fields("key", key, "value", value), r -> r.get("removed").asBooleanValue().getBoolean());
        }

        public Batch delete(byte[] key) {
            return add("delete", fields("key", key), r -> u64(r.get("removed")));
        }

        public Batch scan(byte[] cursor, Integer limit) {
            return add("scan", scanFields(cursor, limit), HashdirClient::scanResult);
        }

        public Batch stats() {
            return add("stats", Map.of(), HashdirClient::statsResult);
        }

        /** Ops added so far. */
        public int size() {
            return ops.size();
        }

        /**
         * Sends the ops as one request. Completes with one result per op, in order; fails as a single
         * call does when the whole batch is refused (bad_request naming the op, too_large, busy, ...).
         */
        public CompletableFuture<List<OpResult>> send() {
            List<Map<String, Object>> sent = List.copyOf(ops);
            List<Function<Map<String, Value>, Object>> parse = List.copyOf(parsers);
            return call("batch", fields("ops", sent), r -> {
                List<Value> results = r.get("results").asArrayValue().list();
                if (results.size() != sent.size()) {
                    throw new HashdirException("internal", "batch of " + sent.size() + " ops got " + results.size()
                            + " results");
                }
                List<OpResult> out = new java.util.ArrayList<>(results.size());
                for (int i = 0; i < results.size(); i++) {
                    Map<String, Value> m = stringKeys(results.get(i));
                    String op = (String) sent.get(i).get("op");
                    Value status = m.get("status");
                    String st = status != null && status.isStringValue() ? status.asStringValue().asString() : "internal";
                    if (st.equals("ok")) {
                        out.add(new OpResult(op, st, null, parse.get(i).apply(m)));
                    } else {
                        Value error = m.get("error");
                        out.add(new OpResult(op, st, error != null && error.isStringValue()
                                ? error.asStringValue().asString() : "(no message)", null));
                    }
                }
                return out;
            });
        }
    }

    /** Adds the values to the set of {@code key}; completes with how many were not there before. */
    public CompletableFuture<Long> put(byte[] key, long... values) {
        return call("put", fields("key", key, "values", values), r -> u64(r.get("added")));
    }

    /** The first page (up to 1,000) of the values of {@code key}. */
    public CompletableFuture<GetResult> get(byte[] key) {
        return get(key, null, null);
    }

    /** Values of {@code key} strictly after {@code after} (unsigned; null: from the first), at most {@code limit} (null: 1,000). */
    public CompletableFuture<GetResult> get(byte[] key, Long after, Integer limit) {
        return call("get", getFields(key, after, limit), HashdirClient::getResult);
    }

    private static Map<String, Object> getFields(byte[] key, Long after, Integer limit) {
        Map<String, Object> f = fields("key", key);
        if (after != null) {
            f.put("after", after);
        }
        if (limit != null) {
            f.put("limit", (long) limit);
        }
        return f;
    }

    private static GetResult getResult(Map<String, Value> r) {
        List<Value> vs = r.get("values").asArrayValue().list();
        long[] values = new long[vs.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = u64(vs.get(i));
        }
        return new GetResult(values, u64(r.get("count")), r.get("more").asBooleanValue().getBoolean());
    }

    private static Map<String, Object> scanFields(byte[] cursor, Integer limit) {
        Map<String, Object> f = new LinkedHashMap<>();
        if (cursor != null) {
            f.put("cursor", cursor);
        }
        if (limit != null) {
            f.put("limit", (long) limit);
        }
        return f;
    }

    private static ScanResult scanResult(Map<String, Value> r) {
        List<Value> ks = r.get("keys").asArrayValue().list();
        List<byte[]> keys = new java.util.ArrayList<>(ks.size());
        for (Value k : ks) {
            keys.add(k.asBinaryValue().asByteArray());
        }
        Value c = r.get("cursor");
        return new ScanResult(keys, c == null || c.isNilValue() ? null : c.asBinaryValue().asByteArray());
    }

    private static Map<String, Object> statsResult(Map<String, Value> r) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<Value, Value> e : r.get("stats").asMapValue().map().entrySet()) {
            Value v = e.getValue();
            Object o = v.isIntegerValue() ? (Object) u64(v)
                    : v.isFloatValue() ? (Object) v.asFloatValue().toDouble() : v.toString();
            out.put(e.getKey().toString(), o);
        }
        return out;
    }

    public CompletableFuture<Boolean> contains(byte[] key, long value) {
        return call("contains", fields("key", key, "value", value), r -> r.get("found").asBooleanValue().getBoolean());
    }

    public CompletableFuture<Long> count(byte[] key) {
        return call("count", fields("key", key), r -> u64(r.get("count")));
    }

    /** Removes one value; completes with whether it was there. */
    public CompletableFuture<Boolean> remove(byte[] key, long value) {
        return call("remove", fields("key", key, "value", value), r -> r.get("removed").asBooleanValue().getBoolean());
    }

    /** Removes the key and all its values; completes with how many values went with it. */
    public CompletableFuture<Long> delete(byte[] key) {
        return call("delete", fields("key", key), r -> u64(r.get("removed")));
    }

    /** Server and engine counters: {@code Long} for integers, {@code Double} for ratios. */
    public CompletableFuture<Map<String, Object>> stats() {
        return call("stats", Map.of(), HashdirClient::statsResult);
    }

    /** Blocking versions of the calls: they throw {@link HashdirException} (and its timeout subclass). */
    public final class Sync {
        private Sync() {
        }

        public void ping() {
            join(HashdirClient.this.ping());
        }

        public long put(byte[] key, long... values) {
            return join(HashdirClient.this.put(key, values));
        }

        public GetResult get(byte[] key) {
            return join(HashdirClient.this.get(key));
        }

        public GetResult get(byte[] key, Long after, Integer limit) {
            return join(HashdirClient.this.get(key, after, limit));
        }

        /** Every value of {@code key}, following pages. */
        public long[] values(byte[] key) {
            long[] out = new long[0];
            Long after = null;
            while (true) {
                GetResult r = get(key, after, 10_000);
                long[] grown = java.util.Arrays.copyOf(out, out.length + r.values().length);
                System.arraycopy(r.values(), 0, grown, out.length, r.values().length);
                out = grown;
                if (!r.more() || r.values().length == 0) {
                    return out;
                }
                after = r.values()[r.values().length - 1];
            }
        }

        public boolean contains(byte[] key, long value) {
            return join(HashdirClient.this.contains(key, value));
        }

        public long count(byte[] key) {
            return join(HashdirClient.this.count(key));
        }

        public boolean remove(byte[] key, long value) {
            return join(HashdirClient.this.remove(key, value));
        }

        public long delete(byte[] key) {
            return join(HashdirClient.this.delete(key));
        }

        public Map<String, Object> stats() {
            return join(HashdirClient.this.stats());
        }

        public ScanResult scan(byte[] cursor, Integer limit) {
            return join(HashdirClient.this.scan(cursor, limit));
        }

        /** Every key of the store, following the scan's pages (a scan is not a snapshot, see docs/protocol.md). */
        public List<byte[]> keys() {
            List<byte[]> out = new java.util.ArrayList<>();
            byte[] cursor = null;
            do {
                ScanResult r = scan(cursor, 10_000);
                out.addAll(r.keys());
                cursor = r.cursor();
            } while (cursor != null);
            return out;
        }

        /** Sends {@code batch} and waits for its results. */
        public List<OpResult> batch(Batch batch) {
            return join(batch.send());
        }
    }

    /** Waits for {@code f}, rethrowing a {@link HashdirException} as itself. */
    public static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HashdirException("interrupted", "interrupted while waiting for a reply");
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new CompletionException(t);
    }

    // ---- requests ----------------------------------------------------------------------------------

    private static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private <T> CompletableFuture<T> call(String op, Map<String, Object> fields, Function<Map<String, Value>, T> result) {
        long id = ids.incrementAndGet();
        byte[] frame = encode(id, op, fields);
        CompletableFuture<Map<String, Value>> reply = new CompletableFuture<>();
        if (closed) {
            return CompletableFuture.failedFuture(new HashdirException("closed", "the client is closed"));
        }
        submitted.add(new Pending(id, op, frame, System.nanoTime() + timeout.toNanos(), reply));
        wake();
        if (closed) { // closed meanwhile: the I/O thread may be gone, fail what it did not take
            for (Pending p; (p = submitted.poll()) != null; ) {
                p.reply.completeExceptionally(new HashdirException("closed", "the client is closed"));
            }
        }
        return reply.thenApply(result);
    }

    static byte[] encode(long id, String op, Map<String, Object> fields) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(3 + fields.size());
            p.packString("v").packInt(1);
            p.packString("id");
            packU64(p, id);
            p.packString("op").packString(op);
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                p.packString(e.getKey());
                pack(p, e.getValue());
            }
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pack(MessagePacker p, Object value) throws IOException {
        switch (value) {
            case byte[] b -> p.packBinaryHeader(b.length).writePayload(b);
            case long[] vs -> {
                p.packArrayHeader(vs.length);
                for (long v : vs) {
                    packU64(p, v);
                }
            }
            case Long v -> packU64(p, v);
            case String str -> p.packString(str);
            case Map<?, ?> m -> {
                p.packMapHeader(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    p.packString((String) e.getKey());
                    pack(p, e.getValue());
                }
            }
            case List<?> l -> {
                p.packArrayHeader(l.size());
                for (Object o : l) {
                    pack(p, o);
                }
            }
            default -> throw new IllegalArgumentException("cannot pack " + value);
        }
    }

    private static Map<String, Value> stringKeys(Value map) {
        Map<String, Value> m = new HashMap<>();
        for (Map.Entry<Value, Value> e : map.asMapValue().map().entrySet()) {
            if (e.getKey().isStringValue()) {
                m.put(e.getKey().asStringValue().asString(), e.getValue());
            }
        }
        return m;
    }

    /**
     * Packs {@code v} read as unsigned: msgpack-core's {@code packLong} writes a negative long as a
     * negative int, which the server refuses, so values from 2^63 up are written as uint64 (0xcf).
     */
    static void packU64(MessagePacker p, long v) throws IOException {
        if (v >= 0) {
            p.packLong(v);
        } else {
            byte[] b = new byte[9];
            b[0] = (byte) 0xcf;
            for (int i = 0; i < 8; i++) {
                b[1 + i] = (byte) (v >>> (56 - 8 * i));
            }
            p.writePayload(b);
        }
    }

    /** A uint64 back into the same long bits (2^64-1 is -1L). */
    static long u64(Value v) {
        IntegerValue i = v.asIntegerValue();
        return i.isInLongRange() ? i.toLong() : i.toBigInteger().longValue();
    }

    static Map<String, Value> decode(byte[] frame) throws IOException {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(frame)) {
            return stringKeys(u.unpackValue());
        }
    }

    private void wake() {
        if (wakeupPending.compareAndSet(false, true)) {
            try {
                wakeup.sink().write(ByteBuffer.wrap(new byte[]{1}));
            } catch (IOException e) {
                // closing: the I/O thread fails what is left
            }
        }
    }

    private static final class Pending {
        final long id;
        final String op;
        final byte[] frame;
        final long deadline;
        final CompletableFuture<Map<String, Value>> reply;
        /** Handed to the socket (I/O thread only). */
        boolean sent;

        Pending(long id, String op, byte[] frame, long deadline, CompletableFuture<Map<String, Value>> reply) {
            this.id = id;
            this.op = op;
            this.frame = frame;
            this.deadline = deadline;
            this.reply = reply;
        }
    }

    private static final AtomicLong MONITORS = new AtomicLong();

    // ---- the I/O thread ----------------------------------------------------------------------------

    private final class Loop implements Runnable {

        private final CompletableFuture<Void> started = new CompletableFuture<>();
        private final Map<Long, Pending> inFlight = new HashMap<>();
        private final PriorityQueue<Pending> deadlines = new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));
        private final ArrayDeque<Pending> outbound = new ArrayDeque<>();
        private final ByteBuffer drain = ByteBuffer.allocate(64);
        /** The current connection completed its ZMTP handshake (requests may have gone out on it). */
        private boolean handshaken;

        void awaitStarted() {
            join(started);
        }

        @Override
        public void run() {
            try (ZContext ctx = new ZContext(1)) {
                ZMQ.Socket socket = ctx.createSocket(SocketType.DEALER);
                socket.setHandshakeIvl(HANDSHAKE_IVL_MS);
                socket.setReconnectIVL(RECONNECT_IVL_MS);
                socket.setReconnectIVLMax(RECONNECT_IVL_MAX_MS);
                socket.setLinger(0);
                // ZeroMQ queues requests only to a connection that completed its handshake: while the
                // server is down they stay in this client's outbound queue, where one that timed out is
                // dropped, instead of in ZeroMQ's, which sent them all to the next server at its start,
                // long after they had failed here (a burst over the server's per-client bound: the first
                // request after a restart was busy); and what ZeroMQ held for a connection that drops
                // goes with it
                socket.setImmediate(true);
                socket.setSndHWM(100_000);
                socket.setRcvHWM(100_000);
                String monitorEndpoint = "inproc://hashdir-client-monitor-" + MONITORS.incrementAndGet();
                socket.monitor(monitorEndpoint, ZMQ.EVENT_DISCONNECTED | ZMQ.EVENT_HANDSHAKE_PROTOCOL);
                ZMQ.Socket monitor = ctx.createSocket(SocketType.PAIR);
                monitor.connect(monitorEndpoint);
                socket.connect(endpoint);
                ZMQ.Poller poller = ctx.createPoller(3);
                int socketIndex = poller.register(socket, ZMQ.Poller.POLLIN);
                int wakeIndex = poller.register(wakeup.source(), ZMQ.Poller.POLLIN);
                int monitorIndex = poller.register(monitor, ZMQ.Poller.POLLIN);
                started.complete(null);
                while (!closed) {
                    long wait = IDLE_POLL_MS;
                    Pending first = deadlines.peek();
                    if (first != null) {
                        wait = Math.max(0, Math.min(wait, (first.deadline - System.nanoTime()) / 1_000_000 + 1));
                    }
                    if (!outbound.isEmpty()) {
                        wait = Math.min(wait, 1);
                    }
                    poller.poll(wait);
                    if (poller.pollin(wakeIndex)) {
                        drainWakeup();
                    }
                    takeSubmitted();
                    sendOutbound(socket);
                    if (poller.pollin(socketIndex)) {
                        receive(socket);
                    }
                    if (poller.pollin(monitorIndex)) {
                        disconnected(monitor, socket);
                    }
                    expire();
                }
            } catch (RuntimeException | Error e) {
                started.completeExceptionally(e);
                failAll(new HashdirException("closed", "the client's I/O thread failed: " + e));
                throw e;
            } finally {
                failAll(new HashdirException("closed", "the client is closed"));
            }
        }

        private void drainWakeup() {
            wakeupPending.set(false);
            try {
                while (wakeup.source().read(drain.clear()) > 0) {
                    // empty the pipe
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void takeSubmitted() {
            for (Pending p; (p = submitted.poll()) != null; ) {
                inFlight.put(p.id, p);
                deadlines.add(p);
                outbound.add(p);
            }
        }

        private void sendOutbound(ZMQ.Socket socket) {
            while (!outbound.isEmpty()) {
                Pending p = outbound.peek();
                if (p.reply.isDone()) {
                    outbound.poll();
                } else if (socket.send(p.frame, ZMQ.DONTWAIT)) {
                    p.sent = true;
                    outbound.poll();
                } else {
                    return; // high-water mark: retry on the next turn
                }
            }
        }

        private void receive(ZMQ.Socket socket) {
            for (byte[] frame; (frame = socket.recv(ZMQ.DONTWAIT)) != null; ) {
                while (socket.hasReceiveMore()) {
                    frame = socket.recv(ZMQ.DONTWAIT); // a delimiter before the body: keep the last frame
                }
                Map<String, Value> reply;
                try {
                    reply = decode(frame);
                } catch (IOException | RuntimeException e) {
                    continue; // not a reply we can read: nothing to match it to
                }
                Value id = reply.get("id");
                if (id == null || !id.isIntegerValue()) {
                    continue;
                }
                Pending p = inFlight.remove(u64(id));
                if (p == null) {
                    continue; // timed out already
                }
                Value status = reply.get("status");
                String s = status != null && status.isStringValue() ? status.asStringValue().asString() : "internal";
                if (s.equals("ok")) {
                    p.reply.complete(reply);
                } else {
                    Value error = reply.get("error");
                    p.reply.completeExceptionally(new HashdirException(s,
                            error != null && error.isStringValue() ? error.asStringValue().asString() : "(no message)"));
                }
            }
        }

        /**
         * The connection dropped (the server stopped or crashed): no reply comes for what was sent
         * on it, so those requests fail now instead of at their timeout. ZeroMQ reconnects by
         * itself; requests not yet sent, and new ones, go out once it has.
         *
         * <p>A connection that drops before its handshake completed carried nothing: ZeroMQ keeps the
         * queued requests and sends them on the next one. That is the JeroMQ first-connection stall
         * (README, "Known issues"), turned into a quick reconnect by the short handshake interval;
         * failing the requests then would fail requests that were never lost.
         */
        private void disconnected(ZMQ.Socket monitor, ZMQ.Socket socket) {
            boolean lost = false;
            for (ZEvent ev; (ev = ZEvent.recv(monitor, ZMQ.DONTWAIT)) != null; ) {
                if (ev.getEvent() == ZMonitor.Event.HANDSHAKE_PROTOCOL) {
                    handshaken = true;
                } else if (ev.getEvent() == ZMonitor.Event.DISCONNECTED) {
                    lost |= handshaken;
                    handshaken = false;
                }
            }
            if (!lost) {
                return;
            }
            receive(socket); // replies that came in before the connection dropped still count
            for (java.util.Iterator<Pending> it = inFlight.values().iterator(); it.hasNext(); ) {
                Pending p = it.next();
                if (p.sent) {
                    it.remove();
                    p.reply.completeExceptionally(new HashdirException("disconnected", "the connection to " + endpoint
                            + " was lost before the reply to " + p.op + " (id " + p.id
                            + "): it may or may not have been done; the client reconnects by itself"));
                }
            }
        }

        private void expire() {
            long now = System.nanoTime();
            for (Pending p; (p = deadlines.peek()) != null && (p.reply.isDone() || p.deadline - now <= 0); ) {
                deadlines.poll();
                if (inFlight.remove(p.id) != null && !p.reply.isDone()) {
                    p.reply.completeExceptionally(new HashdirTimeoutException("no reply to " + p.op + " (id " + p.id
                            + ") from " + endpoint + " within " + timeout.toMillis() + " ms"));
                }
            }
        }

        private void failAll(HashdirException e) {
            takeSubmitted();
            for (Pending p : inFlight.values()) {
                p.reply.completeExceptionally(e);
            }
            inFlight.clear();
            deadlines.clear();
            outbound.clear();
        }
    }

    /** Fails the requests still waiting (status {@code closed}) and closes the connection. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wake();
        try {
            io.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            wakeup.sink().close();
            wakeup.source().close();
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
