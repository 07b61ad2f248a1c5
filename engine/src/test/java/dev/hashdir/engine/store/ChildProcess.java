package dev.hashdir.engine.store;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child process spoken to by lines: stdout and stderr (merged) go to a file, which a daemon
 * thread follows line by line; lines are sent to stdin. Closing it kills the process if it is still
 * alive.
 *
 * <p>Why a file and not the pipe: when a child is killed, the JDK's process reaper may close the
 * pipe under a reader still draining it ("Stream closed"), losing the last lines — exactly the
 * acknowledgements a crash test needs. What the child wrote to a file is in the kernel before it
 * dies and is read to the end after it exits.
 */
public final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final List<String> lines = new ArrayList<>();
    private final Thread drain;

    private final Path output;

    private ChildProcess(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.drain = new Thread(this::drain, name + "-output");
        drain.setDaemon(true);
        drain.start();
    }

    /** Starts {@code main} in a child JVM with this JVM's class path and native access. */
    public static ChildProcess java(Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        return start(main.getSimpleName(), command, Map.of(), null);
    }

    static ChildProcess start(String name, List<String> command, Map<String, String> env, Path workDir)
            throws IOException {
        Path output = java.nio.file.Files.createTempFile("hashdir-child-" + name, ".out");
        output.toFile().deleteOnExit();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(output.toFile()));
        pb.environment().putAll(env);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        return new ChildProcess(name, pb.start(), output);
    }

    /** Waits for the next line starting with {@code prefix}; fails with all output so far otherwise. */
    public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            String line = pending.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                break;
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError(name + ": no line starting with '" + prefix + "' within " + timeout
                + " (alive=" + process.isAlive() + "); output:\n" + String.join("\n", lines()));
    }

    void send(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /**
     * Waits for the process to exit by itself (and for its last output line) and returns its
     * status; fails, killing it, on timeout.
     */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + ": still running after " + timeout + "; output:\n"
                    + String.join("\n", lines()));
        }
        drain.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** All output lines so far. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** SIGKILL ({@code destroyForcibly}), then waits for the process and its last output. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
        drain.join(TimeUnit.SECONDS.toMillis(10));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    /** Follows the output file: whole lines as they appear, then the rest once the process is gone. */
    private void drain() {
        StringBuilder partial = new StringBuilder();
        byte[] buffer = new byte[8192];
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(output)) {
            while (true) {
                boolean exited = !process.isAlive();
                int n = in.read(buffer);
                if (n > 0) {
                    partial.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    emitWholeLines(partial);
                } else if (exited) {
                    break;
                } else {
                    Thread.sleep(5);
                }
            }
            if (!partial.isEmpty()) {
                emit(partial.toString());
            }
        } catch (IOException e) {
            pending.add("<output lost: " + e + ">");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void emitWholeLines(StringBuilder partial) {
        for (int nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
            emit(partial.substring(0, nl));
            partial.delete(0, nl + 1);
        }
    }

    private void emit(String line) {
        synchronized (lines) {
            lines.add(line);
        }
        pending.add(line);
    }
}
