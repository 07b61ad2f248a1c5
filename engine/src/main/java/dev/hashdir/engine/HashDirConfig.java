package dev.hashdir.engine;

import dev.hashdir.engine.dir.Directory;

/**
 * Tunables of an open {@link HashDir} (not stored in the file; a store may be opened with other
 * values). Validated once, here, naming the bad value.
 *
 * @param cacheBytes     page cache size in bytes, at least {@value #MIN_CACHE_BYTES}; the cache
 *                       keeps at least 256 frames whatever the page size
 * @param maxGlobalDepth bound on the directory's global depth G, 1..{@value Directory#MAX_DEPTH}
 *                       (2^G entries of 8 bytes); past it a bucket grows overflow pages
 * @param mergeThreshold buddies merge when together they use at most this fraction of one page's
 *                       slots, 0..0.9
 * @param inlineValues   a key's set stays in its bucket page up to this many values
 *                       (1..{@value #MAX_INLINE_VALUES}); past it, it is promoted to a value list
 * @param demoteValues   a value list shrinking to this many values (0..inlineValues-1) goes back
 *                       inline: the gap is the hysteresis that keeps a key on the border from flapping
 */
public record HashDirConfig(long cacheBytes, int maxGlobalDepth, double mergeThreshold, int inlineValues,
                            int demoteValues) {

    public static final long MIN_CACHE_BYTES = 1L << 20;
    public static final int MAX_INLINE_VALUES = 64;

    public HashDirConfig {
        if (cacheBytes < MIN_CACHE_BYTES) {
            throw new IllegalArgumentException("cache bytes must be at least " + MIN_CACHE_BYTES + ": cacheBytes="
                    + cacheBytes);
        }
        if (maxGlobalDepth < 1 || maxGlobalDepth > Directory.MAX_DEPTH) {
            throw new IllegalArgumentException("max global depth must be 1.." + Directory.MAX_DEPTH
                    + ": maxGlobalDepth=" + maxGlobalDepth);
        }
        if (!(mergeThreshold >= 0 && mergeThreshold <= 0.9)) {
            throw new IllegalArgumentException("merge threshold must be 0..0.9: mergeThreshold=" + mergeThreshold);
        }
        if (inlineValues < 1 || inlineValues > MAX_INLINE_VALUES) {
            throw new IllegalArgumentException("inline values must be 1.." + MAX_INLINE_VALUES + ": inlineValues="
                    + inlineValues);
        }
        if (demoteValues < 0 || demoteValues >= inlineValues) {
            throw new IllegalArgumentException("demote values must be 0..inlineValues-1 (" + (inlineValues - 1)
                    + "): demoteValues=" + demoteValues);
        }
    }

    /** 64 MiB cache, G at most 24, merge below 40% of a page, up to 9 values inline, demote at 4. */
    public static HashDirConfig defaults() {
        return new HashDirConfig(64L << 20, 24, 0.4, 9, 4);
    }

    public HashDirConfig withCacheBytes(long bytes) {
        return new HashDirConfig(bytes, maxGlobalDepth, mergeThreshold, inlineValues, demoteValues);
    }

    public HashDirConfig withMaxGlobalDepth(int depth) {
        return new HashDirConfig(cacheBytes, depth, mergeThreshold, inlineValues, demoteValues);
    }

    public HashDirConfig withMergeThreshold(double threshold) {
        return new HashDirConfig(cacheBytes, maxGlobalDepth, threshold, inlineValues, demoteValues);
    }

    /** Inline budget and demotion point together (they are validated against each other). */
    public HashDirConfig withInline(int inline, int demote) {
        return new HashDirConfig(cacheBytes, maxGlobalDepth, mergeThreshold, inline, demote);
    }
}
