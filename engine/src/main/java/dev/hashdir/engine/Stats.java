package dev.hashdir.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of the engine's counters ({@link HashDir#stats()}).
 *
 * @param keys          keys present
 * @param values        (key, value) pairs present
 * @param globalDepth   directory global depth G
 * @param buckets       buckets (primary bucket pages)
 * @param pages         pages in use in the store, of every kind (free pages excluded)
 * @param loadFactor    used slots / slots of all bucket and overflow pages
 * @param valueLists    keys whose set lives in a value list
 * @param eccCorrected  single-bit errors of bucket state masks corrected since open
 * @param overflowPages overflow pages chained to buckets
 * @param checkpointShadows frozen page images a running checkpoint holds in memory now, for its
 *                      steps to write (pages changed while it runs; 0 between checkpoints)
 * @param shadowCopies  frozen page images copied into such shadows since open
 */
public record Stats(long keys, long values, int globalDepth, long buckets, long pages, double loadFactor,
                    long valueLists, long eccCorrected, long overflowPages, int checkpointShadows, long shadowCopies) {

    /** The stats under their wire names: keys, values, global_depth, buckets, pages, load_factor, ... */
    public Map<String, Number> asMap() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("keys", keys);
        m.put("values", values);
        m.put("global_depth", globalDepth);
        m.put("buckets", buckets);
        m.put("pages", pages);
        m.put("load_factor", loadFactor);
        m.put("value_lists", valueLists);
        m.put("ecc_corrected", eccCorrected);
        m.put("overflow_pages", overflowPages);
        m.put("checkpoint_shadows", checkpointShadows);
        m.put("shadow_copies", shadowCopies);
        return m;
    }
}
