package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM of the reader tests that follow the real engine ({@code EngineReaderTest},
 * {@code PythonReaderTest}): creates a {@link DurableHashDir} with a small cache (evictions, so
 * rows are written between checkpoints too), does random puts (and some removes and deletes) on
 * a key space large enough for bucket splits and value lists, and checkpoints incrementally every
 * {@code opsPerCheckpoint} ops, a few pages per op, so copy-on-write rows are reused while readers
 * read. Prints {@code C <epoch> <pageCount>} when a checkpoint is durable and
 * {@code done epoch=E} after closing.
 *
 * <p>Arguments: data dir, seed, checkpoints, ops per checkpoint, pause in ms after each checkpoint.
 */
public final class CheckpointingWriter {

    static final int KEYS = 4000;
    static final int KEY_BYTES = 16;

    private CheckpointingWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        int checkpoints = Integer.parseInt(args[2]);
        int opsPerCheckpoint = Integer.parseInt(args[3]);
        long pauseMillis = Long.parseLong(args[4]);
        HashDirConfig config = HashDirConfig.defaults().withCacheBytes(1 << 20);
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.ASYNC).withSegmentBytes(1 << 20);
        DurableHashDir d = DurableHashDir.create(data, new StoreOptions(KEY_BYTES, 4096), config, wal);
        try (Arena arena = Arena.ofConfined()) {
            System.out.println("ready epoch=" + d.hashDir().durableMeta().epoch());
            MemorySegment key = arena.allocate(KEY_BYTES);
            int done = 0;
            for (long n = 1; done < checkpoints; n++) {
                DurableCrashingWriter.key(key, random.nextInt(KEYS));
                int r = random.nextInt(100);
                if (r < 85) {
                    d.put(key, random.nextLong(1 << 20));
                } else if (r < 99) {
                    d.remove(key, random.nextLong(1 << 20));
                } else {
                    d.delete(key);
                }
                if (n % 64 == 0) {
                    d.commit();
                }
                if (n % opsPerCheckpoint == 0 && !d.checkpointRunning()) {
                    d.commit();
                    d.beginCheckpoint();
                }
                if (d.checkpointRunning() && d.checkpointStep(8)) {
                    done++;
                    System.out.println("C " + d.hashDir().durableMeta().epoch() + " "
                            + d.hashDir().durableMeta().pageCount());
                    Thread.sleep(pauseMillis);
                }
            }
        } finally {
            d.close(); // a last checkpoint
        }
        System.out.println("done epoch=" + d.hashDir().durableMeta().epoch());
    }
}
