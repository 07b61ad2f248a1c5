package dev.hashdir.bench.load;

import org.HdrHistogram.Histogram;
import org.zeromq.ZContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The service load generator (docs/benchmarks.md, "Service"): drives a hashdir server (protocol v1
 * over ZeroMQ) or a Redis server with the same shape of load and prints one {@code RESULT} line.
 * <pre>
 *   LoadGen --target hashdir --endpoint tcp://127.0.0.1:5555 | --target redis --redis 127.0.0.1:6379
 *           --mode closed --conns N --window W         closed loop: N connections, W requests in flight on each
 *           --mode open --conns N --rate R             open loop: R requests/s in all, paced, round-robin over N
 *           --mode preload --conns N --window W --keys K   puts key 0..K-1 of the key space, one value each
 *           [--mix PUT:GET:CONTAINS] [--keys K] [--key-seed KS] [--seed S] [--warmup SEC] [--duration SEC]
 *           [--max-in-flight M] [--key-bytes 32] [--label TEXT]
 *           [--client zmtp|jeromq]                      hashdir: our blocking ZMTP DEALER (default) or JeroMQ
 *           [--refill drained|each]                     closed loop: refill the window after reading every
 *                                                       reply already received (default), or after each reply
 * </pre>
 * With {@code --keys K} the ops pick among keys 0..K-1 of the key space of {@code --key-seed}
 * (default 42), the keys a preload with the same key seed put; {@code --seed} (default 42) draws
 * the ops, the key indexes and the values, so runs with fresh seeds ask for the preloaded keys.
 * (Before session 14 the key space followed {@code --seed}, and runs with a seed other than the
 * preload's asked for keys never preloaded.)
 * Latency: HdrHistogram, 3 significant digits, nanoseconds. Closed loop records reply time minus
 * send time (a request is sent when a window slot frees: there is no schedule to fall behind).
 * A closed-loop connection waits for one reply, then reads every further reply that has already
 * arrived without blocking, then sends one request per freed slot in one write ({@code --refill
 * drained}); with {@code --refill each} it writes after every reply, one system call (and one
 * loopback TCP segment, whose receive path the sending thread pays) per request.
 * Open loop records reply time minus the <em>intended</em> send time of the schedule
 * ({@link OpenLoopSchedule}), so a request sent late because the server (or the generator) fell
 * behind still counts the whole delay: coordinated-omission correction with plain
 * {@code recordValue} and intended start times, not {@code recordValueWithExpectedInterval}
 * (which back-fills a closed loop's histogram with guessed samples and assumes a fixed
 * interval). Requests whose start (intended start in open loop) falls in the measuring window are
 * recorded; throughput counts replies received in it.
 *
 * <p>Threads: closed loop and preload one per connection, blocking on replies; open loop one for
 * all connections, which sends what is due, reads what arrived without blocking and parks at most
 * 50 us otherwise. Per request it allocates nothing of its own (buffers reused); JeroMQ allocates a
 * message per frame, Jedis's {@code Protocol.read} the reply object.
 */
public final class LoadGen {

    private static final long PARK_NANOS = 50_000;
    private static final long DRAIN_NANOS = 10_000_000_000L;
    private static final long HIGHEST_NANOS = 120_000_000_000L;

    private final Map<String, String> args;
    private final String target;
    private final int conns;
    private final int keyBytes;
    private final int[] mix;
    private final long keys;
    private final long seed;
    private final long keySeed;
    private final boolean refillDrained;
    private ZContext zmq;

    LoadGen(Map<String, String> args) {
        this.args = args;
        this.target = arg("target", null);
        if (!target.equals("hashdir") && !target.equals("redis")) {
            throw new IllegalArgumentException("--target must be hashdir or redis, got " + target);
        }
        this.conns = Integer.parseInt(arg("conns", "1"));
        this.keyBytes = Integer.parseInt(arg("key-bytes", "32"));
        String[] m = arg("mix", "100:0:0").split(":");
        if (m.length != 3) {
            throw new IllegalArgumentException("--mix must be PUT:GET:CONTAINS percentages, got " + arg("mix", ""));
        }
        this.mix = new int[] {Integer.parseInt(m[0]), Integer.parseInt(m[1]), Integer.parseInt(m[2])};
        this.keys = Long.parseLong(arg("keys", "0"));
        this.seed = Long.parseLong(arg("seed", "42"));
        this.keySeed = Long.parseLong(arg("key-seed", "42"));
        String refill = arg("refill", "drained");
        if (!refill.equals("drained") && !refill.equals("each")) {
            throw new IllegalArgumentException("--refill must be drained or each, got " + refill);
        }
        this.refillDrained = refill.equals("drained");
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                System.err.println("usage: see the javadoc of " + LoadGen.class.getName() + "; bad argument: " + argv[i]);
                System.exit(2);
            }
            a.put(argv[i].substring(2), argv[++i]);
        }
        LoadGen g = new LoadGen(a);
        try {
            String mode = g.arg("mode", "closed");
            Map<String, Object> r = switch (mode) {
                case "closed" -> g.closed(false);
                case "preload" -> g.closed(true);
                case "open" -> g.open();
                default -> throw new IllegalArgumentException("--mode must be closed, open or preload, got " + mode);
            };
            StringBuilder line = new StringBuilder("RESULT");
            r.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
            System.out.println(line);
        } finally {
            if (g.zmq != null) {
                g.zmq.close();
            }
        }
        System.exit(0);
    }

    private String arg(String name, String dflt) {
        String v = args.getOrDefault(name, dflt);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    private Conn connect() {
        if (target.equals("hashdir")) {
            String client = arg("client", "zmtp");
            if (client.equals("zmtp")) {
                return new HashdirConn(arg("endpoint", "tcp://127.0.0.1:5555"), keyBytes);
            }
            if (!client.equals("jeromq")) {
                throw new IllegalArgumentException("--client: expected zmtp or jeromq, got " + client);
            }
            if (zmq == null) {
                zmq = new ZContext(1);
            }
            return new HashdirConn(zmq, arg("endpoint", "tcp://127.0.0.1:5555"), keyBytes);
        }
        String hp = arg("redis", "127.0.0.1:6379");
        int colon = hp.lastIndexOf(':');
        return new RedisConn(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1)), keyBytes);
    }

    // ---- closed loop ---------------------------------------------------------------------------

    static final class Worker {
        final Histogram h = new Histogram(HIGHEST_NANOS, 3);
        long repliesInWindow;
        long errors;
        String firstError;
        Throwable failed;
    }

    private Map<String, Object> closed(boolean preload) throws Exception {
        int window = Integer.parseInt(arg("window", "1"));
        double warmup = preload ? 0 : Double.parseDouble(arg("warmup", "2"));
        double duration = preload ? 0 : Double.parseDouble(arg("duration", "5"));
        if (preload && keys <= 0) {
            throw new IllegalArgumentException("--mode preload needs --keys > 0");
        }
        List<Conn> cs = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            cs.add(connect());
        }
        long t0 = System.nanoTime() + 50_000_000L;
        long from = t0 + (long) (warmup * 1e9);
        long to = preload ? Long.MAX_VALUE : from + (long) (duration * 1e9);
        Worker[] ws = new Worker[conns];
        Thread[] ts = new Thread[conns];
        for (int i = 0; i < conns; i++) {
            Worker w = ws[i] = new Worker();
            Conn c = cs.get(i);
            int conn = i;
            ts[i] = Thread.ofPlatform().name("loadgen-" + i).start(() -> {
                try {
                    closedLoop(c, conn, window, t0, from, to, preload, w);
                } catch (Throwable e) {
                    w.failed = e;
                }
            });
        }
        long cpu0 = cpuNanos();
        long wall0 = System.nanoTime();
        ServerProbe server = new ServerProbe(args.get("server-pid"));
        if (!preload) {
            sleepUntil(from);
            server.begin();
            sleepUntil(to);
            server.end();
        }
        for (Thread t : ts) {
            t.join();
        }
        long cpu = cpuNanos() - cpu0;
        long wall = System.nanoTime() - wall0;
        Histogram all = new Histogram(HIGHEST_NANOS, 3);
        long replies = 0;
        long errors = 0;
        String firstError = null;
        for (Worker w : ws) {
            if (w.failed != null) {
                throw new IllegalStateException("a connection failed", w.failed);
            }
            all.add(w.h);
            replies += w.repliesInWindow;
            errors += w.errors;
            firstError = firstError == null ? w.firstError : firstError;
        }
        cs.forEach(Conn::close);
        Map<String, Object> r = header(preload ? "preload" : "closed");
        r.put("window", window);
        double secs = preload ? wall / 1e9 : duration;
        r.put("throughput", String.format(Locale.ROOT, "%.0f", (preload ? keys : replies) / secs));
        latencies(r, all);
        r.put("errors", errors);
        r.put("loadgen_cpu_pct", String.format(Locale.ROOT, "%.0f", 100.0 * cpu / wall));
        server.report(r, duration, replies);
        if (firstError != null) {
            r.put("first_error", '"' + firstError.replace('"', '\'') + '"');
        }
        return r;
    }

    private static void sleepUntil(long t) {
        long now;
        while ((now = System.nanoTime()) < t) {
            LockSupport.parkNanos(t - now);
        }
    }

    void closedLoop(Conn c, int conn, int window, long t0, long from, long to, boolean preload, Worker w)
            throws IOException {
        Workload wl = new Workload(mix, keys, keySeed, seed, conn, keyBytes);
        InFlight f = new InFlight(window + 1);
        boolean drain = refillDrained;
        while (System.nanoTime() < t0) {
            LockSupport.parkNanos(1_000_000);
        }
        long id = 0;
        long nextKey = conn;
        boolean sending = true;
        while (sending || f.count() > 0) {
            boolean sent = false;
            while (sending && f.count() < window && f.canSend(id)) {
                int op;
                if (preload) {
                    if (nextKey >= keys) {
                        sending = false;
                        break;
                    }
                    wl.keyOf(nextKey);
                    nextKey += conns;
                    op = Conn.PUT;
                } else {
                    op = wl.next();
                }
                c.send(op, wl.key(), wl.value(), id);
                f.sent(id++, System.nanoTime());
                sent = true;
            }
            if (sent) {
                c.flush();
            }
            if (f.count() == 0) {
                continue;
            }
            long got = c.receive(true);
            do {
                long now = System.nanoTime();
                f.replied(got, now, w.h, from, to);
                if (now >= from && now < to) {
                    w.repliesInWindow++;
                }
                if (now >= to) {
                    sending = false;
                }
            } while (drain && f.count() > 0 && (got = c.receive(false)) >= 0);
        }
        w.errors = c.errors();
        w.firstError = c.firstError();
    }

    // ---- open loop -----------------------------------------------------------------------------

    private Map<String, Object> open() throws IOException {
        double rate = Double.parseDouble(arg("rate", null));
        int maxInFlight = Integer.parseInt(arg("max-in-flight", "1000"));
        double warmup = Double.parseDouble(arg("warmup", "2"));
        double duration = Double.parseDouble(arg("duration", "5"));
        Conn[] cs = new Conn[conns];
        InFlight[] fs = new InFlight[conns];
        Workload[] wls = new Workload[conns];
        long[] ids = new long[conns];
        boolean[] dirty = new boolean[conns];
        for (int i = 0; i < conns; i++) {
            cs[i] = connect();
            fs[i] = new InFlight(maxInFlight + 1);
            wls[i] = new Workload(mix, keys, keySeed, seed, i, keyBytes);
        }
        Histogram h = new Histogram(HIGHEST_NANOS, 3);
        long t0 = System.nanoTime() + 50_000_000L;
        OpenLoopSchedule plan = new OpenLoopSchedule(t0, rate, conns);
        long from = t0 + (long) (warmup * 1e9);
        long to = from + (long) (duration * 1e9);
        long total = plan.dueBy(to - 1);
        long deadline = to + DRAIN_NANOS;
        long k = 0;
        long inFlight = 0;
        long repliesInWindow = 0;
        long lateSends = 0;
        long cpu0 = cpuNanos();
        long wall0 = System.nanoTime();
        boolean overloaded = false;
        ServerProbe server = new ServerProbe(args.get("server-pid"));
        while (k < total || inFlight > 0) {
            long now = System.nanoTime();
            if (!server.begun() && now >= from) {
                server.begin();
            }
            if (!server.ended() && now >= to) {
                server.end();
            }
            if (now > deadline) {
                overloaded = true;
                break;
            }
            boolean progress = false;
            long due = Math.min(total, plan.dueBy(now));
            while (k < due) {
                int c = plan.connection(k);
                InFlight f = fs[c];
                if (f.count() >= maxInFlight || !f.canSend(ids[c])) {
                    break;
                }
                int op = wls[c].next();
                cs[c].send(op, wls[c].key(), wls[c].value(), ids[c]);
                long intended = plan.intended(k);
                if (now - intended > 1_000_000) {
                    lateSends++;
                }
                f.sent(ids[c]++, intended);
                dirty[c] = true;
                inFlight++;
                k++;
                progress = true;
            }
            for (int c = 0; c < conns; c++) {
                if (dirty[c]) {
                    cs[c].flush();
                    dirty[c] = false;
                }
            }
            for (int c = 0; c < conns; c++) {
                while (fs[c].count() > 0) {
                    long got = cs[c].receive(false);
                    if (got < 0) {
                        break;
                    }
                    long t = System.nanoTime();
                    fs[c].replied(got, t, h, from, to);
                    inFlight--;
                    if (t >= from && t < to) {
                        repliesInWindow++;
                    }
                    progress = true;
                }
            }
            if (!progress) {
                long wait = k < total ? plan.intended(k) - System.nanoTime() : PARK_NANOS;
                if (wait > 0) {
                    LockSupport.parkNanos(Math.min(wait, PARK_NANOS));
                }
            }
        }
        long cpu = cpuNanos() - cpu0;
        long wall = System.nanoTime() - wall0;
        long errors = 0;
        String firstError = null;
        for (Conn c : cs) {
            errors += c.errors();
            firstError = firstError == null ? c.firstError() : firstError;
            c.close();
        }
        Map<String, Object> r = header("open");
        r.put("rate", String.format(Locale.ROOT, "%.0f", rate));
        r.put("throughput", String.format(Locale.ROOT, "%.0f", repliesInWindow / duration));
        latencies(r, h);
        r.put("errors", errors);
        r.put("late_sends", lateSends);
        r.put("overloaded", overloaded ? (total - k) + inFlight : 0);
        r.put("loadgen_cpu_pct", String.format(Locale.ROOT, "%.0f", 100.0 * cpu / wall));
        server.report(r, duration, repliesInWindow);
        if (firstError != null) {
            r.put("first_error", '"' + firstError.replace('"', '\'') + '"');
        }
        return r;
    }

    // ---- output --------------------------------------------------------------------------------

    private Map<String, Object> header(String mode) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("label", arg("label", "-"));
        r.put("target", target);
        r.put("mode", mode);
        r.put("conns", conns);
        r.put("mix", mix[0] + ":" + mix[1] + ":" + mix[2]);
        r.put("keys", keys);
        r.put("seed", seed);
        r.put("key_seed", keySeed);
        return r;
    }

    private static void latencies(Map<String, Object> r, Histogram h) {
        r.put("n", h.getTotalCount());
        r.put("p50_us", us(h.getValueAtPercentile(50)));
        r.put("p90_us", us(h.getValueAtPercentile(90)));
        r.put("p99_us", us(h.getValueAtPercentile(99)));
        r.put("p999_us", us(h.getValueAtPercentile(99.9)));
        r.put("max_us", us(h.getMaxValue()));
    }

    private static String us(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e3);
    }

    private static long cpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        throw new UncheckedIOException(new IOException("no process CPU time on this JVM"));
    }
}
