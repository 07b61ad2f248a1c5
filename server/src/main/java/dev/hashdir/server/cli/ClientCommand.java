package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirClient;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * A command run against a server: parses its arguments first ({@link #prepare}, so bad usage exits
 * 2 before anything connects), then runs the prepared action with a client and the command's output.
 */
abstract class ClientCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    /** What a command does once connected. */
    @FunctionalInterface
    interface Action {
        void run(HashdirClient client, PrintWriter out);
    }

    /** Validates and parses the arguments; returns what to do with a client. */
    abstract Action prepare();

    @Override
    public final Integer call() {
        Action action = prepare();
        PrintWriter out = spec.commandLine().getOut();
        try (HashdirClient c = client.open()) {
            action.run(c, out);
        }
        out.flush();
        return 0;
    }
}
