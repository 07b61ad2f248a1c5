package dev.hashdir.client;

/**
 * A request that did not succeed: the server answered with a status other than {@code ok}
 * ({@link #status()} is that status, {@link #error()} the server's message), or the client gave up
 * (see {@link HashdirTimeoutException}; status {@code closed} when the client was closed first,
 * {@code disconnected} when the connection dropped after the request was sent).
 */
public class HashdirException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String status;
    private final String error;

    public HashdirException(String status, String error) {
        super(status + ": " + error);
        this.status = status;
        this.error = error;
    }

    /**
     * The reply's status ({@code bad_request}, {@code busy}, ...), or from the client: {@code timeout},
     * {@code closed}, {@code disconnected} (the connection dropped after the request was sent).
     */
    public String status() {
        return status;
    }

    /** The server's (or client's) explanation, for people and logs. */
    public String error() {
        return error;
    }
}
