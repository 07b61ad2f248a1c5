package dev.hashdir.engine.wal;

import dev.hashdir.bindings.libc.ErrnoException;
import dev.hashdir.engine.wal.FaultyWalDirectory.Fault;
import dev.hashdir.engine.wal.FaultyWalDirectory.SimulatedCrash;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fault layer itself: a crash test is only as good as the faults it really injects. */
class WalFaultyDirectoryTest {

    private static final byte[] SYNCED = filled(1000, 1);
    private static final byte[] UNSYNCED = filled(3000, 2);

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** A durable file "f" holding SYNCED, then UNSYNCED appended without a force. */
    private static FaultyWalDirectory withUnsyncedTail() throws Exception {
        FaultyWalDirectory dir = new FaultyWalDirectory(1, 512);
        WalFile f = dir.create("f");
        f.append(MemorySegment.ofArray(SYNCED));
        f.force();
        dir.syncDirectory();
        f.append(MemorySegment.ofArray(UNSYNCED));
        return dir;
    }

    @Test
    void dropUnsyncedKeepsExactlyWhatWasForced() throws Exception {
        FaultyWalDirectory dir = withUnsyncedTail();
        dir.crash(WalTestRecords.seeded(1), Fault.DROP_UNSYNCED);
        assertThat(dir.content("f")).isEqualTo(SYNCED);
    }

    @Test
    void keepAllKeepsEverythingButStillUnsynced() throws Exception {
        FaultyWalDirectory dir = withUnsyncedTail();
        dir.crash(WalTestRecords.seeded(1), Fault.KEEP_ALL);
        assertThat(dir.size("f")).isEqualTo(4000);
        dir.crash(WalTestRecords.seeded(1), Fault.DROP_UNSYNCED);
        assertThat(dir.content("f")).as("a later power failure still drops it").isEqualTo(SYNCED);
    }

    @Test
    void tornKeepsTheForcedPartAndARandomPrefixOfTheRest() throws Exception {
        int shorter = 0;
        for (int seed = 0; seed < 20; seed++) {
            FaultyWalDirectory dir = withUnsyncedTail();
            dir.crash(WalTestRecords.seeded(seed), Fault.TORN);
            byte[] c = dir.content("f");
            assertThat(c.length).isBetween(1000, 4000);
            assertThat(Arrays.copyOf(c, 1000)).isEqualTo(SYNCED);
            assertThat(Arrays.copyOfRange(c, 1000, c.length)).containsOnly((byte) 2);
            shorter += c.length < 4000 ? 1 : 0;
        }
        assertThat(shorter).isPositive();
    }

    @Test
    void reorderedPagesMixOldAndNewAndMayLeaveHoles() throws Exception {
        boolean hole = false;
        for (int seed = 0; seed < 20; seed++) {
            FaultyWalDirectory dir = withUnsyncedTail();
            dir.crash(WalTestRecords.seeded(seed), Fault.REORDER_PAGES);
            byte[] c = dir.content("f");
            assertThat(Arrays.copyOf(c, 512)).as("page 0 is all forced").containsOnly((byte) 1);
            for (int i = 1000; i < c.length; i++) {
                hole |= c[i] == 0 && i + 1 < c.length && c[c.length - 1] == 2;
            }
        }
        assertThat(hole).as("a later page arrived while an earlier one did not").isTrue();
    }

    @Test
    void flippedBitsHitOnlyUnsyncedBytes() throws Exception {
        for (int seed = 0; seed < 20; seed++) {
            FaultyWalDirectory dir = withUnsyncedTail();
            dir.crash(WalTestRecords.seeded(seed), Fault.FLIP_BITS);
            byte[] c = dir.content("f");
            assertThat(Arrays.copyOf(c, 1000)).isEqualTo(SYNCED);
            int flipped = 0;
            for (int i = 1000; i < 4000; i++) {
                flipped += Integer.bitCount((c[i] ^ 2) & 0xff);
            }
            assertThat(flipped).isBetween(1, 3);
        }
    }

    @Test
    void anUnsyncedCreationVanishesAndAnUnsyncedDeletionIsUndone() throws Exception {
        FaultyWalDirectory dir = withUnsyncedTail();
        WalFile g = dir.create("g");
        g.append(MemorySegment.ofArray(SYNCED));
        g.force();
        dir.crash(WalTestRecords.seeded(1), Fault.DROP_UNSYNCED);
        assertThat(dir.exists("g")).as("file forced, directory not synced").isFalse();
        dir.delete("f");
        dir.crash(WalTestRecords.seeded(1), Fault.DROP_UNSYNCED);
        assertThat(dir.exists("f")).isTrue();
        dir.delete("f");
        dir.syncDirectory();
        dir.crash(WalTestRecords.seeded(1), Fault.DROP_UNSYNCED);
        assertThat(dir.exists("f")).isFalse();
    }

    @Test
    void aFullDiskWritesWhatFitsThenFailsWithEnospc() throws Exception {
        FaultyWalDirectory dir = withUnsyncedTail();
        dir.setSpaceLimit(4100);
        WalFile f = dir.openForWrite("f");
        assertThatThrownBy(() -> f.append(MemorySegment.ofArray(new byte[500])))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.isDiskFull()).isTrue());
        assertThat(dir.size("f")).isEqualTo(4100);
    }

    @Test
    void anArmedCrashStopsTheCallAndKillsOpenHandles() throws Exception {
        FaultyWalDirectory dir = withUnsyncedTail();
        WalFile f = dir.openForWrite("f");
        dir.armCrash(2);
        f.append(MemorySegment.ofArray(new byte[10]));
        assertThatThrownBy(f::force).isInstanceOf(SimulatedCrash.class);
        dir.crash(WalTestRecords.seeded(1), Fault.KEEP_ALL);
        assertThatThrownBy(f::size).isInstanceOf(IllegalStateException.class).hasMessageContaining("after a simulated crash");
    }
}
