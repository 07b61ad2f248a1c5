package dev.hashdir.engine.pipeline;

import com.lmax.disruptor.EventHandler;

/**
 * Releases answers in ring order, each once what it depends on is acknowledged: a mutation's own
 * record, or the newest record a read (or a no-op mutation) may have seen. An answer whose LSN a
 * failed commit left not durable goes out as read_only instead; a read that saw nothing
 * unacknowledged goes out at once. An event the engine thread already answered
 * ({@link PipelineConfig#earlyReads()}) is skipped.
 *
 * <p>Sinks may gather their I/O for a batch ({@link ReplyBatch}): the replies gathered so far go
 * out at the end of the ring batch and before the thread waits for a commit.
 *
 * <p>Threading: runs only on the reply thread; calls each event's {@link ReplySink} there.
 */
final class ReplyHandler implements EventHandler<RequestEvent> {

    private final PipelineState state;
    private final ReplyBatch batch = new ReplyBatch(Integer.MAX_VALUE);

    ReplyHandler(PipelineState state) {
        this.state = state;
    }

    @Override
    public void onStart() {
        state.waitingThread(Thread.currentThread());
    }

    @Override
    public void onEvent(RequestEvent e, long sequence, boolean endOfBatch) {
        if (!e.answered) { // else the engine thread answered it early
            long required = e.requiredLsn();
            if (batch.pending() && required > state.ackedLsn()) {
                batch.flush(); // the replies gathered so far go out before this one waits for its commit
            }
            if (e.status == Status.OK && required > 0 && !state.awaitAcked(required)) {
                e.result(Status.READ_ONLY, state.notDurable(e));
            }
            if (e.sink != null) {
                batch.deliver(e);
            }
        }
        if (endOfBatch) {
            batch.flush();
        }
    }

    long replies() {
        return batch.replies();
    }

    long sinkErrors() {
        return batch.sinkErrors();
    }
}
