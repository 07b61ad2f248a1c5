package dev.hashdir.server.service;

import dev.hashdir.server.cli.HashdirCli;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test helper: {@code hashdir serve} in a child JVM (to kill with SIGKILL or stop with SIGTERM).
 * Its output goes to a file (not a pipe, see the engine's ChildProcess).
 */
record ServeChild(Process process, Path output, String endpoint) {

    private static final Pattern SERVING = Pattern.compile("hashdir serving .* on (tcp://\\S+), control plane");

    /** Starts {@code serve --data data --bind bind} and waits until it serves; output in {@code outDir/name.out}. */
    static ServeChild start(Path outDir, Path data, String name, String bind) throws Exception {
        Path out = outDir.resolve(name + ".out");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-Dmsgpack.universal-buffer=true", "-cp",
                System.getProperty("java.class.path"), HashdirCli.class.getName(), "serve", "--data", data.toString(),
                "--bind", bind, "--http", "127.0.0.1:0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            Matcher m = SERVING.matcher(Files.readString(out));
            if (m.find()) {
                return new ServeChild(p, out, m.group(1));
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("serve did not start:\n" + Files.readString(out));
    }

    /** SIGKILL, and waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** SIGTERM (drain, final checkpoint); returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        return process.waitFor();
    }

    String log() throws IOException {
        return Files.readString(output);
    }

    /** A TCP port free now on loopback (to restart a server on the same endpoint). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
