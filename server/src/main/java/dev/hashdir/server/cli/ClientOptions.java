package dev.hashdir.server.cli;

import dev.hashdir.client.HashdirClient;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.HexFormat;

/** Options of the client commands ({@code put}, {@code get}, {@code del}, {@code stats}). */
final class ClientOptions {

    @Option(names = "--connect", defaultValue = HashdirClient.DEFAULT_ENDPOINT, paramLabel = "ENDPOINT",
            description = "the server's ZeroMQ endpoint (default: ${DEFAULT-VALUE})")
    String connect;

    @Option(names = "--timeout", defaultValue = "5000", paramLabel = "MS",
            description = "how long to wait for a reply, in milliseconds (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    HashdirClient open() {
        if (timeoutMs <= 0) {
            throw new IllegalArgumentException("--timeout must be positive: " + timeoutMs);
        }
        return new HashdirClient(connect, Duration.ofMillis(timeoutMs));
    }

    /** The key as hex; its length is the server's to judge (bad_request). */
    static byte[] key(String hex) {
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("KEYHEX must be hex digits, two per byte: " + hex, e);
        }
    }

    /** A value, unsigned decimal 0..18446744073709551615. */
    static long value(String s) {
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("VALUE must be an unsigned 64-bit decimal integer: " + s, e);
        }
    }
}
