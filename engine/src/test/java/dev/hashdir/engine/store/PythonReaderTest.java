package dev.hashdir.engine.store;

import dev.hashdir.engine.CheckpointingWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The h5py reader ({@code client/python/hashdir/h5reader.py}) in CI: its unit tests, and a
 * {@code /usr/bin/python3} process following a Java writer through SWMR. Needs python3 with h5py
 * and numpy (Debian: {@code apt-get install python3-h5py}); without them these tests fail.
 */
class PythonReaderTest {

    /** Debian's interpreter, which has python3-h5py; the python3 on PATH may not. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static Path pythonRoot;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsPythonWithH5py() throws Exception {
        pythonRoot = findPythonRoot();
        assertThat(Path.of(PYTHON)).as("%s is missing: install python3-h5py (apt-get install python3-h5py)", PYTHON)
                .isExecutable();
        try (ChildProcess probe = python(List.of("-c", "import h5py, numpy; print('h5py', h5py.version.version)"))) {
            int status = probe.waitFor(TIMEOUT);
            assertThat(status).as("%s cannot import h5py/numpy: install python3-h5py (apt-get install python3-h5py);"
                    + " output: %s", PYTHON, probe.lines()).isZero();
        }
    }

    @Test
    void pythonUnitTestsPass() throws Exception {
        try (ChildProcess tests = python(List.of("-m", "unittest", "discover", "-v", "-s",
                pythonRoot.resolve("tests").toString()))) {
            int status = tests.waitFor(TIMEOUT);
            String output = String.join("\n", tests.lines());
            assertThat(status).as(output).isZero();
            assertThat(output).contains("test_known_vectors").contains("test_meta_dtype_is_meta_layout")
                    .containsPattern("Ran \\d+ tests").endsWith("OK");
        }
    }

    /**
     * A Java writer (child JVM) publishes 80 epochs of pattern pages (crossing the initial extent
     * of /pages) while a Python process follows
     * it with h5reader: every page it reads must verify and carry the pattern of its id and epoch.
     */
    @Test
    void h5pyReaderFollowsAJavaWriter() throws Exception {
        int epochs = 80;
        long pageCount = SnapshotReaderTest.epochOfEachPage(epochs).length;
        PageStore.init(dir, StoreOptions.defaults());
        Path file = dir.resolve(StoreFormat.FILE_NAME);
        try (ChildProcess writer = ChildProcess.java(PublishingWriter.class, dir.toString(),
                Integer.toString(epochs), "20", "pattern")) {
            writer.awaitLine("ready", TIMEOUT);
            try (ChildProcess reader = python(List.of(pythonRoot.resolve("tests/follow_store.py").toString(),
                    file.toString(), Long.toString(1 + epochs), "45"))) {
                reader.awaitLine("ready", TIMEOUT);
                writer.send("go");
                assertThat(writer.waitFor(TIMEOUT)).as("writer output: %s", writer.lines()).isZero();
                int status = reader.waitFor(TIMEOUT);
                String output = String.join("\n", reader.lines());
                assertThat(status).as("python reader output:\n%s", output).isZero();
                Matcher m = Pattern.compile("epochs_seen=(\\d+) pages_verified=(\\d+) final_epoch=(\\d+) page_count=(\\d+)")
                        .matcher(output);
                assertThat(m.find()).as(output).isTrue();
                System.out.println(reader.lines().getLast());
                assertThat(Long.parseLong(m.group(3))).isEqualTo(1 + epochs);
                assertThat(Long.parseLong(m.group(4))).isEqualTo(pageCount).isGreaterThan(PageStore.GROWTH_PAGES);
                assertThat(Long.parseLong(m.group(2))).as("every page at the end").isGreaterThanOrEqualTo(pageCount - 1);
                assertThat(Integer.parseInt(m.group(1))).as("epochs seen while the writer ran: %s", output)
                        .isGreaterThanOrEqualTo(3);
            }
        }
    }

    /**
     * The real engine in a child JVM ({@link CheckpointingWriter}: a DurableHashDir with random puts
     * and incremental copy-on-write checkpoints) while a Python process ({@code follow_engine.py})
     * refreshes and reads every page the page map of each snapshot maps: no bad page, several
     * checkpoints read whole.
     */
    @Test
    void h5pyReaderFollowsTheEngine() throws Exception {
        int checkpoints = 20;
        try (ChildProcess writer = ChildProcess.java(CheckpointingWriter.class, dir.toString(), "11", Integer.toString(checkpoints),
                "500", "40")) {
            writer.awaitLine("ready", TIMEOUT);
            try (ChildProcess reader = python(List.of(pythonRoot.resolve("tests/follow_engine.py").toString(),
                    dir.resolve(StoreFormat.FILE_NAME).toString(), Long.toString(1 + checkpoints), "50"))) {
                assertThat(writer.waitFor(TIMEOUT)).as("writer output: %s", writer.lines()).isZero();
                int status = reader.waitFor(TIMEOUT);
                String output = String.join("\n", reader.lines());
                assertThat(status).as("python reader output:\n%s", output).isZero();
                Matcher m = Pattern.compile("epochs_verified=(\\d+) pages_verified=(\\d+) stale_passes=(\\d+) final_epoch=(\\d+)")
                        .matcher(output);
                assertThat(m.find()).as(output).isTrue();
                System.out.println("h5py engine reader: " + reader.lines().getLast());
                assertThat(Long.parseLong(m.group(4))).isGreaterThanOrEqualTo(1 + checkpoints);
                assertThat(Integer.parseInt(m.group(1))).as("checkpoints read whole: %s", output).isGreaterThanOrEqualTo(3);
            }
        }
    }

    /**
     * Every chunk of {@code /pages} the engine allocated starts at a multiple of 4096 bytes
     * ({@code H5Pset_alignment}; h5py's {@code get_chunk_info}): a page covers whole OS pages.
     */
    @Test
    void everyPageChunkTheEngineWroteIsAlignedToTheOsPage() throws Exception {
        try (ChildProcess writer = ChildProcess.java(CheckpointingWriter.class, dir.toString(), "13", "5", "500", "0")) {
            assertThat(writer.waitFor(TIMEOUT)).as("writer output: %s", writer.lines()).isZero();
        }
        String script = """
                import sys, h5py
                with h5py.File(sys.argv[1], "r", locking=False) as f:
                    d = f["pages"].id
                    offsets = [d.get_chunk_info(i).byte_offset for i in range(d.get_num_chunks())]
                    print("chunks=%d unaligned=%d" % (len(offsets), sum(1 for o in offsets if o % 4096)))
                """;
        try (ChildProcess check = python(List.of("-c", script, dir.resolve(StoreFormat.FILE_NAME).toString()))) {
            int status = check.waitFor(TIMEOUT);
            String output = String.join("\n", check.lines());
            assertThat(status).as("python output:\n%s", output).isZero();
            Matcher m = Pattern.compile("chunks=(\\d+) unaligned=(\\d+)").matcher(output);
            assertThat(m.find()).as(output).isTrue();
            assertThat(Long.parseLong(m.group(1))).as(output).isGreaterThan(30);
            assertThat(Long.parseLong(m.group(2))).as(output).isZero();
        }
    }

    private static ChildProcess python(List<String> args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(PYTHON);
        command.addAll(args);
        return ChildProcess.start("python", command,
                Map.of("PYTHONPATH", pythonRoot.toString(), "PYTHONDONTWRITEBYTECODE", "1"), pythonRoot);
    }

    /** {@code client/python}, found from the working directory (surefire runs in {@code engine/}). */
    private static Path findPythonRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("client/python");
            if (Files.isRegularFile(candidate.resolve("hashdir/h5reader.py"))) {
                return candidate;
            }
        }
        throw new AssertionError("client/python/hashdir/h5reader.py not found above " + Path.of("").toAbsolutePath());
    }
}
