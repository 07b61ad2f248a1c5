package dev.hashdir.engine.bucket;

/**
 * The two state bits of a bucket slot ({@link BucketLayout}). A record is a {@link #KEY} slot
 * followed by zero or more {@link #CONTINUATION} slots, or one {@link #KEY_EXTERNAL} slot. A zeroed
 * mask (a fresh page) is all {@link #FREE}.
 */
public final class SlotState {

    /** Holds nothing. */
    public static final int FREE = 0;
    /** A key whose set is inline: payload = smallest value, more values in the continuation slots after it. */
    public static final int KEY = 1;
    /** More values of the {@link #KEY} slot before it; its fingerprint byte counts them. */
    public static final int CONTINUATION = 2;
    /** A key whose set is a value list: payload = the list's root page id. */
    public static final int KEY_EXTERNAL = 3;

    private SlotState() {
    }

    /** Whether a slot in {@code state} starts a record (holds a key). */
    public static boolean holdsKey(int state) {
        return (state & 1) != 0;
    }
}
