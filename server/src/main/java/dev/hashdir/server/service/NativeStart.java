package dev.hashdir.server.service;

import dev.hashdir.bindings.hdf5.H5;

import java.io.InterruptedIOException;

/**
 * Loads HDF5 ({@link H5#load()}: the library, the FFM bindings of the functions a store's open
 * calls, {@code H5open}) on a daemon thread of its own, while the server parses its configuration,
 * sets up logging and metrics and binds its sockets; recovery waits for it ({@link #await}) before
 * it opens the store. In a freshly started JVM the load is the largest single step of the start:
 * 100 to 300 ms on two cores, most of it FFM spinning a stub class per function descriptor
 * (docs/benchmarks.md, "Session 13: a fresh server's start, step by step", which also shows
 * that this overlap gains little on two cores the JIT threads already keep busy).
 *
 * <p>HDF5 is still called by one thread at a time: this thread's calls ({@code H5open},
 * {@code H5Eset_auto2}) all happen inside {@link H5}'s initialisation, which any other thread that
 * touches HDF5 waits for (in {@link #await}, or on the class's initialisation).
 *
 * <p>Threading: any thread; {@link #begin} is idempotent.
 */
public final class NativeStart {

    private static Thread loader;
    private static volatile Throwable failure;

    private NativeStart() {
    }

    /** Starts the load on its own thread, unless it started already (then returns at once). */
    public static synchronized void begin() {
        if (loader == null) {
            loader = Thread.ofPlatform().daemon().name("hashdir-hdf5-load").start(() -> {
                try {
                    H5.load();
                } catch (Throwable t) { // handed to the thread that waits, which throws it
                    failure = t;
                }
            });
        }
    }

    /**
     * Waits until HDF5 is loaded (starting the load if nobody did); throws what the load threw, for
     * example the {@link UnsatisfiedLinkError} that names the missing library.
     */
    static void await() throws InterruptedIOException {
        begin();
        Thread t;
        synchronized (NativeStart.class) {
            t = loader;
        }
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while HDF5 was loading");
        }
        Throwable f = failure;
        if (f instanceof Error e) {
            throw e;
        }
        if (f instanceof RuntimeException e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException("loading HDF5 failed: " + f, f);
        }
    }
}
