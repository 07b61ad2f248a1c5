package dev.hashdir.server.config;

import dev.hashdir.engine.pipeline.BatchController;
import dev.hashdir.engine.pipeline.PipelineConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The group-commit settings (adaptive bounds by default, a fixed (max batch, max wait) on request) and the pipeline wait. */
class ServerConfigBatchTest {

    @Test
    void shouldDefaultToTheAdaptiveControllerWithTheEngineBounds() throws IOException {
        ServerConfig c = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(c.batch()).isEqualTo(BatchController.Bounds.defaults());
        assertThat(c.describe()).containsEntry("batch-mode", "adaptive").containsEntry("batch-max", "4096")
                .containsEntry("batch-max-wait-us", "2000");
    }

    @Test
    void shouldPinAFixedSettingFromTheEnvironment() throws IOException {
        ServerConfig c = ServerConfig.resolve(null, Map.of("HASHDIR_BATCH_MODE", "fixed", "HASHDIR_BATCH_MAX", "64",
                "HASHDIR_BATCH_MAX_WAIT_US", "250"), Map.of());
        assertThat(c.batch()).isEqualTo(BatchController.Bounds.fixed(64, 250_000));
        assertThat(c.describe()).containsEntry("batch-mode", "fixed").containsEntry("batch-max", "64")
                .containsEntry("batch-max-wait-us", "250");
    }

    @Test
    void shouldTakeAdaptiveBoundsFromFlags() throws IOException {
        ServerConfig c = ServerConfig.resolve(null, Map.of(), Map.of("batch-min", "8", "batch-max", "512",
                "batch-max-wait-us", "0"));
        assertThat(c.batch()).isEqualTo(new BatchController.Bounds(8, 512, 0));
    }

    @Test
    void shouldParkPipelineThreadsByDefaultAndTakeAnotherWaitFromTheEnvironment() throws IOException {
        assertThat(ServerConfig.resolve(null, Map.of(), Map.of()).pipelineWait()).isEqualTo(PipelineConfig.Wait.PARKING);
        ServerConfig c = ServerConfig.resolve(null, Map.of("HASHDIR_PIPELINE_WAIT", "Sleeping"), Map.of());
        assertThat(c.pipelineWait()).isEqualTo(PipelineConfig.Wait.SLEEPING);
        assertThat(c.describe()).containsEntry("pipeline-wait", "sleeping");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_PIPELINE_WAIT", "spin"), Map.of()))
                .hasMessageContaining("pipeline-wait").hasMessageContaining("parking, sleeping, blocking or yielding")
                .hasMessageContaining("'spin'");
    }

    @Test
    void shouldAnswerReadsEarlyByDefaultAndTakeOtherValues() throws IOException {
        ServerConfig d = ServerConfig.resolve(null, Map.of(), Map.of());
        assertThat(d.earlyReads()).isTrue();
        assertThat(d.spinNanos()).isEqualTo(PipelineConfig.DEFAULT_SPIN_NANOS);
        ServerConfig c = ServerConfig.resolve(null, Map.of("HASHDIR_PIPELINE_EARLY_READS", "False"),
                Map.of("pipeline-spin-us", "30"));
        assertThat(c.earlyReads()).isFalse();
        assertThat(c.spinNanos()).isEqualTo(30_000);
        assertThat(c.describe()).containsEntry("pipeline-early-reads", "false").containsEntry("pipeline-spin-us", "30");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_PIPELINE_EARLY_READS", "yes"), Map.of()))
                .hasMessageContaining("pipeline-early-reads").hasMessageContaining("true or false")
                .hasMessageContaining("'yes'");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("pipeline-spin-us", "5000")))
                .hasMessageContaining("pipeline-spin-us").hasMessageContaining("from 0 to 1000");
    }

    @Test
    void shouldNameTheBadBatchSetting() {
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of("HASHDIR_BATCH_MODE", "auto"), Map.of()))
                .hasMessageContaining("batch-mode").hasMessageContaining("adaptive or fixed")
                .hasMessageContaining("HASHDIR_BATCH_MODE");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("batch-min", "10", "batch-max", "5")))
                .hasMessageContaining("batch-min").hasMessageContaining("at most batch-max");
        assertThatThrownBy(() -> ServerConfig.resolve(null, Map.of(), Map.of("batch-max-wait-us", "-1")))
                .hasMessageContaining("batch-max-wait-us").hasMessageContaining("from 0");
    }
}
