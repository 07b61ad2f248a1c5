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
