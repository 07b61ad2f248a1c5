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
            import sys, hashdir
            c = hashdir.Client(sys.argv[1], timeout=10)
            k = bytes(range(32))
            assert c.ping()["status"] == "ok"
            assert c.put(k, [7, 2**64 - 1]) == 2
            assert c.get(k)["values"] == [7, 2**64 - 1]
            assert c.contains(k, 7) and c.count(k) == 2
            assert c.remove(k, 7) and not c.remove(k, 7)
            assert c.put(k, range(3000)) == 3000 and len(c.values(k)) == 3001
            r = c.batch([{"op": "put", "key": k, "value": 9}, {"op": "count", "key": k}])
            assert r == [{"status": "ok", "added": 0}, {"status": "ok", "count": 3001}], r
            keys, cursor = c.scan(limit=10)
            assert keys == [k] and cursor is None
            assert c.delete(k) == 3001 and c.count(k) == 0
            try:
                c.get(b"abc")
                raise AssertionError("no error")
            except hashdir.HashdirError as e:
                assert e.status == "bad_request"
            assert "keys" in c.stats()
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
