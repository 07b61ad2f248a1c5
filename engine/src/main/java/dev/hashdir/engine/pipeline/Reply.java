package dev.hashdir.engine.pipeline;

import java.util.Arrays;

/**
 * A finished request, copied out of its event for the {@code CompletableFuture} API.
 *
 * @param op     what was asked
 * @param status the outcome
 * @param error  why, when the status is not OK
 * @param number PUT / PUT_MANY added, DELETE removed, COUNT held, GET total
 * @param flag   REMOVE removed, CONTAINS found, GET more, SCAN more (the last key continues it)
 * @param values GET page (empty otherwise)
 * @param lsn    the WAL record's LSN, 0 when none was written
 * @param keys   SCAN page, ascending (empty otherwise)
 */
public record Reply(Op op, Status status, String error, long number, boolean flag, long[] values, long lsn,
                    byte[][] keys) {

    private static final long[] NONE = new long[0];
    private static final byte[][] NO_KEYS = new byte[0][];

    /** Copies the answer out of {@code e} (on the thread answering it: reply, or engine for an early read). */
    static Reply of(RequestEvent e) {
        boolean ok = e.status == Status.OK;
        if (e.op == Op.SCAN && ok) {
            dev.hashdir.engine.ScanResult s = e.scanResult();
            byte[][] keys = new byte[s.size()][];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = s.key(i);
            }
            return new Reply(e.op, e.status, e.error, keys.length, s.more() && keys.length > 0, NONE, e.lsn, keys);
        }
        boolean get = e.op == Op.GET && ok;
        return new Reply(e.op, e.status, e.error, get ? e.values().total() : e.number,
                get ? e.values().more() : e.flag, get ? e.values().toArray() : NONE, e.lsn, NO_KEYS);
    }

    /** An answer that never reached the ring (busy, not ready). */
    static Reply refused(Op op, Status status, String error) {
        return new Reply(op, status, error, 0, false, NONE, 0, NO_KEYS);
    }

    public boolean ok() {
        return status == Status.OK;
    }

    @Override
    public String toString() {
        return "Reply[op=" + op + ", status=" + status + (error != null ? ", error=" + error : "") + ", number="
                + number + ", flag=" + flag + ", values=" + Arrays.toString(values) + ", lsn=" + lsn + ", keys="
                + keys.length + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Reply r && op == r.op && status == r.status && number == r.number && flag == r.flag
                && lsn == r.lsn && Arrays.equals(values, r.values) && java.util.Objects.equals(error, r.error)
                && Arrays.deepEquals(keys, r.keys);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(op, status, number, flag, lsn, Arrays.hashCode(values), Arrays.deepHashCode(keys));
    }
}
