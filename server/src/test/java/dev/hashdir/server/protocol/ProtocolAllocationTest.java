package dev.hashdir.server.protocol;

import dev.hashdir.server.protocol.Frames.U64;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static dev.hashdir.server.protocol.Frames.KEY_BYTES;
import static dev.hashdir.server.protocol.Frames.key;
import static dev.hashdir.server.protocol.Frames.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Once warm, decoding a valid frame of the common ops (and of scan and batch) and encoding its
 * reply allocates nothing: bytes allocated by this thread over many messages, not timing.
 */
class ProtocolAllocationTest {

    private static final int WARM_UP = 20_000;
    private static final int MESSAGES = 200_000;
    /** Slack for the measurement itself (ThreadMXBean, a stray JIT deoptimisation). */
    private static final long BOUND = 16 * 1024;

    private final RequestDecoder decoder = new RequestDecoder(KEY_BYTES);
    private final Request request = new Request(KEY_BYTES);
    private final ReplyEncoder encoder = new ReplyEncoder();
    private final Reply reply = new Reply();
    private final long[] page = {1, 2, Long.MIN_VALUE, -1};

    @Test
    void shouldDecodeAndEncodeTheCommonOpsWithoutAllocating() {
        List<Object> hundred = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            hundred.add(new U64(-1L - i));
        }
        byte[][] frames = {
                map("v", 1, "id", 1, "op", "ping"),
                map("v", 1, "id", new U64(-1), "op", "put", "key", key(1), "value", new U64(-1)),
                map("v", 1, "id", 3, "op", "put", "key", key(2), "values", hundred),
                map("v", 1, "id", 4, "op", "get", "key", key(3), "after", 5, "limit", 100),
                map("v", 1, "id", 5, "op", "contains", "key", key(4), "value", 1L << 40),
                map("v", 1, "id", 6, "op", "count", "key", key(5)),
                map("v", 1, "id", 7, "op", "remove", "key", key(6), "value", 9),
                map("v", 1, "id", 8, "op", "delete", "key", key(7), "trace", "unknown fields are skipped"),
                map("v", 1, "id", 9, "op", "scan", "cursor", key(8), "limit", 2),
                map("v", 1, "id", 10, "op", "batch", "ops", List.of(
                        Frames.entries("op", "put", "key", key(9), "values", hundred),
                        Frames.entries("op", "contains", "key", key(9), "value", 3),
                        Frames.entries("op", "get", "key", key(9)))),
        };
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        long sink = run(frames, WARM_UP);
        long before = threads.getCurrentThreadAllocatedBytes();
        sink += run(frames, MESSAGES);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        System.out.printf("protocol allocation: %d bytes over %,d decode+encode round trips (%.4f bytes each)%n",
                allocated, MESSAGES, (double) allocated / MESSAGES);
        assertThat(sink).isPositive();
        assertThat(allocated).as("bytes allocated by %,d decodes and encodes", MESSAGES).isLessThan(BOUND);
    }

    /** The error path allocates (its message): shows the measurement above sees allocation at all. */
    @Test
    void shouldSeeTheAllocationOfTheErrorPath() {
        byte[] bad = map("v", 1, "id", 1, "op", "get", "key", new byte[3]);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int i = 0; i < WARM_UP; i++) {
            decoder.decode(bad, 0, bad.length, request);
            sink += encoder.encode(reply.answer(request));
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++) {
            decoder.decode(bad, 0, bad.length, request);
            sink += encoder.encode(reply.answer(request));
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        System.out.printf("protocol allocation, bad_request path: %.0f bytes per decode+encode%n",
                allocated / 10_000.0);
        assertThat(sink).isPositive();
        assertThat(request.status()).isEqualTo(Status.BAD_REQUEST);
        assertThat(allocated).isGreaterThan(10_000L * 64);
    }

    private long run(byte[][] frames, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            byte[] frame = frames[i % frames.length];
            Status status = decoder.decode(frame, 0, frame.length, request);
            if (status != Status.OK) {
                throw new AssertionError(request.error());
            }
            reply.answer(request);
            switch (request.op()) {
                case PUT -> reply.added(request.hasValues() ? request.valueCount() : 1);
                case GET -> reply.values(page, 0, page.length, 4, false);
                case CONTAINS -> reply.found(true);
                case COUNT -> reply.count(request.key()[0] & 0xff);
                case REMOVE -> reply.removed(true);
                case DELETE -> reply.removedCount(3);
                case SCAN -> reply.keys(keys, 0, 2, KEY_BYTES, keys, KEY_BYTES, KEY_BYTES);
                case BATCH -> {
                    reply.result(0).added(100);
                    reply.result(1).found(false);
                    reply.result(2).values(page, 1, 3, 4, true);
                }
                default -> {
                }
            }
            sink += encoder.encode(reply);
        }
        return sink;
    }

    private final byte[] keys = new byte[2 * KEY_BYTES];
}
