package dev.hashdir.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hashdir get}: prints every value of a key, one per line, ascending (unsigned decimal). */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Print the values of a key on a running server.")
final class GetCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "KEYHEX", description = "the key, in hex")
    String key;

    @Override
    Action prepare() {
        byte[] k = ClientOptions.key(key);
        return (c, out) -> {
            for (long v : c.sync().values(k)) {
                out.println(Long.toUnsignedString(v));
            }
        };
    }
}
