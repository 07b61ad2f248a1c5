package dev.hashdir.server.service;

import dev.hashdir.server.zmq.DataPlane;
import dev.hashdir.server.zmq.RequestMetrics;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regression: a DEALER connected right after the data plane binds must be answered, not stall.
 * The stall is JeroMQ's (client side, zeromq/jeromq#1022; see {@link Wire#HANDSHAKE_IVL_MS}) and
 * hits a few percent of fresh loopback connections, so this opens many; without
 * {@link Wire#configure} some of them get no answer for 30 s.
 */
class FirstConnectionTest {

    private static final int CONNECTIONS = 80;
    private static final byte[] PING = Wire.pack(Wire.m("op", "ping"));

    @Test
    void shouldAnswerEveryFirstConnectionAtOnce() {
        List<String> unanswered = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            DataPlane plane = DataPlane.start("tcp://127.0.0.1:*", 16, 16, RequestMetrics.NONE);
            try (ZContext ctx = new ZContext(1)) {
                ZMQ.Socket s = Wire.configure(ctx.createSocket(SocketType.DEALER));
                s.setLinger(0);
                s.setReceiveTimeOut(1500);
                s.connect(plane.endpoint());
                s.send(PING);
                if (s.recv() == null) {
                    unanswered.add("connection " + i + " to " + plane.endpoint() + " (server received "
                            + plane.received() + ")");
                }
            } finally {
                plane.close();
            }
        }
        assertThat(unanswered).as("fresh connections never answered").isEmpty();
    }
}
