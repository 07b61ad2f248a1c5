package dev.hashdir.server.cli;

import dev.hashdir.server.config.ServerConfig;
import dev.hashdir.server.service.HashdirServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** put / get / del / stats against a real server on loopback. */
class ClientCommandsTest {

    @TempDir
    Path dir;
    HashdirServer server;
    String endpoint;
    StringWriter out;
    StringWriter err;

    static final String KEY = HexFormat.of().formatHex(new byte[32]).replace("00", "ab");

    @BeforeEach
    void start() throws IOException {
        server = HashdirServer.start(ServerConfig.resolve(null, Map.of(), Map.of(
                "data", dir.resolve("data").toString(), "bind", "tcp://127.0.0.1:*", "http", "127.0.0.1:0")));
        server.recover();
        endpoint = server.dataPlane().endpoint();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = HashdirCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void shouldPutGetDelAndShowStats() {
        assertThat(run("put", "--connect", endpoint, KEY, "7", "0", "18446744073709551615")).as("exit code; stderr: %s", err).isZero();
        assertThat(out.toString()).isEqualTo("added 3" + System.lineSeparator());
        assertThat(run("get", "--connect", endpoint, KEY)).as("exit code; stderr: %s", err).isZero();
        assertThat(out.toString().lines()).containsExactly("0", "7", "18446744073709551615");
        assertThat(run("stats", "--connect", endpoint)).as("exit code; stderr: %s", err).isZero();
        assertThat(out.toString().lines()).anyMatch(l -> l.startsWith("keys "));
        assertThat(run("del", "--connect", endpoint, KEY)).as("exit code; stderr: %s", err).isZero();
        assertThat(out.toString()).isEqualTo("removed 3" + System.lineSeparator());
        assertThat(run("get", "--connect", endpoint, KEY)).as("exit code; stderr: %s", err).isZero();
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void shouldExitOneWithTheServersStatusForAWrongKeyLength() {
        assertThat(run("get", "--connect", endpoint, "abcdef")).isEqualTo(HashdirCli.EXIT_FAILED);
        assertThat(err.toString()).contains("get: bad_request: key: expected bin of 32 bytes, got bin of 3 bytes");
    }

    @Test
    void shouldExitTwoForBadHexOrABadValue() {
        assertThat(run("get", "--connect", endpoint, "xyz")).isEqualTo(HashdirCli.EXIT_USAGE);
        assertThat(err.toString()).contains("KEYHEX must be hex digits");
        assertThat(run("put", "--connect", endpoint, KEY, "-1")).isEqualTo(HashdirCli.EXIT_USAGE);
        assertThat(err.toString()).contains("VALUE must be an unsigned 64-bit decimal integer: -1");
        assertThat(run("put", "--connect", endpoint, KEY)).isEqualTo(HashdirCli.EXIT_USAGE);
    }

    @Test
    void shouldExitOneOnATimeout() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(run("stats", "--connect", "tcp://127.0.0.1:" + port, "--timeout", "300")).isEqualTo(HashdirCli.EXIT_FAILED);
        assertThat(err.toString()).contains("stats: timeout: no reply to stats");
    }
}
