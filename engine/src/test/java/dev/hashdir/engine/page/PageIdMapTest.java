package dev.hashdir.engine.page;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class PageIdMapTest {

    @Test
    void agreesWithAHashMapUnderRandomPutsAndRemoves() {
        for (long seed = 1; seed <= 5; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            PageIdMap map = new PageIdMap(16);
            Map<Long, Integer> model = new HashMap<>();
            for (int step = 0; step < 20_000; step++) {
                long id = 1 + random.nextInt(300); // dense ids collide in probe runs
                String where = "seed " + seed + " step " + step + " id " + id;
                if (random.nextInt(3) == 0) {
                    map.remove(id);
                    model.remove(id);
                } else {
                    int frame = random.nextInt(1000);
                    map.put(id, frame);
                    model.put(id, frame);
                }
                assertThat(map.get(id)).as(where).isEqualTo(model.getOrDefault(id, -1));
                assertThat(map.size()).as(where).isEqualTo(model.size());
                if (step % 997 == 0) {
                    for (long k = 1; k <= 300; k++) {
                        assertThat(map.get(k)).as(where + " key " + k).isEqualTo(model.getOrDefault(k, -1));
                    }
                }
            }
        }
    }
}
