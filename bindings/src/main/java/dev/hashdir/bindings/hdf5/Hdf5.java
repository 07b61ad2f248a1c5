package dev.hashdir.bindings.hdf5;

import dev.hashdir.bindings.libc.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Entry point of the safe layer: library version, and turning negative returns into
 * {@link Hdf5Exception}s that carry the HDF5 error stack.
 */
public final class Hdf5 {

    /** The thread that called {@link #quiet()} last. */
    private static volatile Thread quietThread;

    private Hdf5() {
    }

    /** Loads the library (once) and returns its version, e.g. {@code "1.10.8"}. */
    public static String libraryVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT, 3);
            int rc = (int) H5.Late.H5get_libversion.invokeExact(v, v.asSlice(4), v.asSlice(8));
            check(rc, "H5get_libversion()");
            return v.getAtIndex(ValueLayout.JAVA_INT, 0) + "." + v.getAtIndex(ValueLayout.JAVA_INT, 1) + "."
                    + v.getAtIndex(ValueLayout.JAVA_INT, 2);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Turns HDF5's printing of errors to stderr off for the calling thread, once per thread in a
     * row (a volatile read when this thread called last). Debian's HDF5 is a thread-safe build, in
     * which that setting is per thread: {@link H5}'s initialisation turned it off only for the
     * thread that happened to load it, so a failed read or write on another thread (the engine
     * thread, on a store another thread opened) also dumped the HDF5 error stack to stderr. The
     * failure is an {@link Hdf5Exception} carrying that text either way. The safe layer calls this
     * first in the calls that can fail on such a thread: opening and creating files, chunk reads
     * and writes, extending, flushing.
     */
    static void quiet() {
        Thread t = Thread.currentThread();
        if (t != quietThread) {
            int rc;
            try {
                rc = (int) H5.H5Eset_auto2.invokeExact(H5.H5E_DEFAULT, MemorySegment.NULL, MemorySegment.NULL);
            } catch (Throwable e) {
                throw rethrow(e);
            }
            check(rc, "H5Eset_auto2(H5E_DEFAULT, NULL, NULL)");
            quietThread = t;
        }
    }

    /** Whether HDF5 prints errors to stderr on the calling thread ({@code H5Eget_auto2}: a function is set). */
    static boolean printsErrors() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment func = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment data = arena.allocate(ValueLayout.ADDRESS);
            check((int) H5.Late.H5Eget_auto2.invokeExact(H5.H5E_DEFAULT, func, data), "H5Eget_auto2(H5E_DEFAULT)");
            return !func.get(ValueLayout.ADDRESS, 0).equals(MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Calls a {@code herr_t f(hid_t)} function, throwing for a negative return. For cold paths: the
     * handle is not a constant here, so this costs more than an inlined {@code invokeExact}.
     */
    static void call(java.lang.invoke.MethodHandle herrOfHid, long id, String call) {
        int rc;
        try {
            rc = (int) herrOfHid.invokeExact(id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(rc, call);
    }

    /** Returns {@code rc} or throws when it is negative. */
    static int check(int rc, String call) {
        if (rc < 0) {
            throw failure(call);
        }
        return rc;
    }

    /** Returns {@code id} or throws when it is negative. */
    static long checkId(long id, String call) {
        if (id < 0) {
            throw failure(call);
        }
        return id;
    }

    /** An exception for {@code call} carrying the current error stack, which is then cleared. */
    static Hdf5Exception failure(String call) {
        String stack = LibC.captureStream(file -> {
            int rc = (int) H5.H5Eprint2.invokeExact(H5.H5E_DEFAULT, file);
            assert rc >= 0;
        });
        try {
            int rc = (int) H5.H5Eclear2.invokeExact(H5.H5E_DEFAULT);
            assert rc >= 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return new Hdf5Exception(call, stack);
    }

    /** Rethrows unchecked throwables from {@code invokeExact} as they are; wraps the impossible rest. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
