package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FaultyWalDirectory;
import dev.hashdir.engine.wal.GatedWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine and reply threads allocate nothing per request once warm (the journal allocates per
 * commit in the test WAL directory, which copies arrays; it is not measured here). A regression
 * check; JMH with -prof gc measures it properly.
 */
class PipelineAllocationTest {

    private static final int N = 20_000;

    @TempDir
    Path tmp;

    /** What the producer publishes next (one reused holder: no allocation per request). */
    static final class Next {
        final byte[][] keys = new byte[64][];
        int i;
    }

    private static final AtomicLong REPLIES = new AtomicLong();
    private static final ReplySink SINK = e -> REPLIES.incrementAndGet();
    private static final RequestFiller<Next> FILLER = (e, n) -> {
        int i = n.i;
        e.key(n.keys[i & 63]).value(i & 1023).replyTo(SINK, i, null);
        switch (i & 3) {
            case 0 -> e.op(Op.PUT);
            case 1 -> e.op(Op.CONTAINS);
            case 2 -> e.op(Op.COUNT);
            default -> e.op(Op.GET).limit(8);
        }
    };

    @Test
    void shouldNotAllocatePerRequestOnTheEngineAndReplyThreads() throws Exception {
        HashDir hd = HashDir.create(tmp.resolve("data"), StoreOptions.defaults(), HashDirConfig.defaults());
        GatedWalDirectory walDir = new GatedWalDirectory(new FaultyWalDirectory(3, 4096));
        WalWriter wal = WalWriter.open(walDir, WalOptions.of(32, Durability.NONE), 1, r -> { });
        PipelineConfig config = PipelineConfig.defaults().withRingSize(1024)
                .withWaitStrategy(PipelineConfig.Wait.SLEEPING);
        Next next = new Next();
        for (int k = 0; k < 64; k++) {
            next.keys[k] = PipelineTest.key(k);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Pipeline p = Pipeline.start(hd, wal, config, EngineHook.NONE)) {
            run(p, next, N); // warm up
            long engine = threadId("hashdir-engine");
            long reply = threadId("hashdir-reply");
            // the least of three rounds: garbage made per request shows in every round, a one-off
            // (a few KB once, seen with -XX:PerMethodTrapLimit=0) in one at most
            long engineBytes = Long.MAX_VALUE;
            long replyBytes = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long engineBefore = mx.getThreadAllocatedBytes(engine);
                long replyBefore = mx.getThreadAllocatedBytes(reply);
                run(p, next, N);
                engineBytes = Math.min(engineBytes, mx.getThreadAllocatedBytes(engine) - engineBefore);
                replyBytes = Math.min(replyBytes, mx.getThreadAllocatedBytes(reply) - replyBefore);
            }
            assertThat(engineBytes).as("engine thread bytes for %d requests (least of 3 rounds)", N).isLessThan(N / 10);
            assertThat(replyBytes).as("reply thread bytes for %d requests (least of 3 rounds)", N).isLessThan(N / 10);
        }
    }

    private static void run(Pipeline p, Next next, int n) throws InterruptedException {
        long target = REPLIES.get() + n;
        for (int i = 0; i < n; i++) {
            next.i = i;
            while (!p.tryPublish(FILLER, next)) {
                Thread.yield();
            }
        }
        while (REPLIES.get() < target) {
            Thread.sleep(1);
        }
    }

    private static long threadId(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive())
                .findFirst().orElseThrow(() -> new AssertionError("no thread " + name)).threadId();
    }
}
