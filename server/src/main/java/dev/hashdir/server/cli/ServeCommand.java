package dev.hashdir.server.cli;

import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreFormat;
import dev.hashdir.engine.store.StoreOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code hashdir serve}: opens (creating with defaults when missing) the store in the data
 * directory and holds it until SIGTERM or SIGINT, then closes it cleanly. The ZeroMQ data plane
 * and the HTTP control plane attach here when they land.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run hashdir on a data directory (created with defaults when it has no store).")
final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--data", defaultValue = "./data", paramLabel = "DIR",
            description = "data directory (default: ${DEFAULT-VALUE})")
    Path data;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(data.resolve(StoreFormat.FILE_NAME))) {
            PageStore.init(data, StoreOptions.defaults());
            LOG.info("created a new store in {} with defaults (key bytes {}, page size {})", data,
                    StoreFormat.DEFAULT_KEY_BYTES, StoreFormat.DEFAULT_PAGE_SIZE);
        }
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // the hook only signals: the store is closed on this thread, the one that opened it
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                closed.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hashdir-shutdown"));
        try (PageStore store = PageStore.open(data)) {
            LOG.info("serving {} (epoch {}, key bytes {}, page size {}{})", store.file(), store.meta().epoch(),
                    store.keyBytes(), store.pageSize(),
                    store.clearedStatusFlags() ? ", recovered from an unclean shutdown" : "");
            LOG.info("ready; stop with SIGTERM or Ctrl-C");
            stop.await();
            LOG.info("stopping");
        } finally {
            closed.countDown();
        }
        LOG.info("store closed");
        return 0;
    }
}
