package dev.hashdir.server.zmq;

import dev.hashdir.engine.pipeline.Pipeline;

import java.util.Map;
import java.util.function.Supplier;

/**
 * What the data plane serves once recovery is done: the pipeline, the store's key length and the
 * counters the {@code stats} op returns.
 */
public record Attached(Pipeline pipeline, int keyBytes, Supplier<Map<String, Number>> stats) {
}
