package dev.hashdir.bindings.libc;

import dev.hashdir.bindings.CFunction;
import dev.hashdir.bindings.CType;
import dev.hashdir.bindings.NativeAccess;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The few libc calls hashdir needs: {@code fdatasync} (HDF5 1.10 never syncs), {@code sync_file_range}
 * (to start a checkpoint's write-back early), a memory stream
 * to capture the HDF5 error stack as text, and anonymous memory mappings with transparent huge
 * pages for the page cache's frames ({@link #mapAnonymous}). Thread-safe: every call is independent.
 */
@SuppressWarnings("restricted") // reads C strings libc returns
public final class LibC {

    private static final List<CFunction> FUNCTIONS = new ArrayList<>();
    private static final SymbolLookup LIBC = NativeAccess.linker().defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final CType FILE_PTR = CType.pointer("FILE *");


    static final MethodHandle MMAP = NativeAccess.bind(LIBC, FUNCTIONS,
            new CFunction("sys/mman.h", "mmap", CType.pointer("void *"), List.of(CType.pointer("void *"), CType.SIZE_T,
                    CType.INT, CType.INT, CType.INT, CType.scalar("off_t", ValueLayout.JAVA_LONG))),
            Linker.Option.captureCallState("errno"));
    static final MethodHandle MADVISE = NativeAccess.bind(LIBC, FUNCTIONS,
            new CFunction("sys/mman.h", "madvise", CType.INT, List.of(CType.pointer("void *"), CType.SIZE_T, CType.INT)));

    /**
     * The functions a server's start does not call (syncs, error texts, unmapping): bound at
     * their first use or by {@link #bindAll()}. Each has a C signature no other has, so each costs
     * FFM a stub class, some 4 ms in a freshly started JVM.
     */
    private static final class Late {

        static final MethodHandle FDATASYNC = NativeAccess.bind(LIBC, FUNCTIONS,
                new CFunction("unistd.h", "fdatasync", CType.INT, List.of(CType.INT)),
                Linker.Option.captureCallState("errno"));
        static final MethodHandle SYNC_FILE_RANGE = NativeAccess.bind(LIBC, FUNCTIONS,
                new CFunction("fcntl.h", "sync_file_range", CType.INT, List.of(CType.INT,
                        CType.scalar("off64_t", ValueLayout.JAVA_LONG), CType.scalar("off64_t", ValueLayout.JAVA_LONG),
                        CType.UNSIGNED)),
                Linker.Option.captureCallState("errno"));
        static final MethodHandle OPEN_MEMSTREAM = NativeAccess.bind(LIBC, FUNCTIONS,
                new CFunction("stdio.h", "open_memstream", FILE_PTR,
                        List.of(CType.pointer("char **"), CType.pointer("size_t *"))));
        static final MethodHandle FCLOSE = NativeAccess.bind(LIBC, FUNCTIONS,
                new CFunction("stdio.h", "fclose", CType.INT, List.of(FILE_PTR)));
        static final MethodHandle FREE = NativeAccess.bind(LIBC, FUNCTIONS,
                new CFunction("stdlib.h", "free", CType.VOID, List.of(CType.pointer("void *"))));
        static final MethodHandle STRERROR = NativeAccess.bind(LIBC, FUNCTIONS,
                new CFunction("string.h", "strerror", CType.pointer("char *"), List.of(CType.INT)));
        static final MethodHandle MUNMAP = NativeAccess.bind(LIBC, FUNCTIONS,
                new CFunction("sys/mman.h", "munmap", CType.INT, List.of(CType.pointer("void *"), CType.SIZE_T)));

        private Late() {
        }

        /** Initialises this class: binds its functions. */
        static void bind() {
            // the static initialiser did it
        }
    }

    /** {@code <sys/mman.h>} constants (Linux, x86_64 and aarch64), checked against the headers by {@code native/}. */
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MADV_HUGEPAGE = 14;
    /** {@code <fcntl.h>} (Linux): start writing back dirty pages of the range, wait for nothing. */
    public static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final long MAP_FAILED = -1L;

    private LibC() {
    }

    /** Binds every function not bound yet (syncs, error texts, unmapping); calls none. Any thread. */
    public static void bindAll() {
        Late.bind();
    }

    /** Every libc function this binding declares, for the prototype check in {@code native/}. */
    public static List<CFunction> declarations() {
        bindAll();
        return Collections.unmodifiableList(FUNCTIONS);
    }

    /**
     * Flushes the file's data (and the metadata needed to read it) to stable storage.
     *
     * @throws IOException naming the errno, e.g. {@code EIO} or {@code ENOSPC}
     */
    public static void fdatasync(int fd) throws IOException {
        call("fdatasync(fd=" + fd + ")", state -> (int) Late.FDATASYNC.invokeExact(state, fd));
    }

    /** A downcall that records errno in {@code state} and returns its result code. */
    @FunctionalInterface
    private interface ErrnoCall {
        int invoke(MemorySegment state) throws Throwable;
    }

    /** Makes {@code c}; a non-zero result throws naming {@code what} and the errno. */
    private static void call(String what, ErrnoCall c) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            if (c.invoke(state) != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new ErrnoException(what, errno, strerror(errno));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(what + " downcall", t);
        }
    }

    /**
     * Starts writing back the file's dirty pages ({@code sync_file_range(fd, 0, 0,
     * SYNC_FILE_RANGE_WRITE)}, Linux): waits for no I/O to finish and makes nothing durable (no
     * metadata, no disk cache flush), so a later {@link #fdatasync} has less left to write. It does
     * not consume a write-back error: the next {@code fdatasync} still reports it.
     *
     * @throws IOException naming the errno
     */
    public static void startWriteback(int fd) throws IOException {
        call("sync_file_range(fd=" + fd + ")",
                state -> (int) Late.SYNC_FILE_RANGE.invokeExact(state, fd, 0L, 0L, SYNC_FILE_RANGE_WRITE));
    }

    /** The {@code <sys/mman.h>} and {@code <fcntl.h>} constants this binding uses, by name, for the prototype check in {@code native/}. */
    public static java.util.Map<String, Long> macroConstants() {
        var m = new java.util.LinkedHashMap<String, Long>();
        m.put("PROT_READ", (long) PROT_READ);
        m.put("PROT_WRITE", (long) PROT_WRITE);
        m.put("MAP_PRIVATE", (long) MAP_PRIVATE);
        m.put("MAP_ANONYMOUS", (long) MAP_ANONYMOUS);
        m.put("MADV_HUGEPAGE", (long) MADV_HUGEPAGE);
        m.put("SYNC_FILE_RANGE_WRITE", (long) SYNC_FILE_RANGE_WRITE);
        m.put("(long long) MAP_FAILED", MAP_FAILED);
        return m;
    }

    /**
     * {@code bytes} of private anonymous memory (zero-filled, committed page by page on first touch,
     * not before), unmapped when {@code arena} closes. With {@code hugePages} it asks the kernel for
     * transparent huge pages on it ({@code madvise(MADV_HUGEPAGE)}; needs the setting
     * {@code /sys/kernel/mm/transparent_hugepage/enabled} at {@code madvise} or {@code always}), so
     * random access over a large region misses the TLB far less; a refusal is ignored (the memory
     * works the same with small pages). Linux only.
     *
     * @throws IOException naming the errno when the mapping fails (e.g. {@code ENOMEM})
     */
    public static MemorySegment mapAnonymous(long bytes, boolean hugePages, Arena arena) throws IOException {
        if (bytes <= 0) {
            throw new IllegalArgumentException("mapping size must be positive: bytes=" + bytes);
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CALL_STATE);
            MemorySegment at = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (at.address() == MAP_FAILED) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new ErrnoException("mmap(" + bytes + " bytes, anonymous)", errno, strerror(errno));
            }
            if (hugePages) {
                int ignored = (int) MADVISE.invokeExact(at, bytes, MADV_HUGEPAGE);
            }
            long address = at.address();
            return at.reinterpret(bytes, arena, segment -> unmap(address, bytes));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("mmap downcall", t);
        }
    }

    /**
     * {@code bytes} of zeroed memory that costs nothing until used: {@link #mapAnonymous} (small
     * pages) on Linux, else, or when the mapping fails, {@code arena.allocate} (which zeroes it all
     * now). For large buffers made at start of which a run may touch little (a fresh process pays a
     * page fault and the zeroing of each page it touches either way, but here only for those).
     * Freed when {@code arena} closes.
     */
    public static MemorySegment zeroedOnDemand(long bytes, Arena arena) {
        if (System.getProperty("os.name", "").startsWith("Linux")) {
            try {
                return mapAnonymous(bytes, false, arena);
            } catch (IOException e) {
                // fall back to the arena: the same memory, zeroed up front
            }
        }
        return arena.allocate(bytes, 8);
    }

    private static void unmap(long address, long bytes) {
        try {
            int rc = (int) Late.MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
            assert rc == 0 : "munmap failed";
        } catch (Throwable t) {
            throw new AssertionError("munmap downcall", t);
        }
    }

    /** The C library's text for an errno value. */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) Late.STRERROR.invokeExact(errno);
            return text.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw new AssertionError("strerror downcall", t);
        }
    }

    /**
     * Runs {@code writer} with a C {@code FILE *} backed by memory and returns what it wrote.
     * Used to capture text a C library prints to a stream.
     */
    public static String captureStream(StreamWriter writer) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bufPtr = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment sizePtr = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment file = (MemorySegment) Late.OPEN_MEMSTREAM.invokeExact(bufPtr, sizePtr);
            if (file.address() == 0) {
                return "(open_memstream failed)";
            }
            try {
                writer.write(file);
            } finally {
                int rc = (int) Late.FCLOSE.invokeExact(file);
                assert rc == 0;
            }
            MemorySegment buf = bufPtr.get(ValueLayout.ADDRESS, 0);
            long size = sizePtr.get(ValueLayout.JAVA_LONG, 0);
            String text = size == 0 ? "" : buf.reinterpret(size + 1).getString(0);
            Late.FREE.invokeExact(buf);
            return text;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("memory stream downcall", t);
        }
    }

    /** Writes to a C stream. */
    @FunctionalInterface
    public interface StreamWriter {
        void write(MemorySegment cFile) throws Throwable;
    }
}
