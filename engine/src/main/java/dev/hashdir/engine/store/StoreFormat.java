package dev.hashdir.engine.store;

/**
 * Names and versions of the on-disk container ({@code <data>/hashdir.h5}); see docs/format.md.
 *
 * <p>Two format versions, as H2's MVStore keeps them: {@link #WRITE_VERSION} is the format this
 * code writes; a file records the oldest reader version that can read it ({@code format_read}) and
 * the version that wrote it ({@code format_write}). A file whose read version is newer than
 * {@link #READ_VERSION} is refused; one whose write version is newer than {@link #WRITE_VERSION}
 * may be read but is never written.
 */
public final class StoreFormat {

    /** The container file inside the data directory. */
    public static final String FILE_NAME = "hashdir.h5";
    /** Writer lock file inside the data directory. */
    public static final String LOCK_FILE_NAME = "hashdir.lock";
    /** The two meta slots, {@code u8 [2, META_SLOT_BYTES]}, chunk = one slot. */
    public static final String META_DATASET = "meta";
    /** The page space, {@code u8 [N, pageSize]}, chunk = one page, extendible along N. */
    public static final String PAGES_DATASET = "pages";

    /** Root attribute naming the format; its value is {@link #FORMAT_NAME}. */
    public static final String ATTR_FORMAT = "format";
    public static final String ATTR_FORMAT_READ = "format_read";
    public static final String ATTR_FORMAT_WRITE = "format_write";
    public static final String ATTR_KEY_BYTES = "key_bytes";
    public static final String ATTR_PAGE_SIZE = "page_size";
    public static final String ATTR_META_SLOT_BYTES = "meta_slot_bytes";
    public static final String FORMAT_NAME = "hashdir";

    /** Newest file read version this code can read. */
    public static final int READ_VERSION = 1;
    /** File format version this code writes. */
    public static final int WRITE_VERSION = 1;

    public static final int MIN_KEY_BYTES = 16;
    public static final int MAX_KEY_BYTES = 64;
    public static final int DEFAULT_KEY_BYTES = 32;
    public static final int MIN_PAGE_SIZE = 4096;
    public static final int MAX_PAGE_SIZE = 65536;
    public static final int DEFAULT_PAGE_SIZE = 4096;

    /** Page id 0 is never allocated: it means "no page" in every pointer. */
    public static final long NULL_PAGE = 0;

    private StoreFormat() {
    }
}
