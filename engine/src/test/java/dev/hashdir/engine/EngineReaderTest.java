package dev.hashdir.engine;

import dev.hashdir.engine.store.ChildProcess;
import dev.hashdir.engine.store.Meta;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.SnapshotReader;
import dev.hashdir.engine.store.StaleSnapshotException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java {@link SnapshotReader} following the real engine: a child JVM runs
 * {@link CheckpointingWriter} (a {@link DurableHashDir} doing random puts with incremental
 * copy-on-write checkpoints), while this JVM refreshes and reads every page the page map of the
 * current snapshot maps, verifying each (checksum, logical id, epoch not newer than the snapshot,
 * an engine page kind). A stale snapshot (the writer reused a row after the grace checkpoint) is
 * the only error allowed: refresh and start the pass over.
 */
class EngineReaderTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Set<PageKind> ENGINE_KINDS = EnumSet.of(PageKind.BUCKET, PageKind.DIRECTORY,
            PageKind.VALUE_LEAF, PageKind.VALUE_INDEX, PageKind.OVERFLOW);

    @TempDir
    Path dir;

    @Test
    void readsEveryMappedPageOfEachCheckpointWhileTheEngineWrites() throws Exception {
        int checkpoints = 30;
        try (ChildProcess writer = ChildProcess.java(CheckpointingWriter.class, dir.toString(), "7",
                Integer.toString(checkpoints), "1500", "5")) {
            writer.awaitLine("ready", TIMEOUT);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!Files.exists(dir.resolve("hashdir.h5"))) {
                Thread.sleep(5);
            }
            try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
                MemorySegment page = arena.allocate(reader.pageSize());
                TreeSet<Long> epochsVerified = new TreeSet<>();
                long pagesVerified = 0;
                long stale = 0;
                boolean writerDone = false;
                while (true) {
                    assertThat(System.nanoTime()).as("deadline; writer output: %s", writer.lines()).isLessThan(deadline);
                    writerDone = writerDone || !writer.isAlive();
                    Meta m = reader.refresh();
                    if (!epochsVerified.contains(m.epoch())) {
                        try {
                            pagesVerified += verifyEveryPage(reader, page);
                            epochsVerified.add(m.epoch());
                        } catch (StaleSnapshotException e) {
                            stale++; // the next refresh moves on
                        }
                    }
                    if (writerDone) {
                        break;
                    }
                    Thread.sleep(2);
                }
                assertThat(writer.waitFor(TIMEOUT)).as("writer output: %s", writer.lines()).isZero();
                String done = writer.lines().stream().filter(l -> l.startsWith("done epoch=")).findFirst().orElseThrow();
                long finalEpoch = Long.parseLong(done.substring("done epoch=".length()));
                assertThat(reader.refresh().epoch()).isEqualTo(finalEpoch);
                if (!epochsVerified.contains(finalEpoch)) {
                    pagesVerified += verifyEveryPage(reader, page);
                    epochsVerified.add(finalEpoch);
                }
                System.out.printf("engine reader: epochs verified=%d of %d (%s..%s), pages verified=%d, stale passes=%d,"
                                + " retries=%d, page refreshes=%d, final pageCount=%d rowCount=%d%n", epochsVerified.size(),
                        finalEpoch, epochsVerified.first(), epochsVerified.last(), pagesVerified, stale, reader.retries(),
                        reader.pageRefreshes(), reader.meta().pageCount(), reader.meta().rowCount());
                assertThat(epochsVerified).as("checkpoints read whole while the writer ran").hasSizeGreaterThanOrEqualTo(5);
                assertThat(reader.meta().pageCount()).as("a store of many pages").isGreaterThan(100);
            }
        }
    }

    /** Reads and checks every page the snapshot maps; returns how many. */
    static long verifyEveryPage(SnapshotReader reader, MemorySegment page) {
        Meta m = reader.meta();
        long n = 0;
        for (long id = 1; id < m.pageCount(); id++) {
            if (reader.rowOf(id) == 0) {
                continue;
            }
            reader.readPage(id, page);
            assertThat(PageLayout.pageId(page)).isEqualTo(id);
            assertThat(PageLayout.epoch(page)).as("epoch of page %d", id).isLessThanOrEqualTo(m.epoch());
            assertThat(ENGINE_KINDS).as("kind of page %d at epoch %d", id, m.epoch()).contains(PageLayout.kind(page));
            n++;
        }
        if (m.directoryRoot() != 0) {
            reader.readPage(m.directoryRoot(), page);
            assertThat(PageLayout.kind(page)).as("directory root").isEqualTo(PageKind.DIRECTORY);
        }
        return n;
    }
}
