package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirClient;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalConsumer;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalWriter;
import dev.hashdir.server.config.ServerConfig;
import dev.hashdir.server.service.HashdirServer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of the {@code hashdir} launcher's AOT cache (JDK 25, JEP 483/514/515): run once
 * with {@code -XX:AOTCacheOutput=FILE}, it does what a server's start does, so that the classes it
 * loads and links and the profiles of its hot methods are in the cache for every later launch.
 * In a scratch directory: a new store whose WAL holds {@value #RECORDS} records no checkpoint covers
 * (a crashed store's state), then a server started on it (recovery replays them; both planes on
 * ephemeral ports), requests through the Java client and the control plane, a checkpoint, a clean
 * stop. The directory is deleted at the end. Not part of the CLI: the launcher runs it by class name.
 *
 * <pre>java -XX:AOTCacheOutput=hashdir.aot ... dev.hashdir.server.cli.AotTraining SCRATCH_DIR</pre>
 */
public final class AotTraining {

    /** WAL records replayed: enough for the replay loop and the store's put path to get hot. */
    static final int RECORDS = 400_000;
    /** Synchronous PUTs (and a GET every 8th) through the Java client: the data plane's path. */
    static final int REQUESTS = 20_000;
    private static final int KEY_BYTES = 32;

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AotTraining SCRATCH_DIR (created, then deleted)");
            System.exit(HashdirCli.EXIT_USAGE);
        }
        Path dir = Path.of(args[0]);
        try {
            run(dir.resolve("data"), RECORDS, REQUESTS);
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * The training in {@code data} (a new directory) with {@code records} WAL records to replay and
     * {@code requests} client requests; returns the records the server's recovery replayed.
     */
    static long run(Path data, int records, int requests) throws Exception {
        // the launcher's entry class and its parsing of serve's arguments, as a launch does it (a class
        // the training does not load is not in the cache: Main was loaded from the jar at every launch)
        Main.class.getName();
        ServeCommand.parseDirect(new String[]{"serve", "--data", data.toString(), "--durability", "none"});
        PageStore.init(data, StoreOptions.defaults());
        WalConsumer none = r -> {
        };
        try (Arena arena = Arena.ofConfined();
             WalWriter wal = WalWriter.open(FileWalDirectory.open(data.resolve("wal")),
                     WalOptions.of(KEY_BYTES, Durability.NONE), 1, none)) {
            MemorySegment key = arena.allocate(KEY_BYTES, 8);
            long[] values = {1, 2, 3, 4};
            for (int i = 0; i < records; i++) {
                fillKey(key, i);
                switch (i % 64) {
                    case 0 -> wal.appendPutMany(key, values, 0, values.length);
                    case 1 -> wal.appendRemove(key, 7);
                    case 2 -> wal.appendDelete(key);
                    default -> wal.appendPut(key, i);
                }
                if (i % 1000 == 999) {
                    wal.commit();
                }
            }
            wal.commit();
        }
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("data", data.toString());
        flags.put("bind", "tcp://127.0.0.1:*");
        flags.put("http", "127.0.0.1:0");
        flags.put("durability", "none");
        ServerConfig cfg = ServerConfig.resolve(null, Map.of(), flags);
        long replayed;
        try (HashdirServer server = HashdirServer.start(cfg)) {
            server.recover();
            replayed = server.recoveryProgress().records();
            String http = "http://" + server.controlPlane().address();
            get(http + "/ready");
            try (HashdirClient client = new HashdirClient(server.dataPlane().endpoint(), Duration.ofSeconds(30))) {
                HashdirClient.Sync sync = client.sync();
                byte[] k = new byte[KEY_BYTES];
                for (int i = 0; i < requests; i++) {
                    k[0] = (byte) i;
                    k[1] = (byte) (i >>> 8);
                    k[2] = (byte) (i >>> 16);
                    k[31] = 1;
                    sync.put(k, i);
                    if (i % 8 == 0) {
                        sync.get(k);
                    }
                }
                HashdirClient.Batch batch = client.batch();
                for (int i = 0; i < 200; i++) {
                    k[0] = (byte) i;
                    batch.put(k.clone(), i, i + 1).get(k.clone()).count(k.clone());
                }
                batch.send().get();
            }
            server.checkpoint(Duration.ofSeconds(60));
            get(http + "/stats");
            get(http + "/metrics");
            get(http + "/health");
        }
        return replayed;
    }

    /** A digest-like key: splitmix64 of i in each 8 bytes (keys spread over the directory as real digests do). */
    private static void fillKey(MemorySegment key, long i) {
        for (int w = 0; w < KEY_BYTES / 8; w++) {
            long z = (i * 4 + w + 1) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            key.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * w, z ^ (z >>> 31));
        }
    }

    private static void get(String url) throws IOException {
        URLConnection c = URI.create(url).toURL().openConnection();
        try (InputStream in = c.getInputStream()) {
            in.readAllBytes();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
