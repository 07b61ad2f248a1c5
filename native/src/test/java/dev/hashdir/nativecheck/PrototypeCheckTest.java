package dev.hashdir.nativecheck;

import dev.hashdir.bindings.hdf5.H5;
import dev.hashdir.bindings.libc.LibC;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every prototype, global and macro constant the binding declares matches the installed headers. */
class PrototypeCheckTest {

    private static final Path DIR = Path.of("target", "prototype-check").toAbsolutePath();

    @Test
    void shouldMatchTheInstalledHeaders() throws Exception {
        var functions = new ArrayList<>(H5.declarations());
        functions.addAll(LibC.declarations());
        var constants = new java.util.LinkedHashMap<>(H5.macroConstants());
        constants.putAll(LibC.macroConstants());
        var generator = new PrototypeCheckGenerator(functions, H5.globals(), constants);

        PrototypeCheck check = PrototypeCheck.build(NativeToolchain.require(), generator, DIR);

        assertThat(check.compile().succeeded()).as(check.report()).isTrue();
        assertThat(check.run().succeeded()).as(check.report()).isTrue();
        assertThat(check.run().output()).as(check.report()).startsWith("ok: " + functions.size() + " functions");
    }

    @Test
    void shouldDeclareSomethingToCheck() {
        // an empty registry would make the check above pass vacuously
        assertThat(H5.declarations()).extracting(f -> f.name()).contains("H5Dwrite_chunk", "H5Dread_chunk", "H5Fclose");
        assertThat(LibC.declarations()).extracting(f -> f.name()).contains("fdatasync");
        assertThat(H5.globals()).isNotEmpty();
        assertThat(H5.macroConstants()).containsKey("H5P_DEFAULT");
        assertThat(List.copyOf(H5.declarations())).doesNotHaveDuplicates();
    }
}
