package dev.hashdir.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The engine's {@link Stats} as of its last {@link #capture}, published without allocating: the
 * engine thread captures them at the end of every batch that changed something, so a record a
 * batch would be garbage made on the hot path. Readers on any thread get a consistent copy
 * ({@link #read}; a sequence lock: the version is odd while a capture writes, and a read retries
 * when it changed under it).
 *
 * <p>Threading: {@link #capture} from one thread at a time (the engine's); {@link #read} from any.
 */
public final class StatsCell {

    private static final VarHandle VERSION;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        try {
            VERSION = MethodHandles.lookup().findVarHandle(StatsCell.class, "version", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // word indexes of the fields of Stats
    static final int KEYS = 0;
    static final int VALUES = 1;
    static final int GLOBAL_DEPTH = 2;
    static final int BUCKETS = 3;
    static final int PAGES = 4;
    static final int LOAD_FACTOR = 5;
    static final int VALUE_LISTS = 6;
    static final int ECC_CORRECTED = 7;
    static final int OVERFLOW_PAGES = 8;
    static final int CHECKPOINT_SHADOWS = 9;
    static final int SHADOW_COPIES = 10;
    private static final int WORD_COUNT = 11;

    private final long[] words = new long[WORD_COUNT];
    /** Even: the words are a whole capture (0: none yet); odd: a capture is writing them. */
    @SuppressWarnings("unused") // through VERSION
    private volatile long version;

    /** Takes {@code hd}'s counters now (on the thread that owns {@code hd}). Allocates nothing. */
    public void capture(HashDir hd) {
        long v = (long) VERSION.getOpaque(this);
        VERSION.setOpaque(this, v + 1);
        VarHandle.storeStoreFence(); // the odd version is visible before any word changes
        hd.captureStats(this);
        VERSION.setRelease(this, v + 2);
    }

    /** Whether a capture happened yet. */
    public boolean captured() {
        return (long) VERSION.getAcquire(this) != 0;
    }

    /** The counters of the last capture, or null before the first. */
    public Stats read() {
        while (true) {
            long before = (long) VERSION.getAcquire(this);
            if (before == 0) {
                return null;
            }
            if ((before & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            Stats s = new Stats(word(KEYS), word(VALUES), (int) word(GLOBAL_DEPTH), word(BUCKETS), word(PAGES),
                    Double.longBitsToDouble(word(LOAD_FACTOR)), word(VALUE_LISTS), word(ECC_CORRECTED),
                    word(OVERFLOW_PAGES), (int) word(CHECKPOINT_SHADOWS), word(SHADOW_COPIES));
            VarHandle.loadLoadFence(); // the words are read before the version is read again
            if ((long) VERSION.getOpaque(this) == before) {
                return s;
            }
        }
    }

    void set(int word, long value) {
        WORDS.setOpaque(words, word, value);
    }

    void set(int word, double value) {
        WORDS.setOpaque(words, word, Double.doubleToRawLongBits(value));
    }

    private long word(int word) {
        return (long) WORDS.getOpaque(words, word);
    }
}
