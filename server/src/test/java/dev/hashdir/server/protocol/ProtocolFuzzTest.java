package dev.hashdir.server.protocol;

import dev.hashdir.server.protocol.Frames.Entries;
import dev.hashdir.server.protocol.Frames.Raw;
import dev.hashdir.server.protocol.Frames.U64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.value.Value;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import static dev.hashdir.server.protocol.Frames.KEY_BYTES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of the decoder and the reply encoder: over 100,000 malformed, random and valid
 * frames. For every frame the decoder returns a status (never throws, never hangs, never runs out
 * of memory, never reports {@code internal}), and the reply encoded for it is a msgpack map that
 * msgpack-core reads back with that status, {@code v} 1, {@code error} exactly when not ok, and
 * the id exactly when the decoder read one. Where the case knows the id is readable (an id first
 * in the map, and the bytes before the damage intact), the reply must carry that id.
 *
 * <p>Reproduce a failure with {@code -Dprotocol.fuzz.seed=S}; the message names the kind, the case
 * number and the frame.
 */
class ProtocolFuzzTest {

    private static final long SEED = Long.getLong("protocol.fuzz.seed", 20_251_107L);

    /** One fuzz frame; {@code expectedId} is null when the case cannot tell whether the id is readable. */
    record Case(byte[] frame, Long expectedId) {
    }

    enum Kind {
        RANDOM_BYTES(20_000),
        TRUNCATED_VALID(20_000),
        MUTATED_VALID(25_000),
        WRONG_TYPES(12_000),
        HUGE_DECLARED_SIZES(6_000),
        DEEP_NESTING(600),
        DUPLICATE_KEYS(5_000),
        EXTENSION_TYPES(5_000),
        RANDOM_MSGPACK(10_000),
        VALID(6_000),
        OVERSIZED(20),
        OVER_LIMITS(300);

        final int cases;

        Kind(int cases) {
            this.cases = cases;
        }
    }

    private final RequestDecoder decoder = new RequestDecoder(KEY_BYTES);
    private final Request request = new Request(KEY_BYTES);
    private final ReplyEncoder encoder = new ReplyEncoder();
    private final Reply reply = new Reply();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldAnswerEveryFrameWithAStatusAndAValidReply() {
        long start = System.nanoTime();
        Map<Kind, int[]> statuses = new EnumMap<>(Kind.class);
        int total = 0;
        for (Kind kind : Kind.values()) {
            int[] byStatus = new int[Status.values().length];
            statuses.put(kind, byStatus);
            BiFunction<Random, Integer, List<Case>> generator = generator(kind);
            int done = 0;
            for (int i = 0; done < kind.cases; i++) {
                Random rnd = Frames.seeded(SEED * 31 + kind.ordinal() * 1_000_003L + i);
                for (Case c : generator.apply(rnd, i)) {
                    check(kind, i, c, byStatus);
                    done++;
                }
            }
            total += done;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("protocol fuzz: %,d frames in %.1f s (seed %d)%n", total, seconds, SEED);
        statuses.forEach((kind, counts) -> {
            StringBuilder s = new StringBuilder();
            for (Status st : Status.values()) {
                if (counts[st.ordinal()] > 0) {
                    s.append(' ').append(st.wireName()).append('=').append(counts[st.ordinal()]);
                }
            }
            System.out.printf("  %-20s%s%n", kind, s);
        });
        assertThat(total).isGreaterThanOrEqualTo(100_000);
        assertThat(statuses.get(Kind.VALID)[Status.OK.ordinal()]).isEqualTo(Kind.VALID.cases);
        assertThat(statuses.get(Kind.OVERSIZED)[Status.TOO_LARGE.ordinal()]).isEqualTo(Kind.OVERSIZED.cases);
        assertThat(statuses.get(Kind.OVER_LIMITS)[Status.TOO_LARGE.ordinal()]).isEqualTo(Kind.OVER_LIMITS.cases);
    }

    private void check(Kind kind, int i, Case c, int[] byStatus) {
        Supplier<String> where = () -> kind + " case " + i + " (seed " + SEED + "), frame of " + c.frame().length
                + " bytes: " + hex(c.frame()) + ", decoded as " + request;
        Status status;
        try {
            status = decoder.decode(c.frame(), 0, c.frame().length, request);
        } catch (Throwable t) {
            throw new AssertionError("decoder threw on " + where.get(), t);
        }
        assertThat(status).as(where).isNotNull().isNotEqualTo(Status.INTERNAL).isEqualTo(request.status());
        byStatus[status.ordinal()]++;
        if (status != Status.OK) {
            assertThat(request.error()).as(where).isNotBlank();
        }
        if (c.expectedId() != null) {
            assertThat(request.hasId()).as(() -> "id readable in " + where.get()).isTrue();
            assertThat(request.id()).as(where).isEqualTo(c.expectedId());
        }
        Map<String, Value> decoded;
        try {
            int length = encoder.encode(reply.answer(request));
            decoded = Frames.reply(encoder.buffer(), length);
        } catch (Throwable t) {
            throw new AssertionError("reply to " + where.get() + " failed", t);
        }
        assertThat(decoded.get("v").asIntegerValue().asInt()).as(where).isEqualTo(Protocol.VERSION);
        assertThat(decoded.get("status").asStringValue().asString()).as(where).isEqualTo(status.wireName());
        assertThat(decoded.containsKey("error")).as(where).isEqualTo(status != Status.OK);
        assertThat(decoded.containsKey("id")).as(where).isEqualTo(request.hasId());
        if (request.hasId()) {
            assertThat(decoded.get("id").asIntegerValue().asBigInteger().longValue()).as(where)
                    .isEqualTo(request.id());
        }
    }

    private static String hex(byte[] frame) {
        return frame.length > 200 ? HexFormat.of().formatHex(frame, 0, 200) + "..." : HexFormat.of().formatHex(frame);
    }

    private BiFunction<Random, Integer, List<Case>> generator(Kind kind) {
        return switch (kind) {
            case RANDOM_BYTES -> (rnd, i) -> List.of(new Case(randomBytes(rnd), null));
            case TRUNCATED_VALID -> (rnd, i) -> truncations(rnd);
            case MUTATED_VALID -> (rnd, i) -> List.of(mutation(rnd));
            case WRONG_TYPES -> (rnd, i) -> List.of(wrongTypes(rnd));
            case HUGE_DECLARED_SIZES -> (rnd, i) -> List.of(hugeDeclared(rnd));
            case DEEP_NESTING -> (rnd, i) -> List.of(deepNesting(rnd));
            case DUPLICATE_KEYS -> (rnd, i) -> List.of(duplicateKeys(rnd));
            case EXTENSION_TYPES -> (rnd, i) -> List.of(extensions(rnd));
            case RANDOM_MSGPACK -> (rnd, i) -> List.of(new Case(Frames.pack(randomValue(rnd, 0)), null));
            case VALID -> (rnd, i) -> {
                long id = rnd.nextLong();
                return List.of(new Case(Frames.pack(validRequest(rnd, id)), id));
            };
            case OVERSIZED -> (rnd, i) -> List.of(oversized(rnd));
            case OVER_LIMITS -> (rnd, i) -> List.of(overLimits(rnd));
        };
    }

    // ---- kinds ------------------------------------------------------------------------------------

    private static byte[] randomBytes(Random rnd) {
        byte[] b = new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(1000) : rnd.nextInt(40)];
        rnd.nextBytes(b);
        if (b.length > 0 && rnd.nextBoolean()) {
            b[0] = (byte) (0x80 | rnd.nextInt(16)); // often a fixmap, to get past the first byte
        }
        return b;
    }

    /** A valid request with its id first, cut at every length: the id is echoed once it is whole. */
    private static List<Case> truncations(Random rnd) {
        long id = rnd.nextLong();
        byte[] frame = Frames.pack(validRequest(rnd, id));
        int idEnd = idEnd(frame);
        List<Case> cases = new ArrayList<>();
        for (int length = 0; length < frame.length; length++) {
            byte[] cut = Arrays.copyOf(frame, length);
            cases.add(new Case(cut, length >= idEnd ? id : null));
        }
        return cases;
    }

    /** A valid request with one byte changed (a new value or one bit flipped). */
    private static Case mutation(Random rnd) {
        long id = rnd.nextLong();
        byte[] frame = Frames.pack(validRequest(rnd, id));
        int idEnd = idEnd(frame);
        int at = rnd.nextInt(frame.length);
        if (rnd.nextBoolean()) {
            frame[at] = (byte) rnd.nextInt(256);
        } else {
            frame[at] ^= (byte) (1 << rnd.nextInt(8));
        }
        return new Case(frame, at >= idEnd ? id : null);
    }

    /** Every known field, each with a value of a random type; the id first and valid. */
    private static Case wrongTypes(Random rnd) {
        long id = rnd.nextLong();
        List<Object> kv = new ArrayList<>(List.of("id", new U64(id)));
        for (String name : List.of("v", "op", "key", "value", "values", "after", "limit", "cursor", "ops")) {
            if (rnd.nextInt(3) > 0) {
                kv.add(name);
                kv.add(rnd.nextInt(4) == 0 ? plausible(rnd, name) : randomValue(rnd, 1));
            }
        }
        shuffleAfterId(rnd, kv);
        return new Case(Frames.pack(new Entries(kv.toArray())), id);
    }

    /** A field whose value (or a batch op, or the request map) declares far more than the frame holds. */
    private static Case hugeDeclared(Random rnd) {
        long id = rnd.nextLong();
        int[] headers = {0xdc, 0xdd, 0xde, 0xdf, 0xc5, 0xc6, 0xda, 0xdb, 0xc8, 0xc9};
        int h = headers[rnd.nextInt(headers.length)];
        ByteArrayOutputStream huge = new ByteArrayOutputStream();
        huge.write(h);
        boolean sixteen = h == 0xdc || h == 0xde || h == 0xc5 || h == 0xda || h == 0xc8;
        long n = sixteen ? 0x100 + rnd.nextInt(0xff00) : (1L << 16) + (rnd.nextLong() & 0xffff_ffffL) % 0xfffe_ffffL;
        for (int s = (sixteen ? 1 : 3); s >= 0; s--) {
            huge.write((int) (n >>> (8 * s)));
        }
        if (h == 0xc8 || h == 0xc9) {
            huge.write(rnd.nextInt(256)); // ext type
        }
        byte[] tail = new byte[rnd.nextInt(20)];
        rnd.nextBytes(tail);
        huge.writeBytes(tail);
        Raw raw = new Raw(huge.toByteArray());
        Object frame = switch (rnd.nextInt(4)) {
            case 0 -> new Entries("id", new U64(id), "op", "put", "key", Frames.key(1), "values", raw);
            case 1 -> new Entries("id", new U64(id), "op", "batch", "ops", raw);
            case 2 -> new Entries("id", new U64(id), "op", "batch", "ops", List.of(new Entries("op", "get", "key",
                    raw)));
            default -> new Entries("id", new U64(id), "op", "ping", pick(rnd, "x", "key", "cursor", "op"), raw);
        };
        if (rnd.nextInt(10) == 0) { // the request map itself: map32 of ~4 billion entries, id first
            byte[] packed = Frames.pack(new Entries("id", new U64(id), "op", "ping"));
            byte[] big = new byte[packed.length + 4];
            big[0] = (byte) 0xdf;
            big[1] = big[2] = big[3] = big[4] = (byte) 0xff;
            System.arraycopy(packed, 1, big, 5, packed.length - 1);
            return new Case(big, id);
        }
        return new Case(Frames.pack(frame), id);
    }

    /** Up to 10,000 levels of arrays or maps in a field, a batch op, or a key; the id first. */
    private static Case deepNesting(Random rnd) {
        long id = rnd.nextLong();
        int depth = rnd.nextBoolean() ? 10_000 : 20 + rnd.nextInt(100);
        ByteArrayOutputStream deep = new ByteArrayOutputStream();
        for (int i = 0; i < depth; i++) {
            switch (rnd.nextInt(3)) {
                case 0 -> deep.write(0x91); // [ ...
                case 1 -> deep.writeBytes(new byte[] {(byte) 0x81, 0x00}); // {0: ...
                default -> deep.writeBytes(new byte[] {(byte) 0x81, (byte) 0xa1, 'k'}); // {"k": ...
            }
        }
        deep.write(0xc0);
        Raw raw = new Raw(deep.toByteArray());
        Object frame = switch (rnd.nextInt(5)) {
            case 0 -> new Entries("id", new U64(id), "op", "ping", "deep", raw);
            case 1 -> new Entries("id", new U64(id), "op", "batch", "ops", raw);
            case 2 -> new Entries("id", new U64(id), "op", "batch", "ops", List.of(new Entries("op", "ping", "x", raw)));
            case 3 -> new Entries("id", new U64(id), raw, 1, "op", "ping");
            default -> new Entries("id", new U64(id), "op", "put", "key", Frames.key(2), "values", raw);
        };
        return new Case(Frames.pack(frame), id);
    }

    /** A valid request with one of its fields (or an unknown one) given again. */
    private static Case duplicateKeys(Random rnd) {
        long id = rnd.nextLong();
        Entries valid = validRequest(rnd, id);
        List<Object> kv = new ArrayList<>(Arrays.asList(valid.keysAndValues()));
        int field = rnd.nextInt(kv.size() / 2);
        Object name = kv.get(2 * field);
        Object value = rnd.nextBoolean() ? kv.get(2 * field + 1) : randomValue(rnd, 1);
        int at = 2 + 2 * rnd.nextInt(kv.size() / 2); // a pair boundary after the id, up to the end
        kv.add(at, value);
        kv.add(at, name);
        return new Case(Frames.pack(new Entries(kv.toArray())), id);
    }

    /** Extension values (and ext keys) in known and unknown fields; the id first. */
    private static Case extensions(Random rnd) {
        long id = rnd.nextLong();
        Entries valid = validRequest(rnd, id);
        List<Object> kv = new ArrayList<>(Arrays.asList(valid.keysAndValues()));
        int changes = 1 + rnd.nextInt(3);
        for (int c = 0; c < changes; c++) {
            switch (rnd.nextInt(3)) {
                case 0 -> kv.set(3 + 2 * rnd.nextInt(kv.size() / 2 - 1), ext(rnd)); // a value after the id
                case 1 -> kv.addAll(List.of("x" + rnd.nextInt(5), ext(rnd)));
                default -> kv.addAll(Arrays.asList(ext(rnd), randomValue(rnd, 1)));
            }
        }
        return new Case(Frames.pack(new Entries(kv.toArray())), id);
    }

    /** A frame over the size limit that starts as a valid request; the id first. */
    private static Case oversized(Random rnd) {
        long id = rnd.nextLong();
        byte[] head = Frames.pack(new Entries("id", new U64(id), "op", "put", "key", Frames.key(3), "values",
                new Raw(new byte[] {(byte) 0xdd, 0, 2, 0, 0})));
        byte[] frame = new byte[Protocol.MAX_MESSAGE_BYTES + 1 + rnd.nextInt(1000)];
        System.arraycopy(head, 0, frame, 0, head.length);
        for (int i = head.length; i < frame.length; i++) {
            frame[i] = (byte) rnd.nextInt(128);
        }
        return new Case(frame, id);
    }

    /** More values than a request may carry, or more ops than a batch may hold, in a frame under the size limit. */
    private static Case overLimits(Random rnd) {
        long id = rnd.nextLong();
        boolean values = rnd.nextBoolean();
        int n = (values ? Protocol.MAX_VALUES : Protocol.MAX_BATCH_OPS) + 1 + rnd.nextInt(100);
        byte[] array = new byte[5 + n];
        array[0] = (byte) 0xdd;
        for (int s = 0; s < 4; s++) {
            array[1 + s] = (byte) (n >>> (24 - 8 * s));
        }
        for (int i = 5; i < array.length; i++) {
            array[i] = values ? (byte) rnd.nextInt(128) : (byte) 0x80; // fixints, or empty maps
        }
        Entries frame = values
                ? new Entries("id", new U64(id), "op", "put", "key", Frames.key(4), "values", new Raw(array))
                : new Entries("id", new U64(id), "op", "batch", "ops", new Raw(array));
        return new Case(Frames.pack(frame), id);
    }

    // ---- building blocks ----------------------------------------------------------------------------

    /** A valid request of a random op, the id first, the other fields in random order. */
    static Entries validRequest(Random rnd, long id) {
        Op op = Op.values()[rnd.nextInt(Op.values().length)];
        List<Object> kv = new ArrayList<>(List.of("id", new U64(id)));
        if (rnd.nextBoolean()) {
            kv.addAll(List.of("v", 1));
        }
        kv.addAll(opFields(rnd, op, true));
        if (rnd.nextInt(4) == 0) {
            kv.addAll(Arrays.asList("trace" + rnd.nextInt(3), randomValue(rnd, 2)));
        }
        shuffleAfterId(rnd, kv);
        return new Entries(kv.toArray());
    }

    private static List<Object> opFields(Random rnd, Op op, boolean topLevel) {
        List<Object> kv = new ArrayList<>(List.of("op", op.wireName()));
        switch (op) {
            case PUT -> {
                kv.addAll(List.of("key", randomKey(rnd)));
                if (rnd.nextBoolean()) {
                    kv.addAll(List.of("value", new U64(randomUint(rnd))));
                } else {
                    List<Object> values = new ArrayList<>();
                    for (int i = rnd.nextInt(20); i > 0; i--) {
                        values.add(new U64(randomUint(rnd)));
                    }
                    kv.addAll(List.of("values", values));
                }
            }
            case GET -> {
                kv.addAll(List.of("key", randomKey(rnd)));
                if (rnd.nextBoolean()) {
                    kv.addAll(List.of("after", new U64(randomUint(rnd))));
                }
                if (rnd.nextBoolean()) {
                    kv.addAll(List.of("limit", rnd.nextInt(20_000)));
                }
            }
            case CONTAINS, REMOVE -> kv.addAll(List.of("key", randomKey(rnd), "value", new U64(randomUint(rnd))));
            case COUNT, DELETE -> kv.addAll(List.of("key", randomKey(rnd)));
            case SCAN -> {
                if (rnd.nextBoolean()) {
                    kv.addAll(List.of("cursor", randomKey(rnd)));
                }
                if (rnd.nextBoolean()) {
                    kv.addAll(List.of("limit", rnd.nextInt(20_000)));
                }
            }
            case BATCH -> {
                List<Object> ops = new ArrayList<>();
                for (int i = topLevel ? rnd.nextInt(5) : 0; i > 0; i--) {
                    Op sub;
                    do {
                        sub = Op.values()[rnd.nextInt(Op.values().length)];
                    } while (sub == Op.BATCH);
                    ops.add(new Entries(opFields(rnd, sub, false).toArray()));
                }
                kv.addAll(List.of("ops", ops));
            }
            case PING, STATS -> {
            }
        }
        return kv;
    }

    /** Shuffles the key/value pairs after the first (the id), keeping each pair together. */
    private static void shuffleAfterId(Random rnd, List<Object> kv) {
        List<List<Object>> pairs = new ArrayList<>();
        for (int i = 2; i < kv.size(); i += 2) {
            pairs.add(Arrays.asList(kv.get(i), kv.get(i + 1)));
        }
        Collections.shuffle(pairs, rnd);
        List<Object> head = new ArrayList<>(kv.subList(0, 2));
        kv.clear();
        kv.addAll(head);
        pairs.forEach(kv::addAll);
    }

    /** Where the id's value ends in a frame packed with the id first: fixmap/map16/map32, "id", value. */
    private static int idEnd(byte[] frame) {
        int b = frame[0] & 0xff;
        int at = (b & 0xf0) == 0x80 ? 1 : b == 0xde ? 3 : 5;
        at += 3; // "id" as a fixstr
        int f = frame[at] & 0xff;
        return at + (f <= 0x7f ? 1 : f == 0xcc ? 2 : f == 0xcd ? 3 : f == 0xce ? 5 : 9);
    }

    private static byte[] randomKey(Random rnd) {
        byte[] k = new byte[KEY_BYTES];
        rnd.nextBytes(k);
        return k;
    }

    private static long randomUint(Random rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt(128);
            case 1 -> rnd.nextInt();
            case 2 -> -1L - rnd.nextInt(3);
            default -> rnd.nextLong();
        };
    }

    /** A value of the field's own type but possibly a bad size or range. */
    private static Object plausible(Random rnd, String field) {
        return switch (field) {
            case "key", "cursor" -> new byte[rnd.nextInt(3) == 0 ? KEY_BYTES : rnd.nextInt(200)];
            case "op" -> rnd.nextBoolean() ? Op.values()[rnd.nextInt(Op.values().length)].wireName() : "op" + rnd.nextInt();
            case "values" -> List.of(rnd.nextInt(3) - 1, new U64(rnd.nextLong()));
            case "ops" -> List.of(new Entries("op", "ping"), new Entries(opFields(rnd, Op.GET, false).toArray()));
            default -> rnd.nextInt(5) - 2;
        };
    }

    private static Raw ext(Random rnd) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            int length = rnd.nextInt(4) == 0 ? rnd.nextInt(300) : 1 << rnd.nextInt(5);
            byte[] payload = new byte[length];
            rnd.nextBytes(payload);
            p.packExtensionTypeHeader((byte) rnd.nextInt(256), length).writePayload(payload);
            p.flush();
            return new Raw(p.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A random msgpack value of every kind, nested up to a few levels. */
    static Object randomValue(Random rnd, int depth) {
        int kinds = depth > 3 ? 9 : 12;
        return switch (rnd.nextInt(kinds)) {
            case 0 -> null;
            case 1 -> rnd.nextBoolean();
            case 2 -> (long) rnd.nextInt(256) - 128;
            case 3 -> rnd.nextLong();
            case 4 -> new U64(rnd.nextLong());
            case 5 -> rnd.nextDouble();
            case 6 -> "s".repeat(rnd.nextInt(4) == 0 ? rnd.nextInt(300) : rnd.nextInt(10));
            case 7 -> new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(300) : rnd.nextInt(40)];
            case 8 -> ext(rnd);
            case 9, 10 -> {
                List<Object> list = new ArrayList<>();
                for (int i = rnd.nextInt(5); i > 0; i--) {
                    list.add(randomValue(rnd, depth + 1));
                }
                yield list;
            }
            default -> {
                List<Object> kv = new ArrayList<>();
                for (int i = rnd.nextInt(5); i > 0; i--) {
                    kv.add(rnd.nextBoolean() ? pick(rnd, "v", "id", "op", "key", "value", "values", "ops", "x")
                            : randomValue(rnd, depth + 1));
                    kv.add(randomValue(rnd, depth + 1));
                }
                yield new Entries(kv.toArray());
            }
        };
    }

    private static String pick(Random rnd, String... names) {
        return names[rnd.nextInt(names.length)];
    }
}
