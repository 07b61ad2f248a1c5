package dev.hashdir.server.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine's page cache size: 64 MiB by default, set in MiB from the file, environment or flags, validated. */
class ServerConfigCacheTest {

    @Test
    void shouldDefaultToAnEighthOfMemoryBetween64MibAnd1GibAndTakeTheEnvironmentAndFlags() throws IOException {
        long total = ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        ServerConfig d = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(d.cacheBytes()).isEqualTo(ServerConfig.autoCacheBytes(total)).isBetween(64L << 20, 1024L << 20);
        assertThat(d.describe()).containsEntry("cache-mb", Long.toString(d.cacheBytes() >> 20));
        assertThat(ServerConfig.resolve(null, Map.of("HASHDIR_CACHE_MB", "AUTO"), Map.of()).cacheBytes())
                .isEqualTo(d.cacheBytes());
        assertThat(ServerConfig.resolve(null, Map.of("HASHDIR_CACHE_MB", "2048"), Map.of()).cacheBytes())
                .isEqualTo(2048L << 20);
        assertThat(ServerConfig.resolve(null, Map.of("HASHDIR_CACHE_MB", "2048"), Map.of("cache-mb", "1")).cacheBytes())
                .as("a flag over the environment").isEqualTo(1L << 20);
    }

    @Test
    void shouldTakeAnEighthOfMemoryForAuto() {
        assertThat(ServerConfig.autoCacheBytes(0)).as("unknown memory").isEqualTo(64L << 20);
        assertThat(ServerConfig.autoCacheBytes(256L << 20)).isEqualTo(64L << 20);
        assertThat(ServerConfig.autoCacheBytes(2L << 30)).isEqualTo(256L << 20);
        assertThat(ServerConfig.autoCacheBytes((4L << 30) + 12345)).isEqualTo(512L << 20);
        assertThat(ServerConfig.autoCacheBytes(24L << 30)).isEqualTo(1024L << 20);
        assertThat(ServerConfig.autoCacheBytes(Long.MAX_VALUE)).isEqualTo(1024L << 20);
    }

    @Test
    void shouldRefuseACacheBelowOneMibOrNotANumber() {
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_CACHE_MB", "0"), Map.of()))
                .hasMessageContaining("cache-mb").hasMessageContaining("'0'").hasMessageContaining("HASHDIR_CACHE_MB");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("cache-mb", "lots")))
                .hasMessageContaining("cache-mb").hasMessageContaining("'lots'");
    }
}
