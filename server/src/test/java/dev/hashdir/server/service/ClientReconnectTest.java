package dev.hashdir.server.service;

import dev.hashdir.client.HashdirClient;
import dev.hashdir.client.HashdirException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java client across a server crash: {@code serve} in a child JVM, killed with SIGKILL under
 * pipelined puts and restarted on the same endpoint. Every request completes (ok, busy, or failed with
 * {@code disconnected} or {@code timeout}, never left hanging), the same client works again once
 * the server is back, and every put it saw acknowledged is there.
 */
class ClientReconnectTest {

    @TempDir
    Path dir;

    @Test
    void shouldFailWhatWasInFlightAtTheCrashAndWorkAgainAfterTheRestart() throws Exception {
        Path data = dir.resolve("data");
        String endpoint = "tcp://127.0.0.1:" + ServeChild.freePort();
        ServeChild first = ServeChild.start(dir, data, "first", endpoint);
        ServeChild second = null;
        try (HashdirClient client = new HashdirClient(endpoint, Duration.ofSeconds(10))) {
            assertThat(client.sync().put(ServiceSocketTest.key(0), 0)).isEqualTo(1);
            int n = 50_000;
            List<CompletableFuture<Long>> puts = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) {
                puts.add(client.put(ServiceSocketTest.key(i % 100), i));
            }
            puts.get(200).get(30, TimeUnit.SECONDS); // under way: kill it now, with puts in flight
            first.kill();

            List<Integer> acked = new ArrayList<>();
            List<Integer> refused = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                try {
                    puts.get(i).get(60, TimeUnit.SECONDS);
                    acked.add(i + 1);
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(HashdirException.class);
                    HashdirException h = (HashdirException) e.getCause();
                    if (h.status().equals("busy")) { // over the per-client bound (1,024 in flight): not done
                        refused.add(i + 1);
                        continue;
                    }
                    assertThat(h.status()).as(h.getMessage()).isIn("disconnected", "timeout");
                    failures.add(h.status());
                }
            }
            long disconnected = failures.stream().filter("disconnected"::equals).count();
            System.out.printf("at the kill: %d acknowledged, %d busy, %d disconnected, %d timed out%n", acked.size(),
                    refused.size(), disconnected, failures.size() - disconnected);
            assertThat(failures).as("puts in flight at the kill").isNotEmpty();
            assertThat(disconnected).as("the dropped connection fails what was sent on it").isPositive();

            second = ServeChild.start(dir, data, "second", endpoint);
            client.sync().ping(); // the same client, reconnected by ZeroMQ
            assertThat(client.sync().put(ServiceSocketTest.key(1), -5L)).isEqualTo(1);
            assertThat(client.sync().contains(ServiceSocketTest.key(0), 0)).isTrue();
            List<Integer> missing = new ArrayList<>();
            for (int from = 0; from < acked.size(); from += 500) { // 500 in flight, under the per-client bound
                List<CompletableFuture<Boolean>> checks = new ArrayList<>();
                for (int v : acked.subList(from, Math.min(acked.size(), from + 500))) {
                    checks.add(client.contains(ServiceSocketTest.key(v % 100), v));
                }
                for (int i = 0; i < checks.size(); i++) {
                    if (!checks.get(i).get(60, TimeUnit.SECONDS)) {
                        missing.add(acked.get(from + i));
                    }
                }
            }
            assertThat(missing).as("acknowledged puts missing after the restart; first run:%n%s", first.log())
                    .isEmpty();
            List<Integer> present = new ArrayList<>();
            for (int v : refused.subList(0, Math.min(refused.size(), 2000))) {
                if (client.sync().contains(ServiceSocketTest.key(v % 100), v)) {
                    present.add(v);
                }
            }
            assertThat(present).as("puts refused busy changed nothing").isEmpty();
        } finally {
            if (second != null) {
                assertThat(second.stop()).as(second.log()).isZero();
            }
        }
    }
}
