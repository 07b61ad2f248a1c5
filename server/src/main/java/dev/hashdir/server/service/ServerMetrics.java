package dev.hashdir.server.service;

import dev.hashdir.engine.Stats;
import dev.hashdir.engine.pipeline.PipelineStats;
import dev.hashdir.server.protocol.Op;
import dev.hashdir.server.protocol.Status;
import dev.hashdir.server.zmq.RequestMetrics;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The server's Prometheus metrics (names in docs/operations.md). Request counters are looked up
 * once per (op, status), and the latency histogram is our own fixed buckets ({@link Latency}), so
 * counting a request allocates nothing.
 *
 * <p>Threading: {@link #answered} from the socket thread; scrapes from the HTTP threads.
 */
public final class ServerMetrics implements RequestMetrics {

    /** Upper bounds of the latency buckets in seconds (+Inf is added). */
    private static final double[] LATENCY_BOUNDS = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final CounterDataPoint[][] requests;
    private final Latency latency = new Latency("hashdir_request_duration_seconds",
            "Time from receiving a request to sending its reply", LATENCY_BOUNDS);
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public ServerMetrics() {
        // no exemplars (there is no trace to point to): their sampler makes a lambda whenever it takes one
        Counter c = Counter.builder().name("hashdir_requests_total").help("Requests answered, by op and status")
                .labelNames("op", "status").withoutExemplars().register(registry);
        Op[] ops = Op.values();
        Status[] statuses = Status.values();
        requests = new CounterDataPoint[ops.length + 1][statuses.length];
        for (int o = 0; o <= ops.length; o++) {
            for (Status s : statuses) {
                requests[o][s.ordinal()] = c.labelValues(o == ops.length ? "unknown" : ops[o].wireName(), s.wireName());
            }
        }
        registry.register(latency);
    }

    @Override
    public void answered(Op op, Status status, long nanos) {
        requests[op == null ? requests.length - 1 : op.ordinal()][status.ordinal()].inc();
        latency.observe(nanos);
    }

    /** Registers the gauges read from the engine and pipeline (absent values read as 0). */
    public void engine(Supplier<Stats> stats, Supplier<PipelineStats> pipeline, Supplier<Long> checkpointLsn) {
        gauge("hashdir_keys", "Keys present", read(stats, Stats::keys));
        gauge("hashdir_values", "(key, value) pairs present", read(stats, Stats::values));
        gauge("hashdir_global_depth", "Directory global depth", read(stats, Stats::globalDepth));
        gauge("hashdir_load_factor", "Used slots / slots", read(stats, Stats::loadFactor));
        gauge("hashdir_checkpoint_shadows", "Frozen page images a running checkpoint holds in memory",
                read(stats, Stats::checkpointShadows));
        Supplier<Number> ecc = read(stats, Stats::eccCorrected);
        CounterWithCallback.builder().name("hashdir_ecc_corrected_total")
                .help("Single-bit errors of bucket state masks corrected since start")
                .callback(cb -> cb.call(ecc.get().doubleValue())).register(registry);
        gauge("hashdir_batch_size", "Events in the last group commit", read(pipeline, PipelineStats::lastBatch));
        gauge("hashdir_batch_size_mean", "Mean events per group commit", read(pipeline, PipelineStats::meanBatch));
        gauge("hashdir_wal_fsync_seconds", "Group commit (WAL write + fdatasync) latency, smoothed",
                read(pipeline, p -> p.controller().commitNanos() / 1e9));
        gauge("hashdir_batch_controller_max_batch", "Batch controller: most events per group commit",
                read(pipeline, p -> p.controller().maxBatch()));
        gauge("hashdir_batch_controller_wait_seconds", "Batch controller: longest wait before a commit",
                read(pipeline, p -> p.controller().waitNanos() / 1e9));
        gauge("hashdir_batch_controller_arrivals_per_second", "Batch controller: measured arrival rate",
                read(pipeline, p -> p.controller().arrivalsPerSec()));
        gauge("hashdir_ring_free", "Free pipeline ring slots", read(pipeline, PipelineStats::ringFree));
        gauge("hashdir_read_only", "1 while the store refuses writes",
                read(pipeline, p -> p.readOnlyReason() == null ? 0 : 1));
        gauge("hashdir_acked_lsn", "Newest acknowledged WAL LSN", read(pipeline, PipelineStats::ackedLsn));
        gauge("hashdir_checkpoint_lsn", "WAL LSN the last checkpoint covers", checkpointLsn::get);
    }

    /** {@code field} of what {@code source} gives now, read once, or 0 while it gives null. */
    private static <T> Supplier<Number> read(Supplier<T> source, ToDoubleFunction<T> field) {
        return () -> {
            T t = source.get();
            return t == null ? 0 : field.applyAsDouble(t);
        };
    }

    private void gauge(String name, String help, Supplier<Number> value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.get().doubleValue()))
                .register(registry);
    }

    public String contentType() {
        return writer.getContentType();
    }

    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    /**
     * A classic Prometheus histogram of durations whose {@link #observe} allocates nothing: a
     * {@link LongAdder} a bucket and for the sum (in nanoseconds), read into a snapshot at scrape.
     * (prometheus-metrics-core 1.4.3's {@code Histogram.observe} allocates an {@code AtomicBoolean}
     * per observation, also for a classic-only histogram: 16 bytes a request on the reply thread.)
     * A scrape while observations go on may count one in a bucket and not yet in the sum, as the
     * library's own histogram may.
     */
    static final class Latency implements Collector {

        private final MetricMetadata metadata;
        /** Upper bounds in nanoseconds, ascending; the last bucket (+Inf) has none. */
        private final long[] boundsNanos;
        private final double[] upperBounds;
        private final LongAdder[] buckets;
        private final LongAdder sumNanos = new LongAdder();

        Latency(String name, String help, double[] boundsSeconds) {
            this.metadata = new MetricMetadata(name, help);
            this.boundsNanos = new long[boundsSeconds.length];
            this.upperBounds = Arrays.copyOf(boundsSeconds, boundsSeconds.length + 1);
            upperBounds[boundsSeconds.length] = Double.POSITIVE_INFINITY;
            for (int i = 0; i < boundsSeconds.length; i++) {
                boundsNanos[i] = Math.round(boundsSeconds[i] * 1e9);
                if (i > 0 && boundsNanos[i] <= boundsNanos[i - 1]) {
                    throw new IllegalArgumentException("bucket bounds must ascend: " + Arrays.toString(boundsSeconds));
                }
            }
            this.buckets = new LongAdder[boundsSeconds.length + 1];
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        /** Counts one duration of {@code nanos} (negative counts as 0). */
        void observe(long nanos) {
            long n = Math.max(0, nanos);
            int b = 0;
            while (b < boundsNanos.length && n > boundsNanos[b]) {
                b++;
            }
            buckets[b].increment();
            sumNanos.add(n);
        }

        @Override
        public MetricSnapshot collect() {
            long[] counts = new long[buckets.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = buckets[i].sum();
            }
            HistogramSnapshot.HistogramDataPointSnapshot point = new HistogramSnapshot.HistogramDataPointSnapshot(
                    ClassicHistogramBuckets.of(upperBounds, counts), sumNanos.sum() / 1e9, Labels.EMPTY,
                    Exemplars.EMPTY, 0);
            return new HistogramSnapshot(metadata, List.of(point));
        }

        @Override
        public String getPrometheusName() {
            return metadata.getPrometheusName();
        }
    }
}
