package dev.hashdir.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.util.List;

/**
 * One bound C function: its name, return type and parameter types, as declared by the binding.
 *
 * @param header   the header that declares it (for the prototype check)
 * @param name     the C symbol
 * @param returns  the return type
 * @param params   the parameter types, in order
 */
public record CFunction(String header, String name, CType returns, List<CType> params) {

    public CFunction {
        params = List.copyOf(params);
    }

    /** The FFM descriptor derived from the declared C types. */
    public FunctionDescriptor descriptor() {
        MemoryLayout[] args = params.stream().map(p -> p.layout().orElseThrow()).toArray(MemoryLayout[]::new);
        return returns.isVoid()
                ? FunctionDescriptor.ofVoid(args)
                : FunctionDescriptor.of(returns.layout().orElseThrow(), args);
    }

    /** The prototype as C source, e.g. {@code herr_t (*)(hid_t)}. */
    public String pointerType(String variable) {
        String args = params.isEmpty() ? "void" : String.join(", ", params.stream().map(CType::c).toList());
        return returns.c() + " (*" + variable + ")(" + args + ")";
    }
}
