package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys that share all their stored bytes and differ only in the last one (which a slot keeps in its
 * fingerprint): 2,014 keys with first byte i and last byte i >> 8. Regression test for a lookup that
 * compared stored bytes on SWAR candidates that were not fingerprint matches and so returned
 * another key's record (found by the service's crash test: 56 keys lost, in memory).
 */
class HashDirStructuredKeysTest {

    @TempDir
    Path dir;

    @Test
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
