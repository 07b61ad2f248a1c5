package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
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
}
