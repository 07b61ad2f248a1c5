package dev.hashdir.bench;

import dev.hashdir.bindings.hdf5.H5;
import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.bindings.hdf5.H5Type;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Page I/O through the safe layer ({@link H5Dataset#writeChunk} / {@link H5Dataset#readChunk}, one
 * preallocated native page buffer): the path the engine uses, measured against the C reference
 * {@code native/src/main/c/page_io_bench.c}, which does the same work.
 *
 * <p>Design: each benchmark method is the C program's timed loop, whole: {@link #write} writes every
 * page once into a fresh file, {@link #read} reads every page once from a fresh file whose pages
 * were all just written (untimed), still open, as the C program's read phase follows its writes.
 * {@link Mode#SingleShotTime} times one call per iteration, and {@code @OperationsPerInvocation}
 * ({@code -opi} on the command line, enforced at setup to equal {@code pages}) divides it by the
 * page count, so the score is ns per page, as the C program prints. A per-page method in a
 * time-based mode would not measure the same thing: the number of calls per iteration would be
 * open-ended, and writes past the first pass would overwrite chunks in place instead of
 * allocating them. Warmup iterations run the same loop, so C2 has compiled it before measurement.
 *
 * <p>Same as the C program: file in a fresh directory under {@code java.io.tmpdir}, libver
 * LATEST/LATEST, dataset {@code pages} u8 [pages, 4096], chunk [1, 4096], maxdims [UNLIMITED, 4096],
 * no filters; page bytes and both orders from splitmix64 seeded with {@code seed} (filler words,
 * then the write shuffle, then the read shuffle); each write stamps the page id at offset 0 and its
 * complement at offset 4088, each read checks both. Not timed: creating, closing and deleting files.
 *
 * <p>Run with the operations per invocation equal to the page count, e.g.
 * {@code org.openjdk.jmh.Main PageIoBenchmark -p pages=20000 -opi 20000}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@OperationsPerInvocation(PageIoBenchmark.DEFAULT_PAGES)
public class PageIoBenchmark {

    static final int PAGE = 4096;
    /** Default page count (400 MB of pages), and the operations per invocation that must match it. */
    static final int DEFAULT_PAGES = 100_000;

    /** Writes every page once into a fresh file, in the seeded write order. */
    @Benchmark
    public void write(Writer writer) {
        for (long id : writer.writeOrder) {
            writer.writePage(id);
        }
    }

    /** Reads every page of a freshly written file once, in the seeded read order, checking each. */
    @Benchmark
    public void read(Reader reader) {
        for (long id : reader.readOrder) {
            reader.readPage(id);
        }
    }

    /** What both states share: parameters, the page buffer, the file. One owner thread. */
    @State(Scope.Thread)
    public abstract static class PageFile {

        @Param({"" + DEFAULT_PAGES})
        public int pages;

        @Param({"42"})
        public long seed;

        Path dir;
        Arena arena;
        MemorySegment page;
        SplitMix64 random;
        long[] writeOrder;
        H5File file;
        H5Dataset dataset;

        void prepare(BenchmarkParams params) throws IOException {
            requireOperationsPerInvocation(params);
            dir = Files.createTempDirectory("hashdir-page-io");
            arena = Arena.ofShared();
            page = arena.allocate(PAGE, PAGE);
            random = new SplitMix64(seed);
            for (int i = 0; i < PAGE / Long.BYTES; i++) {
                page.setAtIndex(ValueLayout.JAVA_LONG, i, random.next());
            }
            writeOrder = random.permutation(pages);
        }

        void createFile() {
            file = H5File.create(dir.resolve("pages.h5"));
            dataset = file.createDataset("pages", H5Type.U8, new long[]{pages, PAGE},
                    new long[]{H5.H5S_UNLIMITED, PAGE}, new long[]{1, PAGE});
        }

        void writePage(long id) {
            page.set(ValueLayout.JAVA_LONG, 0, id);
            page.set(ValueLayout.JAVA_LONG, PAGE - Long.BYTES, ~id);
            dataset.writeChunk(id, page);
        }

        void deleteFile() throws IOException {
            dataset.close();
            file.close();
            Files.delete(dir.resolve("pages.h5"));
        }

        void release() throws IOException {
            arena.close();
            Files.deleteIfExists(dir);
        }

        private void requireOperationsPerInvocation(BenchmarkParams params) {
            if (params.getOpsPerInvocation() != pages) {
                throw new IllegalArgumentException("the score would not be per page: run with -opi " + pages
                        + " (got pages=" + pages + ", operations per invocation=" + params.getOpsPerInvocation() + ")");
            }
        }
    }

    /** State of {@link #write}: a fresh file per iteration (one call per iteration). */
    @State(Scope.Thread)
    public static class Writer extends PageFile {

        @Setup(Level.Trial)
        public void setUpTrial(BenchmarkParams params) throws IOException {
            prepare(params);
        }

        @Setup(Level.Iteration)
        public void setUpIteration() {
            createFile();
        }

        @TearDown(Level.Iteration)
        public void tearDownIteration() throws IOException {
            deleteFile();
        }

        @TearDown(Level.Trial)
        public void tearDownTrial() throws IOException {
            release();
        }
    }

    /**
     * State of {@link #read}: before each iteration a fresh file with every page written (untimed),
     * so each timed read pass is the first one after the writes, as in the C program.
     */
    @State(Scope.Thread)
    public static class Reader extends PageFile {

        long[] readOrder;

        @Setup(Level.Trial)
        public void setUpTrial(BenchmarkParams params) throws IOException {
            prepare(params);
            readOrder = random.permutation(pages);
        }

        @Setup(Level.Iteration)
        public void setUpIteration() {
            createFile();
            for (long id : writeOrder) {
                writePage(id);
            }
        }

        void readPage(long id) {
            dataset.readChunk(id, page);
            long head = page.get(ValueLayout.JAVA_LONG, 0);
            long tail = page.get(ValueLayout.JAVA_LONG, PAGE - Long.BYTES);
            if (head != id || tail != ~id) {
                throw new IllegalStateException("page " + id + " reads back as head=" + head + " tail=~" + ~tail);
            }
        }

        @TearDown(Level.Iteration)
        public void tearDownIteration() throws IOException {
            deleteFile();
        }

        @TearDown(Level.Trial)
        public void tearDownTrial() throws IOException {
            release();
        }
    }
}
