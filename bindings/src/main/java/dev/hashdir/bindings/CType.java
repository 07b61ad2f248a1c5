package dev.hashdir.bindings;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * A C type as the binding declares it: the spelling used in the C headers and the FFM layout that
 * carries it. The spelling is what {@code native/} compiles against the installed headers, so a
 * binding whose Java layout disagrees with the C prototype fails the build.
 *
 * @param c      the C spelling, e.g. {@code "hid_t"} or {@code "const hsize_t *"}
 * @param layout the carrier layout; empty for {@code void}
 */
public record CType(String c, Optional<MemoryLayout> layout) {

    public static final CType VOID = new CType("void", Optional.empty());
    public static final CType INT = scalar("int", ValueLayout.JAVA_INT);
    public static final CType UNSIGNED = scalar("unsigned", ValueLayout.JAVA_INT);
    public static final CType UINT32 = scalar("uint32_t", ValueLayout.JAVA_INT);
    public static final CType SIZE_T = scalar("size_t", ValueLayout.JAVA_LONG);
    public static final CType SSIZE_T = scalar("ssize_t", ValueLayout.JAVA_LONG);

    /** A scalar C type carried by a Java primitive layout. */
    public static CType scalar(String c, ValueLayout layout) {
        return new CType(c, Optional.of(layout));
    }

    /** A C enum (int-sized with gcc on x86_64). */
    public static CType cEnum(String c) {
        return scalar(c, ValueLayout.JAVA_INT);
    }

    /** A pointer (or function pointer typedef) carried as an address. */
    public static CType pointer(String c) {
        return new CType(c, Optional.of(ValueLayout.ADDRESS));
    }

    public boolean isVoid() {
        return layout.isEmpty();
    }

    public boolean isPointer() {
        return layout.filter(l -> l instanceof java.lang.foreign.AddressLayout).isPresent();
    }

    /** Size in bytes of the carrier; the prototype check asserts {@code sizeof(c) == byteSize()}. */
    public long byteSize() {
        return layout.map(MemoryLayout::byteSize).orElse(0L);
    }
}
