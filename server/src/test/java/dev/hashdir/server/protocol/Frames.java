package dev.hashdir.server.protocol;

import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;
import org.msgpack.value.ValueType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Test frames built the way a client builds them: with msgpack-core's packer. Java values map to
 * msgpack as: String str, byte[] bin, Integer/Long int (smallest form, signed), {@link U64} uint64
 * bits, Boolean bool, Double float64, null nil, List array, Map map, {@link Raw} bytes as they are.
 */
final class Frames {

    static final int KEY_BYTES = 32;

    /** 64 bits to pack as an unsigned integer (uint64 from 2^63 up). */
    record U64(long bits) {
    }

    /** Bytes written into the frame as they are (a hand-made msgpack value). */
    record Raw(byte[] bytes) {
    }

    private Frames() {
    }

    /** A map with keys and values alternating, in this order (duplicates kept). */
    static byte[] map(Object... keysAndValues) {
        return pack(new Entries(keysAndValues));
    }

    /** A map value for nesting (batch ops), keys and values alternating. */
    static Entries entries(Object... keysAndValues) {
        return new Entries(keysAndValues);
    }

    /** Key/value pairs in order, duplicates allowed (a LinkedHashMap would fold them). */
    record Entries(Object... keysAndValues) {
        Entries {
            if (keysAndValues.length % 2 != 0) {
                throw new IllegalArgumentException("keys and values alternate: odd count " + keysAndValues.length);
            }
        }
    }

    static byte[] pack(Object value) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            write(p, value);
            p.flush();
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(MessagePacker p, Object v) throws IOException {
        switch (v) {
            case null -> p.packNil();
            case String s -> p.packString(s);
            case byte[] b -> p.packBinaryHeader(b.length).writePayload(b);
            case Integer i -> p.packInt(i);
            case Long l -> p.packLong(l);
            case U64 u -> p.packBigInteger(new BigInteger(Long.toUnsignedString(u.bits())));
            case Boolean b -> p.packBoolean(b);
            case Double d -> p.packDouble(d);
            case Raw r -> p.writePayload(r.bytes());
            case List<?> list -> {
                p.packArrayHeader(list.size());
                for (Object e : list) {
                    write(p, e);
                }
            }
            case Entries e -> {
                Object[] kv = e.keysAndValues();
                p.packMapHeader(kv.length / 2);
                for (Object o : kv) {
                    write(p, o);
                }
            }
            case Map<?, ?> m -> {
                p.packMapHeader(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    write(p, e.getKey());
                    write(p, e.getValue());
                }
            }
            default -> throw new IllegalArgumentException("no msgpack mapping for " + v.getClass());
        }
    }

    /** A key of the test key length, filled from {@code seed}. */
    static byte[] key(int seed) {
        byte[] k = new byte[KEY_BYTES];
        new Random(seed).nextBytes(k);
        return k;
    }

    /** A decoded reply as a map from field name to msgpack value (fails on anything but a map). */
    static Map<String, Value> reply(byte[] frame, int length) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(frame, 0, length)) {
            Value v = u.unpackValue();
            if (v.getValueType() != ValueType.MAP) {
                throw new AssertionError("reply is not a map: " + v);
            }
            if (u.hasNext()) {
                throw new AssertionError("trailing bytes after the reply map");
            }
            Map<String, Value> out = new LinkedHashMap<>();
            for (Map.Entry<Value, Value> e : v.asMapValue().entrySet()) {
                if (out.put(e.getKey().asStringValue().asString(), e.getValue()) != null) {
                    throw new AssertionError("reply field given twice: " + e.getKey());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Value> reply(byte[] frame) {
        return reply(frame, frame.length);
    }

    /** The reply {@code encoder} holds, decoded. */
    static Map<String, Value> reply(ReplyEncoder encoder) {
        return reply(encoder.buffer(), encoder.length());
    }

    /** A Random for a test seed, scrambled first so that consecutive seeds draw unalike. */
    static Random seeded(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new Random(z ^ (z >>> 31));
    }
}
