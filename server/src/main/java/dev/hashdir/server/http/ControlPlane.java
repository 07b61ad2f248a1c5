package dev.hashdir.server.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.hashdir.engine.ReadOnlyException;
import dev.hashdir.server.service.EngineMaintenance;
import dev.hashdir.server.service.HashdirServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP control plane (JDK {@code HttpServer}): {@code GET /health}, {@code GET /ready},
 * {@code GET /metrics} (Prometheus text), {@code GET /stats} (JSON), {@code GET|PUT /config} and
 * {@code POST /checkpoint}. PUT and POST need {@code Authorization: Bearer <token>} when an admin
 * token is configured. See docs/operations.md.
 *
 * <p>Threading: requests run on a small pool of its own; it only reads the server's volatile
 * state and publishes through the pipeline like any producer.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

    private final HttpServer server;
    private final ExecutorService pool;
    private final HashdirServer hd;

    private ControlPlane(HttpServer server, HashdirServer hd) {
        this.server = server;
        this.hd = hd;
        this.pool = Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("hashdir-http-", 0).factory());
        server.setExecutor(pool);
        server.createContext("/health", x -> handle(x, this::health));
        server.createContext("/ready", x -> handle(x, this::ready));
        server.createContext("/metrics", x -> handle(x, this::metrics));
        server.createContext("/stats", x -> handle(x, this::stats));
        server.createContext("/config", x -> handle(x, this::config));
        server.createContext("/checkpoint", x -> handle(x, this::checkpoint));
        server.start();
    }

    /** Binds {@code host:port} (port 0: any free port) and starts answering. */
    public static ControlPlane start(String host, int port, HashdirServer hd) throws IOException {
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new IOException("cannot bind the control plane to " + host + ":" + port + ": " + e.getMessage(), e);
        }
        ControlPlane c = new ControlPlane(s, hd);
        LOG.info("control plane listening on http://{}", c.address());
        return c;
    }

    /** {@code host:port} bound. */
    public String address() {
        InetSocketAddress a = server.getAddress();
        return a.getHostString() + ":" + a.getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private interface Handler {
        void handle(HttpExchange x) throws IOException;
    }

    private static void handle(HttpExchange x, Handler h) {
        try (x) {
            h.handle(x);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{} {} failed: {}", x.getRequestMethod(), x.getRequestURI(), e.toString());
            try {
                send(x, 500, "application/json", Json.object(Map.of("error", e.toString())));
            } catch (IOException | RuntimeException ignored) {
                // the client went away
            }
        }
    }

    private void health(HttpExchange x) throws IOException {
        if (!method(x, "GET")) {
            return;
        }
        boolean alive = hd.state() != HashdirServer.State.FAILED;
        send(x, alive ? 200 : 503, "application/json", Json.object(state()));
    }

    private void ready(HttpExchange x) throws IOException {
        if (!method(x, "GET")) {
            return;
        }
        boolean ready = hd.state() == HashdirServer.State.SERVING;
        send(x, ready ? 200 : 503, "application/json", Json.object(state()));
    }

    private Map<String, Object> state() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", hd.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("progress", hd.progress());
        m.put("phase", hd.recoveryProgress().phase().name().toLowerCase(java.util.Locale.ROOT));
        m.put("records_replayed", hd.recoveryProgress().records());
        if (hd.failure() != null) {
            m.put("error", hd.failure());
        }
        return m;
    }

    private void metrics(HttpExchange x) throws IOException {
        if (!method(x, "GET")) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        hd.metrics().write(out);
        send(x, 200, hd.metrics().contentType(), out.toByteArray());
    }

    private void stats(HttpExchange x) throws IOException {
        if (!method(x, "GET")) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>(hd.statusStrings());
        m.putAll(hd.stats());
        send(x, 200, "application/json", Json.object(m));
    }

    private void config(HttpExchange x) throws IOException {
        switch (x.getRequestMethod()) {
            case "GET" -> send(x, 200, "application/json", Json.object(config()));
            case "PUT" -> {
                if (!authorized(x)) {
                    return;
                }
                EngineMaintenance m = hd.maintenance();
                if (m == null) {
                    send(x, 503, "application/json", Json.object(Map.of("error", "not ready")));
                    return;
                }
                Properties p = new Properties();
                p.load(new StringReader(body(x.getRequestBody())));
                long records = m.checkpointRecords();
                long interval = m.checkpointIntervalMillis();
                for (String k : p.stringPropertyNames()) {
                    String v = p.getProperty(k).trim();
                    try {
                        switch (k) {
                            case "checkpoint-records" -> records = Long.parseLong(v);
                            case "checkpoint-interval-ms" -> interval = Long.parseLong(v);
                            default -> {
                                send(x, 400, "application/json", Json.object(Map.of("error", "setting " + k
                                        + " cannot change at run time; tunable: checkpoint-records, checkpoint-interval-ms")));
                                return;
                            }
                        }
                    } catch (NumberFormatException e) {
                        send(x, 400, "application/json", Json.object(Map.of("error", "setting " + k
                                + ": expected an integer, got '" + v + "'")));
                        return;
                    }
                }
                try {
                    m.tune(records, interval);
                } catch (IllegalArgumentException e) {
                    send(x, 400, "application/json", Json.object(Map.of("error", e.getMessage())));
                    return;
                }
                send(x, 200, "application/json", Json.object(config()));
            }
            default -> notAllowed(x, "GET, PUT");
        }
    }

    private Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>(hd.config().describe());
        EngineMaintenance mt = hd.maintenance();
        if (mt != null) {
            m.put("checkpoint-records", mt.checkpointRecords());
            m.put("checkpoint-interval-ms", mt.checkpointIntervalMillis());
        }
        return m;
    }

    private void checkpoint(HttpExchange x) throws IOException {
        if (!method(x, "POST") || !authorized(x)) {
            return;
        }
        if (hd.state() != HashdirServer.State.SERVING) {
            send(x, 503, "application/json", Json.object(state()));
            return;
        }
        long lsn;
        try {
            lsn = hd.checkpoint(Duration.ofSeconds(30));
        } catch (ReadOnlyException e) {
            send(x, 503, "application/json", Json.object(Map.of("error", e.getMessage())));
            return;
        }
        send(x, 200, "application/json", Json.object(Map.of("checkpoint_lsn", lsn)));
    }

    private boolean authorized(HttpExchange x) throws IOException {
        String token = hd.config().adminToken();
        if (token == null) {
            return true;
        }
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (auth != null && java.security.MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8),
                ("Bearer " + token).getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        send(x, 401, "application/json", Json.object(Map.of("error", "needs Authorization: Bearer <admin token>")));
        return false;
    }

    private static boolean method(HttpExchange x, String allowed) throws IOException {
        if (x.getRequestMethod().equals(allowed)) {
            return true;
        }
        notAllowed(x, allowed);
        return false;
    }

    private static void notAllowed(HttpExchange x, String allowed) throws IOException {
        x.getResponseHeaders().set("Allow", allowed);
        send(x, 405, "application/json", Json.object(Map.of("error", "method " + x.getRequestMethod()
                + " not allowed, use " + allowed)));
    }

    private static String body(InputStream in) throws IOException {
        return new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
    }

    private static void send(HttpExchange x, int code, String type, String body) throws IOException {
        send(x, code, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int code, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }
}
