package dev.hashdir.server.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine's page cache size: 64 MiB by default, set in MiB from the file, environment or flags, validated. */
class ServerConfigCacheTest {

    @Test
    void shouldDefaultTo64MibAndTakeTheEnvironmentAndFlags() throws IOException {
        ServerConfig d = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(d.cacheBytes()).isEqualTo(64L << 20);
        assertThat(d.describe()).containsEntry("cache-mb", "64");
        assertThat(ServerConfig.resolve(null, Map.of("HASHDIR_CACHE_MB", "2048"), Map.of()).cacheBytes())
                .isEqualTo(2048L << 20);
        assertThat(ServerConfig.resolve(null, Map.of("HASHDIR_CACHE_MB", "2048"), Map.of("cache-mb", "1")).cacheBytes())
                .as("a flag over the environment").isEqualTo(1L << 20);
    }

    @Test
    void shouldRefuseACacheBelowOneMibOrNotANumber() {
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_CACHE_MB", "0"), Map.of()))
                .hasMessageContaining("cache-mb").hasMessageContaining("'0'").hasMessageContaining("HASHDIR_CACHE_MB");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("cache-mb", "lots")))
                .hasMessageContaining("cache-mb").hasMessageContaining("'lots'");
    }
}
