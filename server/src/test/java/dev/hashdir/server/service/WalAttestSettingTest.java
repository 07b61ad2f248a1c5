package dev.hashdir.server.service;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code wal-attest-ms}: how often a commit rewrites the WAL's header sync slot. Checked in the
 * configuration and in the WAL options the server opens its store with.
 */
class WalAttestSettingTest {

    @TempDir
    Path dir;

    @Test
    void defaultsToTheWalsIntervalAndTakesTheEnvironmentAndFlags() throws IOException {
        ServerConfig d = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(d.attestMillis()).isEqualTo(WalOptions.DEFAULT_ATTEST_INTERVAL.toMillis()).isEqualTo(10);
        assertThat(d.describe()).containsEntry("wal-attest-ms", "10");
        assertThat(ServerConfig.resolve(null, Map.of("HASHDIR_WAL_ATTEST_MS", "0"), Map.of()).attestMillis()).isZero();
        assertThat(ServerConfig.resolve(null, Map.of("HASHDIR_WAL_ATTEST_MS", "0"), Map.of("wal-attest-ms", "250"))
                .attestMillis()).as("a flag over the environment").isEqualTo(250);
    }

    @Test
    void refusesANegativeATooLargeOrAMalformedInterval() {
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_WAL_ATTEST_MS", "-1"), Map.of()))
                .hasMessageContaining("wal-attest-ms").hasMessageContaining("'-1'")
                .hasMessageContaining("HASHDIR_WAL_ATTEST_MS");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("wal-attest-ms", "60001")))
                .hasMessageContaining("wal-attest-ms").hasMessageContaining("'60001'");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("wal-attest-ms", "often")))
                .hasMessageContaining("wal-attest-ms").hasMessageContaining("'often'");
    }

    @Test
    void theServerOpensItsWalWithTheSetting() throws IOException {
        assertThat(openedWith(Map.of("wal-attest-ms", "0")).attestInterval()).isEqualTo(Duration.ZERO);
        assertThat(openedWith(Map.of("wal-attest-ms", "1500")).attestInterval()).isEqualTo(Duration.ofMillis(1500));
        assertThat(openedWith(Map.of()).attestInterval()).isEqualTo(WalOptions.DEFAULT_ATTEST_INTERVAL);
    }

    /** Starts and recovers a server with {@code settings}; returns the WAL options its store was opened with. */
    private WalOptions openedWith(Map<String, String> settings) throws IOException {
        Map<String, String> flags = new HashMap<>(settings);
        flags.put("data", dir.resolve("data").toString());
        flags.put("bind", "tcp://127.0.0.1:*");
        flags.put("http", "127.0.0.1:0");
        AtomicReference<WalOptions> seen = new AtomicReference<>();
        try (HashdirServer server = HashdirServer.start(ServerConfig.resolve(null, Map.of(), flags),
                FileWalDirectory::open, (data, config, walOptions, walDir, listener) -> DurableHashDir.open(data,
                        config, keyBytes -> {
                            WalOptions o = walOptions.apply(keyBytes);
                            seen.set(o);
                            return o;
                        }, walDir, listener))) {
            server.recover();
            assertThat(server.state()).isEqualTo(HashdirServer.State.SERVING);
        }
        return seen.get();
    }
}
