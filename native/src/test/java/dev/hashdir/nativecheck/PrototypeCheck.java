package dev.hashdir.nativecheck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a generated check program into a directory under {@code target/}, compiles it and, when it
 * compiled, runs it.
 *
 * @param source  the generated C file (kept, so a failure can be read)
 * @param compile what gcc did
 * @param run     what the program did; {@code null} when it did not compile
 */
record PrototypeCheck(Path source, NativeToolchain.Result compile, NativeToolchain.Result run) {

    static PrototypeCheck build(NativeToolchain toolchain, PrototypeCheckGenerator generator, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path source = dir.resolve("prototype_check.c");
        Path program = dir.resolve("prototype_check");
        Files.deleteIfExists(program);
        Files.writeString(source, generator.source());
        NativeToolchain.Result compile = toolchain.compile(source, program);
        NativeToolchain.Result run = compile.succeeded() ? NativeToolchain.run(program) : null;
        return new PrototypeCheck(source, compile, run);
    }

    /** Everything a reader needs when an assertion about this check fails. */
    String report() {
        return "generated " + source + "\n--- gcc ---\n" + compile + (run == null ? "" : "\n--- program ---\n" + run);
    }
}
