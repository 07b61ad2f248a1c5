package dev.hashdir.engine.wal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Test records: random ones, appended through every writer API, and read back from replay for comparison. */
final class WalTestRecords {

    private WalTestRecords() {
    }

    /**
     * A {@link Random} for a test seed, scrambled first (SplitMix64's finalizer): {@code new Random(s)}
     * and {@code new Random(s + 1)} start with nearly the same draws, which would make consecutive
     * seeded cases alike.
     */
    static Random seeded(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new Random(z ^ (z >>> 31));
    }

    /** A record as a plain value: type, key in hex ("" without key), values (epoch and LSN for a checkpoint mark). */
    record Rec(WalRecordType type, String key, List<Long> values) {

        @Override
        public String toString() {
            return type + "(" + (key.length() > 8 ? key.substring(0, 8) + ".." : key) + ", " + values.size() + " values)";
        }
    }

    /** A random record; value lists up to {@code maxValues} long, keys from a small set so they repeat. */
    static Rec random(Random rnd, int keyBytes, int maxValues) {
        WalRecordType type = WalRecordType.values()[rnd.nextInt(WalRecordType.values().length)];
        byte[] key = new byte[keyBytes];
        rnd.nextBytes(key);
        key[0] = (byte) rnd.nextInt(4);
        List<Long> values = new ArrayList<>();
        switch (type) {
            case PUT, REMOVE -> values.add(rnd.nextLong());
            case PUT_MANY, REMOVE_MANY -> {
                int n = 1 + rnd.nextInt(maxValues);
                for (int i = 0; i < n; i++) {
                    values.add(rnd.nextLong());
                }
            }
            case DELETE -> {
            }
            case CHECKPOINT_MARK -> {
                values.add(rnd.nextLong() & Long.MAX_VALUE);
                values.add(rnd.nextLong() & Long.MAX_VALUE);
            }
        }
        return new Rec(type, type.hasKey() ? HexFormat.of().formatHex(key) : "", List.copyOf(values));
    }

    /** Appends {@code rec} through the typed API or, when {@code encoded}, as a pre-encoded payload. */
    static long append(WalWriter writer, Rec rec, boolean encoded) {
        MemorySegment key = rec.type().hasKey() ? MemorySegment.ofArray(HexFormat.of().parseHex(rec.key())) : null;
        if (encoded) {
            return writer.append(rec.type(), encode(rec, writer.options().keyBytes()));
        }
        long[] values = rec.values().stream().mapToLong(Long::longValue).toArray();
        return switch (rec.type()) {
            case PUT -> writer.appendPut(key, values[0]);
            case REMOVE -> writer.appendRemove(key, values[0]);
            case PUT_MANY -> writer.appendPutMany(key, values, 0, values.length);
            case REMOVE_MANY -> writer.appendRemoveMany(key, values, 0, values.length);
            case DELETE -> writer.appendDelete(key);
            case CHECKPOINT_MARK -> writer.appendCheckpointMark(values[0], values[1]);
        };
    }

    /** The payload of {@code rec} encoded by hand from {@link WalRecordLayout}. */
    static MemorySegment encode(Rec rec, int keyBytes) {
        long bytes = WalRecordLayout.payloadBytes(rec.type(), keyBytes, rec.values().size());
        MemorySegment p = Arena.ofAuto().allocate(bytes);
        if (rec.type().hasKey()) {
            MemorySegment.copy(MemorySegment.ofArray(HexFormat.of().parseHex(rec.key())), 0, p, 0, keyBytes);
        }
        switch (rec.type()) {
            case PUT, REMOVE -> p.set(WalRecordLayout.U64, WalRecordLayout.valueOffset(keyBytes), rec.values().get(0));
            case PUT_MANY, REMOVE_MANY -> {
                p.set(WalRecordLayout.U32, WalRecordLayout.countOffset(keyBytes), rec.values().size());
                for (int i = 0; i < rec.values().size(); i++) {
                    p.set(WalRecordLayout.U64, WalRecordLayout.valuesOffset(keyBytes, i), rec.values().get(i));
                }
            }
            case DELETE -> {
            }
            case CHECKPOINT_MARK -> {
                p.set(WalRecordLayout.U64, WalRecordLayout.CHECKPOINT_EPOCH_OFFSET, rec.values().get(0));
                p.set(WalRecordLayout.U64, WalRecordLayout.CHECKPOINT_LSN_OFFSET, rec.values().get(1));
            }
        }
        return p;
    }

    /** A replayed record as a {@link Rec}. */
    static Rec read(WalRecord r) {
        List<Long> values = new ArrayList<>();
        if (r.type() == WalRecordType.CHECKPOINT_MARK) {
            values.add(r.checkpointEpoch());
            values.add(r.checkpointLsn());
        } else {
            for (int i = 0; i < r.valueCount(); i++) {
                values.add(r.value(i));
            }
        }
        String key = r.type().hasKey() ? HexFormat.of().formatHex(r.key().toArray(ValueLayout.JAVA_BYTE)) : "";
        return new Rec(r.type(), key, List.copyOf(values));
    }

    /** Collects replayed records with their LSNs. */
    static final class Collector implements WalConsumer {
        final List<Long> lsns = new ArrayList<>();
        final List<Rec> records = new ArrayList<>();

        @Override
        public void accept(WalRecord record) {
            lsns.add(record.lsn());
            records.add(read(record));
        }
    }
}
