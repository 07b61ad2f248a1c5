package dev.hashdir.server.zmq;

import dev.hashdir.engine.GetResult;
import dev.hashdir.engine.ScanResult;
import dev.hashdir.engine.pipeline.ReplySink;
import dev.hashdir.engine.pipeline.RequestEvent;
import dev.hashdir.server.protocol.Reply;
import dev.hashdir.server.protocol.Status;

/**
 * Copies each finished ring event into its request's {@link InFlight} reply; once a request's
 * last event is in, hands the request to the transport's {@link Dispatcher.Completion}. Copies
 * what the event holds (get values, scan keys) because the ring reuses the event. Allocates
 * nothing.
 *
 * <p>Threading: called on the pipeline's reply thread and, for a read answered early, on its engine
 * thread; the two may run at once, for different requests, and requests complete out of order
 * ({@link ReplySink}). That is safe here: a request of one event is touched by the one thread that
 * answers it; the events of a request of several (a batch, a split put: published as one run) are
 * all answered on the reply thread, in order, and the atomic count-down makes the last one see
 * all of them; the completion is the transport's to make thread-safe (the ZMTP connection's output
 * takes a lock, the JeroMQ transport's done queue is concurrent and its wake-up takes a lock).
 */
final class ReplyCollector implements ReplySink {

    private static final Status[] STATUS = new Status[dev.hashdir.engine.pipeline.Status.values().length];

    static {
        for (dev.hashdir.engine.pipeline.Status s : dev.hashdir.engine.pipeline.Status.values()) {
            STATUS[s.ordinal()] = Status.byWireName(s.wireName());
        }
    }

    private final Dispatcher.Completion completion;

    ReplyCollector(Dispatcher.Completion completion) {
        this.completion = completion;
    }

    @Override
    public void onReply(RequestEvent e) {
        InFlight f = (InFlight) e.attachment();
        int op = (int) e.token();
        Reply target = f.batch ? f.reply.result(op) : f.reply;
        if (e.status() != dev.hashdir.engine.pipeline.Status.OK) {
            if (target.status() == Status.OK) {
                target.fail(STATUS[e.status().ordinal()], e.error() == null ? e.status().wireName() : e.error());
            }
        } else {
            result(e, f, op, target);
        }
        if (f.answeredOne()) {
            completion.complete(f, e.replyBatched());
        }
    }

    @Override
    public void endOfBatch() {
        completion.endOfBatch();
    }

    /** Static: the answer of one event (a split put adds up its parts). */
    static void result(RequestEvent e, InFlight f, int op, Reply target) {
        switch (e.op()) {
            case PUT, PUT_MANY -> target.added(f.number[op] += e.number());
            case GET -> {
                GetResult g = e.values();
                int from = f.valueFrom[op];
                System.arraycopy(g.values(), 0, f.values, from, g.size());
                target.values(f.values, from, g.size(), g.total(), g.more());
            }
            case CONTAINS -> target.found(e.flag());
            case COUNT -> target.count(e.number());
            case REMOVE -> target.removed(e.flag());
            case DELETE -> target.removedCount(e.number());
            case SCAN -> {
                ScanResult s = e.scanResult();
                int kb = s.keyBytes();
                int from = f.keyFrom[op];
                s.copyKeys(f.keys, from);
                boolean more = s.more() && s.size() > 0;
                target.keys(f.keys, from, s.size(), kb, more ? f.keys : null, from + (s.size() - 1) * kb,
                        more ? kb : 0);
            }
            case SYNC -> { }
        }
    }
}
