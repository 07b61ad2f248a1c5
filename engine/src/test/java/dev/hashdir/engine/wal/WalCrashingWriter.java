package dev.hashdir.engine.wal;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Child-process writer for {@link WalKillTest}: opens the WAL in {@code args[0]} in SYNC mode
 * (replaying what a previous child left), prints {@code ready <next LSN>}, then commits batches of
 * 1 to {@value #MAX_BATCH} PUTs forever, printing {@code acked <LSN>} after each commit returns,
 * until the parent kills it with SIGKILL. Record {@code n} is fully determined by {@code n}.
 */
public final class WalCrashingWriter {

    static final int KEY_BYTES = 32;
    static final int MAX_BATCH = 8;
    static final long SEGMENT_BYTES = 64 << 10;

    private WalCrashingWriter() {
    }

    /** The key of record {@code lsn}. */
    static MemorySegment key(long lsn) {
        byte[] key = new byte[KEY_BYTES];
        for (int i = 0; i < KEY_BYTES; i++) {
            key[i] = (byte) (lsn * 31 + i * 7);
        }
        return MemorySegment.ofArray(key);
    }

    /** The value of record {@code lsn}. */
    static long value(long lsn) {
        return lsn * 0x9E3779B97F4A7C15L;
    }

    public static void main(String[] args) {
        FileWalDirectory dir;
        try {
            dir = FileWalDirectory.open(Path.of(args[0]));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT_BYTES);
        WalWriter writer = WalWriter.open(dir, options, 1, r -> { });
        System.out.println("ready " + writer.nextLsn());
        System.out.flush();
        while (true) {
            int batch = 1 + (int) (writer.nextLsn() % MAX_BATCH);
            for (int i = 0; i < batch; i++) {
                long lsn = writer.nextLsn();
                writer.appendPut(key(lsn), value(lsn));
            }
            long acked = writer.commit();
            System.out.println("acked " + acked);
            System.out.flush();
        }
    }
}
