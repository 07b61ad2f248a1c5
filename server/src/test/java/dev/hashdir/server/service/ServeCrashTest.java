package dev.hashdir.server.service;

import dev.hashdir.engine.check.CheckReport;
import dev.hashdir.engine.check.StoreChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.value.Value;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} in a child JVM under pipelined puts and reads, killed with SIGKILL mid-load and
 * restarted on the same directory, several times: after each restart every acknowledged put, and
 * every value a read returned (no dirty reads: a read never returns what a crash can take away),
 * from every run so far, is there. Finally SIGTERM drains and exits 0, and the offline check of
 * the store is clean.
 */
class ServeCrashTest {

    private static final int KEYS = 5000;
    private static final int CYCLES = 3;
    private static final long SEED = 20261121L;

    @TempDir
    Path dir;

    /** What must survive: key index to values. */
    private final Map<Integer, TreeSet<Long>> expected = new TreeMap<>();
    /** Values returned by reads (each checked after every later restart). */
    private long readValues;

    @Test
    void shouldKeepEveryAcknowledgedPutAndEveryValueReadAfterKill9() throws Exception {
        Path data = dir.resolve("data");
        Random rnd = new Random(SEED);
        System.out.println("ServeCrashTest seed " + SEED);
        long next = 0;
        StringBuilder logs = new StringBuilder();
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            ServeChild c = ServeChild.start(dir, data, "run" + cycle, "tcp://127.0.0.1:*");
            if (cycle > 0) {
                verify(c, logs, cycle);
            }
            int before = count();
            next = load(c, rnd, next);
            logs.append("run ").append(cycle).append(":\n").append(c.log());
            assertThat(count() - before).as("cycle %d acknowledged something before the kill", cycle)
                    .isGreaterThan(10);
        }
        ServeChild last = ServeChild.start(dir, data, "last", "tcp://127.0.0.1:*");
        verify(last, logs, CYCLES);
        assertThat(readValues).as("reads returned values to check").isPositive();
        assertThat(last.stop()).as(last.log()).isZero(); // SIGTERM: drain, final checkpoint, exit 0
        assertThat(last.log()).contains("stopped");
        // what the kills and restarts left is a store `hashdir check` finds clean
        CheckReport report = StoreChecker.check(data);
        assertThat(report.clean()).as("check after the kills: %s", report.findings()).isTrue();
        // at least the keys acknowledged; puts in flight at a kill may have landed too
        assertThat(report.keys()).as("keys the check counted").isBetween((long) expected.size(), (long) KEYS);
    }

    /** Pipelined puts (new values) and gets (of keys written lately) for about 1.5 s, then SIGKILL. */
    private long load(ServeChild c, Random rnd, long next) throws Exception {
        Map<Long, Integer> reads = new HashMap<>(); // request id of a get -> key index
        try (Wire w = new Wire(c.endpoint(), SocketType.DEALER)) {
            w.socket.setReceiveTimeOut(2000);
            long id = 1L << 40;
            int inFlight = 0;
            long killAt = System.nanoTime() + 1_500_000_000L;
            while (true) {
                while (inFlight < 32 && System.nanoTime() < killAt) {
                    if (rnd.nextInt(4) == 0 && next > 0) {
                        int k = (int) (Math.max(0, next - 1 - rnd.nextInt(64)) % KEYS);
                        reads.put(id, k);
                        w.send(Wire.m("id", id++, "op", "get", "key", ServiceSocketTest.key(k), "limit", 10_000));
                    } else {
                        w.send(Wire.m("id", next, "op", "put", "key", ServiceSocketTest.key((int) (next % KEYS)),
                                "value", next));
                        next++;
                    }
                    inFlight++;
                }
                if (System.nanoTime() >= killAt) {
                    c.kill();
                    // replies already in our socket were sent before the kill
                    byte[] f;
                    while ((f = w.socket.recv(ZMQ.DONTWAIT)) != null) {
                        record(Wire.unpack(f), reads);
                    }
                    break;
                }
                record(w.recv(), reads);
                inFlight--;
            }
        }
        return next;
    }

    private void record(Map<String, Value> r, Map<Long, Integer> reads) {
        if (!r.get("status").asStringValue().asString().equals("ok")) {
            return;
        }
        long id = r.get("id").asIntegerValue().toLong();
        Integer k = reads.remove(id);
        if (k == null) { // a put: its value is its id
            expected.computeIfAbsent((int) (id % KEYS), x -> new TreeSet<>()).add(id);
        } else {
            for (Value v : r.get("values").asArrayValue()) {
                expected.computeIfAbsent(k, x -> new TreeSet<>()).add(v.asIntegerValue().toLong());
                readValues++;
            }
        }
    }

    private int count() {
        return expected.values().stream().mapToInt(Set::size).sum();
    }

    private void verify(ServeChild c, StringBuilder logs, int cycle) throws Exception {
        List<String> missing = new ArrayList<>();
        try (Wire w = new Wire(c.endpoint(), SocketType.DEALER)) {
            for (Map.Entry<Integer, TreeSet<Long>> e : expected.entrySet()) {
                Map<String, Value> r = w.call(Wire.m("id", e.getKey(), "op", "get", "key",
                        ServiceSocketTest.key(e.getKey()), "limit", 10_000));
                assertThat(r.get("status").asStringValue().asString()).isEqualTo("ok");
                assertThat(r.get("more").asBooleanValue().getBoolean()).isFalse();
                Set<Long> there = new TreeSet<>();
                for (Value v : r.get("values").asArrayValue()) {
                    there.add(v.asIntegerValue().toLong());
                }
                for (long v : e.getValue()) {
                    if (!there.contains(v)) {
                        missing.add(e.getKey() + ":" + v);
                    }
                }
            }
        }
        assertThat(missing).as("after kill %d: acknowledged or read values missing of %d (seed %d); logs:%n%s%n"
                + "this run:%n%s", cycle, count(), SEED, logs, c.log()).isEmpty();
        System.out.printf("after kill %d: all %d acknowledged or read values there (reads returned %d values)%n",
                cycle, count(), readValues);
    }
}
