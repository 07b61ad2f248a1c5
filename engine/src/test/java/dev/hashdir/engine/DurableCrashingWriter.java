package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM of {@link DurableCrashTest}: random puts, removes and deletes on a small key space,
 * each committed (SYNC) on its own; prints {@code I <op>} before applying an op and
 * {@code A <op>} once its commit returned; checkpoints incrementally every so many ops, a few
 * pages per op, and prints {@code C <epoch>} when one is durable. Runs until killed.
 *
 * <p>Ops: {@code P key value}, {@code R key value}, {@code D key}; keys are 0..KEYS-1.
 */
public final class DurableCrashingWriter {

    static final int KEYS = 64;
    static final int KEY_BYTES = 16;

    private DurableCrashingWriter() {
    }

    static WalOptions walOptions() {
        return WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(16 << 10);
    }

    static HashDirConfig config() {
        return HashDirConfig.defaults().withCacheBytes(1 << 20);
    }

    static void key(MemorySegment into, int k) {
        into.fill((byte) 0);
        into.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, k);
        into.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8, k * 0x9E3779B9);
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        DurableHashDir d = Files.exists(data.resolve("hashdir.h5"))
                ? DurableHashDir.open(data, config(), walOptions())
                : DurableHashDir.create(data, new StoreOptions(KEY_BYTES, 4096), config(), walOptions());
        System.out.println("ready replayed=" + d.recordsReplayed());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(KEY_BYTES);
            for (long n = 0; ; n++) {
                int k = random.nextInt(KEYS);
                int r = random.nextInt(100);
                String op;
                key(key, k);
                if (r < 70) {
                    long v = random.nextLong(1 << 12);
                    op = "P " + k + " " + v;
                    System.out.println("I " + op);
                    d.put(key, v);
                } else if (r < 97) {
                    long v = random.nextLong(1 << 12);
                    op = "R " + k + " " + v;
                    System.out.println("I " + op);
                    d.remove(key, v);
                } else {
                    op = "D " + k;
                    System.out.println("I " + op);
                    d.delete(key);
                }
                d.commit();
                System.out.println("A " + op);
                if (n % 200 == 0 && !d.checkpointRunning()) {
                    d.beginCheckpoint();
                }
                if (d.checkpointRunning() && d.checkpointStep(4)) {
                    System.out.println("C " + d.hashDir().durableMeta().epoch());
                }
            }
        }
    }
}
