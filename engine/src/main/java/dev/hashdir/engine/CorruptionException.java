package dev.hashdir.engine;

import java.nio.file.Path;

/**
 * Detected corruption: a checksum, magic or structural check failed. Says where (file, page,
 * offset) and what was expected against what was found.
 */
public final class CorruptionException extends StoreException {

    private static final long serialVersionUID = 1L;

    private final long page;

    public CorruptionException(Path file, long page, long offset, String what, String expected, String actual) {
        super("corrupt " + what + ": file=" + file + ", page=" + page + ", offset=" + offset
                + ", expected=" + expected + ", actual=" + actual);
        this.page = page;
    }

    /** Corruption found in a page by a structure above the page space, which does not know the file. */
    public CorruptionException(long page, long offset, String what, String expected, String actual) {
        super("corrupt " + what + ": page=" + page + ", offset=" + offset
                + ", expected=" + expected + ", actual=" + actual);
        this.page = page;
    }

    public CorruptionException(String message) {
        super(message);
        this.page = -1;
    }

    /** The page id where corruption was found; -1 when not a page. */
    public long page() {
        return page;
    }
}
