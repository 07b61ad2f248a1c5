package dev.hashdir.bench.load;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * CPU time of a process's threads from {@code /proc/PID/task/TID/stat}, grouped by thread name
 * with a trailing number dropped ({@code loadgen-3} and {@code loadgen-0} count as
 * {@code loadgen-}), to see where a server's CPU per request goes. Clock ticks of 10 ms: over a
 * window of seconds the figures are good to a few percent of a core.
 */
final class ThreadCpu {

    /** tid -> (group, ticks) at one moment. */
    private final Map<String, Sample> byTid;

    record Sample(String group, long ticks) {
    }

    private ThreadCpu(Map<String, Sample> byTid) {
        this.byTid = byTid;
    }

    /** The threads of {@code pid} now; empty when /proc cannot tell (no such process, not Linux). */
    static ThreadCpu read(String pid) {
        Map<String, Sample> m = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", pid, "task"))) {
            for (Path t : tasks) {
                Sample s = parse(t.resolve("stat"));
                if (s != null) {
                    m.put(t.getFileName().toString(), s);
                }
            }
        } catch (IOException | RuntimeException e) {
            return new ThreadCpu(Map.of());
        }
        return new ThreadCpu(m);
    }

    private static Sample parse(Path stat) {
        try {
            return parseLine(Files.readString(stat));
        } catch (IOException | RuntimeException e) {
            return null; // the thread ended meanwhile
        }
    }

    /** One {@code stat} line: {@code tid (comm) state ...}, utime and stime are fields 14 and 15. */
    static Sample parseLine(String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        String comm = line.substring(open + 1, close);
        String[] f = line.substring(close + 2).split(" ");
        return new Sample(group(comm), Long.parseLong(f[11]) + Long.parseLong(f[12]));
    }

    /** A thread name without its trailing digits. */
    static String group(String comm) {
        int end = comm.length();
        while (end > 0 && Character.isDigit(comm.charAt(end - 1))) {
            end--;
        }
        return end == 0 ? comm : comm.substring(0, end);
    }

    /**
     * Ticks per group between {@code before} and this sample (threads that started meanwhile count
     * from zero; those that ended are lost), largest first; groups under one tick are left out.
     */
    Map<String, Long> since(ThreadCpu before) {
        Map<String, Long> d = new TreeMap<>();
        byTid.forEach((tid, s) -> {
            Sample b = before.byTid.get(tid);
            long ticks = s.ticks - (b != null && b.group.equals(s.group) ? b.ticks : 0);
            if (ticks > 0) {
                d.merge(s.group, ticks, Long::sum);
            }
        });
        return d;
    }

    /**
     * {@code name:percent,...} of one core over {@code seconds}, busiest first, for a RESULT line
     * (no spaces: names' spaces become underscores).
     */
    static String format(Map<String, Long> ticks, double seconds) {
        return ticks.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> e.getKey().replace(' ', '_').replace(',', '_') + ":"
                        + String.format(Locale.ROOT, "%.0f", e.getValue() / seconds))
                .collect(Collectors.joining(","));
    }
}
