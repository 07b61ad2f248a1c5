package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code hashdir del}: deletes a key and its values on a running server; prints how many values went. */
@Command(name = "del", mixinStandardHelpOptions = true, description = "Delete a key and all its values on a running server.")
final class DelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "KEYHEX", description = "the key, in hex")
    String key;

    @Override
    public Integer call() {
        byte[] k = ClientOptions.key(key);
        try (HashdirClient c = client.open()) {
            spec.commandLine().getOut().println("removed " + c.sync().delete(k));
        }
        return 0;
    }
}
