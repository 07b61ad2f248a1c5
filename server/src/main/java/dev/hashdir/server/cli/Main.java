package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirException;
import dev.hashdir.engine.StoreException;
import dev.hashdir.server.service.NativeStart;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * The {@code hashdir} launcher's entry point. {@code serve} with plain options
 * ({@link ServeCommand#parseDirect}) runs without picocli: building picocli's model of every command
 * took 0.15 to 0.2 s in a freshly started JVM (reflection, annotation proxies; and picocli's classes
 * are Java 5 class files, which the launcher's AOT cache cannot hold, nor any class whose
 * verification needs them, {@link HashdirCli} included, so this class names no picocli type).
 * Anything else (other commands, help, errors) goes through picocli ({@link HashdirCli}).
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        ServeCommand serve = ServeCommand.parseDirect(args);
        if (serve != null) {
            NativeStart.begin(); // HDF5 loads while the server sets up the rest
        }
        System.exit(serve != null ? serve(serve, new PrintWriter(System.err, true)) : HashdirCli.execute(args));
    }

    /** Runs {@code serve} as picocli would: its exit code, or {@link #exitCode}'s for an exception. */
    static int serve(ServeCommand serve, PrintWriter err) {
        try {
            return serve.call();
        } catch (Exception e) {
            return exitCode(e, err, "hashdir serve");
        }
    }

    /**
     * The exit code of a command that threw {@code e}, after one line on {@code err} naming the
     * command and what went wrong; no stack trace for expected failures.
     */
    static int exitCode(Exception e, PrintWriter err, String command) {
        if (e instanceof IllegalArgumentException) {
            err.println(command + ": " + e.getMessage());
            return HashdirCli.EXIT_USAGE;
        }
        if (e instanceof HashdirException) { // the server's status and message, or timeout
            err.println(command + ": " + e.getMessage());
            return HashdirCli.EXIT_FAILED;
        }
        if (e instanceof StoreException || e instanceof IOException || e instanceof UncheckedIOException) {
            err.println(command + ": " + e.getMessage());
            return HashdirCli.EXIT_FAILED;
        }
        err.println(command + ": unexpected error: " + e);
        e.printStackTrace(err);
        return HashdirCli.EXIT_FAILED;
    }
}
