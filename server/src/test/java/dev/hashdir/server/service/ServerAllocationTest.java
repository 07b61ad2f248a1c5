package dev.hashdir.server.service;

import dev.hashdir.client.zmtp.ZmtpDealer;
import dev.hashdir.server.config.ServerConfig;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole server, once warm, allocates nothing per durable put on the threads a put crosses: the
 * engine thread (which also reads the sockets), the journal (group commit: WAL write and
 * {@code fdatasync} into a real segment file) and the reply thread (answer, request counters and
 * the latency histogram). Garbage made there per request or per commit is what young collections
 * then stop the server for. Allocation is measured per thread
 * ({@code ThreadMXBean.getThreadAllocatedBytes}), so this asserts bytes, not timings.
 */
class ServerAllocationTest {

    private static final int WINDOW = 100;

    @TempDir
    Path dir;

    @Test
    void durablePutsAllocateNothingPerRequestOnTheEngineJournalAndReplyThreads() throws Exception {
        Map<String, String> flags = new HashMap<>();
        flags.put("data", dir.resolve("data").toString());
        flags.put("bind", "tcp://127.0.0.1:*");
        flags.put("http", "127.0.0.1:0");
        flags.put("durability", "sync");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (HashdirServer server = HashdirServer.start(ServerConfig.resolve(null, Map.of(), flags))) {
            server.recover();
            try (ZmtpDealer d = ZmtpDealer.connect(server.dataPlane().endpoint(), 10_000)) {
                int n = 20_000;
                long value = 0;
                for (int round = 0; round < 4; round++) { // warm: compiled, buffers and rings grown
                    value = puts(d, n, value);
                }
                long[] ids = {thread("hashdir-engine"), thread("hashdir-journal"), thread("hashdir-reply")};
                // per thread, the least of three rounds: garbage made per request or per commit shows in
                // every round, a one-off in one at most
                long[] least = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
                long commits = Long.MAX_VALUE;
                for (int round = 0; round < 3; round++) {
                    long[] before = new long[ids.length];
                    for (int t = 0; t < ids.length; t++) {
                        before[t] = mx.getThreadAllocatedBytes(ids[t]);
                    }
                    long commitsBefore = server.pipelineStats().commits();
                    value = puts(d, n, value);
                    commits = Math.min(commits, server.pipelineStats().commits() - commitsBefore);
                    for (int t = 0; t < ids.length; t++) {
                        least[t] = Math.min(least[t], mx.getThreadAllocatedBytes(ids[t]) - before[t]);
                    }
                }
                assertThat(commits).as("group commits in a measured round").isPositive();
                String[] names = {"engine", "journal", "reply"};
                SoftAssertions soft = new SoftAssertions();
                for (int t = 0; t < ids.length; t++) {
                    long bytes = least[t];
                    System.err.printf("%s thread: %d bytes for %d durable puts in at least %d commits%n", names[t],
                            bytes, n, commits);
                    // a quarter of a byte a request: nothing per request, nor per commit or engine batch
                    // (a commit covers at most WINDOW requests: 25 bytes a commit would fail), with some
                    // slack for once-only work such as a timer's tick
                    soft.assertThat(bytes).as("bytes the %s thread allocated for %d durable puts (least of 3 rounds)",
                            names[t], n).isLessThan(n / 4);
                }
                soft.assertAll();
            }
        }
    }

    /**
     * Puts {@code n} new (key, value) pairs, {@value #WINDOW} in flight at a time, each answered ok;
     * returns the next value to use.
     */
    private static long puts(ZmtpDealer d, int n, long value) throws Exception {
        for (int i = 0; i < n; i += WINDOW) {
            for (int k = 0; k < WINDOW; k++) {
                byte[] frame = Wire.pack(Wire.m("id", k, "op", "put", "key", ServiceSocketTest.key(k & 255),
                        "value", value++));
                d.send(frame, 0, frame.length);
            }
            d.flush();
            for (int k = 0; k < WINDOW; k++) {
                assertThat(d.receive(true)).as("a reply").isTrue();
                byte[] reply = java.util.Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length());
                assertThat(Wire.unpack(reply).get("status").asStringValue().asString()).isEqualTo("ok");
            }
        }
        return value;
    }

    private static long thread(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive())
                .findFirst().orElseThrow(() -> new AssertionError("no thread " + name)).threadId();
    }
}
