package dev.hashdir.bindings.hdf5;

/**
 * A failed HDF5 call: names the call and its arguments and carries the HDF5 error stack's own text
 * (what {@code H5Eprint2} would have printed).
 */
public final class Hdf5Exception extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final String errorStack;

    public Hdf5Exception(String call, String errorStack) {
        super(call + " failed" + (errorStack.isBlank() ? " (empty HDF5 error stack)" : ":\n" + errorStack.strip()));
        this.call = call;
        this.errorStack = errorStack;
    }

    /** The call with its arguments, e.g. {@code H5Fopen(name=/x.h5, flags=0x1)}. */
    public String call() {
        return call;
    }

    /** The HDF5 error stack as the library printed it. */
    public String errorStack() {
        return errorStack;
    }
}
