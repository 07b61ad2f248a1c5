package dev.hashdir.server.cli;

import dev.hashdir.server.config.ServerConfig;
import dev.hashdir.server.service.HashdirServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code hashdir serve}: the service. Creates the store with defaults when the data directory has
 * none, binds the ZeroMQ data plane and the HTTP control plane, recovers (WAL replay), serves.
 * SIGTERM or SIGINT: /ready turns 503, data ops get not_ready, requests in flight are answered, a
 * final checkpoint is written, exit 0. After a kill -9 the next {@code serve} recovers by itself.
 * Settings: defaults &lt; {@code --config} file &lt; {@code HASHDIR_*} environment &lt; flags.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the hashdir server on a data directory (created with defaults when it has no store).")
final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--data", paramLabel = "DIR", description = "data directory (default ./data; env HASHDIR_DATA)")
    String data;

    @Option(names = "--bind", paramLabel = "ENDPOINT",
            description = "ZeroMQ endpoint of the data plane (default tcp://127.0.0.1:5555; env HASHDIR_BIND)")
    String bind;

    @Option(names = "--http", paramLabel = "HOST:PORT",
            description = "control plane address (default 127.0.0.1:8080; env HASHDIR_HTTP)")
    String http;

    @Option(names = "--durability", paramLabel = "MODE", description = "sync, async or none (default sync)")
    String durability;

    @Option(names = "--admin-token", paramLabel = "TOKEN",
            description = "bearer token for PUT /config and POST /checkpoint (default none; env HASHDIR_ADMIN_TOKEN)")
    String adminToken;

    @Option(names = "--config", paramLabel = "FILE", description = "properties file of settings (see README)")
    Path config;

    /**
     * {@code serve} parsed without picocli when {@code args} are {@code serve} followed only by this
     * command's options, each once, as {@code --name VALUE} or {@code --name=VALUE} with a value not
     * starting with {@code -} or {@code @}; null for anything else (help, version, an unknown or
     * repeated option, a missing value, an argument file, other commands), which picocli then
     * parses and reports as usual. The result has the fields picocli would set (ServeCommandTest).
     */
    static ServeCommand parseDirect(String[] args) {
        if (args.length == 0 || !"serve".equals(args[0])) {
            return null;
        }
        ServeCommand c = new ServeCommand();
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < args.length; i++) {
            String name = args[i];
            String value;
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return null;
            }
            if (!seen.add(name) || value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
                return null;
            }
            switch (name) {
                case "--data" -> c.data = value;
                case "--bind" -> c.bind = value;
                case "--http" -> c.http = value;
                case "--durability" -> c.durability = value;
                case "--admin-token" -> c.adminToken = value;
                case "--config" -> {
                    try {
                        c.config = Path.of(value);
                    } catch (InvalidPathException e) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        return c;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> flags = new LinkedHashMap<>();
        put(flags, "data", data);
        put(flags, "bind", bind);
        put(flags, "http", http);
        put(flags, "durability", durability);
        put(flags, "admin-token", adminToken);
        ServerConfig cfg = ServerConfig.resolve(config, System.getenv(), flags);
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // the hook only signals: the server is closed on this thread, the one that opened the store
        boolean[] clean = {false};
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (clean[0]) {
                // a drained stop on SIGTERM is a success: exit 0, not the signal's 143
                System.out.flush();
                Runtime.getRuntime().halt(0);
            }
        }, "hashdir-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (HashdirServer server = HashdirServer.start(cfg)) {
            server.recover();
            System.out.println("hashdir serving " + cfg.data() + " on " + server.dataPlane().endpoint()
                    + ", control plane http://" + server.controlPlane().address());
            System.out.flush();
            stop.await();
            LOG.info("stopping");
        } catch (Exception | Error e) {
            closed.countDown();
            throw e;
        }
        clean[0] = true; // published to the hook by the latch
        closed.countDown();
        return 0;
    }

    private static void put(Map<String, String> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
