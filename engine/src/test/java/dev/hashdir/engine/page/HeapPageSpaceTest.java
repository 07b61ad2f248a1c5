package dev.hashdir.engine.page;

import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.StoreFormat;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HeapPageSpaceTest {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    @Test
    void allocateWritesTheHeaderAndZeroesTheBody() {
        try (HeapPageSpace space = new HeapPageSpace(256)) {
            space.epoch(7);
            long id = space.allocate(PageKind.VALUE_LEAF);
            MemorySegment page = space.read(id);
            assertThat(id).isNotEqualTo(StoreFormat.NULL_PAGE);
            assertThat(PageLayout.kind(page)).isEqualTo(PageKind.VALUE_LEAF);
            assertThat(PageLayout.pageId(page)).isEqualTo(id);
            assertThat(PageLayout.epoch(page)).isEqualTo(7);
            assertThat(page.byteSize()).isEqualTo(256);
            for (long off = PageLayout.HEADER_BYTES; off < 256; off += 8) {
                assertThat(page.get(LONG, off)).as("offset %d", off).isZero();
            }
        }
    }

    @Test
    void freedIdsAreReusedWithAZeroedBody() {
        try (HeapPageSpace space = new HeapPageSpace(128)) {
            long a = space.allocate(PageKind.VALUE_LEAF);
            long b = space.allocate(PageKind.VALUE_LEAF);
            space.modify(a).set(LONG, PageLayout.HEADER_BYTES, 42L);
            assertThat(space.livePages()).isEqualTo(2);
            space.free(a);
            assertThat(space.livePages()).isEqualTo(1);
            long c = space.allocate(PageKind.VALUE_INDEX);
            assertThat(c).isEqualTo(a).isNotEqualTo(b);
            assertThat(space.read(c).get(LONG, PageLayout.HEADER_BYTES)).isZero();
            assertThat(PageLayout.kind(space.read(c))).isEqualTo(PageKind.VALUE_INDEX);
        }
    }

    @Test
    void refusesPagesThatAreNotAllocated() {
        try (HeapPageSpace space = new HeapPageSpace(128)) {
            long id = space.allocate(PageKind.VALUE_LEAF);
            space.free(id);
            assertThatThrownBy(() -> space.read(id)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("id=" + id).hasMessageContaining("freed");
            assertThatThrownBy(() -> space.modify(id)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> space.free(id)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> space.read(99)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("never allocated");
            assertThatThrownBy(() -> space.read(StoreFormat.NULL_PAGE)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void readReturnsAReadOnlyView() {
        try (HeapPageSpace space = new HeapPageSpace(128)) {
            long id = space.allocate(PageKind.VALUE_LEAF);
            MemorySegment page = space.read(id);
            assertThatThrownBy(() -> page.set(LONG, PageLayout.HEADER_BYTES, 1L))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
        }
    }

    @Test
    void countsAccessesPerOperation() {
        try (HeapPageSpace space = new HeapPageSpace(128)) {
            long id = space.allocate(PageKind.VALUE_LEAF);
            space.read(id);
            space.modify(id);
            assertThat(space.accessesThisOperation()).isEqualTo(3);
            space.endOperation();
            assertThat(space.accessesThisOperation()).isZero();
            space.read(id);
            assertThat(space.accessesThisOperation()).isEqualTo(1);
            assertThat(space.maxAccessesPerOperation()).isEqualTo(3);
        }
    }

    @Test
    void relocationPoisonsSegmentsKeptPastEndOperation() {
        try (HeapPageSpace space = new HeapPageSpace(128, true)) {
            long id = space.allocate(PageKind.VALUE_LEAF);
            MemorySegment kept = space.modify(id);
            kept.set(LONG, PageLayout.HEADER_BYTES, 42L);
            space.endOperation();
            assertThat(kept.get(LONG, PageLayout.HEADER_BYTES)).isNotEqualTo(42L);
            assertThat(space.read(id).get(LONG, PageLayout.HEADER_BYTES)).isEqualTo(42L);
            assertThat(PageLayout.pageId(space.read(id))).isEqualTo(id);
        }
    }
}
