package dev.hashdir.engine.check;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.engine.page.FreeListLayout;
import dev.hashdir.engine.page.PageMapLayout;
import dev.hashdir.engine.store.Meta;
import dev.hashdir.engine.store.MetaLayout;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.StoreFormat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Raw edits of a closed store, below the engine: resolves logical pages through the current page map. */
final class RawStore implements AutoCloseable {

    private final Arena arena = Arena.ofConfined();
    private final H5File h5;
    private final H5Dataset pages;
    private final H5Dataset metaSlots;
    private final Meta meta;
    private final int slot;
    private final List<Long> leafRows = new ArrayList<>();

    RawStore(Path dataDir) {
        h5 = H5File.open(dataDir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
        pages = h5.openDataset(StoreFormat.PAGES_DATASET);
        metaSlots = h5.openDataset(StoreFormat.META_DATASET);
        Meta best = null;
        int bestSlot = -1;
        for (int s = 0; s < 2; s++) {
            MemorySegment buf = metaSlot(s);
            Meta m = Meta.decode(buf, null).orElse(null);
            if (m != null && (best == null || m.epoch() > best.epoch())) {
                best = m;
                bestSlot = s;
            }
        }
        meta = best;
        slot = bestSlot;
        for (long row = meta.pageMapRoot(); row != 0; ) {
            MemorySegment p = readRow(row);
            for (int k = 0; k < FreeListLayout.count(p); k++) {
                leafRows.add(FreeListLayout.id(p, k));
            }
            row = FreeListLayout.next(p);
        }
    }

    Meta meta() {
        return meta;
    }

    int currentSlot() {
        return slot;
    }

    MemorySegment metaSlot(int s) {
        MemorySegment buf = arena.allocate(MetaLayout.SLOT_BYTES, 8);
        metaSlots.readChunk(s, buf);
        return buf;
    }

    void writeMetaSlot(int s, MemorySegment buf) {
        metaSlots.writeChunk(s, buf);
    }

    long rowOf(long id) {
        int per = PageMapLayout.entriesPerLeaf(meta.pageSize());
        MemorySegment leaf = readRow(leafRows.get((int) (id / per)));
        return PageMapLayout.row(leaf, (int) (id % per));
    }

    MemorySegment readRow(long row) {
        MemorySegment buf = arena.allocate(meta.pageSize(), 8);
        pages.readChunk(row, buf);
        return buf;
    }

    MemorySegment readPage(long id) {
        return readRow(rowOf(id));
    }

    /** Writes {@code page} to {@code row} as it is (no new checksum). */
    void writeRow(long row, MemorySegment page) {
        pages.writeChunk(row, page);
    }

    /** Writes {@code page} to the row of page {@code id}, re-sealed so only structural checks can tell. */
    void writeSealed(long id, MemorySegment page) {
        PageLayout.seal(page);
        pages.writeChunk(rowOf(id), page);
    }

    @Override
    public void close() {
        try (arena; h5; pages; metaSlots) {
            // closes the datasets, the file, then frees the buffers
        }
    }
}
