package dev.hashdir.nativecheck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * gcc and the HDF5 development files, found once and refused loudly when missing: a test that
 * needs them fails with what to install instead of being skipped.
 *
 * <p>Overrides (system properties): {@value #CC_PROPERTY} (default {@code gcc}),
 * {@value #INCLUDE_PROPERTY} (default {@value #DEFAULT_INCLUDE}), {@value #LIBS_PROPERTY}
 * (default {@value #DEFAULT_LIBS}, linker arguments separated by spaces).
 */
final class NativeToolchain {

    static final String CC_PROPERTY = "hashdir.cc";
    static final String INCLUDE_PROPERTY = "hashdir.hdf5.include";
    static final String LIBS_PROPERTY = "hashdir.hdf5.libs";
    static final String DEFAULT_INCLUDE = "/usr/include/hdf5/serial";
    /** Debian's serial HDF5: libhdf5_serial.so links to libhdf5_serial.so.103, the library the binding loads. */
    static final String DEFAULT_LIBS = "-lhdf5_serial";
    /** The flags every C file of this module must compile warning-free with. */
    static final List<String> STRICT_FLAGS = List.of("-std=c11", "-Wall", "-Werror", "-Wincompatible-pointer-types");

    private static final String INSTALL_HINT = "install gcc and libhdf5-dev (Debian: apt-get install gcc libhdf5-dev)";
    private static final long TIMEOUT_SECONDS = 120;

    private final String cc;
    private final Path include;
    private final List<String> libs;

    private NativeToolchain(String cc, Path include, List<String> libs) {
        this.cc = cc;
        this.include = include;
        this.libs = libs;
    }

    /** Finds the toolchain or throws an {@link AssertionError} naming what is missing. */
    static NativeToolchain require() {
        String cc = System.getProperty(CC_PROPERTY, "gcc");
        Path include = Path.of(System.getProperty(INCLUDE_PROPERTY, DEFAULT_INCLUDE));
        List<String> libs = List.of(System.getProperty(LIBS_PROPERTY, DEFAULT_LIBS).trim().split("\\s+"));
        Result version;
        try {
            version = exec(List.of(cc, "--version"), null);
        } catch (IOException e) {
            throw new AssertionError("C compiler '" + cc + "' cannot be run (" + e.getMessage() + "): " + INSTALL_HINT
                    + ", or set -D" + CC_PROPERTY + "=/path/to/gcc", e);
        }
        if (version.exitCode() != 0) {
            throw new AssertionError("'" + cc + " --version' failed: " + version);
        }
        if (!Files.isRegularFile(include.resolve("hdf5.h"))) {
            throw new AssertionError("HDF5 headers not found: no hdf5.h in " + include + ": " + INSTALL_HINT
                    + ", or set -D" + INCLUDE_PROPERTY + "=/dir/with/hdf5.h");
        }
        return new NativeToolchain(cc, include, libs);
    }

    /** Compiles and links {@code source} into {@code program} with {@link #STRICT_FLAGS} and {@code extraFlags}. */
    Result compile(Path source, Path program, String... extraFlags) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(cc);
        command.addAll(STRICT_FLAGS);
        command.addAll(List.of(extraFlags));
        command.add("-I" + include);
        command.add(source.toString());
        command.add("-o");
        command.add(program.toString());
        command.addAll(libs);
        return exec(command, program.getParent());
    }

    /** Runs a compiled program. */
    static Result run(Path program, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(program.toString());
        command.addAll(List.of(args));
        return exec(command, program.getParent());
    }

    /** Runs {@code command}, stdout and stderr merged, and waits at most {@value #TIMEOUT_SECONDS} s. */
    private static Result exec(List<String> command, Path dir) throws IOException {
        Path log = Files.createTempFile(dir == null ? Path.of(System.getProperty("java.io.tmpdir")) : dir, "exec", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            if (dir != null) {
                builder.directory(dir.toFile());
            }
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("timed out after " + TIMEOUT_SECONDS + " s: " + String.join(" ", command)
                        + "\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(command, process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** What a command did: its exit status and everything it printed. */
    record Result(List<String> command, int exitCode, String output) {

        boolean succeeded() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "$ " + String.join(" ", command) + "\nexit status " + exitCode + "\n" + output;
        }
    }
}
