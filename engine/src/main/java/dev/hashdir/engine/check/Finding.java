package dev.hashdir.engine.check;

/**
 * One thing {@link StoreChecker} found: how bad, where (a meta slot, a page and its row, a row, a
 * directory index), what, and what was expected against what is there.
 *
 * @param severity ERROR: the store is damaged (a read could fail or answer wrongly); WARNING: it is
 *                 sound but something deserves attention (a corrected bit, a leaked page, a damaged
 *                 fallback meta slot)
 * @param where    e.g. {@code "page 17 (row 42)"}, {@code "meta slot 1"}, {@code "row 9"}
 * @param offset   byte offset in the page or slot, or -1
 * @param what     what is wrong
 * @param expected what should be there, or null
 * @param actual   what is there, or null
 */
public record Finding(Severity severity, String where, long offset, String what, String expected, String actual) {

    /** How bad a finding is. */
    public enum Severity {
        ERROR, WARNING
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(severity.name()).append(' ').append(where);
        if (offset >= 0) {
            sb.append(" offset ").append(offset);
        }
        sb.append(": ").append(what);
        if (expected != null || actual != null) {
            sb.append(" (expected ").append(expected).append(", found ").append(actual).append(')');
        }
        return sb.toString();
    }
}
