package dev.hashdir.engine.store;

/**
 * Binary layout of one meta slot (little-endian). The file holds two slots, written alternately
 * (slot = epoch &amp; 1); the valid slot with the highest epoch is current.
 *
 * <pre>
 *   offset size field
 *   ------ ---- -----------------------------------------------------------
 *        0    8 magic "hashdir\0"
 *        8    4 format read version (oldest reader that can read the file)
 *       12    4 format write version (version that wrote it)
 *       16    4 key bytes
 *       20    4 page size
 *       24    8 epoch (checkpoint number; 0 = empty store before first checkpoint)
 *       32    8 checkpoint LSN (WAL replay starts here)
 *       40    8 page count (page ids 1..count-1 may be in use; 0 is null)
 *       48    8 directory root page id
 *       56    8 page map root: row of the first PAGE_MAP_INDEX page, or 0 (no pages)
 *       64    8 deletion log root: row of the first DELETION_LOG page, or 0
 *       72    8 keys
 *       80    8 values
 *       88    4 global depth
 *       92    4 flags (reserved, 0)
 *       96    8 row count (rows 1..count-1 of /pages may be in use)
 *      104  404 reserved (0)
 *      508    4 CRC32C of bytes [0, 508)
 * </pre>
 */
public final class MetaLayout {

    public static final int SLOT_BYTES = 512;
    public static final int SLOTS = 2;
    /** "hashdir\0" read as a little-endian long. */
    public static final long MAGIC = 0x00726964687361_68L;

    public static final int MAGIC_OFFSET = 0;
    public static final int FORMAT_READ_OFFSET = 8;
    public static final int FORMAT_WRITE_OFFSET = 12;
    public static final int KEY_BYTES_OFFSET = 16;
    public static final int PAGE_SIZE_OFFSET = 20;
    public static final int EPOCH_OFFSET = 24;
    public static final int CHECKPOINT_LSN_OFFSET = 32;
    public static final int PAGE_COUNT_OFFSET = 40;
    public static final int DIRECTORY_ROOT_OFFSET = 48;
    public static final int PAGE_MAP_ROOT_OFFSET = 56;
    public static final int DELETION_LOG_ROOT_OFFSET = 64;
    public static final int KEYS_OFFSET = 72;
    public static final int VALUES_OFFSET = 80;
    public static final int GLOBAL_DEPTH_OFFSET = 88;
    public static final int FLAGS_OFFSET = 92;
    public static final int ROW_COUNT_OFFSET = 96;
    public static final int CRC_OFFSET = SLOT_BYTES - 4;

    private MetaLayout() {
    }
}
