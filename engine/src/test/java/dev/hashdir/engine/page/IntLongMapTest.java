package dev.hashdir.engine.page;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IntLongMapTest {

    /** Seeded random puts, lookups and clears against a HashMap, through several growths. */
    @Test
    void behavesAsAMapWithPutIfAbsentThroughGrowthAndClears() {
        Random rnd = new Random(20261121);
        IntLongMap map = new IntLongMap(4);
        Map<Integer, Long> model = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            int op = rnd.nextInt(100);
            int key = rnd.nextInt(step < 100_000 ? 50_000 : 500); // many keys, then many collisions on few
            if (op < 55) {
                long value = rnd.nextLong();
                boolean added = map.putIfAbsent(key, value);
                assertThat(added).isEqualTo(!model.containsKey(key));
                model.putIfAbsent(key, value);
            } else if (op < 99) {
                assertThat(map.get(key, -7)).isEqualTo(model.getOrDefault(key, -7L));
            } else if (rnd.nextInt(50) == 0) {
                map.clear();
                model.clear();
            }
            assertThat(map.size()).isEqualTo(model.size());
        }
        for (Map.Entry<Integer, Long> e : model.entrySet()) {
            assertThat(map.get(e.getKey(), 0)).isEqualTo(e.getValue());
        }
    }

    @Test
    void keyZeroAndExtremeValuesAreKept() {
        IntLongMap map = new IntLongMap(16);
        assertThat(map.get(0, 42)).isEqualTo(42);
        assertThat(map.putIfAbsent(0, Long.MIN_VALUE)).isTrue();
        assertThat(map.putIfAbsent(Integer.MAX_VALUE, -1)).isTrue();
        assertThat(map.putIfAbsent(0, 5)).isFalse();
        assertThat(map.get(0, 42)).isEqualTo(Long.MIN_VALUE);
        assertThat(map.get(Integer.MAX_VALUE, 42)).isEqualTo(-1);
        assertThatThrownBy(() -> map.putIfAbsent(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        map.clear();
        assertThat(map.size()).isZero();
        assertThat(map.get(0, 42)).isEqualTo(42);
    }
}
