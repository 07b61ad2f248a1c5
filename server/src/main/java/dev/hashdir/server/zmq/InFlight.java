package dev.hashdir.server.zmq;

import dev.hashdir.server.protocol.Reply;

import java.util.Arrays;

/**
 * One request between the socket thread and the pipeline's reply thread: where its answer goes
 * (the ROUTER envelope) and the reply being assembled from its ring events. A pool of these is
 * made once; arrays grow to the largest request seen and stay.
 *
 * <pre>
 *   field          written by              meaning
 *   -------------- ----------------------- ------------------------------------------------
 *   identity,      socket thread           JeroMQ: ROUTER routing id (copied); whether the
 *   delimiter                              client sent an empty delimiter frame (REQ)
 *   route          socket thread           ZMTP: the connection the reply goes to
 *   reply          socket thread (start),  protocol reply: op, id, batch results started;
 *                  answering thread        then filled event by event
 *   remaining      socket thread (set),    ring events not answered yet (counted down
 *                  answering thread        atomically: events may be answered on two threads)
 *   number[op]     answering thread        put: added, summed over a split put's events
 *   valueFrom[op]  socket thread           get: where its page goes in values
 *   keyFrom[op]    socket thread           scan: where its keys go in keys
 * </pre>
 *
 * <p>Threading: owned by the socket thread until published, then by the pipeline thread that
 * answers it (the reply thread; the engine thread for a one-event read answered early; never both:
 * a request of several events is answered on the reply thread alone) until its last event is
 * answered, then by the transport's completion until given back to the socket thread (the ring,
 * the atomic count-down and the queues order the hand-offs).
 */
final class InFlight {

    final int index;
    final byte[] identity = new byte[256];
    int identityLength;
    boolean delimiter;
    Object route;
    int budgetSlot;
    long startNanos;
    final Reply reply = new Reply();
    boolean batch;
    int getPage;
    @SuppressWarnings("unused") // through REMAINING
    private volatile int remaining;
    long[] number = new long[1];
    int[] valueFrom = new int[1];
    int[] keyFrom = new int[1];
    long[] values = new long[0];
    byte[] keys = new byte[0];

    private static final java.lang.invoke.VarHandle REMAINING;

    static {
        try {
            REMAINING = java.lang.invoke.MethodHandles.lookup().findVarHandle(InFlight.class, "remaining", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    InFlight(int index) {
        this.index = index;
    }

    /** Socket thread, before publishing: the request's events. */
    void remaining(int events) {
        REMAINING.setRelease(this, events);
    }

    /** Pipeline thread: one event answered; true when it was the last. */
    boolean answeredOne() {
        return (int) REMAINING.getAndAdd(this, -1) == 1;
    }

    /** Room for per-op state of {@code ops} ops, zeroed. */
    void ops(int ops) {
        if (number.length < ops) {
            number = new long[ops];
            valueFrom = new int[ops];
            keyFrom = new int[ops];
        } else {
            Arrays.fill(number, 0, ops, 0);
        }
    }

    void ensureValues(int n) {
        if (values.length < n) {
            values = new long[Math.max(n, 2 * values.length)];
        }
    }

    void ensureKeys(int n) {
        if (keys.length < n) {
            keys = new byte[Math.max(n, 2 * keys.length)];
        }
    }
}
