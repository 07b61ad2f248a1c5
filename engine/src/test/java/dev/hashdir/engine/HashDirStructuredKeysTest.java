package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Known bug, found by the service's crash test: 2,014 distinct keys whose first byte is i's low
 * byte and last byte its high byte (all else zero) are all counted (stats: keys=2014) but 56 of
 * them are not found right after insertion, in memory, without any crash (first missing: 1536,
 * 1537, 1538, 1539, 1552, ...; global depth 5, 32 buckets). Disabled until the engine is fixed.
 */
class HashDirStructuredKeysTest {

    @TempDir
    Path dir;

    @Test
    @Disabled("known engine bug: keys inserted but not found (see class javadoc)")
    void shouldFindEveryKeyInsertedWithStructuredKeys() throws Exception {
        try (HashDir hd = HashDir.create(dir.resolve("d"), StoreOptions.defaults(), HashDirConfig.defaults())) {
            int n = 2014;
            for (int v = 0; v < n; v++) {
                hd.put(key(v), v);
            }
            List<Integer> missing = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                if (!hd.contains(key(v), v)) {
                    missing.add(v);
                }
            }
            assertThat(missing).isEmpty();
        }
    }

    private static byte[] key(int i) {
        byte[] k = new byte[32];
        k[0] = (byte) i;
        k[31] = (byte) (i >> 8);
        return k;
    }
}
