package dev.hashdir.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hashdir del}: deletes a key and its values on a running server; prints how many values went. */
@Command(name = "del", mixinStandardHelpOptions = true, description = "Delete a key and all its values on a running server.")
final class DelCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "KEYHEX", description = "the key, in hex")
    String key;

    @Override
    Action prepare() {
        byte[] k = ClientOptions.key(key);
        return (c, out) -> out.println("removed " + c.sync().delete(k));
    }
}
