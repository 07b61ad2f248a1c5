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
 * The few libc calls hashdir needs: {@code fdatasync} (HDF5 1.10 never syncs), and a memory stream
 * to capture the HDF5 error stack as text. Thread-safe: every call is independent.
 */
@SuppressWarnings("restricted") // reads C strings libc returns
public final class LibC {

    private static final List<CFunction> FUNCTIONS = new ArrayList<>();
    private static final SymbolLookup LIBC = NativeAccess.linker().defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final CType FILE_PTR = CType.pointer("FILE *");

    static final MethodHandle FDATASYNC = NativeAccess.bind(LIBC, FUNCTIONS,
            new CFunction("unistd.h", "fdatasync", CType.INT, List.of(CType.INT)),
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

    private LibC() {
    }

    /** Every libc function this binding declares, for the prototype check in {@code native/}. */
    public static List<CFunction> declarations() {
        return Collections.unmodifiableList(FUNCTIONS);
    }

    /**
     * Flushes the file's data (and the metadata needed to read it) to stable storage.
     *
     * @throws IOException naming the errno, e.g. {@code EIO} or {@code ENOSPC}
     */
    public static void fdatasync(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) FDATASYNC.invokeExact(state, fd);
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new ErrnoException("fdatasync(fd=" + fd + ")", errno, strerror(errno));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("fdatasync downcall", t);
        }
    }

    /** The C library's text for an errno value. */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
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
            MemorySegment file = (MemorySegment) OPEN_MEMSTREAM.invokeExact(bufPtr, sizePtr);
            if (file.address() == 0) {
                return "(open_memstream failed)";
            }
            try {
                writer.write(file);
            } finally {
                int rc = (int) FCLOSE.invokeExact(file);
                assert rc == 0;
            }
            MemorySegment buf = bufPtr.get(ValueLayout.ADDRESS, 0);
            long size = sizePtr.get(ValueLayout.JAVA_LONG, 0);
            String text = size == 0 ? "" : buf.reinterpret(size + 1).getString(0);
            FREE.invokeExact(buf);
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
