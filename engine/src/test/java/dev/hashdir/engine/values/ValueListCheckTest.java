package dev.hashdir.engine.values;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.page.HeapPageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link ValueList#check} against one deliberate corruption at a time, in a three-level tree. */
class ValueListCheckTest {

    private static final int PAGE_SIZE = 256;
    private static final int VALUES = 1_000;

    private HeapPageSpace space;
    private ValueList list;
    private long root;
    private long index;
    private long leaf;

    @BeforeEach
    void build() {
        space = new HeapPageSpace(PAGE_SIZE);
        list = new ValueList(space);
        long[] values = ValueListCreateTest.ascendingAcrossTheSignBit(VALUES);
        root = list.create(values, 0, values.length);
        assertThat(list.height(root)).isEqualTo(3);
        assertThat(list.check(root)).isEqualTo(space.livePages());
        index = ValueListLayout.child(space.read(root), 1);
        leaf = ValueListLayout.child(space.read(index), 1);
    }

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void valuesOutOfOrder() {
        MemorySegment page = space.modify(leaf);
        long first = ValueListLayout.value(page, 0);
        ValueListLayout.setValue(page, 0, ValueListLayout.value(page, 1));
        ValueListLayout.setValue(page, 1, first);
        assertCorrupt(leaf, "value list order");
    }

    @Test
    void valueOutsideItsParentsRange() {
        MemorySegment page = space.modify(leaf);
        ValueListLayout.setValue(page, 0, ValueListLayout.value(page, 0) - 10_000);
        assertCorrupt(leaf, "value list value range");
    }

    @Test
    void separatorsOutOfOrder() {
        MemorySegment page = space.modify(index);
        ValueListLayout.setKey(page, 2, ValueListLayout.key(page, 1) - 1);
        assertCorrupt(index, "value list separator");
    }

    @Test
    void keyZeroNotZero() {
        ValueListLayout.setKey(space.modify(index), 0, 1);
        assertCorrupt(index, "value list key 0");
    }

    @Test
    void totalNotTheNumberOfValues() {
        MemorySegment page = space.modify(root);
        ValueListLayout.setTotal(page, ValueListLayout.total(page) + 1);
        assertCorrupt(root, "value list total");
    }

    @Test
    void totalInAPageOtherThanTheRoot() {
        ValueListLayout.setTotal(space.modify(leaf), 5);
        assertCorrupt(leaf, "total outside the root");
    }

    @Test
    void pageOfAnotherKind() {
        ValueListLayout.setKind(space.modify(leaf), PageKind.BUCKET);
        assertCorrupt(leaf, "value list page kind");
    }

    @Test
    void pageHeaderNamingAnotherId() {
        MemorySegment page = space.modify(leaf);
        PageLayout.writeHeader(page, PageKind.VALUE_LEAF, leaf + 1, PageLayout.epoch(page));
        assertCorrupt(leaf, "page id");
    }

    @Test
    void countBeyondCapacity() {
        ValueListLayout.setCount(space.modify(leaf), ValueListLayout.leafCapacity(PAGE_SIZE) + 1);
        assertCorrupt(leaf, "value list page count");
    }

    @Test
    void underfullPageOffTheRightmostSpine() {
        ValueListLayout.setCount(space.modify(leaf), 1);
        assertCorrupt(leaf, "value list page fill");
    }

    @Test
    void pageLinkedFromTwoParents() {
        MemorySegment page = space.modify(index);
        ValueListLayout.setChild(page, 2, ValueListLayout.child(page, 1));
        assertCorrupt(leaf, "value list value range");
    }

    @Test
    void leavesAtDifferentDepths() {
        MemorySegment page = space.modify(root);
        ValueListLayout.setChild(page, 1, leaf);
        assertCorrupt(leaf, "value list leaf depth");
    }

    @Test
    void operationsRefuseARootThatIsNotAValueListPage() {
        long bucket = space.allocate(PageKind.BUCKET);
        assertThatThrownBy(() -> list.contains(bucket, 1)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("page=" + bucket).hasMessageContaining("BUCKET");
        assertThatThrownBy(() -> list.add(bucket, 1)).isInstanceOf(CorruptionException.class);
        assertThatThrownBy(() -> list.count(bucket)).isInstanceOf(CorruptionException.class);
    }

    @Test
    void destroyRefusesALeafWhereAnIndexPageBelongs() {
        ValueListLayout.setChild(space.modify(root), 1, leaf);
        assertThatThrownBy(() -> list.destroy(root)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("page=" + leaf);
    }

    private void assertCorrupt(long page, String what) {
        CorruptionException e = catchThrowableOfType(CorruptionException.class, () -> list.check(root));
        assertThat(e).as("check after corrupting page %d", page).isNotNull();
        assertThat(e.getMessage()).contains(what);
        assertThat(e.page()).as(e.getMessage()).isEqualTo(page);
    }
}
