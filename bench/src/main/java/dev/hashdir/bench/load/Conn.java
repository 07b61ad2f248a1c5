package dev.hashdir.bench.load;

import java.io.IOException;

/**
 * One connection to the server under test, pipelined: any number of requests may be sent before
 * their replies are read. Used by one thread. Implementations reuse their buffers: sending and
 * receiving allocate nothing of their own (the client library below may).
 */
interface Conn extends AutoCloseable {

    int PUT = 0;
    int GET = 1;
    int CONTAINS = 2;

    /** Queues one request tagged {@code id} (it may stay buffered until {@link #flush}). */
    void send(int op, byte[] key, long value, long id) throws IOException;

    /** Sends what {@link #send} buffered. */
    void flush() throws IOException;

    /**
     * The id of the next reply, waiting for one when {@code block}; -1 when not blocking and none
     * is ready. A reply with an error status counts in {@link #errors()} and still returns its id.
     */
    long receive(boolean block) throws IOException;

    /** Replies that carried an error status. */
    long errors();

    /** The first error reply's text, or null. */
    String firstError();

    @Override
    void close();
}
