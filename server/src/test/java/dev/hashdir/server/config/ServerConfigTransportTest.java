package dev.hashdir.server.config;

import dev.hashdir.server.zmq.DataPlane;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The data plane's transport: zmtp by default on tcp://, jeromq by default elsewhere, either on request, anything else refused. */
class ServerConfigTransportTest {

    @Test
    void shouldDefaultToZmtpOnTcpAndJeromqElsewhereAndTakeEitherOnRequest() throws IOException {
        ServerConfig t = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(t.transport()).isEqualTo(DataPlane.Kind.ZMTP);
        assertThat(t.describe()).containsEntry("transport", "zmtp");
        ServerConfig c = ServerConfig.resolve(null, Map.of(), Map.of("bind", "ipc:///tmp/hashdir-test.sock"));
        assertThat(c.transport()).isEqualTo(DataPlane.Kind.JEROMQ);
        assertThat(c.describe()).containsEntry("transport", "jeromq");
        ServerConfig j = ServerConfig.resolve(null, Map.of("HASHDIR_TRANSPORT", "JeroMQ"), Map.of());
        assertThat(j.transport()).isEqualTo(DataPlane.Kind.JEROMQ);
        ServerConfig z = ServerConfig.resolve(null, Map.of("HASHDIR_TRANSPORT", "ZMTP"), Map.of());
        assertThat(z.transport()).isEqualTo(DataPlane.Kind.ZMTP);
        assertThat(z.describe()).containsEntry("transport", "zmtp");
    }

    @Test
    void shouldRefuseAnUnknownTransportAndZmtpOnANonTcpEndpoint() {
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_TRANSPORT", "libzmq"), Map.of()))
                .hasMessageContaining("transport").hasMessageContaining("auto, zmtp or jeromq")
                .hasMessageContaining("'libzmq'").hasMessageContaining("HASHDIR_TRANSPORT");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_TRANSPORT", "zmtp"),
                Map.of("bind", "ipc:///tmp/hashdir-test.sock")))
                .hasMessageContaining("setting bind").hasMessageContaining("transport=jeromq");
    }

    @Test
    void shouldRunTheNetworkLoopOnTheEngineThreadUnlessToldOtherwise() throws IOException {
        ServerConfig d = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(d.engineLoop()).isTrue();
        assertThat(d.describe()).containsEntry("network-loop", "engine");
        ServerConfig t = ServerConfig.resolve(null, Map.of("HASHDIR_NETWORK_LOOP", "Thread"), Map.of());
        assertThat(t.engineLoop()).isFalse();
        assertThat(t.describe()).containsEntry("network-loop", "thread");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_NETWORK_LOOP", "selector"), Map.of()))
                .hasMessageContaining("network-loop").hasMessageContaining("engine or thread")
                .hasMessageContaining("'selector'").hasMessageContaining("HASHDIR_NETWORK_LOOP");
    }
}
