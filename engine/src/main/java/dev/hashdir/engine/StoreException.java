package dev.hashdir.engine;

/** A storage failure with context: what was being done, on which file. Base of the engine's errors. */
public class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
