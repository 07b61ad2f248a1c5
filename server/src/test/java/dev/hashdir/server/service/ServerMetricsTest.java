package dev.hashdir.server.service;

import dev.hashdir.server.protocol.Op;
import dev.hashdir.server.protocol.Status;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ServerMetricsTest {

    /** The request latency histogram in the text format: cumulative buckets by upper bound, sum, count. */
    @Test
    void latencyHistogramCountsEachRequestInItsBucketCumulatively() throws Exception {
        ServerMetrics m = new ServerMetrics();
        m.answered(Op.PUT, Status.OK, 30_000);          // 30 us: le 0.00005
        m.answered(Op.PUT, Status.OK, 50_000);          // exactly 50 us: le 0.00005 (bounds are inclusive)
        m.answered(Op.GET, Status.OK, 200_000);         // 200 us: le 0.00025
        m.answered(Op.GET, Status.BUSY, 3_000_000_000L);      // 3 s: only +Inf
        m.answered(null, Status.BAD_REQUEST, -5);        // a clock step back: counted as 0
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.write(out);
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).contains(
                "hashdir_request_duration_seconds_bucket{le=\"5.0E-5\"} 3\n",
                "hashdir_request_duration_seconds_bucket{le=\"1.0E-4\"} 3\n",
                "hashdir_request_duration_seconds_bucket{le=\"2.5E-4\"} 4\n",
                "hashdir_request_duration_seconds_bucket{le=\"2.5\"} 4\n",
                "hashdir_request_duration_seconds_bucket{le=\"+Inf\"} 5\n",
                "hashdir_request_duration_seconds_count 5\n",
                "hashdir_requests_total{op=\"put\",status=\"ok\"} 2.0\n",
                "hashdir_requests_total{op=\"unknown\",status=\"bad_request\"} 1.0\n");
        String sum = text.lines().filter(l -> l.startsWith("hashdir_request_duration_seconds_sum ")).findFirst()
                .orElseThrow();
        assertThat(Double.parseDouble(sum.substring(sum.indexOf(' ') + 1))).isCloseTo(3.00028, within());
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-9);
    }
}
