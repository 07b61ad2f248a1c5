package dev.hashdir.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;


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

    /** The command line's entry point: {@link Main#main} (plain {@code serve} arguments skip picocli). */
    public static void main(String[] args) {
        Main.main(args);
    }

    /** Parses {@code args} with picocli and runs the command; its exit code. */
    static int execute(String[] args) {
        return commandLine().execute(args);
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

    /** One line naming the command and what went wrong ({@link Main#exitCode}). */
    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        return Main.exitCode(e, cli.getErr(), cli.getCommandSpec().qualifiedName());
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
