package dev.hashdir.server.zmq;

import dev.hashdir.server.protocol.Op;
import dev.hashdir.server.protocol.Status;

/**
 * Where the data plane reports each answered request: its op (null when it could not be read),
 * status and latency from receipt to send.
 *
 * <p>Threading: called only on the socket thread.
 */
public interface RequestMetrics {

    RequestMetrics NONE = (op, status, nanos) -> { };

    void answered(Op op, Status status, long nanos);
}
