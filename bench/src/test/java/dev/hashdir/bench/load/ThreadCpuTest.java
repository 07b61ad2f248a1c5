package dev.hashdir.bench.load;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ThreadCpuTest {

    @Test
    void parsesTicksAndNameWithSpacesAndParentheses() {
        // utime 700, stime 45 (fields 14, 15); the name holds a space and a ')'
        String line = "4242 (hashdir (x) 12) S 1 4242 4242 0 -1 4194624 100 0 0 0 700 45 0 0 20 0 30 0 1 2 3";
        assertThat(ThreadCpu.parseLine(line)).isEqualTo(new ThreadCpu.Sample("hashdir (x) ", 745));
    }

    @Test
    void groupsDropTrailingDigitsOnly() {
        assertThat(ThreadCpu.group("loadgen-3")).isEqualTo("loadgen-");
        assertThat(ThreadCpu.group("C2 CompilerThread0")).isEqualTo("C2 CompilerThread");
        assertThat(ThreadCpu.group("hashdir-engine")).isEqualTo("hashdir-engine");
        assertThat(ThreadCpu.group("42")).isEqualTo("42");
    }

    @Test
    void formatsBusiestFirstWithoutSpaces() {
        Map<String, Long> ticks = new LinkedHashMap<>();
        ticks.put("a b", 50L);
        ticks.put("engine", 400L);
        ticks.put("c", 100L);
        assertThat(ThreadCpu.format(ticks, 5.0)).isEqualTo("engine:80,c:20,a_b:10");
    }

    @Test
    void readsThisProcessThreads() throws InterruptedException {
        String pid = Long.toString(ProcessHandle.current().pid());
        ThreadCpu before = ThreadCpu.read(pid);
        long[] sink = new long[1];
        Thread t = Thread.ofPlatform().name("cpuprobe-7").start(() -> {
            long end = System.nanoTime() + 300_000_000L;
            long x = 0;
            while (System.nanoTime() < end) {
                x += Long.numberOfTrailingZeros(x + System.nanoTime());
            }
            sink[0] = x;
        });
        Thread.sleep(250); // still running: read it while it exists
        Map<String, Long> d = ThreadCpu.read(pid).since(before);
        t.join();
        assertThat(sink[0]).isNotNegative();
        assertThat(d).containsKey("cpuprobe-");
        assertThat(d.get("cpuprobe-")).isPositive();
    }

    @Test
    void unknownProcessReadsEmpty() {
        assertThat(ThreadCpu.read("999999999").since(ThreadCpu.read("999999999"))).isEmpty();
    }
}
