package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code hashdir get}: prints every value of a key, one per line, ascending (unsigned decimal). */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print the values of a key on a running server.")
final class GetCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Parameters(index = "0", paramLabel = "KEYHEX", description = "the key, in hex")
    String key;

    @Override
    public Integer call() {
        byte[] k = ClientOptions.key(key);
        PrintWriter out = spec.commandLine().getOut();
        try (HashdirClient c = client.open()) {
            for (long v : c.sync().values(k)) {
                out.println(Long.toUnsignedString(v));
            }
        }
        out.flush();
        return 0;
    }
}
