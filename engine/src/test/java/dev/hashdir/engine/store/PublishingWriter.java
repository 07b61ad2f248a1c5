package dev.hashdir.engine.store;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child-process writer for SWMR reader tests. Follows the copy-on-write rule: each epoch writes only
 * new pages (ids keep growing, a published page is never overwritten), flushes them, then publishes
 * a meta (epoch + 1, page count = next id) and flushes again. Readers must therefore see every
 * page below a published page count whole and valid.
 *
 * <p>Protocol on stdout/stdin: prints {@code ready ...} once the store is open, waits for a line
 * {@code go}, prints {@code published epoch=E pageCount=C rows=R} per epoch, and {@code done ...}
 * before it exits by itself (status 0).
 *
 * <p>Arguments: data dir, epochs, pause in ms between epochs, body fill ({@code random} for
 * {@link TestPages#fill}, {@code pattern} for {@link TestPages#fillPattern}).
 */
public final class PublishingWriter {

    private PublishingWriter() {
    }

    /** Pages written in the {@code i}-th epoch (1-based): 1..113, 57 on average. */
    static int pagesInEpoch(int i) {
        return 1 + (i * 37) % 113;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int epochs = Integer.parseInt(args[1]);
        long pauseMillis = Long.parseLong(args[2]);
        boolean pattern = switch (args[3]) {
            case "pattern" -> true;
            case "random" -> false;
            default -> throw new IllegalArgumentException("fill must be random or pattern: " + args[3]);
        };
        try (PageStore store = PageStore.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(store.pageSize());
            System.out.println("ready epoch=" + store.meta().epoch() + " pageCount=" + store.meta().pageCount());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String go = in.readLine();
            if (!"go".equals(go)) {
                throw new IllegalStateException("expected 'go' on stdin, got " + go);
            }
            long next = store.meta().pageCount();
            for (int i = 1; i <= epochs; i++) {
                Meta m = store.meta();
                long epoch = m.epoch() + 1;
                long end = next + pagesInEpoch(i);
                store.ensureCapacity(end);
                for (long id = next; id < end; id++) {
                    if (pattern) {
                        TestPages.fillPattern(page, id, epoch);
                    } else {
                        TestPages.fill(page, id, epoch);
                    }
                    store.writePage(id, page);
                }
                store.flush(); // pages visible before the meta that refers to them
                store.writeMeta(new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), epoch,
                        m.checkpointLsn(), end, m.directoryRoot(), m.pageMapRoot(), m.deletionLogRoot(),
                        m.keys(), m.values(), m.globalDepth(), m.rowCount()));
                store.flush();
                next = end;
                System.out.println("published epoch=" + epoch + " pageCount=" + end + " rows=" + store.capacity());
                System.out.flush();
                Thread.sleep(pauseMillis);
            }
            store.sync();
            System.out.println("done epoch=" + store.meta().epoch() + " pageCount=" + store.meta().pageCount());
        }
    }
}
