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
    void freeListSurvivesReopen() throws Exception {
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
            long root = cache.saveFreeList();
            long listPages = 2; // 1000 ids: two pages of 507
            assertThat(cache.freePages()).isEqualTo(1000 - listPages);
            cache.flush();
            store.sync();
            Meta m = store.meta();
            store.writeMeta(new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), m.epoch() + 1, 0,
                    cache.pageCount(), 0, root, 0, 0, 0, 0));
            store.sync();
        }
        try (PageStore store = PageStore.open(dir); PageCache cache = new PageCache(store, 0)) {
            cache.loadFreeList(store.meta().freeListRoot());
            assertThat(cache.freePages()).isEqualTo(998);
            assertThat(cache.pagesInUse()).isEqualTo(1002);
            Set<Long> reused = new HashSet<>();
            for (int i = 0; i < 998; i++) {
                reused.add(cache.allocate(PageKind.TEST));
            }
            assertThat(freed).containsAll(reused);
            long root = cache.saveFreeList(); // the old list's two pages come back as free
            assertThat(root).isNotZero();
            assertThat(cache.freePages()).isEqualTo(1);
        }
    }
}
