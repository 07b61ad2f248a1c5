package dev.hashdir.engine.wal;

import dev.hashdir.bindings.libc.ErrnoException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * An in-memory {@link WalDirectory} that knows what is durable and what is not, for crash tests
 * (as Lucene's {@code MockDirectoryWrapper} and H2's {@code FilePathUnstable} do).
 *
 * <p>Each file keeps its durable content (as of its last force) and the writes and truncations
 * since; each directory entry knows whether a directory sync made it durable. {@link #crash}
 * turns that into what a power failure could leave, by a {@link Fault}, and that is then durable;
 * {@link Fault#KEEP_ALL} is a process crash: the page cache survives, unsynced as it was.
 *
 * <p>Preallocation ({@link WalFile#allocate}) is kept sparse: a file is its written bytes followed
 * by zeros up to its allocated size (so a 64 MiB segment costs only what was written); a crash
 * keeps the allocated size of the last force or, unless the fault drops everything unsynced, the
 * newer one. A rename not yet made durable by a directory sync is undone or kept by a crash,
 * never both.
 *
 * <p>It also fails like a full disk ({@link #setSpaceLimit}: an append writes what fits, then
 * throws ENOSPC), fails forces with EIO, crashes at the n-th I/O call ({@link #armCrash}: a write
 * then lands a random prefix), and flips bits of durable data (a media error). Every random
 * choice comes from a seeded {@link Random}.
 *
 * <p>Threading: every call, on the directory or an open file, holds the directory's lock, as a
 * file system serves its callers: the journal thread may write while the engine thread replays
 * (a resume after a page store failure) and a test thread crashes it.
 */
public final class FaultyWalDirectory implements WalDirectory {

    /** What a crash does to the writes and directory changes that were not synced. */
    public enum Fault {
        /** Process crash: everything written survives, still unsynced (a later power failure may take it). */
        KEEP_ALL,
        /** Only what was forced survives; unsynced creations vanish, unsynced deletions are undone. */
        DROP_UNSYNCED,
        /** A prefix of each file's unsynced operations survives, the last one torn at a random byte. */
        TORN,
        /** Each page of a file is old or new at random; the size anywhere between old and new. */
        REORDER_PAGES,
        /** Everything written survives, with one to three bits flipped in the unsynced bytes. */
        FLIP_BITS
    }

    /** Thrown by an I/O call armed to crash. An Error, so that no {@code catch (RuntimeException)} stops it. */
    public static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String where) {
            super("simulated crash in " + where);
        }
    }

    /** A write ({@code bytes != null}) or a truncation to {@code size}. */
    private record Op(long position, byte[] bytes, long size) {
    }

    private static final class Node {
        byte[] durable = new byte[0];
        byte[] data = new byte[0];
        /** Zeros follow the data up to here (the file's size when larger than the data). */
        long allocated;
        long durableAllocated;
        final List<Op> unsynced = new ArrayList<>();
        boolean entryDurable;
        /** The durable name this file had before an unsynced rename, else null. */
        String renamedFrom;

        long length() {
            return Math.max(data.length, allocated);
        }
    }

    private final Random random;
    private final int pageSize;
    private TreeMap<String, Node> files = new TreeMap<>();
    private final TreeMap<String, Node> deletedUnsynced = new TreeMap<>();
    private int generation;
    private long spaceLimit = Long.MAX_VALUE;
    private boolean overwritesNeedSpace;
    private int failForces;
    private long crashCountdown;
    /** Successful forces, directory syncs and appends so far (for tests counting I/O). */
    public int forces;
    public int directorySyncs;
    /** Writes of records: appends and positional writes of more than a sync slot. */
    public int appends;

    /**
     * @param seed     for the bytes an armed crash lets through
     * @param pageSize granularity of {@link Fault#REORDER_PAGES}
     */
    public FaultyWalDirectory(long seed, int pageSize) {
        this.random = WalTestRecords.seeded(seed);
        this.pageSize = pageSize;
    }

    /**
     * Writes and allocations growing the files beyond {@code bytes} in all together fail with
     * ENOSPC after writing what fits; overwrites of written or allocated bytes still work (as on
     * ext4 or XFS).
     */
    public synchronized void setSpaceLimit(long bytes) {
        spaceLimit = bytes;
        overwritesNeedSpace = false;
    }

    /**
     * Like {@link #setSpaceLimit}, but every written byte needs free space, overwrites of
     * preallocated blocks included: a full copy-on-write file system (btrfs, ZFS).
     */
    public synchronized void setCopyOnWriteSpaceLimit(long bytes) {
        spaceLimit = bytes;
        overwritesNeedSpace = true;
    }

    public synchronized void clearSpaceLimit() {
        spaceLimit = Long.MAX_VALUE;
        overwritesNeedSpace = false;
    }

    /** Bytes in all files, unsynced included. */
    public synchronized long usedBytes() {
        long used = 0;
        for (Node n : files.values()) {
            used += n.length();
        }
        return used;
    }

    /** The next {@code count} forces fail with EIO (and make nothing durable). */
    public synchronized void failNextForces(int count) {
        failForces = count;
    }

    /** The {@code n}-th I/O call from now (1 = the next) throws {@link SimulatedCrash}; 0 disarms. */
    public synchronized void armCrash(long n) {
        crashCountdown = n;
    }

    public synchronized boolean armed() {
        return crashCountdown > 0;
    }

    /** Flips a bit of durable data, as a failing disk would. */
    public synchronized void flipDurableBit(String name, long offset, int bit) {
        Node n = node(name);
        if (offset >= n.durable.length || offset >= n.data.length) {
            n.durable = Arrays.copyOf(n.durable, (int) Math.max(offset + 1, n.durable.length));
            n.data = Arrays.copyOf(n.data, (int) Math.max(offset + 1, n.data.length));
        }
        n.durable[(int) offset] ^= (byte) (1 << bit);
        n.data[(int) offset] ^= (byte) (1 << bit);
    }

    /** Replaces a file's content, durably (for tests that build damaged files). */
    public synchronized void setDurable(String name, byte[] content) {
        Node n = node(name);
        n.durable = content.clone();
        n.data = content.clone();
        n.allocated = 0;
        n.durableAllocated = 0;
        n.unsynced.clear();
    }

    /** The file's content, the zeros of its allocated size included. */
    public synchronized byte[] content(String name) {
        Node n = node(name);
        return Arrays.copyOf(n.data, (int) n.length());
    }

    public synchronized long size(String name) {
        return node(name).length();
    }

    public synchronized boolean exists(String name) {
        return files.containsKey(name);
    }

    /**
     * Simulates a crash with {@code fault}: every open file handle dies, and each file keeps what
     * the fault lets survive. Returns a description for failure messages.
     */
    public synchronized String crash(Random rnd, Fault fault) {
        generation++;
        crashCountdown = 0;
        failForces = 0;
        if (fault == Fault.KEEP_ALL) {
            return "crash(KEEP_ALL): page cache survives, unsynced state kept";
        }
        StringBuilder log = new StringBuilder("crash(" + fault + "):");
        TreeMap<String, Node> after = new TreeMap<>();
        for (Map.Entry<String, Node> e : files.entrySet()) {
            Node n = e.getValue();
            if (n.entryDurable || keepUnsynced(rnd, fault)) {
                after.put(e.getKey(), settled(settle(n, rnd, fault), allocatedAfter(n, rnd, fault)));
                log.append(' ').append(e.getKey()).append('=').append(after.get(e.getKey()).length())
                        .append(n.entryDurable ? "" : n.renamedFrom != null ? "(renamed)" : "(new)");
            } else if (n.renamedFrom != null && !after.containsKey(n.renamedFrom)) {
                after.put(n.renamedFrom, settled(settle(n, rnd, fault), allocatedAfter(n, rnd, fault)));
                log.append(' ').append(e.getKey()).append("=back to ").append(n.renamedFrom);
            } else {
                log.append(' ').append(e.getKey()).append("=gone");
            }
        }
        for (Map.Entry<String, Node> e : deletedUnsynced.entrySet()) {
            boolean undo = fault == Fault.DROP_UNSYNCED || rnd.nextBoolean();
            if (undo && !after.containsKey(e.getKey())) {
                after.put(e.getKey(), settled(e.getValue().durable, e.getValue().durableAllocated));
                log.append(' ').append(e.getKey()).append("=undeleted");
            }
        }
        files = after;
        deletedUnsynced.clear();
        return log.toString();
    }

    private static boolean keepUnsynced(Random rnd, Fault fault) {
        return fault != Fault.DROP_UNSYNCED && rnd.nextBoolean();
    }

    private static Node settled(byte[] content, long allocated) {
        Node n = new Node();
        n.durable = content;
        n.data = content.clone();
        n.allocated = allocated;
        n.durableAllocated = allocated;
        n.entryDurable = true;
        return n;
    }

    /** The allocated size a crash leaves: the forced one, or (unless unsynced changes are all dropped) maybe the newer. */
    private static long allocatedAfter(Node n, Random rnd, Fault fault) {
        return switch (fault) {
            case KEEP_ALL -> n.allocated;
            case DROP_UNSYNCED -> n.durableAllocated;
            default -> rnd.nextBoolean() ? n.allocated : n.durableAllocated;
        };
    }

    private byte[] settle(Node n, Random rnd, Fault fault) {
        return switch (fault) {
            case KEEP_ALL -> n.data.clone();
            case DROP_UNSYNCED -> n.durable.clone();
            case TORN -> torn(n, rnd);
            case REORDER_PAGES -> reordered(n, rnd);
            case FLIP_BITS -> flipped(n, rnd);
        };
    }

    private static byte[] torn(Node n, Random rnd) {
        int keep = rnd.nextInt(n.unsynced.size() + 1);
        byte[] content = n.durable.clone();
        for (int i = 0; i < keep; i++) {
            content = apply(content, n.unsynced.get(i), Integer.MAX_VALUE);
        }
        if (keep < n.unsynced.size()) {
            Op op = n.unsynced.get(keep);
            if (op.bytes() != null) {
                content = apply(content, op, rnd.nextInt(op.bytes().length + 1));
            } else if (rnd.nextBoolean()) {
                content = apply(content, op, 0);
            }
        }
        return content;
    }

    private byte[] reordered(Node n, Random rnd) {
        byte[] old = n.durable;
        byte[] now = n.data;
        int lo = Math.min(old.length, now.length);
        int hi = Math.max(old.length, now.length);
        int length = switch (rnd.nextInt(3)) {
            case 0 -> old.length;
            case 1 -> now.length;
            default -> lo + rnd.nextInt(hi - lo + 1);
        };
        byte[] content = new byte[length];
        for (int page = 0; page < length; page += pageSize) {
            byte[] from = rnd.nextBoolean() ? old : now;
            int n2 = Math.max(0, Math.min(Math.min(pageSize, length - page), from.length - page));
            if (n2 > 0) {
                System.arraycopy(from, page, content, page, n2);
            }
        }
        return content;
    }

    private static byte[] flipped(Node n, Random rnd) {
        byte[] content = n.data.clone();
        List<long[]> ranges = new ArrayList<>();
        long total = 0;
        for (Op op : n.unsynced) {
            if (op.bytes() != null) {
                long end = Math.min(op.position() + op.bytes().length, content.length);
                if (end > op.position()) {
                    ranges.add(new long[] {op.position(), end});
                    total += end - op.position();
                }
            }
        }
        int flips = total == 0 ? 0 : 1 + rnd.nextInt(3);
        for (int f = 0; f < flips; f++) {
            long pick = (long) (rnd.nextDouble() * total);
            for (long[] r : ranges) {
                if (pick < r[1] - r[0]) {
                    content[(int) (r[0] + pick)] ^= (byte) (1 << rnd.nextInt(8));
                    break;
                }
                pick -= r[1] - r[0];
            }
        }
        return content;
    }

    /** Applies an operation to {@code content}, a write only up to {@code limit} of its bytes. */
    private static byte[] apply(byte[] content, Op op, int limit) {
        if (op.bytes() == null) {
            return content.length > op.size() ? Arrays.copyOf(content, (int) op.size()) : content;
        }
        int n = Math.min(limit, op.bytes().length);
        int end = (int) op.position() + n;
        byte[] out = end > content.length ? Arrays.copyOf(content, end) : content;
        System.arraycopy(op.bytes(), 0, out, (int) op.position(), n);
        return out;
    }

    private Node node(String name) {
        Node n = files.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no file " + name + " in " + files.keySet());
        }
        return n;
    }

    /** True when this I/O call is the armed one. */
    private boolean crashNow() {
        return crashCountdown > 0 && --crashCountdown == 0;
    }

    private void maybeCrash(String where) {
        if (crashNow()) {
            throw new SimulatedCrash(where);
        }
    }

    @Override
    public synchronized List<String> list() {
        return new ArrayList<>(files.keySet());
    }

    @Override
    public synchronized WalFile create(String name) throws IOException {
        maybeCrash("create " + name);
        if (files.containsKey(name)) {
            throw new FileAlreadyExistsException(name);
        }
        deletedUnsynced.remove(name);
        Node n = new Node();
        files.put(name, n);
        return new Handle(name, n);
    }

    @Override
    public synchronized WalFile openForWrite(String name) throws IOException {
        return open(name);
    }

    @Override
    public synchronized WalFile openForRead(String name) throws IOException {
        return open(name);
    }

    private WalFile open(String name) throws IOException {
        Node n = files.get(name);
        if (n == null) {
            throw new NoSuchFileException(name);
        }
        return new Handle(name, n);
    }

    @Override
    public synchronized void rename(String from, String to) throws IOException {
        maybeCrash("rename " + from + " to " + to);
        Node n = files.remove(from);
        if (n == null) {
            throw new NoSuchFileException(from);
        }
        Node replaced = files.put(to, n);
        if (replaced != null && replaced.entryDurable) {
            deletedUnsynced.put(to, replaced);
        }
        if (n.entryDurable) {
            n.renamedFrom = from;
        }
        n.entryDurable = false;
    }

    @Override
    public synchronized void delete(String name) {
        maybeCrash("delete " + name);
        Node n = files.remove(name);
        if (n != null && n.entryDurable) {
            deletedUnsynced.put(name, n);
        } else if (n != null && n.renamedFrom != null) {
            deletedUnsynced.put(n.renamedFrom, n);
        }
    }

    @Override
    public synchronized void syncDirectory() {
        maybeCrash("sync directory");
        for (Node n : files.values()) {
            n.entryDurable = true;
            n.renamedFrom = null;
        }
        deletedUnsynced.clear();
        directorySyncs++;
    }

    @Override
    public synchronized String describe(String name) {
        return "mem:/wal/" + name;
    }

    /** An open file; dead after a crash. */
    private final class Handle implements WalFile {

        private final String name;
        private final Node node;
        private final int born = generation;
        private boolean closed;

        Handle(String name, Node node) {
            this.name = name;
            this.node = node;
        }

        private void check() throws IOException {
            if (born != generation) {
                throw new IllegalStateException(name + ": handle used after a simulated crash");
            }
            if (closed) {
                throw new IOException(name + " is closed");
            }
        }

        @Override
        public void append(MemorySegment src) throws IOException {
            synchronized (FaultyWalDirectory.this) {
                check();
                appends++;
                writeAt(node.data.length, src.toArray(ValueLayout.JAVA_BYTE), "append");
            }
        }

        @Override
        public void write(long position, MemorySegment src) throws IOException {
            synchronized (FaultyWalDirectory.this) {
                check();
                if (position < 0 || position > node.length()) {
                    throw new IllegalArgumentException("write outside " + name + ": position=" + position);
                }
                if (src.byteSize() > WalSegmentLayout.SLOT_BYTES) {
                    appends++;
                }
                writeAt(position, src.toArray(ValueLayout.JAVA_BYTE), "write");
            }
        }

        @Override
        public void allocate(long size) throws IOException {
            synchronized (FaultyWalDirectory.this) {
                check();
                maybeCrash("allocate " + name);
                long grow = size - node.length();
                if (grow <= 0) {
                    return;
                }
                long room = spaceLimit - usedBytes();
                if (grow > room) {
                    node.allocated = node.length() + Math.max(0, room);
                    throw new ErrnoException("allocate(" + name + ", size=" + size + ")", ErrnoException.ENOSPC,
                            "No space left on device");
                }
                node.allocated = size;
            }
        }

        private void writeAt(long position, byte[] bytes, String what) throws IOException {
            if (crashNow()) {
                record(position, Arrays.copyOf(bytes, random.nextInt(bytes.length + 1)));
                throw new SimulatedCrash(what + " " + name + " at " + position);
            }
            long grow = overwritesNeedSpace ? bytes.length : Math.max(0, position + bytes.length - node.length());
            long room = spaceLimit - usedBytes();
            if (grow > room) {
                int fits = (int) Math.max(0, bytes.length - (grow - room));
                record(position, Arrays.copyOf(bytes, fits));
                throw new ErrnoException(what + "(" + name + ", position=" + position + ", length=" + bytes.length + ")",
                        ErrnoException.ENOSPC, "No space left on device");
            }
            record(position, bytes);
        }

        private void record(long position, byte[] bytes) {
            if (bytes.length == 0) {
                return;
            }
            Op op = new Op(position, bytes, -1);
            node.data = apply(node.data, op, Integer.MAX_VALUE);
            node.unsynced.add(op);
        }

        @Override
        public long read(long position, MemorySegment dst) throws IOException {
            synchronized (FaultyWalDirectory.this) {
                check();
                long n = Math.max(0, Math.min(dst.byteSize(), node.length() - position));
                long fromData = Math.max(0, Math.min(n, node.data.length - position));
                if (fromData > 0) {
                    MemorySegment.copy(node.data, (int) position, dst, ValueLayout.JAVA_BYTE, 0, (int) fromData);
                }
                dst.asSlice(fromData, n - fromData).fill((byte) 0);
                return n;
            }
        }

        @Override
        public void force() throws IOException {
            synchronized (FaultyWalDirectory.this) {
                check();
                maybeCrash("force " + name);
                if (failForces > 0) {
                    failForces--;
                    throw new ErrnoException("fdatasync(" + name + ")", ErrnoException.EIO, "Input/output error");
                }
                node.durable = node.data.clone();
                node.durableAllocated = node.allocated;
                node.unsynced.clear();
                forces++;
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (FaultyWalDirectory.this) {
                check();
                return node.length();
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (FaultyWalDirectory.this) {
                check();
                maybeCrash("truncate " + name);
                node.allocated = Math.min(node.allocated, size);
                if (size < node.data.length) {
                    Op op = new Op(-1, null, size);
                    node.data = apply(node.data, op, 0);
                    node.unsynced.add(op);
                }
            }
        }

        @Override
        public void close() {
            synchronized (FaultyWalDirectory.this) {
                closed = true;
            }
        }
    }
}
