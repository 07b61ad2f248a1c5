package dev.hashdir.engine;

import java.util.Arrays;

/**
 * The answer of {@link HashDir#get}: one page of a key's values, ascending unsigned, plus the
 * key's total count and whether more values follow. Caller-owned and reusable: each {@code get}
 * overwrites it, so a loop of gets allocates nothing.
 *
 * <p>Threading: not thread-safe; one owner at a time.
 */
public final class GetResult {

    private final long[] values;
    private int size;
    private long total;
    private boolean more;

    /** A result that holds up to {@code capacity} values (1..{@value HashDir#MAX_LIMIT}). */
    public GetResult(int capacity) {
        if (capacity < 1 || capacity > HashDir.MAX_LIMIT) {
            throw new IllegalArgumentException("result capacity must be 1.." + HashDir.MAX_LIMIT + ": capacity="
                    + capacity);
        }
        this.values = new long[capacity];
    }

    public int capacity() {
        return values.length;
    }

    /** Values in this page. */
    public int size() {
        return size;
    }

    /** Value {@code i} (0 &lt;= i &lt; size), unsigned. */
    public long value(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("value index " + i + " out of 0.." + size);
        }
        return values[i];
    }

    /** The backing array: the first {@link #size()} elements are this page's values. */
    public long[] values() {
        return values;
    }

    /** The values of this page as a new array. */
    public long[] toArray() {
        return Arrays.copyOf(values, size);
    }

    /** Values the key holds in all. */
    public long total() {
        return total;
    }

    /** Whether values after the last one of this page exist (pass it as {@code after} to get them). */
    public boolean more() {
        return more;
    }

    long[] buffer() {
        return values;
    }

    void fill(int size, long total, boolean more) {
        this.size = size;
        this.total = total;
        this.more = more;
    }

    @Override
    public String toString() {
        return "GetResult[size=" + size + ", total=" + total + ", more=" + more + "]";
    }
}
