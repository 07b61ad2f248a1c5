package dev.hashdir.engine.wal;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;
import dev.hashdir.engine.store.Checksums;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

import static dev.hashdir.engine.wal.WalRecordLayout.U32;
import static dev.hashdir.engine.wal.WalRecordLayout.U64;

/**
 * Replays a WAL: reads the segments in LSN order from the one holding {@code fromLsn}, validates
 * every record (length bounds, CRC, LSN continuity, type, payload shape) and passes those with
 * LSN &gt;= {@code fromLsn} to a consumer. Never writes.
 *
 * <h2>Torn tail or corruption</h2>
 * Replay stops at the first invalid record. Whether that is the expected end of a crash or
 * damage follows from what the writer guarantees:
 * <ul>
 *   <li>every segment but the last was forced whole before the next one was created, so an
 *       invalid record or header in any segment but the last is <b>corruption</b>. A preallocated
 *       segment (format 2) was also <i>sealed</i> then: a sync slot flagged SEALED, forced before
 *       the next segment was created, says exactly where its records end and which LSN is last;
 *       it is read to there (the zeros after it are not records), and a record that does not
 *       end exactly there, or a last LSN that differs, is <b>corruption</b>. A segment before the
 *       last without a SEALED slot (format 1, grown by appends) is read to its file size;</li>
 *   <li>in the last segment, the header's sync slots attest a synced end: bytes below it were
 *       forced, so an invalid record starting below it (or a segment shorter than it) is
 *       <b>corruption</b>;</li>
 *   <li>an invalid record at or past the synced end of the last segment is the <b>torn tail</b>:
 *       replay stops there and reports the segment, offset, LSN and reason; in a preallocated
 *       segment that includes the zeros after the last record written before a crash. After a
 *       clean close (the current slot flagged CLOSED) the zeros at the synced end are the clean
 *       end, not a tail.</li>
 *   <li>a last segment closed cleanly with nothing to replay (its CLOSED slot's synced LSN is
 *       {@code fromLsn - 1}) is not read below its synced end: the records there are not needed,
 *       and are not checked either.</li>
 * </ul>
 * Stale bytes past the valid records are never replayed: a record must carry exactly the LSN
 * after the previous one and pass its CRC, and the writer makes sure that what follows its last
 * record is zeros (a fresh segment), records of a recycled segment's earlier use (LSNs below the
 * segment's first) or nothing (recovery truncates the rest of a segment a crash
 * may have left records of the crashed run in, unless the segment was closed cleanly).
 * A slot is written with a batch after a force, so it lags: damage inside the batches forced after
 * the newest slot write reads as a torn tail. A commit writes one only when the last is
 * {@link WalOptions#attestInterval()} old (10 ms by default: the commits of at most that long, and
 * the very last one before a crash, are not attested); {@link WalWriter#sync()}, a seal and a
 * close attest everything.
 * A trailing segment without a complete header and no records is a roll a crash interrupted: it
 * is reported as {@link WalReplayResult#incompleteSegment()} and otherwise ignored. Corruption is
 * a {@link CorruptionException} saying file, offset, LSN and what was wrong.
 *
 * <p>Threading: one thread; an instance replays once.
 */
public final class WalReader {

    /** Reads go in chunks of up to this many bytes (more only for a larger record). */
    private static final long READ_CHUNK = 1 << 20;
    private static final long MIN_BUFFER = 4096;

    private final WalDirectory dir;
    private final int keyBytes;
    private final WalRecord record;
    private final CRC32C crc = new CRC32C();
    private final MemorySegment header = Arena.ofAuto().allocate(WalSegmentLayout.HEADER_BYTES);
    private MemorySegment buffer;
    private ByteBuffer view;
    private long bufferStart;
    private long bufferLength;

    private WalReader(WalDirectory dir, int keyBytes) {
        this.dir = dir;
        this.keyBytes = keyBytes;
        this.record = new WalRecord(keyBytes);
        allocate(MIN_BUFFER);
    }

    /**
     * Replays records with LSN &gt;= {@code fromLsn} into {@code consumer}.
     *
     * @throws CorruptionException when a segment is damaged where it was durable, or segments are
     *                             missing (see the class comment)
     * @throws WalIoException      when reading fails
     */
    public static WalReplayResult replay(WalDirectory dir, int keyBytes, long fromLsn, WalConsumer consumer) {
        if (fromLsn < 1) {
            throw new IllegalArgumentException("replay starts at LSN 1 or later: fromLsn=" + fromLsn);
        }
        return new WalReader(dir, keyBytes).run(fromLsn, consumer);
    }

    /** Segment file names with their first LSNs, sorted; other files are ignored. */
    static List<Segment> listSegments(WalDirectory dir) {
        List<Segment> segments = new ArrayList<>();
        try {
            for (String name : dir.list()) {
                long first = WalSegmentLayout.parseFileName(name);
                if (first > 0) {
                    segments.add(new Segment(name, first));
                }
            }
        } catch (IOException e) {
            throw new WalIoException("list", dir.describe(""), 0, e);
        }
        segments.sort(Comparator.comparingLong(Segment::firstLsn));
        return segments;
    }

    /**
     * About how many bytes the segments' records take, for progress reports: a segment's file size
     * counts its preallocated zeros too, so each segment with a valid header counts up to the synced
     * end its current sync slot attests (exact for a sealed segment; the last one's unattested
     * records are left out), any other its file size. Reads 128 bytes a segment.
     */
    public static long recordBytes(WalDirectory dir) {
        WalReader reader = new WalReader(dir, 0);
        long total = 0;
        for (Segment s : listSegments(dir)) {
            try (WalFile file = dir.openForRead(s.name())) {
                long size = file.size();
                long end = size;
                if (file.read(0, reader.header) == WalSegmentLayout.HEADER_BYTES
                        && reader.header.get(U64, WalSegmentLayout.MAGIC_OFFSET) == WalSegmentLayout.MAGIC
                        && reader.header.get(U32, WalSegmentLayout.CRC_OFFSET)
                        == Checksums.crc32c(reader.header, 0, WalSegmentLayout.CRC_OFFSET)) {
                    Scan scan = new Scan(1, 0, r -> { });
                    reader.readSlots(scan);
                    end = Math.min(size, scan.syncedEnd);
                }
                total += end;
            } catch (IOException e) {
                throw new WalIoException("read header", dir.describe(s.name()), 0, e);
            }
        }
        return total;
    }

    /** A segment file and the first LSN its name gives. */
    record Segment(String name, long firstLsn) {
    }

    private WalReplayResult run(long fromLsn, WalConsumer consumer) {
        List<Segment> segments = listSegments(dir);
        String incomplete = null;
        if (!segments.isEmpty() && isIncomplete(segments.getLast())) {
            incomplete = segments.removeLast().name();
        }
        if (segments.isEmpty()) {
            return new WalReplayResult(fromLsn, fromLsn - 1, 0, 0, null, 0, 0, 0, 0, 0, incomplete, null);
        }
        int start = startSegment(segments, fromLsn);
        Scan scan = new Scan(fromLsn, segments.get(start).firstLsn() - 1, consumer);
        for (int i = start; i < segments.size() && scan.tail == null; i++) {
            scanSegment(segments.get(i), i == segments.size() - 1, i > start, scan);
        }
        if (scan.lastLsn < fromLsn - 1) {
            throw new CorruptionException("WAL ends before the replay start: last LSN=" + scan.lastLsn + ", fromLsn="
                    + fromLsn + ", last segment=" + dir.describe(segments.getLast().name())
                    + " (records the checkpoint needs are missing)");
        }
        Segment end = segments.getLast();
        return new WalReplayResult(fromLsn, scan.lastLsn, scan.replayed, segments.size() - start, end.name(),
                end.firstLsn(), scan.endOffset, scan.syncedEnd, scan.slotSequence, scan.slotFlags, incomplete,
                scan.tail);
    }

    private int startSegment(List<Segment> segments, long fromLsn) {
        int start = -1;
        for (int i = 0; i < segments.size() && segments.get(i).firstLsn() <= fromLsn; i++) {
            start = i;
        }
        if (start < 0) {
            throw new CorruptionException("WAL begins after the replay start: first segment="
                    + dir.describe(segments.getFirst().name()) + ", first LSN=" + segments.getFirst().firstLsn()
                    + ", fromLsn=" + fromLsn + " (segments holding LSN " + fromLsn + " are missing)");
        }
        return start;
    }

    /** Replay state carried across segments. */
    private static final class Scan {
        final long fromLsn;
        final WalConsumer consumer;
        long lastLsn;
        long replayed;
        long endOffset;
        long syncedEnd;
        long syncedLsn;
        long slotSequence;
        int slotFlags;
        WalReplayResult.Tail tail;

        Scan(long fromLsn, long lastLsn, WalConsumer consumer) {
            this.fromLsn = fromLsn;
            this.lastLsn = lastLsn;
            this.consumer = consumer;
        }
    }

    /** A trailing segment a crash left before its header was complete: shorter than a header, or exactly one and invalid. */
    private boolean isIncomplete(Segment segment) {
        try (WalFile file = dir.openForRead(segment.name())) {
            long size = file.size();
            if (size < WalSegmentLayout.HEADER_BYTES) {
                return true;
            }
            return size == WalSegmentLayout.HEADER_BYTES && readHeader(file, segment) != null;
        } catch (IOException e) {
            throw new WalIoException("read header", dir.describe(segment.name()), 0, e);
        }
    }

    private void scanSegment(Segment segment, boolean last, boolean continuing, Scan scan) {
        String path = dir.describe(segment.name());
        try (WalFile file = dir.openForRead(segment.name())) {
            long size = file.size();
            String bad = size < WalSegmentLayout.HEADER_BYTES
                    ? "shorter than a header: size=" + size : readHeader(file, segment);
            if (bad != null) {
                throw new CorruptionException("corrupt WAL segment header: file=" + path + ", " + bad);
            }
            if (continuing && segment.firstLsn() != scan.lastLsn + 1) {
                throw new CorruptionException("WAL segments are not continuous: file=" + path + ", expected first LSN="
                        + (scan.lastLsn + 1) + ", actual=" + segment.firstLsn() + " (a segment is missing)");
            }
            readSlots(scan);
            bufferLength = 0;
            boolean sealed = !last && (scan.slotFlags & WalSegmentLayout.FLAG_SEALED) != 0;
            long end = size;
            if (sealed) {
                if (size < scan.syncedEnd) {
                    throw new CorruptionException("WAL segment shorter than its sealed end: file=" + path + ", size="
                            + size + ", sealedEnd=" + scan.syncedEnd);
                }
                end = scan.syncedEnd;
            }
            if (buffer.byteSize() < Math.min(end, READ_CHUNK)) {
                allocate(Math.min(end, READ_CHUNK));
            }
            long from = WalSegmentLayout.HEADER_BYTES;
            if (last && (scan.slotFlags & WalSegmentLayout.FLAG_CLOSED) != 0 && scan.syncedLsn == scan.fromLsn - 1
                    && scan.syncedEnd >= WalSegmentLayout.HEADER_BYTES && scan.syncedEnd <= size) {
                // closed cleanly with nothing to replay (the checkpoint covers every record in it, as
                // after a server's clean stop): the records below the closed end are not needed, and
                // reading them cost 40 to 60 ms at the start of a fresh JVM with 33 MB of them;
                // scanning goes on from there as it would have (zeros: the clean end)
                from = scan.syncedEnd;
                scan.lastLsn = scan.syncedLsn;
            }
            scanRecords(file, segment.name(), path, from, end, last, scan);
            if (sealed && scan.lastLsn != scan.syncedLsn) {
                throw new CorruptionException("WAL segment's records do not end with its sealed LSN: file=" + path
                        + ", sealed last LSN=" + scan.syncedLsn + ", actual=" + scan.lastLsn);
            }
        } catch (IOException e) {
            throw new WalIoException("read", path, 0, e);
        }
    }

    /** Reads and checks the fixed header; null when valid, else what is wrong. */
    private String readHeader(WalFile file, Segment segment) throws IOException {
        if (file.read(0, header) < WalSegmentLayout.HEADER_BYTES) {
            return "short header";
        }
        long magic = header.get(U64, WalSegmentLayout.MAGIC_OFFSET);
        if (magic != WalSegmentLayout.MAGIC) {
            return "bad magic: expected=0x" + Long.toHexString(WalSegmentLayout.MAGIC) + ", actual=0x"
                    + Long.toHexString(magic);
        }
        int stored = header.get(U32, WalSegmentLayout.CRC_OFFSET);
        int actual = Checksums.crc32c(header, 0, WalSegmentLayout.CRC_OFFSET);
        if (stored != actual) {
            return "header checksum mismatch: expected=0x" + Integer.toHexString(stored) + ", actual=0x"
                    + Integer.toHexString(actual);
        }
        int readVersion = header.get(U32, WalSegmentLayout.FORMAT_READ_OFFSET);
        if (readVersion > WalSegmentLayout.READ_VERSION) {
            throw new StoreException("WAL segment " + dir.describe(segment.name()) + " needs a newer hashdir: format "
                    + "read version " + readVersion + ", this build reads up to " + WalSegmentLayout.READ_VERSION);
        }
        long first = header.get(U64, WalSegmentLayout.FIRST_LSN_OFFSET);
        if (first != segment.firstLsn()) {
            return "first LSN does not match the file name: expected=" + segment.firstLsn() + ", actual=" + first;
        }
        int segmentKeyBytes = header.get(U32, WalSegmentLayout.KEY_BYTES_OFFSET);
        if (segmentKeyBytes != keyBytes) {
            throw new StoreException("WAL segment " + dir.describe(segment.name()) + " holds keys of "
                    + segmentKeyBytes + " bytes, the store's are " + keyBytes + " bytes");
        }
        return null;
    }

    /** The current valid sync slot of the header just read; none valid claims only the header. */
    private void readSlots(Scan scan) {
        scan.syncedEnd = WalSegmentLayout.HEADER_BYTES;
        scan.syncedLsn = header.get(U64, WalSegmentLayout.FIRST_LSN_OFFSET) - 1;
        scan.slotSequence = 0;
        scan.slotFlags = 0;
        for (int slot = 0; slot < 2; slot++) {
            long offset = WalSegmentLayout.SLOT_0_OFFSET + (long) slot * WalSegmentLayout.SLOT_BYTES;
            long sequence = header.get(U64, offset + WalSegmentLayout.SLOT_SEQUENCE_OFFSET);
            if (WalSegmentLayout.slotValid(header, offset) && sequence >= scan.slotSequence) {
                scan.slotSequence = sequence;
                scan.syncedEnd = header.get(U64, offset + WalSegmentLayout.SLOT_SYNCED_END_OFFSET);
                scan.syncedLsn = header.get(U64, offset + WalSegmentLayout.SLOT_SYNCED_LSN_OFFSET);
                scan.slotFlags = header.get(U32, offset + WalSegmentLayout.SLOT_FLAGS_OFFSET);
            }
        }
    }

    private void scanRecords(WalFile file, String name, String path, long from, long size, boolean last, Scan scan)
            throws IOException {
        long position = from;
        while (position < size) {
            long expected = scan.lastLsn + 1;
            String bad = checkRecord(file, position, size, expected);
            if (bad != null) {
                torn(path, position, expected, bad, last, scan);
                boolean closedHere = (scan.slotFlags & WalSegmentLayout.FLAG_CLOSED) != 0
                        && position == scan.syncedEnd;
                if (!closedHere && !unwritten(file, position, size)) {
                    scan.tail = new WalReplayResult.Tail(name, position, expected, bad);
                }
                break;
            }
            long at = position - bufferStart;
            long length = Integer.toUnsignedLong(buffer.get(U32, at + WalRecordLayout.LENGTH_OFFSET));
            if (expected >= scan.fromLsn) {
                record.wrap(buffer, at, length, expected,
                        WalRecordType.fromCode(buffer.get(ValueLayout.JAVA_BYTE,
                                at + WalRecordLayout.TYPE_OFFSET)));
                scan.consumer.accept(record);
                scan.replayed++;
            }
            scan.lastLsn = expected;
            position += length;
        }
        if (last && position == size && size < scan.syncedEnd) {
            throw new CorruptionException("WAL segment shorter than its attested synced end: file=" + path + ", size="
                    + size + ", syncedEnd=" + scan.syncedEnd + ", last valid LSN=" + scan.lastLsn);
        }
        scan.endOffset = position;
    }

    /**
     * True when the bytes at {@code position} are zeros for a whole record header (or to the end
     * of the segment): preallocated space nothing was written to, the end of the records rather
     * than a torn one.
     */
    private boolean unwritten(WalFile file, long position, long size) throws IOException {
        long length = Math.min(WalRecordLayout.HEADER_BYTES, size - position);
        long at = load(file, position, length);
        for (long i = 0; i < length; i++) {
            if (buffer.get(ValueLayout.JAVA_BYTE, at + i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Throws unless an invalid record at {@code position} may be the torn tail. */
    private static void torn(String path, long position, long lsn, String bad, boolean last, Scan scan) {
        if (!last) {
            throw new CorruptionException("corrupt WAL record: file=" + path + ", offset=" + position + ", lsn=" + lsn
                    + ", " + bad + " (in a segment before the last, which was forced whole)");
        }
        if (position < scan.syncedEnd) {
            throw new CorruptionException("corrupt WAL record: file=" + path + ", offset=" + position + ", lsn=" + lsn
                    + ", " + bad + " (below the synced end the segment header attests: syncedEnd=" + scan.syncedEnd
                    + ")");
        }
    }

    /** Checks the record at {@code position}, loading it into the buffer; null when valid, else why not. */
    private String checkRecord(WalFile file, long position, long size, long expectedLsn) throws IOException {
        long left = size - position;
        if (left < WalRecordLayout.HEADER_BYTES) {
            return "truncated record header: " + left + " bytes left in the segment";
        }
        long at = load(file, position, WalRecordLayout.HEADER_BYTES);
        long length = Integer.toUnsignedLong(buffer.get(U32, at + WalRecordLayout.LENGTH_OFFSET));
        if (length < WalRecordLayout.HEADER_BYTES || length > WalRecordLayout.MAX_RECORD_BYTES) {
            return "record length out of bounds: length=" + length;
        }
        if (length > left) {
            return "record runs past the end of the segment: length=" + length + ", bytes left=" + left;
        }
        at = load(file, position, length);
        int stored = buffer.get(U32, at + WalRecordLayout.CRC_OFFSET);
        int actual = crc32c(at + WalRecordLayout.CRC_FROM, length - WalRecordLayout.CRC_FROM);
        if (stored != actual) {
            return "checksum mismatch: expected=0x" + Integer.toHexString(stored) + ", actual=0x"
                    + Integer.toHexString(actual);
        }
        long lsn = buffer.get(U64, at + WalRecordLayout.LSN_OFFSET);
        if (lsn != expectedLsn) {
            return "LSN out of sequence: expected=" + expectedLsn + ", actual=" + Long.toUnsignedString(lsn);
        }
        byte code = buffer.get(ValueLayout.JAVA_BYTE, at + WalRecordLayout.TYPE_OFFSET);
        WalRecordType type = WalRecordType.fromCode(code);
        if (type == null) {
            return "unknown record type: code=" + (code & 0xff);
        }
        return WalRecordLayout.checkPayload(type, keyBytes, buffer, at + WalRecordLayout.HEADER_BYTES,
                length - WalRecordLayout.HEADER_BYTES);
    }

    /** Makes file bytes [position, position + length) present in the buffer; returns their offset there. */
    private long load(WalFile file, long position, long length) throws IOException {
        if (position >= bufferStart && position + length <= bufferStart + bufferLength) {
            return position - bufferStart;
        }
        if (length > buffer.byteSize()) {
            allocate(Math.max(length, 2 * buffer.byteSize()));
        }
        bufferStart = position;
        bufferLength = file.read(position, buffer);
        if (bufferLength < length) {
            throw new IOException("short read: position=" + position + ", wanted=" + length + ", got=" + bufferLength
                    + " (file shrank while being read?)");
        }
        return 0;
    }

    private int crc32c(long offset, long length) {
        crc.reset();
        view.limit((int) (offset + length)).position((int) offset);
        crc.update(view);
        return (int) crc.getValue();
    }

    /** A new buffer (memory freed by the GC: the reader has no close to forget). */
    private void allocate(long bytes) {
        buffer = Arena.ofAuto().allocate(bytes, 8);
        view = buffer.asByteBuffer();
        bufferLength = 0;
    }
}
