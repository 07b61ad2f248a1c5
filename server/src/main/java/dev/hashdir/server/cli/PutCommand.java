package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code hashdir put}: adds values to a key on a running server; prints how many were new. */
@Command(name = "put", mixinStandardHelpOptions = true, description = "Add values to a key on a running server.")
final class PutCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "KEYHEX", description = "the key, in hex")
    String key;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "VALUE", description = "values, unsigned 64-bit decimal")
    List<String> values;

    @Override
    public Integer call() {
        byte[] k = ClientOptions.key(key);
        long[] vs = values.stream().mapToLong(ClientOptions::value).toArray();
        try (HashdirClient c = client.open()) {
            spec.commandLine().getOut().println("added " + c.sync().put(k, vs));
        }
        return 0;
    }
}
