package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
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
     * {@link Checksums#crc32c} for a path that runs once a request or a commit: no object made per
     * call once it has seen the segment (it keeps a view of the last segment it summed).
     *
     * <p>Threading: one thread's.
     */
    public static final class Crc32c {

        private final CRC32C crc = new CRC32C();
        private MemorySegment viewed;
        private ByteBuffer view;

        /** CRC32C of {@code length} bytes of {@code segment} (at most 2 GiB) from {@code offset}. */
        public int of(MemorySegment segment, long offset, long length) {
            if (segment != viewed) {
                view = segment.asByteBuffer();
                viewed = segment;
            }
            view.limit(Math.toIntExact(offset + length)).position((int) offset);
            crc.reset();
            crc.update(view);
            return (int) crc.getValue();
        }
    }
}
