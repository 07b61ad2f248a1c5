package dev.hashdir.server.cli;

import picocli.CommandLine.Command;

import java.util.Map;
import java.util.TreeMap;

/** {@code hashdir stats}: prints a running server's counters, {@code name value} per line, sorted by name. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Print the counters of a running server.")
final class StatsCommand extends ClientCommand {

    @Override
    Action prepare() {
        return (c, out) -> {
            for (Map.Entry<String, Object> e : new TreeMap<>(c.sync().stats()).entrySet()) {
                out.println(e.getKey() + " " + e.getValue());
            }
        };
    }
}
