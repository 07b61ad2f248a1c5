package dev.hashdir.bench.load;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerProbeTest {

    @Test
    void stealAndTotalOfACpuLineLeaveGuestTimeOut() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        long[] t = ServerProbe.parseCpuLine("cpu  100 5 40 800 10 1 4 40 30 2");
        assertThat(t).containsExactly(40, 1000);
    }

    @Test
    void aCpuLineWithoutStealIsRefused() {
        assertThatThrownBy(() -> ServerProbe.parseCpuLine("cpu  100 5 40 800 10 1 4"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8 counters");
    }

    @Test
    void reportsTheMachineStealOfAWindowEvenWithoutAServer() throws InterruptedException {
        ServerProbe probe = new ServerProbe(null);
        probe.begin();
        Thread.sleep(200);
        probe.end();
        Map<String, Object> r = new HashMap<>();
        probe.report(r, 0.2, 0);
        assertThat(r).doesNotContainKey("server_cpu_pct");
        if (System.getProperty("os.name", "").startsWith("Linux")) {
            // the machine's clock advanced by 200 ms (20 ticks) on every core: a share, 0 to 100
            assertThat(Double.parseDouble((String) r.get("steal_pct"))).isBetween(0.0, 100.0);
        }
    }
}
