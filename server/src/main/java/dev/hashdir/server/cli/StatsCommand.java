package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code hashdir stats}: prints a running server's counters, {@code name value} per line, sorted by name. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Print the counters of a running server.")
final class StatsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (HashdirClient c = client.open()) {
            for (Map.Entry<String, Object> e : new TreeMap<>(c.sync().stats()).entrySet()) {
                out.println(e.getKey() + " " + e.getValue());
            }
        }
        out.flush();
        return 0;
    }
}
