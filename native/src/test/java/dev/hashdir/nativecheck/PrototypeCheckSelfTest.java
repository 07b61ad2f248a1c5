package dev.hashdir.nativecheck;

import dev.hashdir.bindings.CFunction;
import dev.hashdir.bindings.CGlobal;
import dev.hashdir.bindings.CType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prototype check can fail: each test breaks one declaration of a small, otherwise correct
 * binding and expects gcc (or the generated program) to refuse it.
 */
class PrototypeCheckSelfTest {

    private static final CType HID = CType.scalar("hid_t", ValueLayout.JAVA_LONG);
    private static final CType HERR = CType.scalar("herr_t", ValueLayout.JAVA_INT);
    private static final CType CONST_HSIZE_PTR = CType.pointer("const hsize_t *");
    private static final CType CONST_VOID_PTR = CType.pointer("const void *");

    private static final CFunction H5FCLOSE = new CFunction("H5Fpublic.h", "H5Fclose", HERR, List.of(HID));
    private static final CFunction H5DWRITE_CHUNK = new CFunction("H5Dpublic.h", "H5Dwrite_chunk", HERR,
            List.of(HID, HID, CType.UINT32, CONST_HSIZE_PTR, CType.SIZE_T, CONST_VOID_PTR));
    private static final CFunction FDATASYNC = new CFunction("unistd.h", "fdatasync", CType.INT, List.of(CType.INT));
    private static final CGlobal U8LE = new CGlobal("H5Tpublic.h", "H5T_STD_U8LE_g", HID);
    private static final Map<String, Long> CONSTANTS = Map.of("H5F_ACC_RDWR", 1L, "(long long) H5S_UNLIMITED", -1L);

    private static NativeToolchain toolchain;

    @BeforeAll
    static void findToolchain() {
        toolchain = NativeToolchain.require();
    }

    @Test
    void shouldAcceptTheCorrectBaseline(TestInfo test) throws Exception {
        PrototypeCheck check = build(test, List.of(H5FCLOSE, H5DWRITE_CHUNK, FDATASYNC), List.of(U8LE), CONSTANTS);

        assertThat(check.compile().succeeded()).as(check.report()).isTrue();
        assertThat(check.run().succeeded()).as(check.report()).isTrue();
    }

    @Test
    void shouldRejectAWrongReturnType(TestInfo test) throws Exception {
        var wrong = new CFunction("H5Fpublic.h", "H5Fclose", HID, List.of(HID));

        assertRejected(build(test, List.of(wrong, H5DWRITE_CHUNK), List.of(), CONSTANTS), "p_H5Fclose");
    }

    @Test
    void shouldRejectAWrongParameterType(TestInfo test) throws Exception {
        var wrong = new CFunction("H5Fpublic.h", "H5Fclose", HERR, List.of(CType.INT));

        assertRejected(build(test, List.of(wrong), List.of(), CONSTANTS), "p_H5Fclose");
    }

    @Test
    void shouldRejectAMissingConst(TestInfo test) throws Exception {
        var wrong = new CFunction("H5Dpublic.h", "H5Dwrite_chunk", HERR,
                List.of(HID, HID, CType.UINT32, CType.pointer("hsize_t *"), CType.SIZE_T, CONST_VOID_PTR));

        assertRejected(build(test, List.of(H5FCLOSE, wrong), List.of(), CONSTANTS), "p_H5Dwrite_chunk");
    }

    @Test
    void shouldRejectAMissingParameter(TestInfo test) throws Exception {
        var wrong = new CFunction("H5Dpublic.h", "H5Dwrite_chunk", HERR,
                List.of(HID, HID, CType.UINT32, CONST_HSIZE_PTR, CONST_VOID_PTR));

        assertRejected(build(test, List.of(wrong), List.of(), CONSTANTS), "p_H5Dwrite_chunk");
    }

    @Test
    void shouldRejectAWrongLibcPrototype(TestInfo test) throws Exception {
        var wrong = new CFunction("unistd.h", "fdatasync", CType.INT, List.of(CType.SIZE_T));

        assertRejected(build(test, List.of(wrong), List.of(), CONSTANTS), "p_fdatasync");
    }

    @Test
    void shouldRejectAGlobalOfTheWrongType(TestInfo test) throws Exception {
        var wrong = new CGlobal("H5Tpublic.h", "H5T_STD_U8LE_g", HERR);

        assertRejected(build(test, List.of(H5FCLOSE), List.of(wrong), CONSTANTS), "g_H5T_STD_U8LE_g");
    }

    @Test
    void shouldRejectACarrierOfTheWrongSize(TestInfo test) throws Exception {
        // the C spelling is right, so the prototype matches; only the Java layout is wrong
        var narrowHid = CType.scalar("hid_t", ValueLayout.JAVA_INT);
        var wrong = new CFunction("H5Fpublic.h", "H5Fclose", HERR, List.of(narrowHid));

        PrototypeCheck check = build(test, List.of(wrong), List.of(), CONSTANTS);

        assertThat(check.compile().succeeded()).as(check.report()).isFalse();
        assertThat(check.compile().output()).as(check.report())
                .contains("static assertion failed", "hid_t: the binding carries it in 4 bytes");
    }

    @Test
    void shouldExitNonZeroNamingAWrongMacroConstant(TestInfo test) throws Exception {
        var wrong = Map.of("H5F_ACC_RDWR", 2L, "H5F_ACC_RDONLY", 0L);

        PrototypeCheck check = build(test, List.of(H5FCLOSE), List.of(U8LE), wrong);

        assertThat(check.compile().succeeded()).as(check.report()).isTrue();
        assertThat(check.run().succeeded()).as(check.report()).isFalse();
        assertThat(check.run().output()).as(check.report())
                .contains("macro constant mismatch: H5F_ACC_RDWR is 1 in C, the binding says 2")
                .doesNotContain("H5F_ACC_RDONLY is");
    }

    private static PrototypeCheck build(TestInfo test, List<CFunction> functions, List<CGlobal> globals,
                                        Map<String, Long> constants) throws Exception {
        Path dir = Path.of("target", "prototype-check-selftest", test.getTestMethod().orElseThrow().getName());
        return PrototypeCheck.build(toolchain, new PrototypeCheckGenerator(functions, globals, constants),
                dir.toAbsolutePath());
    }

    private static void assertRejected(PrototypeCheck check, String variable) {
        assertThat(check.compile().succeeded()).as(check.report()).isFalse();
        assertThat(check.compile().output()).as(check.report())
                .contains("incompatible-pointer-types")
                .contains(variable);
    }
}
