package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class StatsCellTest {

    @TempDir
    Path dir;

    @Test
    void readsNothingBeforeTheFirstCaptureThenWhatTheEngineCounted() throws Exception {
        try (HashDir hd = HashDir.create(dir.resolve("data"), StoreOptions.defaults(), HashDirConfig.defaults());
             Arena arena = Arena.ofConfined()) {
            StatsCell cell = new StatsCell();
            assertThat(cell.captured()).isFalse();
            assertThat(cell.read()).isNull();
            MemorySegment key = arena.allocate(hd.keyBytes(), 8);
            for (int i = 0; i < 1000; i++) {
                key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i * 0x9E3779B97F4A7C15L);
                hd.put(key, i);
                hd.put(key, i + 1_000_000L);
            }
            cell.capture(hd);
            assertThat(cell.captured()).isTrue();
            assertThat(cell.read()).isEqualTo(hd.stats());
            assertThat(cell.read().keys()).isEqualTo(1000);
            assertThat(cell.read().values()).isEqualTo(2000);
        }
    }

    /**
     * A reader on another thread never sees half of a capture: the writer adds one new key with one
     * value between captures, so in every whole capture values == keys (a read mixing the words
     * of two captures would break it as soon as the writer gets ahead).
     */
    @Test
    void aReaderOnAnotherThreadSeesOnlyWholeCaptures() throws Exception {
        try (HashDir hd = HashDir.create(dir.resolve("data"), StoreOptions.defaults(), HashDirConfig.defaults());
             Arena arena = Arena.ofConfined()) {
            StatsCell cell = new StatsCell();
            cell.capture(hd);
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            AtomicReference<Stats> torn = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                long lastKeys = 0;
                while (!done.get()) {
                    Stats s = cell.read();
                    reads.incrementAndGet();
                    if (s.values() != s.keys() || s.keys() < lastKeys) {
                        torn.compareAndSet(null, s);
                    }
                    lastKeys = s.keys();
                    Thread.yield(); // on 2 cores the JIT's threads need a turn, else the writer stays interpreted
                }
            });
            MemorySegment key = arena.allocate(hd.keyBytes(), 8);
            for (int i = 0; i < 20_000; i++) {
                key.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, i * 0x9E3779B97F4A7C15L + 1);
                hd.put(key, i);
                cell.capture(hd);
            }
            done.set(true);
            reader.join();
            assertThat(torn.get()).as("a read mixing two captures").isNull();
            assertThat(reads.get()).as("reads made while captures went on").isPositive();
            assertThat(cell.read().keys()).isEqualTo(20_000);
        }
    }
}
