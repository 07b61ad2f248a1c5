package dev.hashdir.server.cli;

import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreFormat;
import dev.hashdir.engine.store.StoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code hashdir init}: creates an empty store; refuses an existing one and bad options. */
@Command(name = "init", mixinStandardHelpOptions = true, description = "Create a new, empty store.")
final class InitCommand implements Callable<Integer> {

    @Option(names = "--data", defaultValue = "./data", paramLabel = "DIR",
            description = "data directory (created if missing; default: ${DEFAULT-VALUE})")
    Path data;

    @Option(names = "--key-bytes", defaultValue = "" + StoreFormat.DEFAULT_KEY_BYTES, paramLabel = "N",
            description = "key length in bytes, 16..64 (default: ${DEFAULT-VALUE})")
    int keyBytes;

    @Option(names = "--page-size", defaultValue = "" + StoreFormat.DEFAULT_PAGE_SIZE, paramLabel = "BYTES",
            description = "page size in bytes, a power of two from 4096 to 65536 (default: ${DEFAULT-VALUE})")
    int pageSize;

    @Override
    public Integer call() throws Exception {
        StoreOptions options = new StoreOptions(keyBytes, pageSize); // validates, naming the bad value
        PageStore.init(data, options);
        System.out.println("created " + data.resolve(StoreFormat.FILE_NAME) + " (key bytes " + keyBytes
                + ", page size " + pageSize + ")");
        return 0;
    }
}
