package dev.hashdir.server.service;

import dev.hashdir.client.HashdirClient;
import dev.hashdir.client.HashdirException;
import dev.hashdir.client.HashdirTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Java client (client module) against a real server on loopback: every call, scan, batch, errors, pipelining, timeout. */
class JavaClientTest {

    @TempDir
    Path dir;
    HashdirServer server;
    HashdirClient client;

    @BeforeEach
    void start() throws IOException {
        server = HashdirServer.start(ServiceSocketTest.config(dir.resolve("data"), null));
        server.recover();
        client = new HashdirClient(server.dataPlane().endpoint(), Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        server.close();
    }

    @Test
    void shouldRunEveryCall() throws Exception {
        HashdirClient.Sync c = client.sync();
        byte[] k = ServiceSocketTest.key(1);
        c.ping();
        assertThat(client.ping().get(10, TimeUnit.SECONDS)).isNull();
        assertThat(c.put(k, 7, 0, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 7)).isEqualTo(5);
        assertThat(client.put(k, 8).get(10, TimeUnit.SECONDS)).isEqualTo(1);
        HashdirClient.GetResult r = c.get(k);
        // ascending unsigned: 0, 7, 8, 2^63-1, 2^63, 2^64-1
        assertThat(r.values()).containsExactly(0, 7, 8, Long.MAX_VALUE, Long.MIN_VALUE, -1L);
        assertThat(r.count()).isEqualTo(6);
        assertThat(r.more()).isFalse();
        r = c.get(k, 8L, 2);
        assertThat(r.values()).containsExactly(Long.MAX_VALUE, Long.MIN_VALUE);
        assertThat(r.more()).isTrue();
        r = c.get(k, Long.MIN_VALUE, null);
        assertThat(r.values()).containsExactly(-1L);
        assertThat(r.more()).isFalse();
        assertThat(c.values(k)).containsExactly(0, 7, 8, Long.MAX_VALUE, Long.MIN_VALUE, -1L);
        assertThat(c.contains(k, 0)).isTrue();
        assertThat(c.contains(k, -1L)).isTrue();
        assertThat(c.contains(k, 9)).isFalse();
        assertThat(c.count(k)).isEqualTo(6);
        assertThat(c.remove(k, -1L)).isTrue();
        assertThat(c.remove(k, -1L)).isFalse();
        assertThat(c.count(k)).isEqualTo(5);
        assertThat(client.count(ServiceSocketTest.key(2)).get()).isZero();
        assertThat(c.stats()).containsKey("keys");
        assertThat(c.delete(k)).isEqualTo(5);
        assertThat(c.delete(k)).isZero();
        assertThat(c.get(k).values()).isEmpty();
    }

    @Test
    void shouldScanEveryKeyByPages() throws Exception {
        HashdirClient.Sync c = client.sync();
        java.util.TreeSet<String> expected = new java.util.TreeSet<>();
        for (int i = 0; i < 25; i++) {
            c.put(ServiceSocketTest.key(i), i);
            expected.add(java.util.HexFormat.of().formatHex(ServiceSocketTest.key(i)));
        }
        List<String> paged = new ArrayList<>();
        byte[] cursor = null;
        int pages = 0;
        do {
            HashdirClient.ScanResult r = client.scan(cursor, 10).get(10, TimeUnit.SECONDS);
            assertThat(r.keys()).hasSizeLessThanOrEqualTo(10);
            r.keys().forEach(k -> paged.add(java.util.HexFormat.of().formatHex(k)));
            cursor = r.cursor();
            pages++;
        } while (cursor != null);
        assertThat(pages).isGreaterThanOrEqualTo(3);
        assertThat(paged).as("every key once, ascending").containsExactlyElementsOf(expected);
        assertThat(c.keys()).hasSize(25);
        assertThat(c.scan(null, 0).keys()).isEmpty();
    }

    @Test
    void shouldRunABatchAndReportEachOp() throws Exception {
        byte[] k = ServiceSocketTest.key(1);
        byte[] other = ServiceSocketTest.key(2);
        client.sync().put(other, 5, 6);
        List<HashdirClient.OpResult> r = client.batch().put(k, 1, 2, -1L).get(k).contains(k, -1L).count(other)
                .remove(other, 5).delete(other).scan(null, 10).ping().stats().send().get(10, TimeUnit.SECONDS);
        assertThat(r).extracting(HashdirClient.OpResult::op).containsExactly("put", "get", "contains", "count",
                "remove", "delete", "scan", "ping", "stats");
        assertThat(r).allMatch(HashdirClient.OpResult::ok);
        assertThat(r.get(0).result()).isEqualTo(3L);
        HashdirClient.GetResult g = (HashdirClient.GetResult) r.get(1).result();
        assertThat(g.values()).containsExactly(1, 2, -1L);
        assertThat(r.get(2).result()).isEqualTo(true);
        assertThat(r.get(3).result()).isEqualTo(2L);
        assertThat(r.get(4).result()).isEqualTo(true);
        assertThat(r.get(5).result()).as("delete removed the one value left").isEqualTo(1L);
        assertThat(((HashdirClient.ScanResult) r.get(6).result()).keys()).hasSize(1);
        assertThat(r.get(7).result()).isNull();
        assertThat(((Map<?, ?>) r.get(8).orThrow()).containsKey("keys")).isTrue();
        assertThat(client.sync().batch(client.batch())).as("an empty batch").isEmpty();
        // one invalid op refuses the whole batch, naming it, and changes nothing
        HashdirClient.Batch bad = client.batch().put(ServiceSocketTest.key(3), 1).count(new byte[3]);
        assertThatThrownBy(() -> client.sync().batch(bad)).isInstanceOfSatisfying(HashdirException.class, e -> {
            assertThat(e.status()).isEqualTo("bad_request");
            assertThat(e.error()).startsWith("ops[1].key: expected bin of 32 bytes");
        });
        assertThat(client.sync().count(ServiceSocketTest.key(3))).isZero();
    }

    @Test
    void shouldPipelineAThousandRequests() throws Exception {
        List<CompletableFuture<Long>> puts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            puts.add(client.put(ServiceSocketTest.key(i % 10), i, -1L - i));
        }
        long added = 0;
        for (CompletableFuture<Long> f : puts) {
            added += f.get(30, TimeUnit.SECONDS);
        }
        assertThat(added).isEqualTo(2000);
        List<CompletableFuture<Long>> counts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            counts.add(client.count(ServiceSocketTest.key(i % 10)));
        }
        for (CompletableFuture<Long> f : counts) {
            assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        }
    }

    @Test
    void shouldFailWithTheServersStatusAndMessage() {
        CompletableFuture<Long> f = client.count(new byte[3]);
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(HashdirException.class, e -> {
                    assertThat(e.status()).isEqualTo("bad_request");
                    assertThat(e.error()).isEqualTo("key: expected bin of 32 bytes, got bin of 3 bytes");
                });
        assertThatThrownBy(() -> client.sync().put(new byte[3], 1)).isInstanceOfSatisfying(HashdirException.class,
                e -> assertThat(e.getMessage()).startsWith("bad_request: key: expected bin of 32 bytes"));
        client.sync().ping(); // the connection keeps working
    }

    @Test
    void shouldTimeOutWhenNobodyServes() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (HashdirClient lonely = new HashdirClient("tcp://127.0.0.1:" + port, Duration.ofMillis(300))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> lonely.sync().ping()).isInstanceOfSatisfying(HashdirTimeoutException.class, e -> {
                assertThat(e.status()).isEqualTo("timeout");
                assertThat(e.getMessage()).contains("no reply to ping", "within 300 ms");
            });
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
        }
    }

    @Test
    void shouldFailPendingAndLaterCallsOnClose() {
        client.close();
        assertThatThrownBy(() -> client.sync().ping()).isInstanceOfSatisfying(HashdirException.class,
                e -> assertThat(e.status()).isEqualTo("closed"));
    }
}
