package dev.hashdir.server.service;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.ReadOnlyException;
import dev.hashdir.engine.Stats;
import dev.hashdir.engine.pipeline.Pipeline;
import dev.hashdir.engine.pipeline.PipelineConfig;
import dev.hashdir.engine.pipeline.PipelineStats;
import dev.hashdir.engine.recovery.RecoveryListener;
import dev.hashdir.engine.recovery.RecoveryProgress;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreFormat;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.server.config.ServerConfig;
import dev.hashdir.server.http.ControlPlane;
import dev.hashdir.server.zmq.Attached;
import dev.hashdir.server.zmq.DataPlane;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The running service: both planes come up first (so /health answers and data ops get
 * {@code not_ready} during recovery), then the store is opened (recovery: WAL replay from the
 * checkpoint), then the pipeline starts and the data plane attaches to it. {@link #close} drains:
 * /ready turns 503, data ops get {@code not_ready}, the requests in flight are answered, a final
 * checkpoint is written, then everything closes.
 *
 * <p>Threading: {@link #start}, {@link #recover} and {@link #close} from one thread; the
 * accessors from any.
 */
public final class HashdirServer implements AutoCloseable {

    /** Where the server is in its life. */
    public enum State { STARTING, RECOVERING, SERVING, DRAINING, STOPPED, FAILED }

    private static final Logger LOG = LoggerFactory.getLogger(HashdirServer.class);
    private static final int STEP_PAGES = 64;

    /** Opens a store's WAL directory: its files in production; tests hold or fail its I/O. */
    @FunctionalInterface
    interface WalDirectories {
        WalDirectory open(Path walDir) throws IOException;
    }

    /** Opens (recovers) the store: {@link DurableHashDir#open} in production; tests fail its page I/O. */
    @FunctionalInterface
    interface StoreOpener {
        DurableHashDir open(Path data, HashDirConfig config, IntFunction<WalOptions> walOptions, WalDirectory walDir,
                            RecoveryListener listener) throws IOException;
    }

    private final ServerConfig config;
    private final WalDirectories walDirectories;
    private final StoreOpener opener;
    private final ServerMetrics metrics = new ServerMetrics();
    private final DataPlane data;
    private final ControlPlane http;
    private volatile State state = State.STARTING;
    private volatile String failure;
    private volatile Pipeline pipeline;
    private volatile EngineMaintenance maintenance;
    private volatile DurableHashDir durable;
    private final RecoveryProgress recovery = new RecoveryProgress();
    private Thread ticker;

    private HashdirServer(ServerConfig config, WalDirectories walDirectories, StoreOpener opener) throws IOException {
        NativeStart.begin(); // while both planes start; recovery waits for it
        this.config = config;
        this.walDirectories = walDirectories;
        this.opener = opener;
        this.data = DataPlane.start(config.transport(), config.bind(), config.maxInFlight(), config.maxPerClient(), metrics);
        try {
            this.http = ControlPlane.start(config.httpHost(), config.httpPort(), this);
        } catch (IOException | RuntimeException e) {
            data.close();
            throw e;
        }
    }

    /** Binds both planes and returns; call {@link #recover} next. */
    public static HashdirServer start(ServerConfig config) throws IOException {
        return new HashdirServer(config, FileWalDirectory::open, DurableHashDir::open);
    }

    /** {@link #start(ServerConfig)} with the WAL directory opened by {@code walDirectories} (tests inject faults). */
    static HashdirServer start(ServerConfig config, WalDirectories walDirectories) throws IOException {
        return new HashdirServer(config, walDirectories, DurableHashDir::open);
    }

    /** {@link #start(ServerConfig, WalDirectories)} with the store opened by {@code opener} (tests fail page writes). */
    static HashdirServer start(ServerConfig config, WalDirectories walDirectories, StoreOpener opener)
            throws IOException {
        return new HashdirServer(config, walDirectories, opener);
    }

    /**
     * Creates the store with defaults when there is none, opens it (recovery) and starts serving.
     * Meanwhile {@code /ready} reports the recovery's phase and progress ({@link #recoveryProgress()}).
     */
    public void recover() throws IOException {
        recover(RecoveryListener.NONE);
    }

    /** {@link #recover()}, also telling {@code also} the progress (tests hold recovery there). */
    void recover(RecoveryListener also) throws IOException {
        state = State.RECOVERING;
        try {
            NativeStart.await();
            if (!Files.exists(config.data().resolve(StoreFormat.FILE_NAME))) {
                PageStore.init(config.data(), StoreOptions.defaults());
                LOG.info("created a new store in {} with defaults", config.data());
            }
            long t0 = System.nanoTime();
            // the WAL's key length is the store's: read as the store opens (a separate open of the store
            // just to read it cost 15 to 45 ms of a fresh JVM's start)
            DurableHashDir d = opener.open(config.data(), HashDirConfig.defaults().withCacheBytes(config.cacheBytes()),
                    keyBytes -> WalOptions.of(keyBytes, config.durability())
                            .withAttestInterval(Duration.ofMillis(config.attestMillis())),
                    walDirectories.open(config.data().resolve("wal")),
                    (phase, records, bytes, walBytes) -> {
                        recovery.onProgress(phase, records, bytes, walBytes);
                        also.onProgress(phase, records, bytes, walBytes);
                    });
            durable = d;
            int keyBytes = d.hashDir().keyBytes();
            long checkpointLsn = d.hashDir().durableMeta().checkpointLsn();
            LOG.info("recovered {} in {} ms: {} WAL records replayed from LSN {}", config.data(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), d.recordsReplayed(), checkpointLsn + 1);
            EngineMaintenance m = new EngineMaintenance(config.checkpointRecords(), config.checkpointMillis(),
                    STEP_PAGES, checkpointLsn);
            Pipeline p = Pipeline.start(d.hashDir(), d.wal(), PipelineConfig.defaults().withRingSize(config.ringSize())
                    .withBatch(config.batch()).withWaitStrategy(config.pipelineWait())
                    .withEarlyReads(config.earlyReads()).withSpinNanos(config.spinNanos())
                    .withInlineCommitEvents(config.inlineCommitEvents()), m);
            m.pipeline(p);
            maintenance = m;
            pipeline = p;
            metrics.engine(m::stats, this::pipelineStats, m::checkpointLsn);
            data.attach(new Attached(p, keyBytes, this::stats), config.engineLoop());
            ticker = Thread.ofPlatform().daemon().name("hashdir-maintenance").start(this::tick);
            state = State.SERVING;
            LOG.info("ready: data plane {}, control plane http://{}", data.endpoint(), http.address());
        } catch (IOException | RuntimeException e) {
            state = State.FAILED;
            failure = e.toString();
            throw e;
        }
    }

    /** Keeps checkpoints and counters moving while no request comes: a SYNC through the ring. */
    private void tick() {
        while (state == State.SERVING) {
            try {
                Thread.sleep(maintenance.checkpointRunning() ? 10 : 200);
            } catch (InterruptedException e) {
                return;
            }
            if (state == State.SERVING && maintenance.needsTick()) {
                pipeline.sync();
            }
        }
    }

    /**
     * Forces a checkpoint of everything acknowledged now and waits for it to be durable.
     *
     * @return the LSN it covers
     * @throws ReadOnlyException    when the store is read-only (at once, or as soon as it turns so)
     * @throws IllegalStateException when not serving, or no checkpoint completed within {@code timeout}
     */
    public long checkpoint(Duration timeout) {
        Pipeline p = pipeline;
        EngineMaintenance m = maintenance;
        if (p == null || state != State.SERVING && state != State.DRAINING) {
            throw new IllegalStateException("not serving: state=" + state);
        }
        long target = p.ackedLsn();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (m.checkpointLsn() < target || m.checkpointRunning()) {
            String readOnly = p.readOnlyReason();
            if (readOnly != null) {
                throw new ReadOnlyException(readOnly); // no checkpoint can complete until it resumes
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("checkpoint not done within " + timeout + ": checkpoint LSN "
                        + m.checkpointLsn() + ", wanted " + target);
            }
            if (!m.checkpointRunning()) {
                m.force();
            }
            p.sync().join();
        }
        return m.checkpointLsn();
    }

    @Override
    public void close() throws IOException {
        if (state == State.STOPPED) {
            return;
        }
        boolean serving = state == State.SERVING;
        data.drain(); // first refuse new requests, then tell /ready: whoever sees draining is refused
        state = State.DRAINING;
        LOG.info("draining: no new requests, answering {} in flight", data.inFlight());
        try {
            if (ticker != null) {
                ticker.interrupt();
            }
            Pipeline p = pipeline;
            if (p != null) {
                if (serving && p.readOnlyReason() == null) {
                    try {
                        // what was in flight when draining began is acknowledged first, so that the
                        // final checkpoint covers it too and the next start replays nothing
                        p.sync().get(30, TimeUnit.SECONDS);
                        checkpoint(Duration.ofSeconds(30));
                    } catch (RuntimeException | java.util.concurrent.ExecutionException
                             | java.util.concurrent.TimeoutException e) {
                        LOG.warn("final checkpoint failed; recovery replays the WAL instead: {}", e.toString());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        LOG.warn("final checkpoint interrupted; recovery replays the WAL instead");
                    }
                }
                p.close(); // answers what is in flight, syncs and closes the WAL and the store
            }
        } finally {
            data.close();
            http.close();
            state = State.STOPPED;
            LOG.info("stopped");
        }
    }

    // ---- for the control plane ------------------------------------------------------------------

    public State state() {
        return state;
    }

    public String failure() {
        return failure;
    }

    public ServerConfig config() {
        return config;
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public EngineMaintenance maintenance() {
        return maintenance;
    }

    public DataPlane dataPlane() {
        return data;
    }

    public ControlPlane controlPlane() {
        return http;
    }

    /** Recovery's progress 0..1: WAL bytes replayed of those found at open, while recovering. */
    public double progress() {
        return switch (state) {
            case STARTING -> 0;
            case RECOVERING -> recovery.fraction();
            default -> 1;
        };
    }

    /** The opened store (its parts run in the pipeline), or null before recovery; tests. */
    DurableHashDir durable() {
        return durable;
    }

    /** Where the store's open is (loading, replaying, ready) and how many WAL records it replayed. */
    public RecoveryProgress recoveryProgress() {
        return recovery;
    }

    PipelineStats pipelineStats() {
        Pipeline p = pipeline;
        return p == null ? null : p.stats();
    }

    /** Engine, durability and controller counters: the stats op and GET /stats. */
    public Map<String, Number> stats() {
        Map<String, Number> m = new LinkedHashMap<>();
        EngineMaintenance mt = maintenance;
        Stats s = mt == null ? null : mt.stats();
        if (s != null) {
            m.putAll(s.asMap());
        }
        PipelineStats ps = pipelineStats();
        if (ps != null) {
            m.put("checkpoint_lsn", mt.checkpointLsn());
            m.put("checkpoints", mt.checkpoints());
            m.put("durable_lsn", ps.ackedLsn());
            m.put("applied_lsn", ps.lastAppliedLsn());
            m.put("requests_published", ps.published());
            m.put("busy", ps.busy());
            m.put("commits", ps.commits());
            m.put("failed_commits", ps.failedCommits());
            m.put("batch_last", ps.lastBatch());
            m.put("batch_mean", ps.meanBatch());
            m.put("controller_max_batch", ps.controller().maxBatch());
            m.put("controller_wait_ns", ps.controller().waitNanos());
            m.put("controller_arrivals_per_sec", ps.controller().arrivalsPerSec());
            m.put("controller_commit_ns", ps.controller().commitNanos());
            m.put("controller_commit_cpu_ns", ps.controller().commitCpuNanos());
            m.put("controller_queue_depth", ps.controller().queueDepth());
            m.put("ring_free", ps.ringFree());
            m.put("early_replies", ps.earlyReplies());
            m.put("inline_commits", ps.inlineCommits());
            m.put("read_only", ps.readOnlyReason() == null ? 0 : 1);
        }
        m.put("in_flight", data.inFlight());
        m.put("replies_dropped", data.dropped());
        return m;
    }

    /** Durability mode and read-only reason, the /stats strings. */
    public Map<String, String> statusStrings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("state", state.name().toLowerCase(Locale.ROOT));
        m.put("durability", config.durability().name().toLowerCase(Locale.ROOT));
        Pipeline p = pipeline;
        if (p != null && p.readOnlyReason() != null) {
            m.put("read_only_reason", p.readOnlyReason());
        }
        return m;
    }
}
