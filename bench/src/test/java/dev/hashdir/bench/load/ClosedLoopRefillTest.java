package dev.hashdir.bench.load;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The closed loop's refill: with {@code --refill drained} a connection reads every reply already
 * received before it writes, so one write carries a request for every freed slot; with
 * {@code --refill each} it writes after every reply. A fake connection whose "server" answers
 * everything flushed at once; no timing is asserted (the loop runs for 50 ms of the real clock).
 */
class ClosedLoopRefillTest {

    private static final int WINDOW = 16;

    @Test
    void drainedRefillSendsAWholeWindowPerWrite() throws Exception {
        FakeConn c = run("drained");
        assertThat(c.flushSizes).isNotEmpty().allSatisfy(n -> assertThat(n).isEqualTo(WINDOW));
        assertThat(c.pending).isEmpty();
    }

    @Test
    void eachRefillWritesAfterEveryReply() throws Exception {
        FakeConn c = run("each");
        assertThat(c.flushSizes.getFirst()).isEqualTo(WINDOW);
        assertThat(c.flushSizes.subList(1, c.flushSizes.size())).isNotEmpty().allSatisfy(n -> assertThat(n).isEqualTo(1));
        assertThat(c.pending).isEmpty();
    }

    private static FakeConn run(String refill) throws Exception {
        LoadGen g = new LoadGen(Map.of("target", "hashdir", "refill", refill, "seed", "5"));
        FakeConn c = new FakeConn();
        long t0 = System.nanoTime();
        LoadGen.Worker w = new LoadGen.Worker();
        g.closedLoop(c, 0, WINDOW, t0, t0, t0 + 50_000_000L, false, w);
        assertThat(w.repliesInWindow).isPositive().isLessThanOrEqualTo(c.answered); // replies after the window are not counted
        return c;
    }

    /** Answers every flushed request, oldest first; nothing is answered before its flush. */
    private static final class FakeConn implements Conn {
        final List<Integer> flushSizes = new ArrayList<>();
        final ArrayDeque<Long> buffered = new ArrayDeque<>();
        final ArrayDeque<Long> pending = new ArrayDeque<>();
        long answered;

        @Override
        public void send(int op, byte[] key, long value, long id) {
            buffered.add(id);
        }

        @Override
        public void flush() {
            flushSizes.add(buffered.size());
            pending.addAll(buffered);
            buffered.clear();
        }

        @Override
        public long receive(boolean block) {
            if (pending.isEmpty()) {
                if (block) {
                    throw new IllegalStateException("would block forever: nothing flushed is unanswered");
                }
                return -1;
            }
            answered++;
            return pending.removeFirst();
        }

        @Override
        public long errors() {
            return 0;
        }

        @Override
        public String firstError() {
            return null;
        }

        @Override
        public void close() {
        }
    }
}
