package dev.hashdir.server.service;

import dev.hashdir.engine.TunedHashDirs;
import dev.hashdir.engine.store.FaultyPageIo;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.pipeline.PipelineConfig;
import dev.hashdir.engine.wal.GatedWalDirectory;
import dev.hashdir.server.config.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.value.Value;
import org.zeromq.SocketType;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.hashdir.server.service.ServiceSocketTest.key;
import static dev.hashdir.server.service.ServiceSocketTest.status;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The statuses a healthy request can still get, through real sockets on loopback, each brought
 * about by holding or failing the server's WAL ({@link GatedWalDirectory}): {@code not_ready} while
 * recovering and while draining, {@code busy} over the per-client and the ring bound (nothing
 * dropped: every request gets exactly one reply, and a busy request changed nothing),
 * {@code read_only} while the WAL cannot be written (reads go on, writing resumes), and while the
 * HDF5 file cannot be written ({@link FaultyPageIo}: reads go on, writing resumes without a
 * restart, nothing acknowledged lost). Also: a
 * server's start/stop cycle releases recovery's buffers.
 */
class ServiceFaultTest {

    @TempDir
    Path dir;
    HashdirServer server;
    GatedWalDirectory wal;
    /** Set: the next WAL directory opened (by recover) starts with its listing held. */
    boolean holdNextListing;
    final CompletableFuture<GatedWalDirectory> opened = new CompletableFuture<>();
    final List<Wire> wires = new ArrayList<>();

    /** Set: the store's HDF5 file I/O goes through it (page writes and syncs can fail). */
    FaultyPageIo pages;

    HashdirServer start(Map<String, String> settings) throws IOException {
        Map<String, String> flags = new HashMap<>(settings);
        // a held force stands for a stalled disk; a commit on the engine thread would hold the engine
        // and its network loop with it (README, pipeline-inline-commit): these tests are about the
        // journal thread's commits, which the engine and its answers do not wait for
        flags.putIfAbsent("pipeline-inline-commit", "0");
        flags.put("data", dir.resolve("data").toString());
        flags.put("bind", "tcp://127.0.0.1:*");
        flags.put("http", "127.0.0.1:0");
        HashdirServer.WalDirectories walDirs = d -> {
            GatedWalDirectory h = new GatedWalDirectory(FileWalDirectory.open(d));
            wal = h;
            if (holdNextListing) {
                h.holdListing();
                opened.complete(h);
            }
            return h;
        };
        FaultyPageIo io = pages;
        server = io == null ? HashdirServer.start(ServerConfig.resolve(null, Map.of(), flags), walDirs)
                : HashdirServer.start(ServerConfig.resolve(null, Map.of(), flags), walDirs,
                (data, config, walOptions, walDir, listener) -> TunedHashDirs.openDurable(data, config, walOptions,
                        walDir, listener, io.wrapper()));
        return server;
    }

    Wire wire() {
        Wire w = new Wire(server.dataPlane().endpoint(), SocketType.DEALER);
        wires.add(w);
        return w;
    }

    @AfterEach
    void stop() throws IOException {
        if (wal != null) {
            wal.releaseListing();
            wal.failForces(false);
            wal.releaseForces();
        }
        wires.forEach(Wire::close);
        if (server != null) {
            server.close();
        }
    }

    static String error(Map<String, Value> r) {
        return r.get("error").asStringValue().asString();
    }

    static long id(Map<String, Value> r) {
        return r.get("id").asIntegerValue().toLong();
    }

    HttpResponse<String> get(String path) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + server.controlPlane().address() + path)).build();
        try (HttpClient c = HttpClient.newHttpClient()) {
            return c.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    HttpResponse<String> post(String path) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + server.controlPlane().address() + path))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
        try (HttpClient c = HttpClient.newHttpClient()) {
            return c.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Test
    void shouldAnswerNotReadyWhileRecoveringThenServeWhatWasThere() throws Exception {
        start(Map.of()).recover();
        Wire w = wire();
        assertThat(status(w.call(Wire.m("id", 1, "op", "put", "key", key(1), "value", 11)))).isEqualTo("ok");
        server.close();
        wires.forEach(Wire::close);
        wires.clear();

        start(Map.of());
        holdNextListing = true;
        CompletableFuture<Void> recovering = CompletableFuture.runAsync(() -> {
            try {
                server.recover();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        opened.get(30, TimeUnit.SECONDS).awaitListingHeld(); // recovery is under way, held at its first look at the WAL
        w = wire();
        Map<String, Value> r = w.call(Wire.m("id", 2, "op", "get", "key", key(1)));
        assertThat(status(r)).isEqualTo("not_ready");
        assertThat(error(r)).contains("recovering");
        assertThat(id(r)).isEqualTo(2);
        assertThat(status(w.call(Wire.m("id", 3, "op", "put", "key", key(1), "value", 12)))).isEqualTo("not_ready");
        assertThat(status(w.call(Wire.m("id", 4, "op", "stats")))).isEqualTo("not_ready");
        assertThat(status(w.call(Wire.m("id", 5, "op", "ping")))).isEqualTo("ok");
        assertThat(server.state()).isEqualTo(HashdirServer.State.RECOVERING);
        assertThat(get("/health").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"state\": \"recovering\"");

        wal.releaseListing();
        recovering.get(60, TimeUnit.SECONDS);
        assertThat(get("/ready").statusCode()).isEqualTo(200);
        r = w.call(Wire.m("id", 6, "op", "get", "key", key(1)));
        assertThat(r.get("values").toString()).as("the put refused while recovering changed nothing").isEqualTo("[11]");
    }

    /**
     * No dirty reads through the sockets: while the commit of a put is held, another client's get,
     * contains and count of that key get no answer (they saw the write, which is not durable yet);
     * once the force goes through, the put and the reads are answered, the reads with the value.
     */
    @Test
    void shouldNotAnswerAReadOfAWriteBeforeItIsDurable() throws Exception {
        start(Map.of()).recover();
        Wire writer = wire();
        Wire reader = wire();
        wal.holdForces();
        writer.send(Wire.m("id", 1, "op", "put", "key", key(1), "value", 42));
        wal.awaitForceHeld();
        reader.send(Wire.m("id", 2, "op", "get", "key", key(1)));
        reader.send(Wire.m("id", 3, "op", "contains", "key", key(1), "value", 42));
        reader.send(Wire.m("id", 4, "op", "count", "key", key(1)));
        reader.socket.setReceiveTimeOut(300);
        assertThat(reader.socket.recv()).as("a read answered before the write it saw was durable").isNull();
        assertThat(status(reader.call(Wire.m("id", 5, "op", "ping")))).as("the connection works").isEqualTo("ok");
        reader.socket.setReceiveTimeOut(10_000);
        wal.releaseForces();
        assertThat(status(writer.recv())).isEqualTo("ok");
        Map<Long, String> answers = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            Map<String, Value> r = reader.recv();
            Value v = r.containsKey("values") ? r.get("values") : r.containsKey("found") ? r.get("found") : r.get("count");
            answers.put(id(r), v.toString());
        }
        assertThat(answers).containsExactlyInAnyOrderEntriesOf(Map.of(2L, "[42]", 3L, "true", 4L, "1"));
    }

    /**
     * With commits on the engine thread (the default, {@code pipeline-inline-commit}), a stalled
     * disk holds the data plane for one commit, as Redis's appendfsync always does: while a lone
     * put's force is held, the engine thread (which runs the network loop) answers nothing, not
     * even a ping. That commit took long, so the next ones go to the journal thread: while the
     * next put's force is held, another client's ping and read are answered. Nothing is lost.
     */
    @Test
    void shouldHoldTheDataPlaneForOneStalledCommitOnTheEngineThreadOnly() throws Exception {
        start(Map.of("pipeline-inline-commit", "4")).recover();
        Wire writer = wire();
        Wire reader = wire();
        assertThat(status(writer.call(Wire.m("id", 1, "op", "put", "key", key(1), "value", 1)))).isEqualTo("ok");
        // the engine commits when the journal thread is idle; a timer tick (a sync for the checkpoint
        // policy) may keep it busy at that moment: then the commit is the journal's, and it is tried again
        int k = 2;
        long inline;
        while (true) {
            // and only while commits are quick on average: the first ones of a fresh WAL, and a held one, are not
            while (server.pipelineStats().controller().commitNanos() > PipelineConfig.INLINE_MAX_COMMIT_NANOS) {
                assertThat(status(writer.call(Wire.m("id", k, "op", "put", "key", key(k), "value", k)))).isEqualTo("ok");
                assertThat(k++).as("commits this disk makes quickly").isLessThan(10_000);
            }
            long before = server.pipelineStats().inlineCommits();
            wal.holdForces();
            writer.send(Wire.m("id", k, "op", "put", "key", key(k), "value", k));
            wal.awaitForceHeld();
            inline = server.pipelineStats().inlineCommits(); // counted before the commit's force
            if (inline > before) {
                break;
            }
            assertThat(k).as("a lone put committed on the engine thread").isLessThan(10_000);
            wal.releaseForces();
            assertThat(status(writer.recv())).isEqualTo("ok");
            k++;
        }
        reader.send(Wire.m("id", 100, "op", "ping"));
        reader.socket.setReceiveTimeOut(300);
        assertThat(reader.socket.recv()).as("the engine thread is in the stalled commit").isNull();
        reader.socket.setReceiveTimeOut(10_000);
        wal.releaseForces();
        assertThat(status(writer.recv())).isEqualTo("ok");
        assertThat(status(reader.recv())).isEqualTo("ok");

        wal.holdForces();
        writer.send(Wire.m("id", k + 1, "op", "put", "key", key(k + 1), "value", k + 1));
        wal.awaitForceHeld();
        assertThat(status(reader.call(Wire.m("id", 101, "op", "ping")))).as("answered while the force is held")
                .isEqualTo("ok");
        Map<String, Value> got = reader.call(Wire.m("id", 102, "op", "get", "key", key(k)));
        assertThat(got.get("values").toString()).isEqualTo("[" + k + "]");
        wal.releaseForces();
        assertThat(status(writer.recv())).isEqualTo("ok");
        assertThat(server.pipelineStats().inlineCommits()).as("the next commit was the journal's").isEqualTo(inline);
    }

    @Test
    void shouldAnswerBusyOverThePerClientBoundAndChangeNothing() throws Exception {
        start(Map.of("max-in-flight-per-client", "4")).recover();
        Wire a = wire();
        Wire b = wire();
        wal.holdForces();
        a.send(Wire.m("id", 0, "op", "put", "key", key(1), "value", 0));
        wal.awaitForceHeld(); // put 0 is in a commit that cannot finish: everything after it waits
        for (int i = 1; i < 10; i++) {
            a.send(Wire.m("id", i, "op", "put", "key", key(1), "value", i));
        }
        // four in flight (0..3), the most one client may have: 4..9 are answered busy at once
        for (int i = 4; i < 10; i++) {
            Map<String, Value> r = a.recv();
            assertThat(status(r)).as("reply %s", r).isEqualTo("busy");
            assertThat(id(r)).isEqualTo(i);
            assertThat(error(r)).contains("this client has 4 requests in flight");
        }
        // another client has its own budget
        assertThat(status(b.call(Wire.m("id", 100, "op", "ping")))).isEqualTo("ok");
        b.send(Wire.m("id", 101, "op", "put", "key", key(2), "value", 1));

        wal.releaseForces();
        List<Long> ok = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Map<String, Value> r = a.recv();
            assertThat(status(r)).as("reply %s", r).isEqualTo("ok");
            ok.add(id(r));
        }
        assertThat(ok).containsExactlyInAnyOrder(0L, 1L, 2L, 3L);
        assertThat(status(b.recv())).isEqualTo("ok");
        assertThat(a.call(Wire.m("id", 20, "op", "get", "key", key(1))).get("values").toString())
                .as("busy requests changed nothing").isEqualTo("[0,1,2,3]");
        assertThat(get("/metrics").body()).contains("hashdir_requests_total{op=\"put\",status=\"busy\"} 6");
        assertThat(server.dataPlane().dropped()).isZero();
    }

    @Test
    void shouldAnswerBusyWhenTheRingIsFullAndLoseNothing() throws Exception {
        int ring = 8;
        int n = 40;
        start(Map.of("ring-size", Integer.toString(ring), "max-in-flight", "64", "max-in-flight-per-client", "64"))
                .recover();
        Wire a = wire();
        wal.holdForces();
        a.send(Wire.m("id", 0, "op", "put", "key", key(1), "value", 0));
        wal.awaitForceHeld();
        for (int i = 1; i < n; i++) {
            a.send(Wire.m("id", i, "op", "put", "key", key(1), "value", i));
        }
        Map<Long, String> replies = new HashMap<>();
        // at most `ring` events fit: at least n - ring requests are refused while the force is held
        for (int i = 0; i < n - ring; i++) {
            Map<String, Value> r = a.recv();
            assertThat(status(r)).as("reply %s while the ring is full", r).isEqualTo("busy");
            assertThat(error(r)).contains("request queue is full");
            assertThat(replies.put(id(r), status(r))).isNull();
        }
        wal.releaseForces();
        for (int i = n - ring; i < n; i++) {
            Map<String, Value> r = a.recv();
            assertThat(status(r)).isIn("ok", "busy");
            assertThat(replies.put(id(r), status(r))).as("one reply per request").isNull();
        }
        assertThat(replies).hasSize(n);
        List<Long> expected = new ArrayList<>();
        replies.forEach((id, s) -> {
            if (s.equals("ok")) {
                expected.add(id);
            }
        });
        assertThat(expected).contains(0L).hasSizeLessThanOrEqualTo(ring);
        expected.sort(null);
        assertThat(a.call(Wire.m("id", 100, "op", "get", "key", key(1))).get("values").toString())
                .as("exactly the acknowledged puts, no busy one").isEqualTo(expected.toString().replace(" ", ""));
        assertThat(server.stats().get("busy").longValue()).as("ring-full refusals counted").isPositive();
    }

    @Test
    void shouldAnswerReadOnlyWhileTheWalCannotBeWrittenAndResume() throws Exception {
        start(Map.of()).recover();
        Wire w = wire();
        assertThat(status(w.call(Wire.m("id", 1, "op", "put", "key", key(1), "value", 1)))).isEqualTo("ok");
        wal.failForces(true);
        Map<String, Value> r = w.call(Wire.m("id", 2, "op", "put", "key", key(2), "value", 2));
        assertThat(status(r)).isEqualTo("read_only");
        assertThat(error(r)).contains("disk full");
        r = w.call(Wire.m("id", 3, "op", "put", "key", key(3), "value", 3));
        assertThat(status(r)).isEqualTo("read_only");
        List<Long> many = new ArrayList<>();
        for (long v = 0; v < 2500; v++) {
            many.add(v);
        }
        r = w.call(Wire.m("id", 7, "op", "put", "key", key(5), "values", many)); // split into 3 events
        assertThat(status(r)).as("a split put while read-only").isEqualTo("read_only");
        assertThat(w.call(Wire.m("id", 4, "op", "get", "key", key(1))).get("values").toString())
                .as("reads of durable state go on").isEqualTo("[1]");
        assertThat(status(w.call(Wire.m("id", 5, "op", "contains", "key", key(2), "value", 2))))
                .as("a read of the write that is not durable").isEqualTo("read_only");
        r = w.call(Wire.m("id", 6, "op", "batch", "ops", List.of(Wire.m("op", "put", "key", key(4), "value", 4),
                Wire.m("op", "count", "key", key(1)))));
        assertThat(status(r)).isEqualTo("ok");
        assertThat(r.get("results").toString()).startsWith("[{\"status\":\"read_only\",\"error\":")
                .endsWith("{\"status\":\"ok\",\"count\":1}]");
        assertThat(get("/stats").body()).contains("\"read_only\": 1", "\"read_only_reason\": \"WAL disk full");
        assertThat(get("/ready").statusCode()).as("still serving reads").isEqualTo(200);

        wal.failForces(false); // space is back: the pipeline's retry tick writes the buffered records
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int id = 10;
        while (!status(r = w.call(Wire.m("id", id++, "op", "put", "key", key(3), "value", 3))).equals("ok")
                && System.nanoTime() < deadline) {
            assertThat(status(r)).isEqualTo("read_only");
            Thread.sleep(20);
        }
        assertThat(status(r)).as("writing resumed").isEqualTo("ok");
        // the put answered read_only was applied in memory and retried from the WAL buffer: it is durable now
        assertThat(w.call(Wire.m("id", id++, "op", "contains", "key", key(2), "value", 2)).get("found").toString())
                .isEqualTo("true");
        assertThat(get("/stats").body()).contains("\"read_only\": 0").doesNotContain("read_only_reason");
        assertThat(post("/checkpoint").statusCode()).as("checkpoints complete again").isEqualTo(200);
        assertThat(w.call(Wire.m("id", id++, "op", "count", "key", key(5))).get("count").toString())
                .as("the split put refused up front changed nothing").isEqualTo("0");
    }

    @Test
    void shouldAnswerReadOnlyWhileTheStoreFileCannotBeWrittenAndResumeWithoutARestart() throws Exception {
        pages = new FaultyPageIo(23, 4096);
        start(Map.of("checkpoint-records", "50")).recover();
        Wire w = wire();
        int id = 1;
        for (int i = 0; i < 100; i++) {
            assertThat(status(w.call(Wire.m("id", id++, "op", "put", "key", key(i), "value", i)))).isEqualTo("ok");
        }
        pages.failWritesAfter(0); // the disk under the HDF5 file is full: the next checkpoint fails
        int i = 100;
        Map<String, Value> r;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (status(r = w.call(Wire.m("id", id++, "op", "put", "key", key(i), "value", i))).equals("ok")) {
            i++;
            assertThat(System.nanoTime()).as("a checkpoint must fail").isLessThan(deadline);
        }
        assertThat(status(r)).isEqualTo("read_only");
        assertThat(error(r)).startsWith("page store write failed: ").contains("No space left on device")
                .endsWith("(read-only until the disk takes writes again: retried every 1000 ms; reads go on)");
        assertThat(get("/stats").body()).contains("\"read_only\": 1", "\"read_only_reason\": \"page store write failed");
        assertThat(get("/ready").statusCode()).as("still serving reads").isEqualTo(200);
        HttpResponse<String> forced = post("/checkpoint");
        assertThat(forced.statusCode()).as("a forced checkpoint is refused at once: " + forced.body()).isEqualTo(503);
        assertThat(forced.body()).contains("\"error\": \"read-only: page store write failed: ")
                .contains("No space left on device");
        Thread.sleep(1500); // resume attempts fail while the disk is full
        assertThat(status(w.call(Wire.m("id", id++, "op", "put", "key", key(i), "value", i)))).isEqualTo("read_only");
        for (int k = 0; k < i; k++) {
            assertThat(w.call(Wire.m("id", id++, "op", "contains", "key", key(k), "value", k)).get("found").toString())
                    .as("key %d", k).isEqualTo("true");
        }

        pages.clearFailures(); // space is back: the engine thread reopens, replays the WAL, checkpoints
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!status(r = w.call(Wire.m("id", id++, "op", "put", "key", key(i), "value", i))).equals("ok")) {
            assertThat(status(r)).isEqualTo("read_only");
            assertThat(System.nanoTime()).as("writing resumed within 60 s: " + error(r)).isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(get("/stats").body()).contains("\"read_only\": 0").doesNotContain("read_only_reason");
        assertThat(post("/checkpoint").statusCode()).as("checkpoints complete again").isEqualTo(200);
        int total = i + 200;
        for (i++; i < total; i++) {
            assertThat(status(w.call(Wire.m("id", id++, "op", "put", "key", key(i), "value", i)))).isEqualTo("ok");
        }
        // a restart has everything acknowledged
        wires.forEach(Wire::close);
        wires.clear();
        server.close();
        pages = null;
        start(Map.of()).recover();
        w = wire();
        for (int k = 0; k < total; k++) {
            assertThat(w.call(Wire.m("id", id++, "op", "contains", "key", key(k), "value", k)).get("found").toString())
                    .as("key %d after the restart", k).isEqualTo("true");
        }
    }

    /**
     * docs/protocol.md §5-6: a split put whose one group commit fails is answered read_only
     * "not durable" (not acknowledged) and, its records kept and retried, persists whole once the
     * WAL can be written again.
     */
    @Test
    void shouldKeepASplitPutWhoseCommitFailedWholeOnceTheRetrySucceeds() throws Exception {
        start(Map.of()).recover();
        Wire w = wire();
        List<Long> many = new ArrayList<>();
        for (long v = 0; v < 2500; v++) {
            many.add(v);
        }
        wal.failForces(true);
        Map<String, Value> r = w.call(Wire.m("id", 1, "op", "put", "key", key(6), "values", many));
        assertThat(status(r)).isEqualTo("read_only");
        assertThat(error(r)).startsWith("not durable:");
        wal.failForces(false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.stats().get("read_only").intValue() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(w.call(Wire.m("id", 2, "op", "count", "key", key(6))).get("count").toString())
                .as("all three parts, written by the one commit that was retried").isEqualTo("2500");
    }

    @Test
    void shouldDrainOnCloseAnsweringWhatIsInFlightAndRefusingNewRequests() throws Exception {
        start(Map.of()).recover();
        Wire w = wire();
        wal.holdForces();
        w.send(Wire.m("id", 1, "op", "put", "key", key(1), "value", 1));
        wal.awaitForceHeld();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
            try {
                server.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.state() != HashdirServer.State.DRAINING && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(server.state()).isEqualTo(HashdirServer.State.DRAINING);
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"state\": \"draining\"");
        Map<String, Value> r = w.call(Wire.m("id", 2, "op", "put", "key", key(2), "value", 2));
        assertThat(status(r)).isEqualTo("not_ready");
        assertThat(error(r)).contains("draining");
        assertThat(closing).isNotDone();

        wal.releaseForces();
        r = w.recv();
        assertThat(id(r)).isEqualTo(1);
        assertThat(status(r)).as("the request in flight at the stop is answered").isEqualTo("ok");
        closing.get(60, TimeUnit.SECONDS);
        assertThat(server.state()).isEqualTo(HashdirServer.State.STOPPED);
        wires.forEach(Wire::close);
        wires.clear();

        start(Map.of()).recover();
        assertThat(server.durable().recordsReplayed())
                .as("the final checkpoint covered everything, the request in flight included").isZero();
        w = wire();
        assertThat(w.call(Wire.m("id", 3, "op", "get", "key", key(1))).get("values").toString()).isEqualTo("[1]");
        assertThat(w.call(Wire.m("id", 4, "op", "count", "key", key(2))).get("count").toString())
                .as("refused while draining").isEqualTo("0");
    }

    /**
     * ASYNC through the whole service: /stats and /config report the mode, writes and reads
     * are answered, and what was acknowledged is there after a stop and a start in SYNC mode. (That
     * ASYNC answers before the force and forces within its interval is PipelineTest's.)
     */
    @Test
    void shouldServeInAsyncModeAndReportIt() throws Exception {
        start(Map.of("durability", "async")).recover();
        assertThat(get("/stats").body()).contains("\"durability\": \"async\"");
        assertThat(get("/config").body()).contains("\"durability\": \"async\"");
        Wire w = wire();
        for (int i = 0; i < 200; i++) {
            w.send(Wire.m("id", i, "op", "put", "key", key(i % 20), "value", i));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(status(w.recv())).isEqualTo("ok");
        }
        assertThat(w.call(Wire.m("id", 300, "op", "count", "key", key(3))).get("count").toString()).isEqualTo("10");
        server.close();
        wires.forEach(Wire::close);
        wires.clear();

        start(Map.of("durability", "sync")).recover();
        assertThat(get("/stats").body()).contains("\"durability\": \"sync\"");
        w = wire();
        for (int k = 0; k < 20; k++) {
            assertThat(w.call(Wire.m("id", k, "op", "count", "key", key(k))).get("count").toString()).isEqualTo("10");
        }
    }

    @Test
    void shouldReleaseRecoveryBuffersOnEveryStartStopCycle() throws Exception {
        for (int cycle = 0; cycle < 3; cycle++) {
            start(Map.of()).recover();
            assertThat(server.durable().recoveryReleased()).as("cycle %d", cycle).isTrue();
            Wire w = wire();
            assertThat(status(w.call(Wire.m("id", cycle, "op", "put", "key", key(cycle), "value", cycle))))
                    .isEqualTo("ok");
            wires.forEach(Wire::close);
            wires.clear();
            server.close();
            server = null;
        }
    }
}
