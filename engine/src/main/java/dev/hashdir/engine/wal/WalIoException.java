package dev.hashdir.engine.wal;

import dev.hashdir.bindings.libc.ErrnoException;
import dev.hashdir.engine.StoreException;

import java.io.IOException;

/**
 * A WAL file operation failed: which operation, on which file, at which position, and the errno
 * when known. The writer stays consistent after it (nothing from the failed commit counts as
 * written or durable); calling {@link WalWriter#commit()} again retries, e.g. once a full disk has
 * space again ({@link #isDiskFull()}).
 */
public final class WalIoException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** errno when the cause does not say. */
    public static final int UNKNOWN_ERRNO = -1;

    private final int errno;

    public WalIoException(String operation, String file, long position, IOException cause) {
        super(message(operation, file, position, errnoOf(cause), cause), cause);
        this.errno = errnoOf(cause);
    }

    /** The errno of the failure, or {@link #UNKNOWN_ERRNO}. */
    public int errno() {
        return errno;
    }

    /** True when the disk (or quota) is full: writing may resume once space returns. */
    public boolean isDiskFull() {
        return errno == ErrnoException.ENOSPC;
    }

    /**
     * The errno behind an I/O failure: an {@link ErrnoException}'s own, else read from the JDK's
     * message (on Linux {@code FileChannel} reports {@code strerror}'s text, with no errno).
     */
    static int errnoOf(IOException e) {
        if (e instanceof ErrnoException errnoException) {
            return errnoException.errno();
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
            return ErrnoException.ENOSPC;
        }
        if (message.contains("Input/output error")) {
            return ErrnoException.EIO;
        }
        return UNKNOWN_ERRNO;
    }

    private static String message(String operation, String file, long position, int errno, IOException cause) {
        String what = errno == ErrnoException.ENOSPC ? "WAL disk full" : "WAL I/O failed";
        return what + ": operation=" + operation + ", file=" + file + ", position=" + position + ", errno="
                + (errno == UNKNOWN_ERRNO ? "unknown" : Integer.toString(errno)) + ", cause=" + cause.getMessage();
    }
}
