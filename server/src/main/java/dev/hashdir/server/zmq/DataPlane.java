package dev.hashdir.server.zmq;

import dev.hashdir.engine.pipeline.Pipeline;

import java.util.Locale;

/**
 * The data plane (protocol v1, docs/protocol.md): the protocol logic ({@link Dispatcher}) behind
 * one of two transports that speak ZeroMQ's wire protocol to DEALER and REQ clients:
 * {@link Kind#ZMTP} (our own ZMTP 3.1 over NIO, {@link ZmtpTransport}: one selector thread reads,
 * the pipeline's reply thread writes each reply straight to its connection; the default, see
 * {@link #DEFAULT_KIND}) or {@link Kind#JEROMQ} (a JeroMQ ROUTER socket, {@link JeromqTransport}).
 *
 * <p>Threading: every method from any thread.
 */
public final class DataPlane implements AutoCloseable {

    /** The transports a data plane can run on. */
    public enum Kind {
        ZMTP, JEROMQ;

        /** The setting's name of this transport. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The transport named {@code s} (case-insensitive). */
        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.wireName().equalsIgnoreCase(s.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown transport " + s + ": expected zmtp or jeromq");
        }
    }

    /**
     * The transport used unless configured otherwise: ZMTP, less CPU per request and half the
     * single-client round trip of JeroMQ (docs/benchmarks.md). (It was held back while a faster
     * client could starve the engine's checkpoints, which CheckpointHook no longer allows.)
     */
    public static final Kind DEFAULT_KIND = Kind.ZMTP;

    private final Transport transport;
    private final Dispatcher dispatcher;
    private final Kind kind;

    private DataPlane(Kind kind, Transport transport) {
        this.kind = kind;
        this.transport = transport;
        this.dispatcher = transport.dispatcher();
    }

    /**
     * Binds {@code bindSpec} (e.g. {@code tcp://127.0.0.1:5555}, or {@code tcp://127.0.0.1:*} for
     * any free port) on the default transport and starts answering: {@code not_ready} to data ops
     * until {@link #attach}.
     */
    public static DataPlane start(String bindSpec, int maxInFlight, int maxPerClient, RequestMetrics metrics) {
        return start(DEFAULT_KIND, bindSpec, maxInFlight, maxPerClient, metrics);
    }

    /** As {@link #start(String, int, int, RequestMetrics)}, on transport {@code kind}. */
    public static DataPlane start(Kind kind, String bindSpec, int maxInFlight, int maxPerClient,
            RequestMetrics metrics) {
        Transport t = switch (kind) {
            case ZMTP -> ZmtpTransport.start(bindSpec, maxInFlight, maxPerClient, metrics,
                    ZmtpTransport.HANDSHAKE_MILLIS);
            case JEROMQ -> JeromqTransport.start(bindSpec, maxInFlight, maxPerClient, metrics);
        };
        return new DataPlane(kind, t);
    }

    /** Package-private for tests: a ZMTP data plane with another handshake deadline. */
    static DataPlane startZmtp(String bindSpec, int maxInFlight, int maxPerClient, RequestMetrics metrics,
            long handshakeMillis) {
        return new DataPlane(Kind.ZMTP, ZmtpTransport.start(bindSpec, maxInFlight, maxPerClient, metrics,
                handshakeMillis));
    }

    /** Package-private for tests: the ZMTP transport (null on another). */
    ZmtpTransport zmtp() {
        return transport instanceof ZmtpTransport z ? z : null;
    }

    /**
     * Who runs the network event loop now: {@code engine} (the pipeline's engine thread, while it
     * has no event), {@code thread} (the ZMTP transport's selector thread) or {@code jeromq}.
     */
    public String networkLoop() {
        if (!(transport instanceof ZmtpTransport z)) {
            return "jeromq";
        }
        return z.onEngine() ? "engine" : "thread";
    }

    /** The transport this plane runs on. */
    public Kind kind() {
        return kind;
    }

    /** The endpoint bound, with the port chosen when {@code *} was asked. */
    public String endpoint() {
        return transport.endpoint();
    }

    /**
     * Starts serving data ops through {@code a}'s pipeline; the store's replies come to this plane.
     * With {@code engineLoop}, on the ZMTP transport, the pipeline's engine thread runs the network
     * event loop from now on, while it has no event (see {@link Pipeline#runWhileIdle}), and the
     * transport's selector thread stops.
     */
    public void attach(Attached a, boolean engineLoop) {
        dispatcher.attach(a);
        if (transport instanceof ZmtpTransport z) {
            z.attached(a.pipeline(), engineLoop);
        }
    }

    /** Stops taking data ops (they get not_ready); replies still in the pipeline are still sent. */
    public void drain() {
        dispatcher.drain();
    }

    /** Requests in the pipeline now. */
    public int inFlight() {
        return dispatcher.inFlight();
    }

    /** Replies dropped because their client was gone or not reading. */
    public long dropped() {
        return transport.dropped();
    }

    /** Messages received. */
    public long received() {
        return transport.received();
    }

    /** Stops the socket thread and closes the sockets; call after the pipeline is closed (drained). */
    @Override
    public void close() {
        transport.close();
    }
}
