package dev.hashdir.engine;

import dev.hashdir.engine.check.CheckReport;
import dev.hashdir.engine.check.StoreChecker;
import dev.hashdir.engine.store.ChildProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real process crash: a child JVM ({@link DurableCrashingWriter}) writes with SYNC commits and
 * incremental checkpoints, and is killed (SIGKILL) at a random moment, several times; after each
 * kill the store is recovered here and compared with the acknowledged ops: every acknowledged op
 * is there, and the state is exactly the acknowledged one or that plus the one op in flight; and
 * the store {@code hashdir check} verifies offline after each recovery is clean.
 */
class DurableCrashTest {

    private static final long SEED = Long.getLong("hashdir.crash.seed", 20240611L);
    private static final int CYCLES = Integer.getInteger("hashdir.crash.cycles", 5);

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedOpSurvivesSigkillAndNothingElseAppears() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        Map<Integer, TreeSet<Long>> model = new HashMap<>();
        Path data = dir.resolve("data");
        int checkpoints = 0;
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            List<String> lines;
            try (var child = ChildProcess.java(DurableCrashingWriter.class,
                    data.toString(), Long.toString(random.nextLong()))) {
                child.awaitLine("ready", Duration.ofSeconds(60));
                Thread.sleep(300 + random.nextInt(1500));
                child.kill();
                lines = child.lines();
            }
            String inFlight = null;
            int acked = 0;
            for (String line : lines) {
                if (line.startsWith("I ")) {
                    inFlight = line.substring(2);
                } else if (line.startsWith("A ")) {
                    apply(model, line.substring(2));
                    inFlight = null;
                    acked++;
                } else if (line.startsWith("C ")) {
                    checkpoints++;
                }
            }
            Map<Integer, TreeSet<Long>> recovered = recover(data);
            Map<Integer, TreeSet<Long>> withInFlight = copy(model);
            if (inFlight != null) {
                apply(withInFlight, inFlight);
            }
            assertThat(recovered.equals(model) || recovered.equals(withInFlight))
                    .as("seed %d cycle %d (%d acknowledged, in flight %s): recovered %s, acknowledged %s", SEED,
                            cycle, acked, inFlight, recovered, model)
                    .isTrue();
            model = recovered;
            // recovery closed the store with a checkpoint: the offline check finds nothing to report
            CheckReport report = StoreChecker.check(data);
            assertThat(report.clean()).as("seed %d cycle %d: check after recovery: %s", SEED, cycle,
                    report.findings()).isTrue();
            assertThat(report.keys()).as("keys the check counted").isEqualTo(model.size());
        }
        assertThat(checkpoints).as("checkpoints completed during the load").isPositive();
    }

    private static Map<Integer, TreeSet<Long>> recover(Path data) throws Exception {
        Map<Integer, TreeSet<Long>> state = new HashMap<>();
        try (Arena arena = Arena.ofConfined();
             DurableHashDir d = DurableHashDir.open(data, DurableCrashingWriter.config(),
                     DurableCrashingWriter.walOptions())) {
            MemorySegment key = arena.allocate(DurableCrashingWriter.KEY_BYTES);
            GetResult got = new GetResult(HashDir.MAX_LIMIT);
            for (int k = 0; k < DurableCrashingWriter.KEYS; k++) {
                DurableCrashingWriter.key(key, k);
                d.get(key, false, 0, HashDir.MAX_LIMIT, got);
                TreeSet<Long> values = new TreeSet<>();
                for (int i = 0; i < got.size(); i++) {
                    values.add(got.value(i));
                }
                if (!values.isEmpty()) {
                    state.put(k, values);
                }
            }
        }
        return state;
    }

    private static void apply(Map<Integer, TreeSet<Long>> m, String op) {
        String[] p = op.split(" ");
        int k = Integer.parseInt(p[1]);
        switch (p[0]) {
            case "P" -> m.computeIfAbsent(k, x -> new TreeSet<>()).add(Long.parseLong(p[2]));
            case "R" -> {
                TreeSet<Long> s = m.get(k);
                if (s != null && s.remove(Long.parseLong(p[2])) && s.isEmpty()) {
                    m.remove(k);
                }
            }
            case "D" -> m.remove(k);
            default -> throw new IllegalArgumentException(op);
        }
    }

    private static Map<Integer, TreeSet<Long>> copy(Map<Integer, TreeSet<Long>> m) {
        Map<Integer, TreeSet<Long>> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, new TreeSet<>(v)));
        return c;
    }
}
