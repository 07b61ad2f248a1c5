package dev.hashdir.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The server's CPU use over a measuring window, from {@code /proc} of {@code --server-pid}: the
 * whole process ({@code server_cpu_pct}, percent of one core), per request
 * ({@code server_cpu_us_per_op}) and per thread group ({@code server_threads}, see
 * {@link ThreadCpu}). Without a pid, or where /proc cannot tell, it reports nothing of the server.
 *
 * <p>Whatever the pid, it reports the machine's steal time over the window ({@code steal_pct}: the
 * share of all CPU time, in percent, that the hypervisor gave to other guests, from the {@code cpu}
 * line of {@code /proc/stat}). On this project's shared VM that share moved between 0 and 47%
 * within an hour, and with it every figure; the RESULT line says which runs ran in such a block.
 */
final class ServerProbe {

    private static final double TICK_US = 10_000; // USER_HZ 100

    private final String pid;
    private long ticks0 = -1;
    private long ticks1 = -1;
    private long[] machine0;
    private long[] machine1;
    private ThreadCpu threads0;
    private ThreadCpu threads1;
    private boolean begun;
    private boolean ended;

    ServerProbe(String pid) {
        this.pid = pid;
    }

    void begin() {
        begun = true;
        ticks0 = ticks();
        machine0 = machineTicks();
        threads0 = pid == null ? null : ThreadCpu.read(pid);
    }

    void end() {
        ended = true;
        ticks1 = ticks();
        machine1 = machineTicks();
        threads1 = pid == null ? null : ThreadCpu.read(pid);
    }

    boolean begun() {
        return begun;
    }

    boolean ended() {
        return ended;
    }

    void report(Map<String, Object> r, double seconds, long requests) {
        if (machine0 != null && machine1 != null && machine1[1] > machine0[1]) {
            r.put("steal_pct", String.format(Locale.ROOT, "%.1f",
                    100.0 * (machine1[0] - machine0[0]) / (machine1[1] - machine0[1])));
        }
        if (ticks0 < 0 || ticks1 < 0) {
            return;
        }
        long ticks = ticks1 - ticks0;
        r.put("server_cpu_pct", String.format(Locale.ROOT, "%.0f", ticks / seconds));
        if (requests > 0) {
            r.put("server_cpu_us_per_op", String.format(Locale.ROOT, "%.2f", ticks * TICK_US / requests));
        }
        if (threads0 != null && threads1 != null) {
            String t = ThreadCpu.format(threads1.since(threads0), seconds);
            if (!t.isEmpty()) {
                r.put("server_threads", t);
            }
        }
    }

    /** The machine's steal ticks and all its CPU ticks so far, null when unknown. */
    private static long[] machineTicks() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    return parseCpuLine(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not readable
        }
        return null;
    }

    /**
     * {steal, total} of a {@code /proc/stat} "cpu" line: user nice system idle iowait irq softirq
     * steal [guest guest_nice]; guest time is already in user and nice, so the total is the first
     * eight fields.
     */
    static long[] parseCpuLine(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 9) {
            throw new IllegalArgumentException("a cpu line of /proc/stat has 8 counters or more: " + line);
        }
        long total = 0;
        for (int i = 1; i <= 8; i++) {
            total += Long.parseLong(f[i]);
        }
        return new long[] {Long.parseLong(f[8]), total};
    }

    /** User + system CPU ticks of the process so far, -1 when unknown. */
    private long ticks() {
        if (pid == null) {
            return -1;
        }
        try {
            return ThreadCpu.parseLine(Files.readString(Path.of("/proc", pid, "stat"))).ticks();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
