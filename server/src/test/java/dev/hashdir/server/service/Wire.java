package dev.hashdir.server.service;

import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helper: a DEALER on a server's endpoint, msgpack maps in and out. */
final class Wire implements AutoCloseable {

    final ZContext ctx = new ZContext(1);
    final ZMQ.Socket socket;

    final String endpoint;

    /**
     * JeroMQ 0.6.0 (client side) sometimes never registers a freshly connected TCP channel with its
     * I/O thread's selector (zeromq/jeromq#1022, open): the connecter's cancelled key is still on
     * the channel when the engine's handle is registered, so the engine sends no greeting and the
     * connection carries nothing until the handshake timer (30 s by default) resets it, or another
     * socket of the same context happens to make the I/O thread re-register its handles. A short
     * handshake interval bounds that stall: the dead connection is dropped and reconnected (the
     * queued messages are kept) within about a quarter second.
     */
    static final int HANDSHAKE_IVL_MS = 250;

    /** Options every JeroMQ client socket of the tests needs (see {@link #HANDSHAKE_IVL_MS}). */
    static ZMQ.Socket configure(ZMQ.Socket s) {
        s.setHandshakeIvl(HANDSHAKE_IVL_MS);
        return s;
    }

    /**
     * Connects and waits until a ping is answered, on a fresh socket for each try. With
     * {@link #configure} the first try is always answered (within the 1 s timeout); the retries stay
     * as a guard. Every connection the tests then use has answered once.
     */
    Wire(String endpoint, SocketType type) {
        this.endpoint = endpoint;
        ZMQ.Socket connected = null;
        for (int attempt = 1; attempt <= 10 && connected == null; attempt++) {
            ZMQ.Socket s = configure(ctx.createSocket(type));
            s.setLinger(0);
            s.setReceiveTimeOut(1000);
            s.connect(endpoint);
            s.send(pack(m("op", "ping")));
            if (s.recv() != null) {
                connected = s;
            } else {
                System.err.println("wire: no answer to the handshake ping on attempt " + attempt + " to " + endpoint);
                s.close();
            }
        }
        if (connected == null) {
            throw new AssertionError("no answer to a ping from " + endpoint + " in 10 tries");
        }
        connected.setReceiveTimeOut(10_000);
        socket = connected;
    }

    /** A map in the order given (Map.of's order changes from run to run, and field order matters to id echo). */
    static Map<String, Object> m(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static byte[] pack(Map<String, ?> m) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            packValue(p, m);
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void packValue(MessageBufferPacker p, Object v) throws IOException {
        switch (v) {
            case null -> p.packNil();
            case Map<?, ?> m -> {
                p.packMapHeader(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    p.packString((String) e.getKey());
                    packValue(p, e.getValue());
                }
            }
            case List<?> l -> {
                p.packArrayHeader(l.size());
                for (Object o : l) {
                    packValue(p, o);
                }
            }
            case byte[] b -> p.packBinaryHeader(b.length).writePayload(b);
            case String s -> p.packString(s);
            case Boolean b -> p.packBoolean(b);
            case Long l -> p.packLong(l);
            case Integer i -> p.packInt(i);
            case java.math.BigInteger b -> p.packBigInteger(b);
            default -> throw new IllegalArgumentException("cannot pack " + v);
        }
    }

    static Map<String, Value> unpack(byte[] frame) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(frame)) {
            Map<String, Value> m = new LinkedHashMap<>();
            for (Map.Entry<Value, Value> e : u.unpackValue().asMapValue().map().entrySet()) {
                m.put(e.getKey().asStringValue().asString(), e.getValue());
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void send(Map<String, ?> request) {
        socket.send(pack(request));
    }

    Map<String, Value> recv() {
        byte[] f = socket.recv();
        if (f == null) {
            StringBuilder dump = new StringBuilder("no reply within the timeout; threads:\n");
            Thread.getAllStackTraces().forEach((t, stack) -> {
                dump.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
                for (StackTraceElement e : stack) {
                    dump.append("    at ").append(e).append('\n');
                }
            });
            System.err.println(dump);
            try (Wire probe = new Wire(endpoint, SocketType.DEALER)) {
                probe.socket.setReceiveTimeOut(3000);
                probe.send(m("id", 999, "op", "ping"));
                byte[] pong = probe.socket.recv();
                System.err.println("probe from a new connection: " + (pong == null ? "no reply" : unpack(pong)));
            }
            throw new AssertionError("no reply within the timeout (thread dump on stderr)");
        }
        return unpack(f);
    }

    Map<String, Value> call(Map<String, ?> request) {
        send(request);
        return recv();
    }

    @Override
    public void close() {
        ctx.close();
    }
}
