package dev.hashdir.engine.store;

/** The kind byte of every page's header ({@link PageLayout#KIND_OFFSET}). */
public enum PageKind {
    /** Never written, or freed. */
    FREE(0),
    BUCKET(1),
    DIRECTORY(2),
    VALUE_LEAF(3),
    VALUE_INDEX(4),
    OVERFLOW(5),
    FREE_LIST(6),
    DELETION_LOG(7),
    /** A leaf of the page map: the rows of a range of logical page ids. */
    PAGE_MAP(8),
    /** A link of the chain listing the page map's leaf rows. */
    PAGE_MAP_INDEX(9),
    /** Test pages written by tests and benchmarks of the page store. */
    TEST(127);

    private static final PageKind[] BY_CODE = new PageKind[256];

    static {
        for (PageKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    private final int code;

    PageKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind for a code, or null when the code is unknown. */
    public static PageKind of(int code) {
        return BY_CODE[code & 0xFF];
    }
}
