package dev.hashdir.server.protocol;

/**
 * Why a frame could not be decoded: the status to reply with and a message naming the field,
 * what was expected and what was found. Internal to the decoder, which turns it into a status;
 * built only on the error path, without a stack trace (the message says where).
 */
final class DecodeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status status;

    DecodeException(Status status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    Status status() {
        return status;
    }
}
