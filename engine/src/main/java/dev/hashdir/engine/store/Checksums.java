package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C (Castagnoli) over memory segments, as used by every page, meta slot and WAL record. */
public final class Checksums {

    private Checksums() {
    }

    /** CRC32C of {@code length} bytes of {@code segment} from {@code offset}. */
    public static int crc32c(MemorySegment segment, long offset, long length) {
        CRC32C crc = new CRC32C();
        crc.update(segment.asSlice(offset, length).asByteBuffer());
        return (int) crc.getValue();
    }

    /**
     * {@link Checksums#crc32c} for a path that runs once a request, a commit or a page: no object
     * made per call. It keeps a view of the segment it was first given (the WAL writer's slot
     * scratch: summed in place), and copies ranges of any other segment (page frames, each its own
     * segment) into an array of its own first: 4 KiB cost a copy of about 0.1 us there, not the
     * three objects a view of each would.
     *
     * <p>Threading: one thread's.
     */
    public static final class Crc32c {

        /** Ranges up to this long are copied (larger ones get a view made for them). */
        private static final int COPY_BYTES = 1 << 16;

        private final CRC32C crc = new CRC32C();
        private MemorySegment viewed;
        private ByteBuffer view;
        private byte[] copy = new byte[0];

        /** CRC32C of {@code length} bytes of {@code segment} (at most 2 GiB) from {@code offset}. */
        public int of(MemorySegment segment, long offset, long length) {
            crc.reset();
            if (segment != viewed && viewed == null) {
                viewed = segment;
                view = segment.asByteBuffer();
            }
            if (segment == viewed) {
                view.limit(Math.toIntExact(offset + length)).position((int) offset);
                crc.update(view);
            } else if (length <= COPY_BYTES) {
                int n = (int) length;
                if (copy.length < n) {
                    copy = new byte[Math.max(n, 4096)];
                }
                MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, copy, 0, n);
                crc.update(copy, 0, n);
            } else {
                crc.update(segment.asSlice(offset, length).asByteBuffer());
            }
            return (int) crc.getValue();
        }
    }
}
