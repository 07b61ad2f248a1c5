package dev.hashdir.server.service;

import dev.hashdir.client.HashdirClient;
import dev.hashdir.client.HashdirException;
import dev.hashdir.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection that never completes its ZMTP handshake carried nothing, so the Java client must not
 * fail the requests it queued on it: it reconnects (after its short handshake interval) and sends
 * them on the next connection. This is what the JeroMQ first-connection stall looks like from the
 * client (README, "Known issues"); here a plain TCP listener that accepts and never answers plays
 * the stalled peer, several handshake intervals long, then the real server takes the port over.
 */
class ClientHandshakeStallTest {

    @TempDir
    Path dir;

    @Test
    void shouldKeepRequestsQueuedOnAConnectionWhoseHandshakeNeverCompleted() throws Exception {
        List<Socket> accepted = new ArrayList<>();
        int port;
        HashdirServer server = null;
        ServerSocket silent = new ServerSocket();
        try {
            silent.setReuseAddress(true);
            silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = silent.getLocalPort();
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        Socket s = silent.accept(); // held open, never written: no ZMTP greeting
                        synchronized (accepted) {
                            accepted.add(s);
                        }
                    }
                } catch (IOException closed) {
                    // the listener was closed: the real server takes the port
                }
            });
            try (HashdirClient client = new HashdirClient("tcp://127.0.0.1:" + port, Duration.ofSeconds(30))) {
                CompletableFuture<Long> put = client.put(ServiceSocketTest.key(1), 42);
                // wait until the client connected and gave up on at least two silent handshakes
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (acceptedCount(accepted) < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(acceptedCount(accepted)).as("connections the client made to the silent listener")
                        .isGreaterThanOrEqualTo(3);
                assertThat(put).as("a request queued on connections that never completed a handshake").isNotDone();

                silent.close();
                acceptor.join();
                synchronized (accepted) {
                    for (Socket s : accepted) {
                        s.close();
                    }
                }
                server = HashdirServer.start(ServerConfig.resolve(null, Map.of(), Map.of(
                        "data", dir.resolve("data").toString(), "bind", "tcp://127.0.0.1:" + port,
                        "http", "127.0.0.1:0")));
                server.recover();

                // the queued put reaches the server: answered (ok, or not_ready when it got there before
                // recovery finished), never failed by the client as lost
                try {
                    assertThat(put.get(30, TimeUnit.SECONDS)).isEqualTo(1);
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(HashdirException.class);
                    assertThat(((HashdirException) e.getCause()).status()).as(e.getCause().getMessage())
                            .isEqualTo("not_ready");
                    assertThat(client.sync().put(ServiceSocketTest.key(1), 42)).isEqualTo(1);
                }
                assertThat(client.sync().get(ServiceSocketTest.key(1)).values()).containsExactly(42L);
            }
        } finally {
            silent.close();
            if (server != null) {
                server.close();
            }
        }
    }

    private static int acceptedCount(List<Socket> accepted) {
        synchronized (accepted) {
            return accepted.size();
        }
    }
}
