package dev.hashdir.engine.page;

import dev.hashdir.engine.store.ForwardingPageIo;
import dev.hashdir.engine.store.Meta;
import dev.hashdir.engine.store.PageIo;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PageCacheTest {

    private static final long BODY = PageLayout.HEADER_BYTES;

    @TempDir
    Path dir;

    @Test
    void evictsAndWritesBackWhenMorePagesThanFrames() throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = new PageCache(store, 0)) {
            assertThat(cache.frames()).isEqualTo(PageCache.MIN_FRAMES);
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                long id = cache.allocate(PageKind.TEST);
                setBody(cache, id, id * 31);
                ids.add(id);
                cache.endOperation();
            }
            assertThat(cache.writes()).isGreaterThan(0);
            for (long id : ids) {
                assertThat(body(cache, id)).as("page %d", id).isEqualTo(id * 31);
                cache.endOperation();
            }
            assertThat(cache.misses()).isGreaterThan(0);
        }
    }

    /**
     * Page-map pages cost a step more than page images: a step of 64 writes at most 8 of them, and
     * starting the map's chains (a walk over the deletion log) takes a step of its own.
     */
    @Test
    void aStepWritesFewMapPagesAndStartsTheChainsAlone() throws Exception {
        PageStore.create(dir, StoreOptions.defaults()).close(); // then opened with a layer that notes each write
        List<List<PageKind>> steps = new ArrayList<>();
        List<PageKind> current = new ArrayList<>();
        PageIo.Wrapper counting = io -> new NotingKinds(io, current);
        try (PageStore store = PageStore.open(dir, counting);
             PageCache cache = PageCache.withFrames(store, 8192)) {
            int pages = 6000; // twelve leaves of the page map, all changed
            for (int i = 0; i < pages; i++) {
                long id = cache.allocate(PageKind.TEST);
                setBody(cache, id, id);
                cache.endOperation();
            }
            current.clear();
            cache.beginCheckpoint();
            boolean done;
            do {
                done = cache.checkpointStep(64);
                steps.add(new ArrayList<>(current));
                current.clear();
            } while (!done);
        }
        int lastLeafStep = -1;
        int firstChainStep = -1;
        for (int i = 0; i < steps.size(); i++) {
            List<PageKind> step = steps.get(i);
            long map = step.stream().filter(k -> k != PageKind.TEST).count();
            assertThat(step.size()).as("pages written by step %d", i).isLessThanOrEqualTo(64);
            assertThat(map).as("map pages written by step %d", i).isLessThanOrEqualTo(8);
            if (step.contains(PageKind.PAGE_MAP)) {
                lastLeafStep = i;
            }
            if (firstChainStep < 0 && (step.contains(PageKind.PAGE_MAP_INDEX) || step.contains(PageKind.DELETION_LOG))) {
                firstChainStep = i;
            }
        }
        assertThat(steps.stream().mapToLong(st -> st.stream().filter(k -> k == PageKind.PAGE_MAP).count()).sum())
                .as("leaves written").isGreaterThan(8);
        assertThat(firstChainStep).as("the chains start in a step of their own, after the last leaves")
                .isGreaterThan(lastLeafStep + 1);
        assertThat(steps.get(lastLeafStep + 1)).as("the chains' start").isEmpty();
    }

    @Test
    void aFrameLimitEvictsWithinItAndLiftingItFillsTheRest() throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = PageCache.withFrames(store, 1024)) {
            int limit = PageCache.MIN_FRAMES;
            cache.limitFrames(limit);
            assertThat(cache.frameLimit()).isEqualTo(limit);
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                long id = cache.allocate(PageKind.TEST);
                setBody(cache, id, id * 31);
                ids.add(id);
                cache.endOperation();
                assertThat(cache.residentFrames()).as("after page %d", i).isLessThanOrEqualTo(limit);
            }
            assertThat(cache.writes()).as("pages past the limit were written back").isEqualTo(1000 - limit);
            for (long id : ids) {
                assertThat(body(cache, id)).as("page %d", id).isEqualTo(id * 31);
                cache.endOperation();
                assertThat(cache.residentFrames()).isLessThanOrEqualTo(limit);
            }
            assertThat(cache.spilledFrames()).isZero();

            cache.limitFrames(cache.frames());
            long writes = cache.writes();
            for (long id : ids) {
                assertThat(body(cache, id)).as("page %d", id).isEqualTo(id * 31);
                cache.endOperation();
            }
            assertThat(cache.residentFrames()).as("every page fits once the limit is lifted").isEqualTo(1000);
            long misses = cache.misses();
            for (long id : ids) {
                cache.read(id);
                cache.endOperation();
            }
            assertThat(cache.misses()).as("all resident: no more misses").isEqualTo(misses);
            assertThat(cache.writes()).as("nothing evicted without the limit").isEqualTo(writes);

            cache.limitFrames(1);
            assertThat(cache.frameLimit()).as("clamped to the least frames").isEqualTo(PageCache.MIN_FRAMES);
            cache.limitFrames(1 << 20);
            assertThat(cache.frameLimit()).as("clamped to the cache").isEqualTo(1024);
        }
    }

    @Test
    void anOperationHoldingMoreFramesThanTheLimitTakesEmptyFramesBeforeSpilling() throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = PageCache.withFrames(store, 1024)) {
            cache.limitFrames(PageCache.MIN_FRAMES);
            int n = PageCache.MIN_FRAMES * 2;
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) { // one operation: every page stays pinned
                ids[i] = cache.allocate(PageKind.TEST);
                cache.modify(ids[i]).set(ValueLayout.JAVA_INT_UNALIGNED, BODY, i);
            }
            assertThat(cache.spilledFrames()).isZero();
            assertThat(cache.residentFrames()).isEqualTo(n);
            cache.endOperation();
            for (int i = 0; i < n; i++) {
                assertThat(cache.read(ids[i]).get(ValueLayout.JAVA_INT_UNALIGNED, BODY)).isEqualTo(i);
                cache.endOperation();
            }
            assertThat(cache.residentFrames()).as("back within the limit as pages are evicted").isLessThanOrEqualTo(n);
        }
    }

    @Test
    void pagesTouchedInAnOperationStayResidentBeyondTheBound() throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = new PageCache(store, 0)) {
            int n = PageCache.MIN_FRAMES * 3;
            long[] ids = new long[n];
            MemorySegment[] segments = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                ids[i] = cache.allocate(PageKind.TEST);
                segments[i] = cache.modify(ids[i]);
                segments[i].set(ValueLayout.JAVA_INT_UNALIGNED, BODY, i);
            }
            for (int i = 0; i < n; i++) {
                assertThat(segments[i].get(ValueLayout.JAVA_INT_UNALIGNED, BODY)).isEqualTo(i);
                assertThat(PageLayout.pageId(segments[i])).isEqualTo(ids[i]);
            }
            assertThat(cache.spilledFrames()).isEqualTo(n - PageCache.MIN_FRAMES);
            cache.endOperation();
            for (int i = 0; i < n; i++) {
                assertThat(cache.read(ids[i]).get(ValueLayout.JAVA_INT_UNALIGNED, BODY)).isEqualTo(i);
                cache.release(ids[i]);
            }
            assertThat(cache.spilledFrames()).as("released pages make room").isEqualTo(n - PageCache.MIN_FRAMES);
        }
    }

    @Test
    void freedIdsAreReusedAndFreedPagesAreNeverWritten() throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = new PageCache(store, 0)) {
            long a = cache.allocate(PageKind.TEST);
            long b = cache.allocate(PageKind.TEST);
            cache.free(a);
            assertThat(cache.freePages()).isEqualTo(1);
            assertThat(cache.allocate(PageKind.BUCKET)).isEqualTo(a);
            assertThat(PageLayout.kind(cache.read(a))).isEqualTo(PageKind.BUCKET);
            cache.free(b);
            Set<Long> dirty = new HashSet<>();
            cache.forEachDirty(dirty::add);
            assertThat(dirty).containsExactly(a);
            assertThat(cache.dirtyPages()).isEqualTo(1);
            cache.flush();
            assertThat(cache.writes()).isEqualTo(1);
            assertThat(cache.dirtyPages()).isZero();
            assertThatThrownBy(() -> cache.read(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("id=0");
            assertThatThrownBy(() -> cache.read(99)).hasMessageContaining("out of range: id=99");
        }
    }

    @Test
    void freeIdsSurviveACheckpointAndReopen() throws Exception {
        Set<Long> freed = new HashSet<>();
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = new PageCache(store, 0)) {
            long[] ids = new long[2000];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = cache.allocate(PageKind.TEST);
                cache.endOperation();
            }
            for (int i = 0; i < ids.length; i += 2) {
                cache.free(ids[i]);
                freed.add(ids[i]);
            }
            assertThat(cache.freePages()).isEqualTo(1000);
            checkpoint(store, cache);
        }
        try (PageStore store = PageStore.open(dir); PageCache cache = new PageCache(store, 0)) {
            assertThat(cache.freePages()).as("ids the map has no row for").isEqualTo(1000);
            assertThat(cache.pagesInUse()).isEqualTo(1000);
            List<Long> reused = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                reused.add(cache.allocate(PageKind.TEST));
            }
            assertThat(reused).as("the lowest free id first").isEqualTo(freed.stream().sorted().toList());
        }
    }

    @Test
    void pagesChangedWhileACheckpointRunsKeepItsImagesThroughShadowsEvictionsAndFrees() throws Exception {
        int pages = 600; // more than the 256 frames: pages are evicted while the checkpoint runs
        long[] ids = new long[pages];
        SplittableRandom random = new SplittableRandom(11);
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = new PageCache(store, 0)) {
            assertThat(cache.shadowLimit()).isEqualTo(PageCache.MIN_SHADOWS);
            for (int i = 0; i < pages; i++) {
                ids[i] = cache.allocate(PageKind.TEST);
                setBody(cache, ids[i], value(ids[i], 1));
                cache.endOperation();
            }
            checkpoint(store, cache);
            for (long id : ids) {
                setBody(cache, id, value(id, 2));
                cache.endOperation();
            }
            cache.beginCheckpoint(); // freezes the value-2 images; what follows belongs to the next epoch
            Set<Long> freed = new HashSet<>();
            int steps = 0;
            do {
                for (int k = 0; k < 40; k++) {
                    long id = ids[random.nextInt(pages)];
                    if (freed.contains(id)) {
                        continue;
                    }
                    int what = random.nextInt(20);
                    if (what == 0) {
                        cache.free(id);
                        freed.add(id);
                    } else if (what == 1 && cache.freePages() > 0) {
                        long again = cache.allocate(PageKind.TEST); // a freed id, reused in the next epoch
                        assertThat(freed.remove(again)).isTrue();
                        setBody(cache, again, value(again, 4));
                    } else {
                        setBody(cache, id, value(id, 3));
                    }
                    cache.endOperation();
                }
                steps++;
            } while (!cache.checkpointStep(8));
            assertThat(steps).as("the checkpoint ran across many operations").isGreaterThanOrEqualTo(10);
            assertThat(cache.shadowCopies()).as("modified pending pages were copied aside").isGreaterThan(0);
            assertThat(cache.shadowsHeld()).as("every shadow is written by the time the pages are").isZero();
            publish(store, cache);
        } // closed without a flush: the store holds the published checkpoint
        try (PageStore store = PageStore.open(dir); PageCache cache = new PageCache(store, 0)) {
            for (long id : ids) {
                assertThat(body(cache, id))
                        .as("page %d as the checkpoint froze it", id).isEqualTo(value(id, 2));
                cache.endOperation();
            }
        }
    }

    /** Writes {@code v} into page {@code id}'s body (the page becomes dirty). */
    private static void setBody(PageCache cache, long id, long v) {
        cache.modify(id).set(ValueLayout.JAVA_LONG_UNALIGNED, BODY, v);
    }

    /** The first long of page {@code id}'s body. */
    private static long body(PageCache cache, long id) {
        return cache.read(id).get(ValueLayout.JAVA_LONG_UNALIGNED, BODY);
    }

    private static long value(long id, int version) {
        return id * 1000 + version;
    }

    private static void checkpoint(PageStore store, PageCache cache) throws Exception {
        cache.beginCheckpoint();
        while (!cache.checkpointStep(100)) {
            // steps
        }
        publish(store, cache);
    }

    private static void publish(PageStore store, PageCache cache) throws Exception {
        PageCache.Checkpoint c = cache.finishCheckpoint();
        store.sync();
        Meta m = store.meta();
        store.writeMeta(new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), c.epoch(), 0,
                c.pageCount(), 0, c.pageMapRoot(), c.deletionLogRoot(), 0, 0, 0, c.rowCount()));
        store.sync();
        cache.checkpointPublished();
    }

    /** Notes the kind of each page written, in order. */
    private record NotingKinds(PageIo io, List<PageKind> written) implements ForwardingPageIo {

        @Override
        public void writePage(long row, MemorySegment page) {
            written.add(PageLayout.kind(page));
            io.writePage(row, page);
        }
    }
}
