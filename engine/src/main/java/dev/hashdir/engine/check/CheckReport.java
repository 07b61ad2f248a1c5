package dev.hashdir.engine.check;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What {@link StoreChecker} found: counts of what it checked, and the findings (the first
 * {@code maxFindings} of them; the rest are only counted).
 */
public final class CheckReport {

    private final Path file;
    private final int maxFindings;
    private final List<Finding> findings = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private long errors;
    private long warnings;

    long epoch = -1;
    int metaSlot = -1;
    long pagesChecked;
    long rowsChecked;
    long buckets;
    long overflowPages;
    long keys;
    long values;
    long valueLists;
    long eccCorrectable;
    long leakedPages;
    long freeRows;
    long retiredRows;

    CheckReport(Path file, int maxFindings) {
        this.file = file;
        this.maxFindings = maxFindings;
    }

    void error(String where, long offset, String what, String expected, String actual) {
        add(new Finding(Finding.Severity.ERROR, where, offset, what, expected, actual));
    }

    void warning(String where, long offset, String what, String expected, String actual) {
        add(new Finding(Finding.Severity.WARNING, where, offset, what, expected, actual));
    }

    void note(String line) {
        notes.add(line);
    }

    private void add(Finding f) {
        if (f.severity() == Finding.Severity.ERROR) {
            errors++;
        } else {
            warnings++;
        }
        if (findings.size() < maxFindings) {
            findings.add(f);
        }
    }

    public Path file() {
        return file;
    }

    /** No errors and no warnings. */
    public boolean clean() {
        return errors == 0 && warnings == 0;
    }

    public long errors() {
        return errors;
    }

    public long warnings() {
        return warnings;
    }

    /** The findings kept (at most the cap), in the order found. */
    public List<Finding> findings() {
        return Collections.unmodifiableList(findings);
    }

    /** Findings counted but not kept because of the cap. */
    public long droppedFindings() {
        return errors + warnings - findings.size();
    }

    /** What was checked, phase by phase (for {@code --verbose}). */
    public List<String> notes() {
        return Collections.unmodifiableList(notes);
    }

    /** Epoch of the checkpoint checked (the current meta slot's), or -1 when no slot is valid. */
    public long epoch() {
        return epoch;
    }

    /** The meta slot checked, or -1. */
    public int metaSlot() {
        return metaSlot;
    }

    /** Pages read and verified: logical pages reachable from the directory plus page map pages. */
    public long pagesChecked() {
        return pagesChecked;
    }

    public long buckets() {
        return buckets;
    }

    public long overflowPages() {
        return overflowPages;
    }

    /** Keys found in the bucket pages. */
    public long keys() {
        return keys;
    }

    /** (key, value) pairs found, inline and in value lists. */
    public long values() {
        return values;
    }

    public long valueLists() {
        return valueLists;
    }

    /** State mask words with one flipped bit (correctable, reported as warnings). */
    public long eccCorrectable() {
        return eccCorrectable;
    }

    /** Logical pages the page map keeps a row for that nothing reaches. */
    public long leakedPages() {
        return leakedPages;
    }

    /** Rows below the row count neither mapped nor retired (reusable). */
    public long freeRows() {
        return freeRows;
    }

    /** Rows in the deletion log. */
    public long retiredRows() {
        return retiredRows;
    }

    /** One line: what was checked and how many errors and warnings. */
    public String summary() {
        return "checked " + file + ": epoch " + epoch + " (meta slot " + metaSlot + "), " + pagesChecked + " pages, "
                + buckets + " buckets, " + keys + " keys, " + values + " values, " + valueLists + " value lists: "
                + errors + " errors, " + warnings + " warnings";
    }

    @Override
    public String toString() {
        return summary();
    }
}
