package dev.hashdir.engine;

/**
 * A write refused because the engine is read-only (a WAL or page write failed, e.g. disk full,
 * or corruption was detected); the message is the reason. Reads keep working.
 */
public final class ReadOnlyException extends StoreException {

    private static final long serialVersionUID = 1L;

    public ReadOnlyException(String reason) {
        super("read-only: " + reason);
    }
}
