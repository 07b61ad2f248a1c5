package dev.hashdir.engine.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * A child process spoken to by lines: stdout and stderr (merged) collected by a daemon thread,
 * lines sent to stdin. Closing it kills the process if it is still alive.
 */
public final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final List<String> lines = new ArrayList<>();
    private final Thread drain;

    private ChildProcess(String name, Process process) {
        this.name = name;
        this.process = process;
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
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        return new ChildProcess(name, pb.start());
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
    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + ": still running after " + timeout + "; output:\n"
                    + String.join("\n", lines()));
        }
        drain.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
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

    private void drain() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                synchronized (lines) {
                    lines.add(line);
                }
                pending.add(line);
            }
        } catch (IOException e) {
            pending.add("<output lost: " + e + ">");
        }
    }
}
