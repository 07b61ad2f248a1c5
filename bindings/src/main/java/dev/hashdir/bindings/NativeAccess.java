package dev.hashdir.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * Loading native libraries and binding their functions. Refuses to work without
 * {@code --enable-native-access}, with a message saying so, instead of letting the JVM print a
 * warning (or, on later JDKs, deny the call).
 */
@SuppressWarnings("restricted") // this class is where native code is bound
public final class NativeAccess {

    private static final Linker LINKER = Linker.nativeLinker();

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
