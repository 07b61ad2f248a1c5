package dev.hashdir.server.config;

import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.pipeline.BatchController;
import dev.hashdir.engine.pipeline.CheckpointHook;
import dev.hashdir.engine.pipeline.PipelineConfig;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.server.zmq.DataPlane;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The server's configuration, validated once here, naming the bad value and where it came from.
 * Sources, later ones winning: built-in defaults, a properties file ({@code --config}), the
 * environment ({@code HASHDIR_} + the name upper-cased with {@code -} as {@code _}, e.g.
 * {@code HASHDIR_RING_SIZE}), command-line flags.
 *
 * @param data               data directory
 * @param bind               ZeroMQ ROUTER endpoint
 * @param http               control plane {@code host:port}
 * @param durability         sync, async or none
 * @param ringSize           pipeline ring events (power of two)
 * @param maxInFlight        requests in the pipeline at once, all clients
 * @param maxPerClient       requests in the pipeline at once, one client
 * @param checkpointRecords  WAL records between checkpoints
 * @param checkpointMillis   longest time between checkpoints while there are changes
 * @param adminToken         bearer token for PUT /config and POST /checkpoint (null: none needed)
 * @param batch              group commit: the adaptive controller's bounds ({@code batch-mode=adaptive},
 *                           {@code batch-min}, {@code batch-max}, {@code batch-max-wait-us}) or a fixed
 *                           setting ({@code batch-mode=fixed}: every commit may take {@code batch-max}
 *                           events and waits up to {@code batch-max-wait-us})
 * @param pipelineWait       how idle pipeline threads wait ({@code pipeline-wait}: parking, sleeping,
 *                           blocking, yielding; see {@link PipelineConfig.Wait})
 * @param earlyReads         answer reads that saw nothing unacknowledged on the engine thread at once
 *                           ({@code pipeline-early-reads}: true, false; {@link PipelineConfig#earlyReads()})
 * @param spinNanos          parking: how long a waiting pipeline thread spins before it parks
 *                           ({@code pipeline-spin-us}, 0 = park at once; {@link PipelineConfig#spinNanos()})
 * @param transport          the data plane's transport ({@code transport}: zmtp, our own ZMTP 3.1 over
 *                           NIO, tcp:// only; jeromq, a JeroMQ ROUTER socket; see {@link DataPlane.Kind};
 *                           auto, the default: zmtp for a tcp:// bind, else jeromq)
 * @param cacheBytes         the engine's page cache ({@code cache-mb}, MiB; {@link HashDirConfig#cacheBytes()});
 *                           {@code auto}, the default: an eighth of the memory the JVM sees (the
 *                           container's limit in a container), at least 64 MiB and at most 1 GiB
 *                           ({@link #autoCacheBytes}); memory is committed as pages are cached
 * @param engineLoop         zmtp transport: who runs the network event loop once the store is open
 *                           ({@code network-loop}): {@code engine}, the default, the engine thread
 *                           while it has no event (a request reaches the engine with no hand-off
 *                           between threads; see {@link dev.hashdir.engine.pipeline.IdleLoop}), or
 *                           {@code thread}, a selector thread of its own
 * @param attestMillis       how often a commit rewrites the WAL segment header's sync slot, which
 *                           attests what earlier fdatasyncs made durable ({@code wal-attest-ms}, 0 to
 *                           60000; 0: every commit after one; {@link WalOptions#attestInterval()})
 * @param inlineCommitEvents most writes of an engine batch that the engine thread commits and answers
 *                           itself while the journal thread is idle ({@code pipeline-inline-commit},
 *                           0 to {@link PipelineConfig#MAX_INLINE_COMMIT_EVENTS}; 0: every commit on
 *                           the journal thread; {@link PipelineConfig#inlineCommitEvents()})
 */
public record ServerConfig(Path data, String bind, String http, Durability durability, int ringSize, int maxInFlight,
                           int maxPerClient, long checkpointRecords, long checkpointMillis, String adminToken,
                           BatchController.Bounds batch, PipelineConfig.Wait pipelineWait, boolean earlyReads,
                           long spinNanos, DataPlane.Kind transport, long cacheBytes,
                           boolean engineLoop, long attestMillis, int inlineCommitEvents) {

    /** Names of the settings, as in the config file. */
    public static final String[] NAMES = {"data", "bind", "http", "durability", "ring-size", "max-in-flight",
            "max-in-flight-per-client", "checkpoint-records", "checkpoint-interval-ms", "admin-token", "batch-mode",
            "batch-min", "batch-max", "batch-max-wait-us", "pipeline-wait", "pipeline-early-reads", "pipeline-spin-us",
            "transport", "cache-mb", "network-loop", "wal-attest-ms",
            "pipeline-inline-commit"};

    public static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data", "./data");
        m.put("bind", "tcp://127.0.0.1:5555");
        m.put("http", "127.0.0.1:8080");
        m.put("durability", "sync");
        m.put("ring-size", "4096");
        m.put("max-in-flight", "4096");
        m.put("max-in-flight-per-client", "1024");
        m.put("checkpoint-records", Long.toString(CheckpointHook.DEFAULT_RECORDS));
        m.put("checkpoint-interval-ms", "60000");
        m.put("admin-token", "");
        m.put("batch-mode", "adaptive");
        m.put("batch-min", "1");
        m.put("batch-max", "4096");
        m.put("batch-max-wait-us", "2000");
        m.put("pipeline-wait", "parking");
        m.put("pipeline-early-reads", "true");
        m.put("pipeline-spin-us", Long.toString(PipelineConfig.DEFAULT_SPIN_NANOS / 1000));
        m.put("transport", "auto");
        m.put("cache-mb", "auto");
        m.put("network-loop", "engine");
        m.put("wal-attest-ms", Long.toString(WalOptions.DEFAULT_ATTEST_INTERVAL.toMillis()));
        m.put("pipeline-inline-commit", Integer.toString(PipelineConfig.DEFAULT_INLINE_COMMIT_EVENTS));
        return m;
    }

    /**
     * Resolves defaults &lt; file &lt; environment &lt; flags ({@code flags} holds only the flags given).
     *
     * @throws IllegalArgumentException naming the setting, the bad value and its source
     */
    public static ServerConfig resolve(Path file, Map<String, String> env, Map<String, String> flags) throws IOException {
        Map<String, String> values = defaults();
        Map<String, String> source = new LinkedHashMap<>();
        values.keySet().forEach(k -> source.put(k, "default"));
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            for (String k : p.stringPropertyNames()) {
                if (!values.containsKey(k)) {
                    throw new IllegalArgumentException("config file " + file + ": unknown setting '" + k
                            + "', expected one of " + String.join(", ", NAMES));
                }
                values.put(k, p.getProperty(k).trim());
                source.put(k, "config file " + file);
            }
        }
        for (String k : NAMES) {
            String e = envName(k);
            if (env.containsKey(e)) {
                values.put(k, env.get(e).trim());
                source.put(k, "environment " + e);
            }
        }
        for (Map.Entry<String, String> f : flags.entrySet()) {
            values.put(f.getKey(), f.getValue());
            source.put(f.getKey(), "flag --" + f.getKey());
        }
        return parse(values, source);
    }

    public static String envName(String name) {
        return "HASHDIR_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static ServerConfig parse(Map<String, String> v, Map<String, String> src) {
        String bind = v.get("bind");
        if (!bind.matches("(tcp|ipc|inproc)://.+")) {
            throw bad("bind", v, src, "a ZeroMQ endpoint such as tcp://127.0.0.1:5555");
        }
        String http = v.get("http");
        if (!http.matches(".+:\\d{1,5}") || Integer.parseInt(http.substring(http.lastIndexOf(':') + 1)) > 65535) {
            throw bad("http", v, src, "host:port such as 127.0.0.1:8080");
        }
        Durability d;
        try {
            d = Durability.valueOf(v.get("durability").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad("durability", v, src, "sync, async or none");
        }
        int ring = (int) positive("ring-size", v, src, Integer.MAX_VALUE);
        if (Integer.bitCount(ring) != 1 || ring < 2) {
            throw bad("ring-size", v, src, "a power of two, at least 2");
        }
        String token = v.get("admin-token");
        return new ServerConfig(Path.of(v.get("data")), bind, http, d, ring,
                (int) positive("max-in-flight", v, src, 1 << 20), (int) positive("max-in-flight-per-client", v, src, 1 << 20),
                positive("checkpoint-records", v, src, Long.MAX_VALUE),
                positive("checkpoint-interval-ms", v, src, Long.MAX_VALUE), token.isEmpty() ? null : token,
                batch(v, src), pipelineWait(v, src), bool("pipeline-early-reads", v, src),
                integer("pipeline-spin-us", v, src, 0, PipelineConfig.MAX_SPIN_NANOS / 1000) * 1000,
                transport(bind, v, src),
                cacheBytes(v, src), engineLoop(v, src), integer("wal-attest-ms", v, src, 0, MAX_ATTEST_MILLIS),
                (int) integer("pipeline-inline-commit", v, src, 0, PipelineConfig.MAX_INLINE_COMMIT_EVENTS));
    }

    private static boolean engineLoop(Map<String, String> v, Map<String, String> src) {
        return switch (v.get("network-loop").trim().toLowerCase(Locale.ROOT)) {
            case "engine" -> true;
            case "thread" -> false;
            default -> throw bad("network-loop", v, src, "engine or thread");
        };
    }

    private static boolean bool(String k, Map<String, String> v, Map<String, String> src) {
        return switch (v.get(k).toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad(k, v, src, "true or false");
        };
    }

    private static long cacheBytes(Map<String, String> v, Map<String, String> src) {
        if (v.get("cache-mb").trim().equalsIgnoreCase("auto")) {
            long total = ((com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
            return autoCacheBytes(total);
        }
        return integer("cache-mb", v, src, HashDirConfig.MIN_CACHE_BYTES >> 20, 1L << 20) << 20;
    }

    /**
     * The page cache {@code cache-mb=auto} takes with {@code totalMemory} bytes of memory (0 when
     * unknown): an eighth of it in whole MiB, at least {@value #AUTO_CACHE_MIN_MB} MiB (also when
     * unknown), at most {@value #AUTO_CACHE_MAX_MB} MiB. Measured (docs/benchmarks.md, "Service vs
     * Redis"): with a store larger than a 64 MiB cache every put of a fresh key reads and writes
     * back a page on the engine thread.
     */
    public static long autoCacheBytes(long totalMemory) {
        long mb = Math.max(0, totalMemory) / 8 >> 20;
        return Math.clamp(mb, AUTO_CACHE_MIN_MB, AUTO_CACHE_MAX_MB) << 20;
    }

    /** Largest {@code wal-attest-ms}: a minute. */
    public static final long MAX_ATTEST_MILLIS = 60_000;

    /** Least page cache of {@code cache-mb=auto}, MiB. */
    public static final long AUTO_CACHE_MIN_MB = 64;
    /** Largest page cache of {@code cache-mb=auto}, MiB. */
    public static final long AUTO_CACHE_MAX_MB = 1024;

    private static DataPlane.Kind transport(String bind, Map<String, String> v, Map<String, String> src) {
        String name = v.get("transport");
        if (name.trim().equalsIgnoreCase("auto")) { // the default: ZMTP where it can serve the endpoint
            return bind.startsWith("tcp://") ? DataPlane.DEFAULT_KIND : DataPlane.Kind.JEROMQ;
        }
        DataPlane.Kind k;
        try {
            k = DataPlane.Kind.parse(name);
        } catch (IllegalArgumentException e) {
            throw bad("transport", v, src, "auto, zmtp or jeromq");
        }
        if (k == DataPlane.Kind.ZMTP && !bind.startsWith("tcp://")) {
            throw bad("bind", v, src, "a tcp:// endpoint: the zmtp transport serves TCP only (ipc:// and inproc:// "
                    + "need transport=jeromq)");
        }
        return k;
    }

    private static PipelineConfig.Wait pipelineWait(Map<String, String> v, Map<String, String> src) {
        try {
            return PipelineConfig.Wait.valueOf(v.get("pipeline-wait").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad("pipeline-wait", v, src, "parking, sleeping, blocking or yielding");
        }
    }

    private static BatchController.Bounds batch(Map<String, String> v, Map<String, String> src) {
        String mode = v.get("batch-mode");
        int max = (int) positive("batch-max", v, src, 1 << 20);
        long waitUs = nonNegative("batch-max-wait-us", v, src, 10_000_000);
        if (mode.equals("fixed")) {
            return BatchController.Bounds.fixed(max, waitUs * 1000);
        }
        if (!mode.equals("adaptive")) {
            throw bad("batch-mode", v, src, "adaptive or fixed");
        }
        int min = (int) positive("batch-min", v, src, 1 << 20);
        if (min > max) {
            throw bad("batch-min", v, src, "at most batch-max (" + max + ")");
        }
        return new BatchController.Bounds(min, max, waitUs * 1000);
    }

    private static long nonNegative(String k, Map<String, String> v, Map<String, String> src, long max) {
        return integer(k, v, src, 0, max);
    }

    private static long positive(String k, Map<String, String> v, Map<String, String> src, long max) {
        return integer(k, v, src, 1, max);
    }

    /** Setting {@code k} as an integer in [min, max], or a message naming it, its value and its source. */
    private static long integer(String k, Map<String, String> v, Map<String, String> src, long min, long max) {
        try {
            long n = Long.parseLong(v.get(k));
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(k, v, src, "an integer from " + min + " to " + max);
    }

    private static IllegalArgumentException bad(String k, Map<String, String> v, Map<String, String> src, String expected) {
        return new IllegalArgumentException("setting " + k + ": expected " + expected + ", got '" + v.get(k) + "' (from "
                + src.get(k) + ")");
    }

    /** Host of {@link #http}. */
    public String httpHost() {
        return http.substring(0, http.lastIndexOf(':'));
    }

    /** Port of {@link #http} (0: any free port). */
    public int httpPort() {
        return Integer.parseInt(http.substring(http.lastIndexOf(':') + 1));
    }

    /** The settings as strings, the admin token hidden. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data", data.toString());
        m.put("bind", bind);
        m.put("http", http);
        m.put("durability", durability.name().toLowerCase(Locale.ROOT));
        m.put("ring-size", Integer.toString(ringSize));
        m.put("max-in-flight", Integer.toString(maxInFlight));
        m.put("max-in-flight-per-client", Integer.toString(maxPerClient));
        m.put("checkpoint-records", Long.toString(checkpointRecords));
        m.put("checkpoint-interval-ms", Long.toString(checkpointMillis));
        m.put("admin-token", adminToken == null ? "" : "(set)");
        m.put("batch-mode", batch.fixed() ? "fixed" : "adaptive");
        m.put("batch-min", Integer.toString(batch.minBatch()));
        m.put("batch-max", Integer.toString(batch.maxBatch()));
        m.put("batch-max-wait-us", Long.toString(batch.maxWaitNanos() / 1000));
        m.put("pipeline-wait", pipelineWait.name().toLowerCase(Locale.ROOT));
        m.put("pipeline-early-reads", Boolean.toString(earlyReads));
        m.put("pipeline-spin-us", Long.toString(spinNanos / 1000));
        m.put("transport", transport.wireName());
        m.put("cache-mb", Long.toString(cacheBytes >> 20));
        m.put("network-loop", engineLoop ? "engine" : "thread");
        m.put("wal-attest-ms", Long.toString(attestMillis));
        m.put("pipeline-inline-commit", Integer.toString(inlineCommitEvents));
        return m;
    }
}
