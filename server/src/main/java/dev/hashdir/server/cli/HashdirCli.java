package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirException;
import dev.hashdir.engine.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * The {@code hashdir} command line. Exit codes: 0 success, 1 the operation failed (store error,
 * I/O error, a server's error reply or no reply in time), 2 bad usage or a bad option value; {@code check} adds 3: warnings only.
 */
@Command(name = "hashdir", mixinStandardHelpOptions = true, versionProvider = HashdirCli.Version.class,
        description = "Crash-safe multi-value hash directory on HDF5.",
        subcommands = {InitCommand.class, ServeCommand.class, CheckCommand.class, PutCommand.class, GetCommand.class,
                DelCommand.class, StatsCommand.class, CommandLine.HelpCommand.class})
public final class HashdirCli implements Runnable {

    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // `serve` with plain options skips picocli: building its model of every command takes 0.15 to
        // 0.2 s in a fresh JVM (reflection, annotation proxies, and picocli's classes are Java 5 class
        // files, which the launcher's AOT cache cannot hold); anything else goes through picocli
        ServeCommand serve = ServeCommand.parseDirect(args);
        System.exit(serve != null ? runDirect(serve, new PrintWriter(System.err, true)) : commandLine().execute(args));
    }

    /** Runs {@code serve} as picocli would: its exit code, or the handler's for an exception. */
    static int runDirect(ServeCommand serve, PrintWriter err) {
        try {
            return serve.call();
        } catch (Exception e) {
            return handle(e, err, "hashdir serve");
        }
    }

    /** The configured command line, shared by {@link #main} and tests. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new HashdirCli());
        cli.setExecutionExceptionHandler(HashdirCli::handle);
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** One line naming the command and what went wrong; no stack trace for expected failures. */
    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        return handle(e, cli.getErr(), cli.getCommandSpec().qualifiedName());
    }

    private static int handle(Exception e, PrintWriter err, String command) {
        if (e instanceof IllegalArgumentException) {
            err.println(command + ": " + e.getMessage());
            return EXIT_USAGE;
        }
        if (e instanceof HashdirException) { // the server's status and message, or timeout
            err.println(command + ": " + e.getMessage());
            return EXIT_FAILED;
        }
        if (e instanceof StoreException || e instanceof IOException || e instanceof UncheckedIOException) {
            err.println(command + ": " + e.getMessage());
            return EXIT_FAILED;
        }
        err.println(command + ": unexpected error: " + e);
        e.printStackTrace(err);
        return EXIT_FAILED;
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = HashdirCli.class.getPackage().getImplementationVersion();
            return new String[]{"hashdir " + (v == null ? "(development build)" : v)};
        }
    }
}
