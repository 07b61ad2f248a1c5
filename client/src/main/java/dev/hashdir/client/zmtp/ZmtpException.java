package dev.hashdir.client.zmtp;

/** A peer broke the ZMTP protocol (or is not a peer hashdir talks to): the connection is closed. */
public final class ZmtpException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ZmtpException(String message) {
        super(message);
    }
}
