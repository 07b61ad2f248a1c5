package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** Raw edits of a closed store's file, below the page store, for tests of what it must refuse. */
final class TestStores {

    private TestStores() {
    }

    /** Writes {@code meta} into meta slot {@code slot} of the closed store in {@code dir}. */
    static void writeRawMeta(Path dir, int slot, Meta meta) {
        try (Arena arena = Arena.ofConfined();
             H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
             H5Dataset metaSlots = h5.openDataset(StoreFormat.META_DATASET)) {
            MemorySegment buffer = arena.allocate(MetaLayout.SLOT_BYTES);
            meta.encode(buffer);
            metaSlots.writeChunk(slot, buffer);
        }
    }

    /** A meta of epoch 2 that needs a newer reader and was written by a newer writer than this code. */
    static Meta fromANewerVersion() {
        Meta m = Meta.initial(StoreOptions.defaults());
        return new Meta(StoreFormat.READ_VERSION + 1, StoreFormat.WRITE_VERSION + 1, m.keyBytes(), m.pageSize(), 2, 0,
                1, 0, 0, 0, 0, 0, 0, 1);
    }
}
