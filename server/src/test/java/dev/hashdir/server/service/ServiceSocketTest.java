package dev.hashdir.server.service;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.recovery.WalApplier;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalWriter;
import dev.hashdir.server.config.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.value.Value;
import org.zeromq.SocketType;

import java.io.IOException;
import java.net.URI;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The service through real sockets on loopback: every op, every error status, pipelining, REQ, fuzz, HTTP. */
class ServiceSocketTest {

    @TempDir
    Path dir;
    HashdirServer server;
    Wire wire;

    static ServerConfig config(Path data, String token) throws IOException {
        return config(data, token, "engine");
    }

    static ServerConfig config(Path data, String token, String networkLoop) throws IOException {
        Map<String, String> flags = new HashMap<>();
        flags.put("network-loop", networkLoop);
        flags.put("data", data.toString());
        flags.put("bind", "tcp://127.0.0.1:*");
        flags.put("http", "127.0.0.1:0");
        if (token != null) {
            flags.put("admin-token", token);
        }
        return ServerConfig.resolve(null, Map.of(), flags);
    }

    /** The network loop this class runs the tests on (the subclass: the other one). */
    String networkLoop() {
        return "engine";
    }

    @BeforeEach
    void start() throws IOException {
        server = HashdirServer.start(config(dir.resolve("data"), "secret", networkLoop()));
        assertThat(server.dataPlane().networkLoop()).as("recovering: the selector thread serves").isEqualTo("thread");
        wire = new Wire(server.dataPlane().endpoint(), SocketType.DEALER);
    }

    @AfterEach
    void stop(org.junit.jupiter.api.TestInfo info) throws IOException {
        System.err.println(info.getDisplayName() + ": data plane " + server.dataPlane().endpoint() + " received="
                + server.dataPlane().received() + " dropped=" + server.dataPlane().dropped() + " wire connected to "
                + wire.endpoint);
        wire.close();
        server.close();
    }

    /** A digest-like key (SplitMix64 of i): keys are uniform digests in real use. */
    static byte[] key(int i) {
        byte[] k = new byte[32];
        long z = i * 0x9E3779B97F4A7C15L;
        for (int b = 0; b < 32; b += 8) {
            z += 0x9E3779B97F4A7C15L;
            long x = z;
            x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
            x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
            x ^= x >>> 31;
            for (int j = 0; j < 8; j++) {
                k[b + j] = (byte) (x >>> (8 * j));
            }
        }
        return k;
    }

    static String status(Map<String, Value> r) {
        return r.get("status").asStringValue().asString();
    }

    @Test
    void shouldAnswerNotReadyBeforeRecoveryAndPingAlways() throws IOException {
        assertThat(status(wire.call(Wire.m("id", 1, "op", "get", "key", key(1))))).isEqualTo("not_ready");
        assertThat(status(wire.call(Wire.m("id", 2, "op", "ping")))).isEqualTo("ok");
        assertThat(http("GET", "/health", null).statusCode()).isEqualTo(200);
        assertThat(http("GET", "/ready", null).statusCode()).isEqualTo(503);
        server.recover();
        assertThat(server.dataPlane().networkLoop()).isEqualTo(networkLoop());
        assertThat(http("GET", "/ready", null).statusCode()).isEqualTo(200);
        assertThat(status(wire.call(Wire.m("id", 3, "op", "get", "key", key(1))))).isEqualTo("ok");
    }

    @Test
    void readyReportsThePhaseAndProgressWhileTheWalReplays() throws Exception {
        Path data = dir.resolve("data");
        PageStore.init(data, StoreOptions.defaults());
        int records = 2 * WalApplier.PROGRESS_RECORDS + 1000;
        try (Arena arena = Arena.ofConfined();
             WalWriter w = WalWriter.open(FileWalDirectory.open(data.resolve("wal")),
                     WalOptions.of(32, Durability.NONE), 1, r -> { })) {
            MemorySegment k = arena.allocate(32);
            for (int i = 0; i < records; i++) {
                MemorySegment.copy(key(i), 0, k, ValueLayout.JAVA_BYTE, 0, 32);
                w.appendPut(k, i);
            }
            w.commit();
        }
        CountDownLatch replaying = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> recovered = CompletableFuture.runAsync(() -> {
            try {
                server.recover((phase, n, bytes, walBytes) -> {
                    if (phase == DurableHashDir.Phase.REPLAYING && n > 0 && replaying.getCount() > 0) {
                        replaying.countDown();
                        try {
                            release.await(30, TimeUnit.SECONDS); // hold the replay while the probe looks
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(replaying.await(60, TimeUnit.SECONDS)).as("the replay reported progress").isTrue();
        HttpResponse<String> ready = http("GET", "/ready", null);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"state\": \"recovering\"", "\"phase\": \"replaying\"",
                "\"records_replayed\": " + WalApplier.PROGRESS_RECORDS);
        Matcher m = Pattern.compile("\"progress\": ([0-9.Ee-]+)").matcher(ready.body());
        assertThat(m.find()).as(ready.body()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).as(ready.body()).isStrictlyBetween(0.0, 1.0);
        assertThat(http("GET", "/health", null).statusCode()).isEqualTo(200);
        release.countDown();
        recovered.get(60, TimeUnit.SECONDS);
        ready = http("GET", "/ready", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"phase\": \"ready\"", "\"records_replayed\": " + records);
    }

    @Test
    void shouldRunEveryOp() throws IOException {
        server.recover();
        byte[] k = key(7);
        Map<String, Value> r = wire.call(Wire.m("id", 1, "op", "put", "key", k, "values", List.of(7L, new java.math.BigInteger("18446744073709551615"))));
        assertThat(status(r)).isEqualTo("ok");
        assertThat(r.get("added").asIntegerValue().toLong()).isEqualTo(2);
        r = wire.call(Wire.m("id", 2, "op", "get", "key", k));
        assertThat(r.get("values").toString()).isEqualTo("[7,18446744073709551615]");
        assertThat(r.get("more").asBooleanValue().getBoolean()).isFalse();
        assertThat(wire.call(Wire.m("id", 3, "op", "contains", "key", k, "value", 7)).get("found").toString())
                .isEqualTo("true");
        assertThat(wire.call(Wire.m("id", 4, "op", "count", "key", k)).get("count").toString()).isEqualTo("2");
        assertThat(wire.call(Wire.m("id", 5, "op", "remove", "key", k, "value", 7)).get("removed").toString())
                .isEqualTo("true");
        assertThat(wire.call(Wire.m("id", 6, "op", "scan", "limit", 10)).get("keys").asArrayValue().size())
                .isEqualTo(1);
        List<Long> many = new ArrayList<>();
        for (long v = 0; v < 5000; v++) {
            many.add(v);
        }
        assertThat(wire.call(Wire.m("id", 7, "op", "put", "key", key(8), "values", many)).get("added").toString())
                .isEqualTo("5000");
        r = wire.call(Wire.m("id", 8, "op", "batch", "ops", List.of(Wire.m("op", "put", "key", k, "value", 1),
                Wire.m("op", "get", "key", k), Wire.m("op", "count", "key", key(8)), Wire.m("op", "ping"))));
        assertThat(r.get("results").toString()).isEqualTo("[{\"status\":\"ok\",\"added\":1},"
                + "{\"status\":\"ok\",\"values\":[1,18446744073709551615],\"count\":2,\"more\":false},"
                + "{\"status\":\"ok\",\"count\":5000},{\"status\":\"ok\"}]");
        assertThat(wire.call(Wire.m("id", 9, "op", "delete", "key", key(8))).get("removed").toString())
                .isEqualTo("5000");
        assertThat(wire.call(Wire.m("id", 10, "op", "stats")).get("stats").asMapValue().size()).isGreaterThan(5);
    }

    /** The server's commit counter (from the stats op) once it has counted at least {@code atLeast}. */
    long commits(long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        long c;
        int id = 1_000_000;
        // the counter moves just after the commit acknowledges: the reply may overtake it
        while ((c = wire.call(Wire.m("id", id++, "op", "stats")).get("stats").asMapValue().map()
                .get(org.msgpack.value.ValueFactory.newString("commits")).asIntegerValue().toLong()) < atLeast
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return c;
    }

    /**
     * docs/protocol.md, put and batch: a put of more values than one ring event carries (1,024) and
     * a batch of writes each go to the WAL in one group commit, and their reply sums or lists
     * every part.
     */
    @Test
    void shouldCommitASplitPutAndABatchInOneGroupCommit() throws Exception {
        server.recover();
        assertThat(status(wire.call(Wire.m("id", 1, "op", "put", "key", key(1), "value", 1)))).isEqualTo("ok");
        long before = commits(1);
        List<Long> many = new ArrayList<>();
        for (long v = 0; v < 5000; v++) {
            many.add(v * 3);
        }
        Map<String, Value> r = wire.call(Wire.m("id", 2, "op", "put", "key", key(2), "values", many));
        assertThat(r.get("added").toString()).isEqualTo("5000");
        assertThat(commits(before + 1) - before).as("commits for a put split into 5 events").isEqualTo(1);

        before = commits(before + 1);
        List<Map<String, Object>> ops = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ops.add(Wire.m("op", "put", "key", key(100 + i), "values", List.of((long) i, (long) i + 1)));
        }
        ops.add(Wire.m("op", "put", "key", key(2), "values", many)); // 5 more events, all duplicates
        ops.add(Wire.m("op", "count", "key", key(149)));
        r = wire.call(Wire.m("id", 3, "op", "batch", "ops", ops));
        List<Value> results = r.get("results").asArrayValue().list();
        assertThat(results).hasSize(52);
        for (int i = 0; i < 50; i++) {
            assertThat(results.get(i).toString()).isEqualTo("{\"status\":\"ok\",\"added\":2}");
        }
        assertThat(results.get(50).toString()).isEqualTo("{\"status\":\"ok\",\"added\":0}");
        assertThat(results.get(51).toString()).as("a read in a batch sees the batch's writes before it")
                .isEqualTo("{\"status\":\"ok\",\"count\":2}");
        assertThat(commits(before + 1) - before).as("commits for a batch of 50 writes").isEqualTo(1);
    }

    @Test
    void shouldAnswerEveryErrorStatusWithTheId() throws IOException {
        server.recover();
        Map<String, Value> r = wire.call(Wire.m("id", 11, "op", "get", "key", new byte[3]));
        assertThat(status(r)).isEqualTo("bad_request");
        assertThat(r.get("id").toString()).isEqualTo("11");
        r = wire.call(Wire.m("v", 2, "id", 12, "op", "ping"));
        assertThat(status(r)).isEqualTo("unsupported_version");
        assertThat(r.get("id").toString()).isEqualTo("12");
        byte[] truncated = Wire.pack(Wire.m("id", 13, "op", "put", "key", key(1), "values", List.of(1L, 2L)));
        wire.socket.send(java.util.Arrays.copyOf(truncated, truncated.length - 3));
        r = wire.recv();
        assertThat(status(r)).isEqualTo("bad_request");
        assertThat(r.get("id").toString()).isEqualTo("13");
        // two body frames: bad shape, no id
        wire.socket.sendMore(Wire.pack(Wire.m("id", 14, "op", "ping")));
        wire.socket.send(Wire.pack(Wire.m("id", 15, "op", "ping")));
        r = wire.recv();
        assertThat(status(r)).isEqualTo("bad_request");
        assertThat(r).doesNotContainKey("id");
        List<Long> tooMany = new ArrayList<>();
        for (long v = 0; v < 65_537; v++) {
            tooMany.add(v);
        }
        assertThat(status(wire.call(Wire.m("id", 16, "op", "put", "key", key(1), "values", tooMany))))
                .isEqualTo("too_large");
    }

    @Test
    void shouldMatchPipelinedRepliesById() throws IOException {
        server.recover();
        int n = 500;
        for (int i = 0; i < n; i++) {
            wire.send(i % 2 == 0 ? Wire.m("id", i, "op", "put", "key", key(i), "value", i)
                    : Wire.m("id", i, "op", "ping"));
        }
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Map<String, Value> r = wire.recv();
            assertThat(status(r)).isEqualTo("ok");
            ids.add(r.get("id").asIntegerValue().toLong());
        }
        assertThat(ids).hasSize(n);
    }

    @Test
    void shouldServeAReqClient() throws IOException {
        server.recover();
        try (Wire req = new Wire(server.dataPlane().endpoint(), SocketType.REQ)) {
            for (int i = 0; i < 3; i++) {
                assertThat(status(req.call(Wire.m("op", "count", "key", key(1))))).isEqualTo("ok");
            }
        }
    }

    @Test
    void shouldSurviveMalformedFramesUnchanged() throws IOException {
        server.recover();
        wire.call(Wire.m("id", 1, "op", "put", "key", key(1), "values", List.of(1L, 2L, 3L)));
        Random rnd = new Random(42);
        byte[] valid = Wire.pack(Wire.m("id", 2, "op", "put", "key", key(1), "values", List.of(4L, 5L)));
        int n = 5000;
        for (int i = 0; i < n; i++) {
            byte[] f;
            if (i % 2 == 0) {
                f = new byte[rnd.nextInt(64)];
                rnd.nextBytes(f);
            } else { // a valid put, cut or with a byte flipped to an invalid type
                f = java.util.Arrays.copyOf(valid, 1 + rnd.nextInt(valid.length - 1));
            }
            wire.socket.send(f);
            if (i % 100 == 99) {
                for (int j = 0; j < 100; j++) {
                    wire.recv();
                }
            }
        }
        Map<String, Value> r = wire.call(Wire.m("id", 3, "op", "get", "key", key(1)));
        assertThat(r.get("values").toString()).isEqualTo("[1,2,3]");
        assertThat(status(wire.call(Wire.m("id", 4, "op", "ping")))).isEqualTo("ok");
    }

    @Test
    void shouldServeTheControlPlane() throws Exception {
        server.recover();
        wire.call(Wire.m("id", 1, "op", "put", "key", key(1), "value", 1));
        wire.call(Wire.m("id", 2, "op", "put", "key", key(2), "values", List.of(2L, 3L))); // right after: no throttle
        assertThat(http("GET", "/health", null).statusCode()).isEqualTo(200);
        assertThat(http("GET", "/ready", null).body()).contains("\"state\": \"serving\"");
        String metrics = http("GET", "/metrics", null).body();
        assertThat(metrics).contains("hashdir_requests_total{op=\"put\",status=\"ok\"} 2", "hashdir_request_duration_seconds",
                "hashdir_batch_size", "hashdir_wal_fsync_seconds", "hashdir_keys", "hashdir_global_depth",
                "hashdir_ecc_corrected_total", "hashdir_batch_controller_max_batch", "hashdir_checkpoint_shadows 0.0");
        String stats = http("GET", "/stats", null).body();
        for (String f : List.of("keys", "values", "global_depth", "buckets", "pages", "load_factor", "value_lists",
                "ecc_corrected", "checkpoint_shadows", "shadow_copies", "durability", "checkpoint_lsn", "durable_lsn",
                "controller_max_batch")) {
            assertThat(stats).contains("\"" + f + "\"");
        }
        assertThat(stats).as("every acknowledged put is counted at once").contains("\"keys\": 2,", "\"values\": 3,");
        assertThat(http("GET", "/metrics", null).body()).contains("hashdir_keys 2.0");
        assertThat(http("GET", "/config", null).body()).contains("\"checkpoint-records\"");
        assertThat(http("PUT", "/config", null).statusCode()).isEqualTo(401);
        assertThat(http("POST", "/checkpoint", null).statusCode()).isEqualTo(401);
        assertThat(http("PUT", "/config", "secret").statusCode()).isEqualTo(200);
        HttpResponse<String> cp = http("POST", "/checkpoint", "secret");
        assertThat(cp.statusCode()).isEqualTo(200);
        assertThat(cp.body()).contains("\"checkpoint_lsn\": 2");
        server.close();
    }

    HttpResponse<String> http(String method, String path, String token) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + server.controlPlane().address() + path))
                .method(method, method.equals("PUT") ? HttpRequest.BodyPublishers.ofString("checkpoint-records=5000\n")
                        : HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try (HttpClient c = HttpClient.newHttpClient()) {
            return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
