package dev.hashdir.engine.wal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The writer's encoded records that are not durable yet (in {@link Durability#NONE}: not written
 * yet), in native memory that doubles when full, and the segment rolls planned inside them: at a
 * roll offset the records of the next segment begin.
 *
 * <p>Threading: owned by the writer's thread.
 */
final class WalBuffer {

    private final CRC32C crc = new CRC32C();
    private MemorySegment memory;
    private ByteBuffer view;
    private long length;
    private long[] rollOffsets = new long[4];
    private long[] rollLsns = new long[4];
    private int rolls;

    WalBuffer(long capacity) {
        allocate(capacity);
    }

    MemorySegment memory() {
        return memory;
    }

    long length() {
        return length;
    }

    /** Appends {@code bytes} uninitialized bytes; returns their offset. */
    long reserve(long bytes) {
        if (length + bytes > memory.byteSize()) {
            MemorySegment old = memory;
            allocate(Math.max(length + bytes, 2 * old.byteSize()));
            MemorySegment.copy(old, 0, memory, 0, length);
        }
        long offset = length;
        length += bytes;
        return offset;
    }

    int crc32c(long offset, long bytes) {
        crc.reset();
        view.limit((int) (offset + bytes)).position((int) offset);
        crc.update(view);
        return (int) crc.getValue();
    }

    /** Plans a new segment starting at the current end, with first LSN {@code lsn}. */
    void planRoll(long lsn) {
        if (rolls == rollOffsets.length) {
            rollOffsets = Arrays.copyOf(rollOffsets, 2 * rolls);
            rollLsns = Arrays.copyOf(rollLsns, 2 * rolls);
        }
        rollOffsets[rolls] = length;
        rollLsns[rolls] = lsn;
        rolls++;
    }

    int rolls() {
        return rolls;
    }

    long firstRollOffset() {
        return rollOffsets[0];
    }

    long firstRollLsn() {
        return rollLsns[0];
    }

    void removeFirstRoll() {
        rolls--;
        System.arraycopy(rollOffsets, 1, rollOffsets, 0, rolls);
        System.arraycopy(rollLsns, 1, rollLsns, 0, rolls);
    }

    /** Drops the first {@code bytes} bytes (no planned roll may lie inside them). */
    void discard(long bytes) {
        if (bytes == 0) {
            return;
        }
        MemorySegment.copy(memory, bytes, memory, 0, length - bytes);
        length -= bytes;
        for (int i = 0; i < rolls; i++) {
            rollOffsets[i] -= bytes;
        }
    }

    /** Native memory the GC frees: a writer abandoned by a crash leaks nothing. */
    private void allocate(long capacity) {
        if (capacity > Integer.MAX_VALUE) {
            throw new IllegalStateException("WAL buffer would exceed 2 GiB: capacity=" + capacity
                    + " (commit more often)");
        }
        memory = Arena.ofAuto().allocate(capacity, 8);
        view = memory.asByteBuffer();
    }
}
