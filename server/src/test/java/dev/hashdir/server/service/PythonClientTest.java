package dev.hashdir.server.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The Python client (client/python/hashdir) against a real server, through /usr/bin/python3. */
class PythonClientTest {

    private static final String SCRIPT = """
            import socket, sys, hashdir
            c = hashdir.Client(sys.argv[1], timeout=10)
            k = bytes(range(32))
            assert c.ping()["status"] == "ok"
            assert c.put(k, [7, 2**64 - 1]) == 2
            assert c.put(k, 8) == 1 and c.put(k, 8) == 0          # one value, as an int
            assert c.get(k)["values"] == [7, 8, 2**64 - 1]
            r = c.get(k, after=7, limit=1)
            assert r["values"] == [8] and r["count"] == 3 and r["more"], r
            assert c.contains(k, 7) and not c.contains(k, 9) and c.count(k) == 3
            assert c.remove(k, 7) and not c.remove(k, 7) and c.remove(k, 8)
            assert c.put(k, range(3000)) == 3000 and len(c.values(k)) == 3001
            r = c.batch([{"op": "put", "key": k, "value": 9}, {"op": "count", "key": k}])
            assert r == [{"status": "ok", "added": 0}, {"status": "ok", "count": 3001}], r
            keys, cursor = c.scan(limit=10)
            assert keys == [k] and cursor is None
            more = [bytes([i]) * 32 for i in range(1, 26)]
            for m in more:
                c.put(m, 1)
            seen, cursor = [], None
            while True:                                           # page through every key
                page, cursor = c.scan(cursor=cursor, limit=10)
                assert len(page) <= 10
                seen.extend(page)
                if cursor is None:
                    break
            assert seen == sorted(more + [k]), seen
            for m in more:
                assert c.delete(m) == 1
            assert c.delete(k) == 3001 and c.count(k) == 0 and c.delete(k) == 0
            try:
                c.get(b"abc")
                raise AssertionError("no error")
            except hashdir.HashdirError as e:
                assert e.status == "bad_request" and "32 bytes" in e.error, e
            try:
                c.batch([{"op": "ping"}, {"op": "count", "key": b"abc"}])
                raise AssertionError("no error")
            except hashdir.HashdirError as e:
                assert e.status == "bad_request" and e.error.startswith("ops[1].key"), e
            r = c.call("get", raise_on_error=False, key=b"abc")
            assert r["status"] == "bad_request"
            assert "keys" in c.stats()
            c.close()
            with hashdir.Client(sys.argv[1]) as c2:                  # context manager
                assert c2.count(k) == 0
            s = socket.socket()                                   # a port nobody serves: a timeout
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            lonely = hashdir.Client("tcp://127.0.0.1:%d" % port, timeout=0.3)
            try:
                lonely.ping()
                raise AssertionError("no timeout")
            except TimeoutError as e:
                assert "no reply to ping" in str(e), e
            lonely.close()
            print("python client ok")
            """;

    @TempDir
    Path dir;

    @Test
    void shouldRunEveryCallOfThePythonClient() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(python), "needs /usr/bin/python3");
        Path pkg = Path.of(System.getProperty("user.dir")).resolveSibling("client").resolve("python");
        try (HashdirServer server = HashdirServer.start(ServiceSocketTest.config(dir.resolve("data"), null))) {
            server.recover();
            Path script = dir.resolve("t.py");
            Files.writeString(script, SCRIPT);
            Path out = dir.resolve("py.out");
            ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), server.dataPlane().endpoint())
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("PYTHONPATH", pkg.toString());
            Process p = pb.start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(out)).contains("python client ok");
            assertThat(p.exitValue()).isZero();
        }
    }
}
