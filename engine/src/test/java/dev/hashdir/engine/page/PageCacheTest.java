package dev.hashdir.engine.page;

import dev.hashdir.engine.store.Meta;
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
                cache.modify(id).set(ValueLayout.JAVA_LONG_UNALIGNED, BODY, id * 31);
                ids.add(id);
                cache.endOperation();
            }
            assertThat(cache.writes()).isGreaterThan(0);
            for (long id : ids) {
                assertThat(cache.read(id).get(ValueLayout.JAVA_LONG_UNALIGNED, BODY)).as("page %d", id).isEqualTo(id * 31);
                cache.endOperation();
            }
            assertThat(cache.misses()).isGreaterThan(0);
        }
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
                cache.modify(id).set(ValueLayout.JAVA_LONG_UNALIGNED, BODY, id * 31);
                ids.add(id);
                cache.endOperation();
                assertThat(cache.residentFrames()).as("after page %d", i).isLessThanOrEqualTo(limit);
            }
            assertThat(cache.writes()).as("pages past the limit were written back").isEqualTo(1000 - limit);
            for (long id : ids) {
                assertThat(cache.read(id).get(ValueLayout.JAVA_LONG_UNALIGNED, BODY)).as("page %d", id).isEqualTo(id * 31);
                cache.endOperation();
                assertThat(cache.residentFrames()).isLessThanOrEqualTo(limit);
            }
            assertThat(cache.spilledFrames()).isZero();

            cache.limitFrames(cache.frames());
            long writes = cache.writes();
            for (long id : ids) {
                assertThat(cache.read(id).get(ValueLayout.JAVA_LONG_UNALIGNED, BODY)).as("page %d", id).isEqualTo(id * 31);
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
            Set<Long> reused = new HashSet<>();
            for (int i = 0; i < 1000; i++) {
                reused.add(cache.allocate(PageKind.TEST));
            }
            assertThat(freed).containsExactlyInAnyOrderElementsOf(reused);
        }
    }

    private static void checkpoint(PageStore store, PageCache cache) throws Exception {
        cache.beginCheckpoint();
        while (!cache.checkpointStep(100)) {
            // steps
        }
        PageCache.Checkpoint c = cache.finishCheckpoint();
        store.sync();
        Meta m = store.meta();
        store.writeMeta(new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), c.epoch(), 0,
                c.pageCount(), 0, c.pageMapRoot(), c.deletionLogRoot(), 0, 0, 0, c.rowCount()));
        store.sync();
        cache.checkpointPublished();
    }
}
