package dev.hashdir.engine.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Child-process writer for crash tests: opens the store, writes and syncs pages 1..{@code synced},
 * prints "synced", then rewrites pages {@code synced+1..total} in a loop, unsynced, until the
 * parent kills it with SIGKILL. ({@code Runtime.halt} is no crash for HDF5: it ends in libc
 * {@code exit()}, whose atexit handler closes the file cleanly.)
 */
public final class CrashingWriter {

    private CrashingWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int synced = Integer.parseInt(args[1]);
        int total = Integer.parseInt(args[2]);
        PageStore store = PageStore.open(dir);
        Arena arena = Arena.ofConfined();
        MemorySegment page = arena.allocate(store.pageSize());
        store.ensureCapacity(total + 1);
        for (int id = 1; id <= synced; id++) {
            TestPages.fill(page, id, 1);
            store.writePage(id, page);
        }
        store.sync();
        System.out.println("synced");
        System.out.flush();
        for (long version = 2; ; version++) {
            for (int id = synced + 1; id <= total; id++) {
                TestPages.fill(page, id, version);
                store.writePage(id, page);
            }
            store.flush();
        }
    }
}
