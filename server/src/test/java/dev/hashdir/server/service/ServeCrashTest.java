package dev.hashdir.server.service;

import dev.hashdir.server.cli.HashdirCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.value.Value;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} in a child JVM under pipelined puts, killed with SIGKILL mid-load, restarted on the
 * same directory: every acknowledged put is there. Also: SIGTERM drains and exits 0.
 * Child output goes to a file (not the pipe, see the engine's ChildProcess).
 */
class ServeCrashTest {

    private static final Pattern SERVING = Pattern.compile("hashdir serving .* on (tcp://\\S+), control plane");

    @TempDir
    Path dir;

    record Child(Process process, Path output, String endpoint) {
    }

    Child serve(Path data, String name) throws Exception {
        Path out = dir.resolve(name + ".out");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-Dmsgpack.universal-buffer=true", "-cp",
                System.getProperty("java.class.path"), HashdirCli.class.getName(), "serve", "--data", data.toString(),
                "--bind", "tcp://127.0.0.1:*", "--http", "127.0.0.1:0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            Matcher m = SERVING.matcher(Files.readString(out));
            if (m.find()) {
                return new Child(p, out, m.group(1));
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("serve did not start:\n" + Files.readString(out));
    }

    @Test
    void shouldKeepEveryAcknowledgedPutAfterKill9() throws Exception {
        Path data = dir.resolve("data");
        Child c = serve(data, "first");
        List<Long> acked = new ArrayList<>();
        try (Wire w = new Wire(c.endpoint(), SocketType.DEALER)) {
            w.socket.setReceiveTimeOut(2000);
            long next = 0;
            int inFlight = 0;
            long killAt = System.nanoTime() + 1_500_000_000L;
            while (true) {
                while (inFlight < 32 && System.nanoTime() < killAt) {
                    w.send(Wire.m("id", next, "op", "put", "key", ServiceSocketTest.key((int) (next % 5000)),
                            "value", next));
                    next++;
                    inFlight++;
                }
                if (System.nanoTime() >= killAt) {
                    c.process().destroyForcibly().waitFor();
                    // replies already in our socket were acknowledged before the kill
                    byte[] f;
                    while ((f = w.socket.recv(ZMQ.DONTWAIT)) != null) {
                        record(Wire.unpack(f), acked);
                    }
                    break;
                }
                record(w.recv(), acked);
                inFlight--;
            }
        }
        assertThat(acked).hasSizeGreaterThan(10);
        Child again = serve(data, "second");
        List<Long> missing = new ArrayList<>();
        try (Wire w = new Wire(again.endpoint(), SocketType.DEALER)) {
            for (long v : acked) {
                Map<String, Value> r = w.call(Wire.m("id", v, "op", "contains", "key",
                        ServiceSocketTest.key((int) (v % 5000)), "value", v));
                if (!r.get("found").asBooleanValue().getBoolean()) {
                    missing.add(v);
                }
            }
        }
        assertThat(missing).as("acknowledged puts missing of %d; first run:%n%s%nsecond run:%n%s", acked.size(),
                Files.readString(c.output()), Files.readString(again.output())).isEmpty();
        again.process().destroy(); // SIGTERM: drain, final checkpoint, exit 0
        assertThat(again.process().waitFor()).as(Files.readString(again.output())).isZero();
        assertThat(Files.readString(again.output())).contains("stopped");
    }

    private static void record(Map<String, Value> r, List<Long> acked) throws IOException {
        if (r.get("status").asStringValue().asString().equals("ok")) {
            acked.add(r.get("id").asIntegerValue().toLong());
        }
    }
}
