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
 * {@link ThreadCpu}). Without a pid, or where /proc cannot tell, it reports nothing.
 */
final class ServerProbe {

    private static final double TICK_US = 10_000; // USER_HZ 100

    private final String pid;
    private long ticks0 = -1;
    private long ticks1 = -1;
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
        threads0 = pid == null ? null : ThreadCpu.read(pid);
    }

    void end() {
        ended = true;
        ticks1 = ticks();
        threads1 = pid == null ? null : ThreadCpu.read(pid);
    }

    boolean begun() {
        return begun;
    }

    boolean ended() {
        return ended;
    }

    void report(Map<String, Object> r, double seconds, long requests) {
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
