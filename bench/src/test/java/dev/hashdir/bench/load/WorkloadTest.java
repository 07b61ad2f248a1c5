package dev.hashdir.bench.load;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WorkloadTest {

    private static final int KEYS = 1000;

    /** The preloaded keys of key seed {@code keySeed}, as hex strings. */
    private static Set<String> preloaded(long keySeed) {
        Workload w = new Workload(new int[] {100, 0, 0}, KEYS, keySeed, 42, 0, 32);
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < KEYS; i++) {
            w.keyOf(i);
            keys.add(Arrays.toString(w.key()));
        }
        return keys;
    }

    @Test
    void runsWithFreshSeedsAskForThePreloadedKeysAndValues() {
        Set<String> keys = preloaded(42);
        assertThat(keys).hasSize(KEYS);
        Workload preload = new Workload(new int[] {100, 0, 0}, KEYS, 42, 42, 0, 32);
        for (long seed : new long[] {1001, 1002, 77}) {
            Workload run = new Workload(new int[] {0, 50, 50}, KEYS, 42, seed, 3, 32);
            for (int n = 0; n < 500; n++) {
                run.next();
                assertThat(keys).contains(Arrays.toString(run.key()));
            }
            // contains asks for the value the preload put
            Workload contains = new Workload(new int[] {0, 0, 100}, KEYS, 42, seed, 1, 32);
            contains.next();
            byte[] asked = contains.key().clone();
            long value = contains.value();
            boolean found = false;
            for (int i = 0; i < KEYS && !found; i++) {
                preload.keyOf(i);
                if (Arrays.equals(preload.key(), asked)) {
                    assertThat(value).isEqualTo(preload.value());
                    found = true;
                }
            }
            assertThat(found).isTrue();
        }
    }

    @Test
    void theKeySeedChoosesTheKeySpaceAndTheRunSeedTheOps() {
        assertThat(preloaded(42)).doesNotContainAnyElementsOf(preloaded(43));
        Workload a = new Workload(new int[] {50, 25, 25}, KEYS, 42, 1, 0, 32);
        Workload b = new Workload(new int[] {50, 25, 25}, KEYS, 42, 2, 0, 32);
        int same = 0;
        for (int n = 0; n < 200; n++) {
            a.next();
            b.next();
            same += Arrays.equals(a.key(), b.key()) ? 1 : 0;
        }
        assertThat(same).isLessThan(20); // different seeds, different streams of key indexes
    }
}
