package dev.hashdir.engine.wal;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.store.Checksums;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import static dev.hashdir.engine.wal.WalRecordLayout.U32;
import static dev.hashdir.engine.wal.WalRecordLayout.U64;

/**
 * Appends records to the WAL and makes them durable by group commit: {@code append} encodes a
 * record into a buffer and gives it the next LSN (gapless, strictly increasing); {@link #commit()}
 * writes everything buffered with one write per segment and, in {@link Durability#SYNC}, one force
 * for the whole batch. Opening replays the WAL and truncates its torn tail away.
 *
 * <p>Segments are preallocated: each is prepared at its full size with zero-filled blocks under
 * {@link WalSegmentLayout#PREPARING_NAME}, its header written, forced, then renamed to its
 * segment name, so a commit only overwrites allocated blocks and its fdatasync commits no file
 * size change (on ext4 about half the time of a synced append). Preparing one writes the whole
 * segment size, so it is done ahead, off the commit path: once a segment is half full (when no
 * spare is held) a preparing thread zero-fills and forces {@link WalSegmentLayout#PREPARING_NAME}
 * (no header yet: its first LSN is known only at the roll), and the roll writes its header, forces
 * it and renames it in; a roll that comes before the preparation is done waits for it (it is never
 * prepared twice), and one whose preparation failed prepares inline, as the first segment of an
 * empty WAL is (a failure there is the roll's). A directory that cannot prepare on another thread
 * ({@link WalDirectory#preparesOnAnyThread()}, the test layers) prepares inline at the same point.
 * A segment a checkpoint released is kept as the spare ({@link #deleteSegmentsBelow}) and the
 * next roll only rewrites its header, too.
 *
 * <p>Guarantees the reader's rules rest on ({@link WalReader}):
 * <ul>
 *   <li>a segment is forced whole, then sealed (a sync slot flagged SEALED claiming exactly its
 *       records, forced) before the next is created; a new segment's header is forced and the
 *       directory synced (the segment renamed into place) before any record goes into it (all
 *       durability modes);</li>
 *   <li>what follows the last record written to the current segment is zeros, records of a
 *       recycled segment's earlier use (all with LSNs below its first LSN), or nothing: a
 *       failed write is rewritten with the same bytes at the same place; opening after a crash
 *       truncates the last segment to its valid records (it then grows by appends until the
 *       next roll), because past them may lie records of the crashed run that a new record
 *       could otherwise line up with; opening after a clean close (slot flagged CLOSED) keeps
 *       the zeros and clears the flag, forced, before any record is written;</li>
 *   <li>a header sync slot only claims bytes a completed force made durable;</li>
 *   <li>after a failed write or force nothing of the failed commit counts as written or durable:
 *       the records stay buffered, and the next commit truncates the segment back to the last
 *       position it knows is good (the last forced one; in NONE the last written one) and writes
 *       them again. So a full disk fails commits with a {@link WalIoException} and writing resumes
 *       once there is space;</li>
 *   <li>opening syncs the directory and forces the last segment, truncated to its valid records,
 *       before anything new is written: what replay returned is durable (also after a mere
 *       process crash, which leaves unsynced data in the page cache), and stale records of a
 *       previous run never follow new ones.</li>
 * </ul>
 *
 * <p>Overlapped commits ({@link #commitAsync()}, SYNC only): the write happens on the caller's
 * thread, the force on a thread of the writer's own, while the caller appends the next batch; at
 * most one such force is in flight, and every call that writes, forces, rolls or closes first waits
 * for it ({@link #awaitForce()}), so the guarantees above hold unchanged: {@link #durableLsn()}
 * moves only once the force has returned, and a failed force is that commit's failure, reported by
 * the call that waits for it (the records stay buffered and are rewritten, as after a failed
 * {@link #commit()}).
 *
 * <p>Threading: one owner thread (the journal thread) calls everything; the preparing thread only
 * touches {@link WalSegmentLayout#PREPARING_NAME}, and hands its file over when it ends (joined);
 * the force thread only forces the current segment between {@link #commitAsync()} and the next
 * {@link #awaitForce()}.
 */
public final class WalWriter implements AutoCloseable {

    private static final long INITIAL_BUFFER = 8 << 10;
    /**
     * A segment prepared ahead is zero-filled and forced this much at a time, then the preparation
     * pauses as long as the step took (at most {@link #MAX_PREPARE_PAUSE_NANOS}): a 64 MiB segment
     * takes about twice as long to prepare (well under a second on a VM disk, against the seconds
     * half a segment lasts at a server's WAL rate), and a commit's fdatasync waits behind at most
     * one step's writes (docs/benchmarks.md, "Session 5").
     */
    private static final long PREPARE_STEP = 1 << 20;
    private static final long MAX_PREPARE_PAUSE_NANOS = 20_000_000;

    private final WalDirectory dir;
    private final WalOptions options;
    private final int keyBytes;
    private final LongSupplier nanoClock;
    private final WalReplayResult recovery;
    private final WalBuffer buffer = new WalBuffer(INITIAL_BUFFER);
    private final MemorySegment scratch = Arena.ofAuto().allocate(WalSegmentLayout.HEADER_BYTES, 8);
    /** Sums the sync slots (one a commit) without an object a call. */
    private final Checksums.Crc32c slotCrc = new Checksums.Crc32c();

    private WalFile segment;
    private String segmentName;
    /** Position in the segment of buffer byte 0 (before the first planned roll). */
    private long bufferFilePos;
    /** LSN of the first record in the buffer. */
    private long bufferFirstLsn;
    /** Buffer bytes already written to the segment. */
    private long written;
    /** Where the next appended record will start in its segment. */
    private long tailPos;
    private long nextLsn;
    private long writtenLsn;
    private long durableLsn;
    /** Bytes [0, durablePos) of the current segment were forced. */
    private long durablePos;
    /** What the newest sync slot written to the current segment claims. */
    private long attestedEnd;
    private long slotSequence;
    /** The current segment was preallocated (writes overwrite zeros); false when it grows by appends. */
    private boolean preallocated;
    /** A spare ({@link WalSegmentLayout#RECYCLED_NAME}) is held. */
    private boolean spare;
    /** Every record in the spare has an LSN at or below this. */
    private long spareLastLsn;
    /** The next segment's file being prepared, or prepared (or its preparation failed); null when none. */
    private Preparation preparation;
    private long rollsIntoSpare;
    private long rollsIntoPrepared;
    private long segmentsPreparedOnRoll;
    private long lastForceNanos;
    /** {@link WalOptions#attestInterval()} in nanoseconds. */
    private final long attestIntervalNanos;
    /** When the last sync slot was written (a commit writes the next one only {@link #attestIntervalNanos} later). */
    private long lastAttestNanos;
    private boolean damaged;
    private boolean closed;
    /** Runs the forces of {@link #commitAsync()}; made at the first. */
    private Forcer forcer;
    /** A force {@link #commitAsync()} started is in flight: it makes [0, forcingPos) and LSNs up to forcingLsn durable. */
    private boolean forcing;
    private long forcingPos;
    private long forcingLsn;
    private long asyncCommits;
    /** The file operation under way, for the error message if it fails. */
    private String operation = "open";
    private String operationFile = "";
    private long operationPosition;

    private WalWriter(WalDirectory dir, WalOptions options, LongSupplier nanoClock, WalReplayResult recovery) {
        this.dir = dir;
        this.options = options;
        this.keyBytes = options.keyBytes();
        this.nanoClock = nanoClock;
        this.recovery = recovery;
        this.lastForceNanos = nanoClock.getAsLong();
        // the first commit attests what is unattested yet (e.g. the records an open recovered)
        this.attestIntervalNanos = options.attestInterval().toNanos();
        this.lastAttestNanos = lastForceNanos - attestIntervalNanos;
    }

    /**
     * Opens the WAL for writing: replays records from {@code fromLsn} into {@code consumer},
     * truncates the torn tail (durably), deletes a segment whose creation a crash interrupted (and
     * a prepared one; keeps a spare whose header proves its records' LSNs), and
     * continues at the LSN after the last valid record (at {@code fromLsn} in an empty WAL).
     *
     * @throws dev.hashdir.engine.CorruptionException when the WAL is damaged where it was durable
     * @throws WalIoException                         when a file operation fails
     */
    public static WalWriter open(WalDirectory dir, WalOptions options, long fromLsn, WalConsumer consumer) {
        return open(dir, options, fromLsn, consumer, System::nanoTime);
    }

    /** {@link #open(WalDirectory, WalOptions, long, WalConsumer)} with a clock for the async force and attest intervals. */
    public static WalWriter open(WalDirectory dir, WalOptions options, long fromLsn, WalConsumer consumer,
                                 LongSupplier nanoClock) {
        WalReplayResult recovery = WalReader.replay(dir, options.keyBytes(), fromLsn, consumer);
        WalWriter writer = new WalWriter(dir, options, nanoClock, recovery);
        try {
            writer.recover();
        } catch (IOException e) {
            WalIoException failure = writer.failure(e);
            if (writer.segment != null) {
                try {
                    writer.segment.close();
                } catch (IOException closing) {
                    failure.addSuppressed(closing);
                }
            }
            throw failure;
        }
        return writer;
    }

    private void recover() throws IOException {
        step("delete", WalSegmentLayout.PREPARING_NAME, 0);
        dir.delete(WalSegmentLayout.PREPARING_NAME);
        if (!adoptSpare()) {
            step("delete", WalSegmentLayout.RECYCLED_NAME, 0);
            dir.delete(WalSegmentLayout.RECYCLED_NAME);
        }
        if (recovery.incompleteSegment() != null) {
            step("delete incomplete segment", recovery.incompleteSegment(), 0);
            dir.delete(recovery.incompleteSegment());
        }
        // after a process crash the segments' entries may still be unsynced: make what we build on durable
        step("sync directory", "", 0);
        dir.syncDirectory();
        nextLsn = recovery.lastLsn() + 1;
        writtenLsn = recovery.lastLsn();
        durableLsn = recovery.lastLsn();
        bufferFirstLsn = nextLsn;
        if (recovery.endSegment() == null) {
            switchTo(createSegment(nextLsn), nextLsn);
            tailPos = WalSegmentLayout.HEADER_BYTES;
            return;
        }
        segmentName = recovery.endSegment();
        long end = recovery.endOffset();
        step("open", segmentName, end);
        segment = dir.openForWrite(segmentName);
        bufferFilePos = end;
        tailPos = end;
        durablePos = end;
        attestedEnd = recovery.syncedEnd();
        slotSequence = recovery.slotSequence();
        if (recovery.endSealed()) {
            // a roll sealed this segment, then a crash came before the next one was in place
            if (end != recovery.syncedEnd()) {
                throw new CorruptionException("sealed WAL segment " + dir.describe(segmentName)
                        + " has records past its sealed end: end=" + end + ", sealedEnd=" + recovery.syncedEnd());
            }
            // after a process crash the seal may still be only in the page cache
            step("force", segmentName, end);
            segment.force();
            WalFile next = createSegment(nextLsn);
            step("close", segmentName, 0);
            segment.close();
            switchTo(next, nextLsn);
            tailPos = WalSegmentLayout.HEADER_BYTES;
            return;
        }
        long size = segment.size();
        preallocated = size > end && recovery.closedCleanly();
        if (size > end && !preallocated) {
            step("truncate torn tail", segmentName, end);
            segment.truncate(end);
        }
        if ((recovery.slotFlags() & WalSegmentLayout.FLAG_CLOSED) != 0) {
            // records written past a CLOSED end would be cut off by it if a crash damaged the first of
            // them, and kept by the next open: clear it, durably, before writing any
            writeSlot(0);
        }
        step("force", segmentName, end);
        segment.force();
    }

    /**
     * Keeps the spare an earlier run left when its own header bounds the LSNs of every record in
     * it: the segment size, a valid fixed header for these keys, and its newest valid sync slot
     * flagged SEALED (a segment is renamed to the spare only after its roll sealed it, and nothing
     * is written to it after; records of its earlier uses carry lower LSNs still). Its sealed LSN
     * is then the spare's last LSN, checked against the first LSN of the roll that would take it.
     * A spare a crash caught while its header was being rewritten for a roll has a header
     * claiming nothing (or a torn one) and is deleted.
     */
    private boolean adoptSpare() throws IOException {
        String name = WalSegmentLayout.RECYCLED_NAME;
        step("list", "", 0);
        if (!dir.list().contains(name)) {
            return false;
        }
        step("check spare", name, 0);
        MemorySegment header = scratch;
        try (WalFile file = dir.openForRead(name)) {
            if (file.size() != options.segmentBytes() || file.read(0, header) < WalSegmentLayout.HEADER_BYTES) {
                return false;
            }
        }
        if (header.get(U64, WalSegmentLayout.MAGIC_OFFSET) != WalSegmentLayout.MAGIC
                || header.get(U32, WalSegmentLayout.CRC_OFFSET)
                != Checksums.crc32c(header, 0, WalSegmentLayout.CRC_OFFSET)
                || header.get(U32, WalSegmentLayout.FORMAT_READ_OFFSET) > WalSegmentLayout.READ_VERSION
                || header.get(U32, WalSegmentLayout.KEY_BYTES_OFFSET) != keyBytes) {
            return false;
        }
        long newest = -1;
        long sealedLsn = 0;
        boolean sealed = false;
        for (int slot = 0; slot < 2; slot++) {
            long offset = WalSegmentLayout.SLOT_0_OFFSET + (long) slot * WalSegmentLayout.SLOT_BYTES;
            long sequence = header.get(U64, offset + WalSegmentLayout.SLOT_SEQUENCE_OFFSET);
            if (WalSegmentLayout.slotValid(header, offset) && sequence > newest) {
                newest = sequence;
                int flags = header.get(U32, offset + WalSegmentLayout.SLOT_FLAGS_OFFSET);
                sealed = (flags & WalSegmentLayout.FLAG_SEALED) != 0;
                sealedLsn = header.get(U64, offset + WalSegmentLayout.SLOT_SYNCED_LSN_OFFSET);
            }
        }
        if (!sealed) {
            return false;
        }
        spare = true;
        spareLastLsn = sealedLsn;
        return true;
    }

    /** What opening found: last valid LSN, torn tail, segments read. */
    public WalReplayResult recovery() {
        return recovery;
    }

    public WalOptions options() {
        return options;
    }

    /**
     * The directory the segments are in: another thread may read the records written so far
     * ({@link WalReader#replay}; the pipeline's resume after a page store failure does).
     */
    public WalDirectory directory() {
        return dir;
    }

    /** LSN the next appended record gets. */
    public long nextLsn() {
        return nextLsn;
    }

    /** LSN of the last record written to the file (handed to the OS; survives a process crash). */
    public long writtenLsn() {
        return writtenLsn;
    }

    /** LSN of the last record forced to disk (survives a power failure). */
    public long durableLsn() {
        return durableLsn;
    }

    /** Bytes appended but not yet written. */
    public long pendingBytes() {
        return buffer.length() - written;
    }

    /** Rolls (and openings) that made the spare the next segment. */
    public long rollsIntoSpare() {
        return rollsIntoSpare;
    }

    /** Rolls that made a segment prepared ahead (before the roll) the next segment. */
    public long rollsIntoPrepared() {
        return rollsIntoPrepared;
    }

    /**
     * Segments prepared while rolling or opening (zero-filled on the journal thread, the commit
     * waiting): no spare, and no preparation ahead or it failed.
     */
    public long segmentsPreparedOnRoll() {
        return segmentsPreparedOnRoll;
    }

    /** True while a segment prepared ahead is held or being prepared (for tests). */
    boolean preparing() {
        return preparation != null;
    }

    /** Waits until the preparation under way, if any, has ended (for tests); true when it succeeded. */
    boolean awaitPreparation() {
        return preparation != null && preparation.await() != null;
    }

    /** Name of the segment records currently go to. */
    public String currentSegment() {
        return segmentName;
    }

    /** Appends {@code payload}, already encoded as {@code type}'s payload ({@link WalRecordLayout}); returns its LSN. */
    public long append(WalRecordType type, MemorySegment payload) {
        return append(type, payload, 0, payload.byteSize());
    }

    /**
     * Appends the payload at {@code offset} of {@code source} (zero-allocation: the engine encodes
     * payloads into its preallocated ring events); returns the record's LSN.
     *
     * @throws IllegalArgumentException when the payload does not have the shape the type requires
     */
    public long append(WalRecordType type, MemorySegment source, long offset, long length) {
        String bad = WalRecordLayout.checkPayload(type, keyBytes, source, offset, length);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        long at = begin(type, length);
        MemorySegment.copy(source, offset, buffer.memory(), at + WalRecordLayout.HEADER_BYTES, length);
        return seal(at);
    }

    /** Appends a PUT of one value; returns its LSN. */
    public long appendPut(MemorySegment key, long value) {
        return appendKeyValue(WalRecordType.PUT, key, value);
    }

    /** Appends a REMOVE of one value; returns its LSN. */
    public long appendRemove(MemorySegment key, long value) {
        return appendKeyValue(WalRecordType.REMOVE, key, value);
    }

    /** Appends a PUT_MANY of {@code values[from, from + count)}; returns its LSN. */
    public long appendPutMany(MemorySegment key, long[] values, int from, int count) {
        return appendKeyValues(WalRecordType.PUT_MANY, key, values, from, count);
    }

    /** Appends a REMOVE_MANY of {@code values[from, from + count)}; returns its LSN. */
    public long appendRemoveMany(MemorySegment key, long[] values, int from, int count) {
        return appendKeyValues(WalRecordType.REMOVE_MANY, key, values, from, count);
    }

    /** Appends a DELETE of a whole key; returns its LSN. */
    public long appendDelete(MemorySegment key) {
        checkKey(key);
        long at = begin(WalRecordType.DELETE, keyBytes);
        copyKey(key, at);
        return seal(at);
    }

    /** Appends a CHECKPOINT_MARK; returns its LSN. */
    public long appendCheckpointMark(long epoch, long checkpointLsn) {
        long at = begin(WalRecordType.CHECKPOINT_MARK, WalRecordLayout.CHECKPOINT_PAYLOAD_BYTES);
        long payload = at + WalRecordLayout.HEADER_BYTES;
        buffer.memory().set(U64, payload + WalRecordLayout.CHECKPOINT_EPOCH_OFFSET, epoch);
        buffer.memory().set(U64, payload + WalRecordLayout.CHECKPOINT_LSN_OFFSET, checkpointLsn);
        return seal(at);
    }

    private long appendKeyValue(WalRecordType type, MemorySegment key, long value) {
        checkKey(key);
        long at = begin(type, keyBytes + WalRecordLayout.VALUE_BYTES);
        copyKey(key, at);
        buffer.memory().set(U64, at + WalRecordLayout.HEADER_BYTES + WalRecordLayout.valueOffset(keyBytes), value);
        return seal(at);
    }

    private long appendKeyValues(WalRecordType type, MemorySegment key, long[] values, int from, int count) {
        checkKey(key);
        if (count < 1 || count > WalRecordLayout.maxValues(keyBytes) || from < 0 || from + count > values.length) {
            throw new IllegalArgumentException("bad value range for " + type + ": from=" + from + ", count=" + count
                    + ", values=" + values.length + ", max count=" + WalRecordLayout.maxValues(keyBytes));
        }
        long at = begin(type, WalRecordLayout.payloadBytes(type, keyBytes, count));
        copyKey(key, at);
        long payload = at + WalRecordLayout.HEADER_BYTES;
        buffer.memory().set(U32, payload + WalRecordLayout.countOffset(keyBytes), count);
        MemorySegment.copy(values, from, buffer.memory(), U64, payload + WalRecordLayout.valuesOffset(keyBytes, 0),
                count);
        return seal(at);
    }

    private void checkKey(MemorySegment key) {
        if (key.byteSize() != keyBytes) {
            throw new IllegalArgumentException("key must be " + keyBytes + " bytes: actual=" + key.byteSize());
        }
    }

    private void copyKey(MemorySegment key, long at) {
        MemorySegment.copy(key, 0, buffer.memory(), at + WalRecordLayout.HEADER_BYTES + WalRecordLayout.KEY_OFFSET,
                keyBytes);
    }

    /** Reserves a record with the next LSN, planning a segment roll when it would not fit; returns its offset. */
    private long begin(WalRecordType type, long payloadLength) {
        if (closed) {
            throw new IllegalStateException("WAL writer is closed");
        }
        long length = WalRecordLayout.HEADER_BYTES + payloadLength;
        if (length > WalRecordLayout.MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("record too large: length=" + length + ", max="
                    + WalRecordLayout.MAX_RECORD_BYTES);
        }
        if (tailPos > WalSegmentLayout.HEADER_BYTES && tailPos + length > options.segmentBytes()) {
            buffer.planRoll(nextLsn);
            tailPos = WalSegmentLayout.HEADER_BYTES;
        }
        tailPos += length;
        long at = buffer.reserve(length);
        MemorySegment memory = buffer.memory();
        memory.set(U32, at + WalRecordLayout.LENGTH_OFFSET, (int) length);
        memory.set(U64, at + WalRecordLayout.LSN_OFFSET, nextLsn);
        memory.set(ValueLayout.JAVA_BYTE, at + WalRecordLayout.TYPE_OFFSET, type.code());
        return at;
    }

    /** Fills in the CRC of the record at {@code at}; returns its LSN. */
    private long seal(long at) {
        long length = Integer.toUnsignedLong(buffer.memory().get(U32, at + WalRecordLayout.LENGTH_OFFSET));
        buffer.memory().set(U32, at + WalRecordLayout.CRC_OFFSET,
                buffer.crc32c(at + WalRecordLayout.CRC_FROM, length - WalRecordLayout.CRC_FROM));
        return nextLsn++;
    }

    /**
     * Group commit: writes everything appended since the last commit and, in SYNC mode, forces it
     * once (in ASYNC mode when the force interval has passed).
     *
     * <p>After a failure the segment is cut back to the last position known good (the last forced
     * one; in NONE the last written one) and {@link #writtenLsn()} goes back with it: records
     * already acknowledged in ASYNC but not forced are still buffered and are written again by the
     * next successful commit (a power failure before that loses them, as ASYNC allows).
     *
     * @return the LSN acknowledged by this mode: durable in SYNC, written in ASYNC and NONE
     * @throws WalIoException when writing or forcing fails (e.g. disk full); the records stay
     *                        buffered and the next commit retries them
     */
    public long commit() {
        checkOpen();
        awaitForce();
        try {
            writePending();
            boolean force = options.durability() == Durability.SYNC
                    || options.durability() == Durability.ASYNC && forceDue();
            if (force && unforced()) {
                forceSegment();
            } else if (options.durability() == Durability.NONE) {
                dropWritten();
            }
        } catch (IOException e) {
            damaged = true;
            throw failure(e);
        }
        prepareAheadIfDue();
        return options.durability() == Durability.SYNC ? durableLsn : writtenLsn;
    }

    /**
     * Writes and forces everything appended, in any mode, and attests it in the segment header
     * (so damage to it later reads as corruption, not as a torn tail). For ASYNC's interval, on
     * demand, and for an idle journal thread.
     *
     * @return the durable LSN
     */
    public long sync() {
        checkOpen();
        awaitForce();
        syncAll();
        prepareAheadIfDue();
        return durableLsn;
    }

    private void syncAll() {
        try {
            writePending();
            if (unforced()) {
                forceSegment();
            }
            if (durablePos > attestedEnd) {
                writeSlot(0);
                step("force", segmentName, durablePos);
                segment.force();
            }
        } catch (IOException e) {
            damaged = true;
            throw failure(e);
        }
    }

    /**
     * Deletes the segments all of whose records have an LSN below {@code lsn} (never the current
     * one), once a checkpoint covering them is durable; keeps every record at or above it. The
     * oldest of them becomes the spare when none is held and it is whole (the segment size, its
     * blocks written): renamed to {@link WalSegmentLayout#RECYCLED_NAME}, the next roll reuses it.
     *
     * @return the number of segments deleted (the one kept as the spare included)
     */
    public int deleteSegmentsBelow(long lsn) {
        checkOpen();
        if (lsn > nextLsn) {
            throw new IllegalArgumentException("cannot delete the WAL beyond its end: lsn=" + lsn + ", next LSN="
                    + nextLsn);
        }
        List<WalReader.Segment> segments = WalReader.listSegments(dir);
        int deleted = 0;
        try {
            for (int i = 0; i + 1 < segments.size(); i++) {
                WalReader.Segment s = segments.get(i);
                if (s.name().equals(segmentName) || segments.get(i + 1).firstLsn() > lsn) {
                    break;
                }
                if (!spare && wholeSegment(s.name())) {
                    step("rename to " + WalSegmentLayout.RECYCLED_NAME, s.name(), 0);
                    dir.rename(s.name(), WalSegmentLayout.RECYCLED_NAME);
                    spare = true;
                    spareLastLsn = segments.get(i + 1).firstLsn() - 1;
                } else {
                    step("delete", s.name(), 0);
                    dir.delete(s.name());
                }
                deleted++;
            }
            if (deleted > 0) {
                step("sync directory", "", 0);
                dir.syncDirectory();
            }
        } catch (IOException e) {
            throw failure(e);
        }
        return deleted;
    }

    /** True when the segment file has exactly the segment size (all of it written blocks: preallocated, or grown). */
    private boolean wholeSegment(String name) throws IOException {
        step("size", name, 0);
        try (WalFile file = dir.openForRead(name)) {
            return file.size() == options.segmentBytes();
        }
    }

    /**
     * Group commit that overlaps its force with the caller's next batch (SYNC mode): writes
     * everything appended (as {@link #commit()} does, on this thread) and hands the force to the
     * writer's force thread, then returns without waiting for it. Waits first for the force the
     * previous call started, so at most one is in flight. Nothing of this commit is durable, nor
     * acknowledged, until {@link #awaitForce()} (or the next call that waits for it) has returned:
     * {@link #durableLsn()} tells. In ASYNC and NONE mode, or over a directory whose files may be
     * used from one thread only ({@link WalDirectory#preparesOnAnyThread()} false: the test
     * layers), it is {@link #commit()}.
     *
     * @return the durable LSN (what earlier commits made durable; this one's records not yet)
     * @throws WalIoException when the write fails, or the previous overlapped force failed; the
     *                        records stay buffered and the next commit retries them
     */
    public long commitAsync() {
        checkOpen();
        if (options.durability() != Durability.SYNC || !dir.preparesOnAnyThread()) {
            return commit();
        }
        awaitForce();
        try {
            writePending();
        } catch (IOException e) {
            damaged = true;
            throw failure(e);
        }
        if (unforced()) {
            if (forcer == null) {
                forcer = new Forcer();
                forcer.thread = Thread.ofPlatform().daemon().name("hashdir-wal-force").start(forcer);
            }
            forcingPos = bufferFilePos + written;
            forcingLsn = writtenLsn;
            forcing = true;
            asyncCommits++;
            forcer.start(segment);
        }
        prepareAheadIfDue();
        return durableLsn;
    }

    /**
     * Waits for the force {@link #commitAsync()} started, if one is in flight, and takes its
     * result: what it covered is durable now.
     *
     * @return the durable LSN
     * @throws WalIoException when that force failed (nothing it covered counts as durable; the
     *                        records stay buffered and the next commit writes them again)
     */
    public long awaitForce() {
        if (!forcing) {
            return durableLsn;
        }
        IOException failed = forcer.await();
        forcing = false;
        if (failed != null) {
            damaged = true;
            step("force", segmentName, forcingPos);
            throw failure(failed);
        }
        durablePos = forcingPos;
        durableLsn = forcingLsn;
        lastForceNanos = nanoClock.getAsLong();
        dropWritten();
        return durableLsn;
    }

    /** Commits whose force ran on the force thread ({@link #commitAsync()}). */
    public long asyncCommits() {
        return asyncCommits;
    }

    /** Writes, forces and attests everything appended, then closes the segment. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        RuntimeException failed = null;
        try {
            awaitForce();
        } catch (WalIoException e) {
            // nothing lost: the records stay buffered and the sync below writes and forces them again
        }
        try {
            syncAll();
            writeSlot(WalSegmentLayout.FLAG_CLOSED);
            step("force", segmentName, durablePos);
            segment.force();
        } catch (IOException e) {
            failed = failure(e);
        } catch (RuntimeException e) {
            failed = e;
        }
        closed = true;
        if (forcer != null) {
            forcer.stop();
        }
        try {
            step("close", segmentName, 0);
            segment.close();
        } catch (IOException e) {
            WalIoException closing = failure(e);
            if (failed == null) {
                failed = closing;
            } else {
                failed.addSuppressed(closing);
            }
        }
        try {
            discardPreparation();
        } catch (IOException e) {
            WalIoException discarding = failure(e);
            if (failed == null) {
                failed = discarding;
            } else {
                failed.addSuppressed(discarding);
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Waits for the preparation under way, closes its file and deletes it: a prepared segment
     * holds no records and is not kept across a close (opening deletes one a crash left).
     */
    private void discardPreparation() throws IOException {
        Preparation p = preparation;
        if (p == null) {
            return;
        }
        preparation = null;
        WalFile file = p.await();
        if (file != null) {
            step("close", WalSegmentLayout.PREPARING_NAME, 0);
            file.close();
        }
        step("delete", WalSegmentLayout.PREPARING_NAME, 0);
        dir.delete(WalSegmentLayout.PREPARING_NAME);
    }

    /**
     * After a commit: starts preparing the next segment once the current one is half full, unless a
     * spare is held or a preparation is under way or done: on the preparing thread when the
     * directory allows, else here (a failure there is remembered and the roll prepares inline; a
     * simulated crash of the test layers goes through). Not earlier: a preparation's writes and
     * forces share the disk with the commits' fdatasyncs (started with the segment, it cost
     * durable inserts a quarter of their rate: 1.01-1.04M against 1.27-1.33M pairs/s in
     * DurablePutBenchmark). Half a 64 MiB segment lasts seconds at a server's WAL rate, against
     * about 150 ms to prepare one; only a WAL written at the disk's full rate (WalRollBenchmark)
     * reaches the roll before the preparation is done, and then waits for the rest of it.
     */
    private void prepareAheadIfDue() {
        if (preparation != null || spare || damaged || tailPos < options.segmentBytes() / 2) {
            return;
        }
        Preparation p = new Preparation(dir, options.segmentBytes());
        preparation = p;
        if (dir.preparesOnAnyThread()) {
            p.thread = Thread.ofPlatform().daemon().name("hashdir-wal-prepare").start(p);
        } else {
            p.run();
        }
    }

    /**
     * Preparing {@link WalSegmentLayout#PREPARING_NAME} ahead: created (a leftover deleted), zero-
     * filled to the segment size, forced, left open without a header (the roll writes it). Its
     * fields are read by the journal thread only after {@link #await()}.
     */
    private static final class Preparation implements Runnable {

        private final WalDirectory dir;
        private final long size;
        private Thread thread;
        private WalFile file;
        private IOException failure;

        Preparation(WalDirectory dir, long size) {
            this.dir = dir;
            this.size = size;
        }

        @Override
        public void run() {
            String name = WalSegmentLayout.PREPARING_NAME;
            WalFile created = null;
            try {
                dir.delete(name);
                created = dir.create(name);
                // forced a step at a time, so the disk never holds much of it queued ahead of a commit's force,
                // and paced: after each step the disk is left to the commits for as long as the step took
                for (long end = Math.min(size, PREPARE_STEP); ; end = Math.min(size, end + PREPARE_STEP)) {
                    long start = System.nanoTime();
                    created.allocate(end);
                    created.force();
                    if (end == size) {
                        break;
                    }
                    LockSupport.parkNanos(Math.min(System.nanoTime() - start, MAX_PREPARE_PAUSE_NANOS));
                }
                file = created;
            } catch (IOException e) {
                failure = e;
                try {
                    if (created != null) {
                        created.close();
                    }
                    dir.delete(name);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
        }

        /** Waits until the preparation has ended; the prepared file, or null when it failed. */
        WalFile await() {
            if (thread != null) {
                boolean interrupted = false;
                while (true) {
                    try {
                        thread.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                thread = null;
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            return file;
        }
    }

    /**
     * The force thread of {@link #commitAsync()}: forces the file it is handed, one at a time, and
     * keeps the outcome for {@link #await()}. Monitor hand-off, no allocation per force.
     */
    private static final class Forcer implements Runnable {

        private final Object lock = new Object();
        private Thread thread;
        private WalFile file;
        private boolean done = true;
        private boolean stopping;
        private IOException failure;

        void start(WalFile f) {
            synchronized (lock) {
                file = f;
                done = false;
                failure = null;
                lock.notifyAll();
            }
        }

        /** Waits for the force started last; its failure, or null. */
        IOException await() {
            boolean interrupted = false;
            synchronized (lock) {
                while (!done) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return failure;
        }

        void stop() {
            synchronized (lock) {
                stopping = true;
                lock.notifyAll();
            }
        }

        @Override
        public void run() {
            while (true) {
                WalFile f;
                synchronized (lock) {
                    while (file == null && !stopping) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (file == null) {
                        return;
                    }
                    f = file;
                    file = null;
                }
                IOException failed = null;
                try {
                    f.force();
                } catch (IOException e) {
                    failed = e;
                } catch (RuntimeException | Error e) {
                    failed = new IOException("force failed: " + e, e);
                }
                synchronized (lock) {
                    failure = failed;
                    done = true;
                    lock.notifyAll();
                }
            }
        }
    }

    private void writePending() throws IOException {
        if (damaged) {
            repair();
        }
        while (true) {
            long chunkEnd = buffer.rolls() > 0 ? buffer.firstRollOffset() : buffer.length();
            if (chunkEnd > written) {
                if (durablePos > attestedEnd && attestDue()) {
                    writeSlot(0);
                }
                step("write", segmentName, bufferFilePos + written);
                segment.write(bufferFilePos + written, buffer.memory(), written, chunkEnd - written);
                written = chunkEnd;
                writtenLsn = buffer.rolls() > 0 ? buffer.firstRollLsn() - 1 : nextLsn - 1;
            }
            if (buffer.rolls() == 0) {
                return;
            }
            roll();
        }
    }

    /** Forces the full segment and seals it, then starts the next with the first planned roll's LSN. */
    private void roll() throws IOException {
        forceSegment();
        writeSlot(WalSegmentLayout.FLAG_SEALED);
        step("force sealed", segmentName, durablePos);
        segment.force();
        long first = buffer.firstRollLsn();
        WalFile next = createSegment(first);
        buffer.removeFirstRoll();
        WalFile full = segment;
        String fullName = segmentName;
        switchTo(next, first);
        step("close", fullName, 0);
        full.close();
    }

    /**
     * Creates a segment: the spare if it may serve, else the segment prepared ahead, else one
     * prepared here under {@link WalSegmentLayout#PREPARING_NAME} (allocated to the segment size
     * with zeros); then {@link #install}ed (header written and forced, renamed to its name, the
     * directory synced); deleted again on failure.
     */
    private WalFile createSegment(long firstLsn) throws IOException {
        String name = WalSegmentLayout.fileName(firstLsn);
        if (spare) {
            spare = false;
            if (spareLastLsn < firstLsn) {
                return recycle(name, firstLsn);
            }
            step("delete", WalSegmentLayout.RECYCLED_NAME, 0);
            dir.delete(WalSegmentLayout.RECYCLED_NAME);
        }
        String preparing = WalSegmentLayout.PREPARING_NAME;
        IOException failedAhead = null;
        if (preparation != null) {
            Preparation p = preparation;
            preparation = null;
            WalFile prepared = p.await();
            if (prepared != null) {
                WalFile file = install(prepared, preparing, name, firstLsn);
                rollsIntoPrepared++;
                return file;
            }
            // it failed (e.g. a full disk then): prepare inline, where a failure is the roll's
            failedAhead = p.failure;
        }
        segmentsPreparedOnRoll++;
        WalFile file;
        try {
            step("create", preparing, 0);
            dir.delete(preparing);
            file = dir.create(preparing);
        } catch (IOException e) {
            if (failedAhead != null) {
                e.addSuppressed(failedAhead);
            }
            throw e;
        }
        try {
            step("allocate", preparing, options.segmentBytes());
            file.allocate(options.segmentBytes());
        } catch (IOException e) {
            if (failedAhead != null) {
                e.addSuppressed(failedAhead);
            }
            try {
                file.close();
                dir.delete(preparing);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        try {
            return install(file, preparing, name, firstLsn); // as a segment prepared ahead
        } catch (IOException e) {
            if (failedAhead != null) {
                e.addSuppressed(failedAhead);
            }
            throw e;
        }
    }

    /**
     * Makes the spare the segment {@code name}: a new header (both sync slots claiming nothing past
     * it) written and forced, renamed, the directory synced; deleted on failure. Its blocks are
     * already written; its old records, past the header, have LSNs below {@code firstLsn}.
     */
    private WalFile recycle(String name, long firstLsn) throws IOException {
        String recycled = WalSegmentLayout.RECYCLED_NAME;
        step("open", recycled, 0);
        WalFile file = dir.openForWrite(recycled);
        rollsIntoSpare++;
        return install(file, recycled, name, firstLsn);
    }

    /**
     * Makes {@code file}, open under {@code from} with its blocks written (zeros, or records with
     * LSNs below {@code firstLsn}), the segment {@code name}: its header (both sync slots claiming
     * nothing past it) written and forced, renamed, the directory synced; deleted on failure.
     */
    private WalFile install(WalFile file, String from, String name, long firstLsn) throws IOException {
        try {
            WalSegmentLayout.encodeHeader(scratch, firstLsn, keyBytes);
            step("write header", from, 0);
            file.write(0, scratch);
            step("force", from, WalSegmentLayout.HEADER_BYTES);
            file.force();
            step("rename to " + name, from, 0);
            dir.rename(from, name);
            step("sync directory", name, 0);
            dir.syncDirectory();
            return file;
        } catch (IOException e) {
            try {
                file.close();
                dir.delete(from);
                dir.delete(name);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Makes a just created segment, whose first record will have LSN {@code firstLsn}, the current one. */
    private void switchTo(WalFile file, long firstLsn) {
        segment = file;
        segmentName = WalSegmentLayout.fileName(firstLsn);
        bufferFilePos = WalSegmentLayout.HEADER_BYTES;
        bufferFirstLsn = firstLsn;
        written = 0;
        durablePos = WalSegmentLayout.HEADER_BYTES;
        attestedEnd = WalSegmentLayout.HEADER_BYTES;
        slotSequence = 0;
        preallocated = true;
    }

    private void forceSegment() throws IOException {
        step("force", segmentName, bufferFilePos + written);
        segment.force();
        durablePos = bufferFilePos + written;
        durableLsn = writtenLsn;
        lastForceNanos = nanoClock.getAsLong();
        dropWritten();
    }

    /** Forgets the written prefix of the buffer (durable, or in NONE mode never to be rewritten). */
    private void dropWritten() {
        buffer.discard(written);
        bufferFilePos += written;
        bufferFirstLsn = writtenLsn + 1;
        written = 0;
    }

    /**
     * Attests the forced end, with {@code flags}, in the header slot not holding the newest claim
     * (made durable by the next force).
     */
    private void writeSlot(int flags) throws IOException {
        long sequence = slotSequence + 1;
        WalSegmentLayout.encodeSlot(scratch, sequence, durablePos, durableLsn, flags, slotCrc);
        step("write sync slot", segmentName, WalSegmentLayout.slotOffset(sequence));
        segment.write(WalSegmentLayout.slotOffset(sequence), scratch, 0, WalSegmentLayout.SLOT_BYTES);
        slotSequence = sequence;
        attestedEnd = durablePos;
        lastAttestNanos = nanoClock.getAsLong();
    }

    /**
     * Whether a commit attests the forces before it now: the slot write lands in a block of its
     * own, which the commit's force then writes too, so commits do it once an interval.
     */
    private boolean attestDue() {
        return attestIntervalNanos == 0 || nanoClock.getAsLong() - lastAttestNanos >= attestIntervalNanos;
    }

    /**
     * After a failed write or force: back to the last good position, from where the buffer is
     * rewritten (the same bytes at the same places). A segment growing by appends is cut back
     * there; a preallocated one keeps its blocks.
     */
    private void repair() throws IOException {
        if (!preallocated) {
            step("truncate after failure", segmentName, bufferFilePos);
            segment.truncate(bufferFilePos);
        }
        written = 0;
        writtenLsn = bufferFirstLsn - 1;
        damaged = false;
    }

    /** True when bytes were written to the current segment since its last force. */
    private boolean unforced() {
        return durablePos < bufferFilePos + written;
    }

    private boolean forceDue() {
        return nanoClock.getAsLong() - lastForceNanos >= options.asyncForceInterval().toNanos();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("WAL writer is closed");
        }
    }

    private void step(String what, String file, long position) {
        operation = what;
        operationFile = file;
        operationPosition = position;
    }

    private WalIoException failure(IOException e) {
        return new WalIoException(operation, dir.describe(operationFile), operationPosition, e);
    }
}
