package dev.hashdir.engine.recovery;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class PlaceSortTest {

    private static final long SEED = 0x5EED_5047L;

    /** Places of up to {@code bits} bits (32: the top bit too, places past 2^31 read unsigned), few distinct: many ties. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 11, 12, 19, 22, 23, 31, 32})
    void sortsByUnsignedPlaceKeepingTheOrderOfEqualPlaces(int bits) {
        SplittableRandom random = new SplittableRandom(SEED + bits);
        PlaceSort sort = new PlaceSort();
        for (int round = 0; round < 3; round++) { // the scratch arrays are reused, and grow
            int n = 1 + random.nextInt(20_000 * (round + 1));
            int[] entries = new int[n + random.nextInt(5)]; // longer than n: the rest is left alone
            int[] places = new int[entries.length];
            int[] pool = IntStream.range(0, 1 + random.nextInt(64)).map(x -> place(random, bits)).toArray();
            int or = 0;
            for (int i = 0; i < entries.length; i++) {
                entries[i] = i < n ? i : -1 - i; // the entry's index: ties must stay in this order
                places[i] = pool[random.nextInt(pool.length)];
                or |= i < n ? places[i] : 0;
            }
            int[] tailEntries = Arrays.copyOfRange(entries, n, entries.length);
            int[] tailPlaces = Arrays.copyOfRange(places, n, places.length);
            int[] before = places.clone();
            Integer[] expected = IntStream.range(0, n).boxed()
                    .sorted(Comparator.<Integer>comparingLong(i -> Integer.toUnsignedLong(before[i]))) // stable
                    .toArray(Integer[]::new);

            sort.sort(entries, places, n, or);

            for (int i = 0; i < n; i++) {
                assertThat(entries[i]).as("bits %d, round %d, position %d", bits, round, i).isEqualTo(expected[i]);
                assertThat(places[i]).as("the place moves with its entry").isEqualTo(before[entries[i]]);
            }
            assertThat(Arrays.copyOfRange(entries, n, entries.length)).isEqualTo(tailEntries);
            assertThat(Arrays.copyOfRange(places, n, places.length)).isEqualTo(tailPlaces);
        }
    }

    private static int place(SplittableRandom random, int bits) {
        if (bits == 0) {
            return 0;
        }
        int p = random.nextInt() >>> (32 - bits);
        return random.nextBoolean() ? p | 1 << (bits - 1) : p; // about half of them with the highest bit set
    }
}
