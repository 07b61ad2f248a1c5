package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
     * made per call. A range is copied into an array of its own and summed there (4 KiB cost a
     * copy of about 0.1 us, not the three objects a view of the segment would); a range larger
     * than {@value #COPY_BYTES} bytes is summed through a view made for it.
     *
     * <p>Threading: one thread's.
     */
    public static final class Crc32c {

        private static final int COPY_BYTES = 1 << 16;

        private final CRC32C crc = new CRC32C();
        private byte[] copy = new byte[0];

        /** CRC32C of {@code length} bytes of {@code segment} from {@code offset}. */
        public int of(MemorySegment segment, long offset, long length) {
            crc.reset();
            if (length <= COPY_BYTES) {
                int n = (int) length;
                if (copy.length < n) {
                    copy = new byte[n];
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
