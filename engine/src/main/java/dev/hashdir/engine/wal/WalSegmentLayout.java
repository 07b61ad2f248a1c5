package dev.hashdir.engine.wal;

import dev.hashdir.engine.store.Checksums;

import java.lang.foreign.MemorySegment;

import static dev.hashdir.engine.wal.WalRecordLayout.U32;
import static dev.hashdir.engine.wal.WalRecordLayout.U64;

/**
 * Binary layout of a WAL segment's header (little-endian). A segment is the header followed by
 * records ({@link WalRecordLayout}); its file is named by its first LSN ({@link #fileName}).
 * Since write version 2 a segment file is created at its full size with zero-filled blocks
 * (preallocated), so the records are followed by zeros (or, in a segment recovery cut back, by
 * nothing): where the records end is told by the sync slots, not by the file size.
 *
 * <pre>
 *   offset size field
 *   ------ ---- -----------------------------------------------------------
 *        0    8 magic "hdwal\0\0\0"
 *        8    4 format read version (oldest reader that can read the segment)
 *       12    4 format write version (version that wrote it)
 *       16    8 first LSN: LSN of the segment's first record (also its file name)
 *       24    4 key bytes of every keyed record
 *       28    4 CRC32C of bytes [0, 28)
 *       32   32 reserved (0)
 *       64   32 sync slot 0
 *       96   32 sync slot 1
 *      128      first record
 *
 *   sync slot: what the writer knows was forced, written alternately (slot = sequence &amp; 1)
 *        0    8 sequence (u64; the valid slot with the higher sequence is current)
 *        8    8 synced end: bytes [0, end) of this segment were durable when the slot was written
 *       16    8 synced LSN: LSN of the record ending at synced end (first LSN - 1 when none)
 *       24    4 flags (u32): bit 0 SEALED, bit 1 CLOSED, others 0
 *       28    4 CRC32C of bytes [0, 28) of the slot
 *
 *   SEALED: the segment is complete: its records end exactly at the synced end, the last one with
 *           the synced LSN (written and forced at a roll, before the next segment exists)
 *   CLOSED: the writer closed the segment cleanly at the synced end: nothing past it was written
 *           since (what follows is zeros); cleared, and forced, before the next record is written
 * </pre>
 *
 * <p>The fixed part (bytes [0, 64)) is written and forced once, before any record goes into the
 * segment. A slot only ever claims bytes that a completed force already made durable, so a slot
 * that reaches the disk early (pages written out of order) still tells the truth; a torn slot
 * fails its CRC and the other slot, which claims less, is used.
 */
public final class WalSegmentLayout {

    /** "hdwal\0\0\0" read as a little-endian long. */
    public static final long MAGIC = 0x6c617764_68L;
    /** Version 2: preallocated segments, slot flags; a version 1 segment (grown by appends) is still read. */
    public static final int READ_VERSION = 2;
    public static final int WRITE_VERSION = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int FORMAT_READ_OFFSET = 8;
    public static final int FORMAT_WRITE_OFFSET = 12;
    public static final int FIRST_LSN_OFFSET = 16;
    public static final int KEY_BYTES_OFFSET = 24;
    public static final int CRC_OFFSET = 28;
    public static final int FIXED_BYTES = 64;

    public static final int SLOT_0_OFFSET = 64;
    public static final int SLOT_BYTES = 32;
    public static final int SLOT_SEQUENCE_OFFSET = 0;
    public static final int SLOT_SYNCED_END_OFFSET = 8;
    public static final int SLOT_SYNCED_LSN_OFFSET = 16;
    public static final int SLOT_FLAGS_OFFSET = 24;
    public static final int SLOT_CRC_OFFSET = 28;
    /** Slot flag: the segment's records end exactly at the slot's synced end. */
    public static final int FLAG_SEALED = 1;
    /** Slot flag: the writer closed the segment cleanly at the slot's synced end. */
    public static final int FLAG_CLOSED = 2;

    /** Where the first record starts. */
    public static final int HEADER_BYTES = 128;

    /** File name suffix of a segment. */
    public static final String SUFFIX = ".wal";
    /**
     * Name a new segment is prepared under (allocated, header written and forced) before it is
     * renamed to its segment name: a segment name always has a durable header. Not a segment's
     * name, so readers ignore it; the writer deletes a leftover one.
     */
    public static final String PREPARING_NAME = "preparing.wal.tmp";
    /**
     * Name of the spare: a segment a checkpoint released, kept (renamed, whole) to become the next
     * segment, as RocksDB's {@code recycle_log_file_num} and PostgreSQL's recycled WAL files do:
     * only its header is rewritten. Its old records stay behind the header and carry LSNs below
     * the first LSN it gets, so the LSN check stops replay at them. Not a segment's name.
     */
    public static final String RECYCLED_NAME = "recycled.wal.tmp";
    private static final int LSN_DIGITS = 20;

    private WalSegmentLayout() {
    }

    /** Offset of the slot a sync record with this sequence goes to. */
    public static long slotOffset(long sequence) {
        return SLOT_0_OFFSET + (sequence & 1) * SLOT_BYTES;
    }

    /** {@code 00000000000000000001.wal} for first LSN 1: names sort as their LSNs do. */
    public static String fileName(long firstLsn) {
        String digits = Long.toUnsignedString(firstLsn);
        return "0".repeat(LSN_DIGITS - digits.length()) + digits + SUFFIX;
    }

    /** The first LSN a segment file name stands for, or -1 when the name is not a segment's. */
    public static long parseFileName(String name) {
        if (name.length() != LSN_DIGITS + SUFFIX.length() || !name.endsWith(SUFFIX)) {
            return -1;
        }
        for (int i = 0; i < LSN_DIGITS; i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return -1;
            }
        }
        try {
            return Long.parseUnsignedLong(name, 0, LSN_DIGITS, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Writes a whole header: the fixed part and slot 0 claiming only the header (slot 1 left invalid). */
    public static void encodeHeader(MemorySegment header, long firstLsn, int keyBytes) {
        header.asSlice(0, HEADER_BYTES).fill((byte) 0);
        header.set(U64, MAGIC_OFFSET, MAGIC);
        header.set(U32, FORMAT_READ_OFFSET, READ_VERSION);
        header.set(U32, FORMAT_WRITE_OFFSET, WRITE_VERSION);
        header.set(U64, FIRST_LSN_OFFSET, firstLsn);
        header.set(U32, KEY_BYTES_OFFSET, keyBytes);
        header.set(U32, CRC_OFFSET, Checksums.crc32c(header, 0, CRC_OFFSET));
        encodeSlot(header.asSlice(SLOT_0_OFFSET, SLOT_BYTES), 0, HEADER_BYTES, firstLsn - 1, 0);
    }

    /** Writes one sync slot into a {@value #SLOT_BYTES}-byte segment. */
    public static void encodeSlot(MemorySegment slot, long sequence, long syncedEnd, long syncedLsn, int flags) {
        encodeSlot(slot, sequence, syncedEnd, syncedLsn, flags, new Checksums.Crc32c());
    }

    /**
     * Writes one sync slot into the first {@value #SLOT_BYTES} bytes of {@code slot}, summed with
     * {@code crc} (the writer's, once a commit: nothing allocated).
     */
    static void encodeSlot(MemorySegment slot, long sequence, long syncedEnd, long syncedLsn, int flags,
                           Checksums.Crc32c crc) {
        MemorySegment.copy(ZERO_SLOT, 0, slot, 0, SLOT_BYTES);
        slot.set(U64, SLOT_SEQUENCE_OFFSET, sequence);
        slot.set(U64, SLOT_SYNCED_END_OFFSET, syncedEnd);
        slot.set(U64, SLOT_SYNCED_LSN_OFFSET, syncedLsn);
        slot.set(U32, SLOT_FLAGS_OFFSET, flags);
        slot.set(U32, SLOT_CRC_OFFSET, crc.of(slot, 0, SLOT_CRC_OFFSET));
    }

    /** {@value #SLOT_BYTES} zero bytes (read-only). */
    private static final MemorySegment ZERO_SLOT = MemorySegment.ofArray(new byte[SLOT_BYTES]).asReadOnly();

    /** True when the slot at {@code offset} of {@code header} passes its CRC. */
    public static boolean slotValid(MemorySegment header, long offset) {
        return header.get(U32, offset + SLOT_CRC_OFFSET) == Checksums.crc32c(header, offset, SLOT_CRC_OFFSET);
    }
}
