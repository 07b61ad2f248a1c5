package dev.hashdir.bindings.libc;

import java.io.IOException;

/** A failed libc call, with the call, its arguments, errno and the C library's text for it. */
public final class ErrnoException extends IOException {

    private static final long serialVersionUID = 1L;

    /** errno value for "No space left on device". */
    public static final int ENOSPC = 28;
    /** errno value for "Input/output error". */
    public static final int EIO = 5;

    private final int errno;

    public ErrnoException(String call, int errno, String text) {
        super(call + " failed: errno=" + errno + " (" + text + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public boolean isDiskFull() {
        return errno == ENOSPC;
    }
}
