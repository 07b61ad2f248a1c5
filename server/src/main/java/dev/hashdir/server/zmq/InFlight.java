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
 *   identity,      socket thread           ROUTER routing id (copied), whether the client
 *   delimiter                              sent an empty delimiter frame (REQ)
 *   reply          socket thread (start),  protocol reply: op, id, batch results started;
 *                  answering thread        then filled event by event
 *   remaining      socket thread (set),    ring events not answered yet
 *                  answering thread
 *   number[op]     answering thread        put: added, summed over a split put's events
 *   valueFrom[op]  socket thread           get: where its page goes in values
 *   keyFrom[op]    socket thread           scan: where its keys go in keys
 * </pre>
 *
 * <p>Threading: owned by the socket thread until published, then by the pipeline thread that
 * answers it (the reply thread; the engine thread for a one-event read answered early; never both:
 * a request of several events is answered on the reply thread alone) until it queues it as done
 * (the ring and the done queue order the hand-offs), then by the socket thread.
 */
final class InFlight {

    final int index;
    final byte[] identity = new byte[256];
    int identityLength;
    boolean delimiter;
    int budgetSlot;
    long startNanos;
    final Reply reply = new Reply();
    boolean batch;
    int getPage;
    int remaining;
    long[] number = new long[1];
    int[] valueFrom = new int[1];
    int[] keyFrom = new int[1];
    long[] values = new long[0];
    byte[] keys = new byte[0];

    InFlight(int index) {
        this.index = index;
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
