package dev.hashdir.engine.store;

import dev.hashdir.engine.page.PageCache;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child-process writer for SWMR reader tests. Each epoch allocates new pages (ids keep growing, a
 * page is never changed after its epoch) through the engine's {@link PageCache}, and checkpoints
 * them with a real page map ({@link TestCheckpoints#publish}): page images, map leaves and index,
 * flush, meta (epoch + 1, page count = next id), flush. The map's own pages are copy-on-write
 * and their rows reused after the grace checkpoint, as in the engine. Readers must see every page
 * below a published page count whole and valid, through the map.
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
        try (PageStore store = PageStore.open(dir); PageCache cache = PageCache.withFrames(store, 256)) {
            System.out.println("ready epoch=" + store.meta().epoch() + " pageCount=" + store.meta().pageCount());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String go = in.readLine();
            if (!"go".equals(go)) {
                throw new IllegalStateException("expected 'go' on stdin, got " + go);
            }
            for (int i = 1; i <= epochs; i++) {
                long epoch = cache.epoch();
                for (int n = 0; n < pagesInEpoch(i); n++) {
                    long id = cache.allocate(PageKind.TEST);
                    MemorySegment page = cache.modify(id);
                    if (pattern) {
                        TestPages.fillPattern(page, id, epoch);
                    } else {
                        TestPages.fill(page, id, epoch);
                    }
                }
                Meta m = TestCheckpoints.publish(store, cache);
                System.out.println("published epoch=" + m.epoch() + " pageCount=" + m.pageCount() + " rows="
                        + m.rowCount());
                System.out.flush();
                Thread.sleep(pauseMillis);
            }
            store.sync();
            System.out.println("done epoch=" + store.meta().epoch() + " pageCount=" + store.meta().pageCount());
        }
    }
}
