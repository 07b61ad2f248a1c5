package dev.hashdir.bindings;

import dev.hashdir.bindings.hdf5.H5;
import dev.hashdir.bindings.libc.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Loading native libraries and binding their functions. Refuses to work without
 * {@code --enable-native-access}, with a message saying so, instead of letting the JVM print a
 * warning (or, on later JDKs, deny the call).
 */
@SuppressWarnings("restricted") // this class is where native code is bound
public final class NativeAccess {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final AtomicBoolean REST_BOUND = new AtomicBoolean();

    private NativeAccess() {
    }

    /** Throws a clear error when this module may not call native code without a warning. */
    public static void requireEnabled() {
        Module module = NativeAccess.class.getModule();
        if (!module.isNativeAccessEnabled()) {
            String who = module.isNamed() ? module.getName() : "ALL-UNNAMED";
            throw new IllegalStateException("native access is not enabled for " + who
                    + ": launch the JVM with --enable-native-access=" + who
                    + " (./hashdir and the Maven build pass it)");
        }
    }

    /**
     * Binds, once per process and on a daemon thread, the HDF5 and libc functions no call has bound
     * yet ({@link H5.Late}, {@link LibC#bindAll()}), and returns at once: a store's open calls it
     * when it is done, so that neither the open nor the first checkpoint (the first page writes,
     * flushes and syncs) waits for FFM to make their stubs. Calls no native function; call it once
     * HDF5 is started (a file was opened), so that initialising {@link H5} cannot happen there.
     */
    public static void bindRestInBackground() {
        if (REST_BOUND.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("hashdir-bind").start(() -> {
                H5.bindAll();
                LibC.bindAll();
            });
        }
    }

    public static Linker linker() {
        return LINKER;
    }

    /**
     * Opens a shared library by file name (searched like dlopen does) or absolute path.
     *
     * @param library what to load
     * @param hint    what to tell the user when it cannot be loaded
     */
    public static SymbolLookup library(String library, String hint) {
        requireEnabled();
        try {
            return SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new UnsatisfiedLinkError("cannot load native library " + library + ": " + hint
                    + " (" + e.getMessage() + ")");
        }
    }

    /** Binds a declared function found in {@code lookup}; records the declaration in {@code registry}. */
    public static MethodHandle bind(SymbolLookup lookup, List<CFunction> registry, CFunction function,
                                    Linker.Option... options) {
        registry.add(function);
        MemorySegment symbol = lookup.find(function.name()).orElseThrow(() -> new UnsatisfiedLinkError(
                "symbol " + function.name() + " not found (is the library the expected version?)"));
        FunctionDescriptor descriptor = function.descriptor();
        return LINKER.downcallHandle(symbol, descriptor, options);
    }
}
