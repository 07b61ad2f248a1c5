package dev.hashdir.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code hashdir put}: adds values to a key on a running server; prints how many were new. */
@Command(name = "put", mixinStandardHelpOptions = true, description = "Add values to a key on a running server.")
final class PutCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "KEYHEX", description = "the key, in hex")
    String key;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "VALUE", description = "values, unsigned 64-bit decimal")
    List<String> values;

    @Override
    Action prepare() {
        byte[] k = ClientOptions.key(key);
        long[] vs = values.stream().mapToLong(ClientOptions::value).toArray();
        return (c, out) -> out.println("added " + c.sync().put(k, vs));
    }
}
