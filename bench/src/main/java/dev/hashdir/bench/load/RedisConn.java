package dev.hashdir.bench.load;

import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.RedisInputStream;
import redis.clients.jedis.util.RedisOutputStream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A Redis connection through Jedis's RESP codec ({@link RedisOutputStream}, {@link Protocol#read}),
 * pipelined: a key's set is a Redis set, put is {@code SADD key value}, get {@code SMEMBERS key},
 * contains {@code SISMEMBER key value}; values travel as unsigned decimal strings. Redis answers
 * in order, so the ids of the requests in flight wait in a FIFO. The command heads are written
 * from constant bytes and the value digits from a reused buffer; {@link Protocol#read} allocates
 * the reply objects.
 */
final class RedisConn implements Conn {

    private static final byte[][] HEADS = {
        ascii("*3\r\n$4\r\nSADD\r\n$"), ascii("*2\r\n$8\r\nSMEMBERS\r\n$"), ascii("*3\r\n$9\r\nSISMEMBER\r\n$")};
    private static final int FIFO = 1 << 16;

    private final Socket socket;
    private final RedisOutputStream out;
    private final RedisInputStream in;
    private final long[] ids = new long[FIFO];
    private final byte[] digits = new byte[20];
    private final int keyBytes;
    private long head;
    private long tail;
    private long errors;
    private String firstError;

    RedisConn(String host, int port, int keyBytes) {
        this.keyBytes = keyBytes;
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 5000);
            out = new RedisOutputStream(socket.getOutputStream(), 1 << 16);
            in = new RedisInputStream(socket.getInputStream(), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to Redis at " + host + ":" + port, e);
        }
    }

    @Override
    public void send(int op, byte[] key, long value, long id) throws IOException {
        if (tail - head == FIFO) {
            throw new IllegalStateException("more than " + FIFO + " Redis requests in flight");
        }
        ids[(int) (tail++ & (FIFO - 1))] = id;
        out.write(HEADS[op]);
        out.writeIntCrLf(keyBytes);
        out.write(key, 0, keyBytes);
        out.writeCrLf();
        if (op != GET) {
            int n = unsignedDigits(value, digits);
            out.write((byte) '$');
            out.writeIntCrLf(n);
            out.write(digits, digits.length - n, n);
            out.writeCrLf();
        }
    }

    /** Writes the unsigned decimal digits of {@code v} at the end of {@code buf}; returns how many. */
    static int unsignedDigits(long v, byte[] buf) {
        int p = buf.length;
        long q = Long.divideUnsigned(v, 10);
        buf[--p] = (byte) ('0' + (v - q * 10));
        v = q;
        while (v != 0) {
            q = v / 10;
            buf[--p] = (byte) ('0' + (v - q * 10));
            v = q;
        }
        return buf.length - p;
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public long receive(boolean block) throws IOException {
        if (head == tail) {
            throw new IllegalStateException("receive with nothing in flight");
        }
        if (!block && in.available() == 0) {
            return -1;
        }
        try {
            Protocol.read(in);
        } catch (JedisDataException e) {
            errors++;
            if (firstError == null) {
                firstError = e.getMessage();
            }
        }
        return ids[(int) (head++ & (FIFO - 1))];
    }

    @Override
    public long errors() {
        return errors;
    }

    @Override
    public String firstError() {
        return firstError;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing: nothing to do
        }
    }
}
