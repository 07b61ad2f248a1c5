package dev.hashdir.server.zmq;

/**
 * A data plane transport: binds, reads messages and hands each to its {@link Dispatcher}, and
 * sends the replies (direct ones from the socket thread, the pipeline's through its
 * {@link Dispatcher.Completion}).
 */
interface Transport extends AutoCloseable {

    Dispatcher dispatcher();

    /** The endpoint bound, with the port chosen when {@code *} was asked. */
    String endpoint();

    /** Replies dropped because their client was gone or not reading. */
    long dropped();

    /** Messages received. */
    long received();

    /** Stops the socket thread and closes the sockets; call after the pipeline is closed (drained). */
    @Override
    void close();
}
