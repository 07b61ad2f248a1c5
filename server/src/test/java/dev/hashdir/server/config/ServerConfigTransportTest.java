package dev.hashdir.server.config;

import dev.hashdir.server.zmq.DataPlane;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The data plane's transport: zmtp by default (tcp:// only), jeromq on request, anything else refused. */
class ServerConfigTransportTest {

    @Test
    void shouldDefaultToZmtpAndTakeJeromqFromTheEnvironment() throws IOException {
        ServerConfig c = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(c.transport()).isEqualTo(DataPlane.Kind.ZMTP);
        assertThat(c.describe()).containsEntry("transport", "zmtp");
        ServerConfig j = ServerConfig.resolve(null, Map.of("HASHDIR_TRANSPORT", "JeroMQ"),
                Map.of("bind", "ipc:///tmp/hashdir-test.sock"));
        assertThat(j.transport()).isEqualTo(DataPlane.Kind.JEROMQ);
        assertThat(j.describe()).containsEntry("transport", "jeromq");
    }

    @Test
    void shouldRefuseAnUnknownTransportAndZmtpOnANonTcpEndpoint() {
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_TRANSPORT", "libzmq"), Map.of()))
                .hasMessageContaining("transport").hasMessageContaining("zmtp or jeromq")
                .hasMessageContaining("'libzmq'").hasMessageContaining("HASHDIR_TRANSPORT");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("bind", "ipc:///tmp/hashdir-test.sock")))
                .hasMessageContaining("setting bind").hasMessageContaining("transport=jeromq");
    }
}
