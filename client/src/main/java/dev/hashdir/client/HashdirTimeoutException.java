package dev.hashdir.client;

/**
 * No reply within the request's timeout (status {@code timeout}). A write may or may not have
 * happened; {@code put}, {@code remove} and {@code delete} are idempotent, so repeating it is safe.
 */
public final class HashdirTimeoutException extends HashdirException {

    private static final long serialVersionUID = 1L;

    public HashdirTimeoutException(String error) {
        super("timeout", error);
    }
}
