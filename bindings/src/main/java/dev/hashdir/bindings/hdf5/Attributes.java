package dev.hashdir.bindings.hdf5;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Scalar attributes on a file's root group or a dataset. Under SWMR no attribute may be created
 * after {@code H5Fstart_swmr_write}: create them all at creation time.
 */
final class Attributes {

    private Attributes() {
    }

    static void setLong(long objectId, String owner, String name, long value) {
        String call = "H5Acreate2(" + owner + ", name=" + name + ", type=u64)";
        try (Arena arena = Arena.ofConfined()) {
            long space = Hdf5.checkId((long) H5.Late.H5Screate.invokeExact(H5.H5S_SCALAR), "H5Screate(SCALAR)");
            try {
                long attr = Hdf5.checkId((long) H5.Late.H5Acreate2.invokeExact(objectId, arena.allocateFrom(name),
                        H5.H5T_STD_U64LE, space, H5.H5P_DEFAULT, H5.H5P_DEFAULT), call);
                try {
                    MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_LONG, value);
                    Hdf5.check((int) H5.H5Awrite.invokeExact(attr, H5.H5T_NATIVE_UINT64, buf),
                            "H5Awrite(" + owner + ", name=" + name + ")");
                } finally {
                    close(attr);
                }
            } finally {
                int rc = (int) H5.H5Sclose.invokeExact(space);
                assert rc >= 0;
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    static void setString(long objectId, String owner, String name, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        String call = "H5Acreate2(" + owner + ", name=" + name + ", type=string[" + bytes.length + "])";
        try (Arena arena = Arena.ofConfined()) {
            long type = Hdf5.checkId((long) H5.H5Tcopy.invokeExact(H5.H5T_C_S1), "H5Tcopy(H5T_C_S1)");
            long space = -1;
            try {
                Hdf5.check((int) H5.Late.H5Tset_size.invokeExact(type, (long) Math.max(1, bytes.length)), "H5Tset_size");
                Hdf5.check((int) H5.Late.H5Tset_strpad.invokeExact(type, H5.H5T_STR_NULLPAD), "H5Tset_strpad");
                space = Hdf5.checkId((long) H5.Late.H5Screate.invokeExact(H5.H5S_SCALAR), "H5Screate(SCALAR)");
                long attr = Hdf5.checkId((long) H5.Late.H5Acreate2.invokeExact(objectId, arena.allocateFrom(name),
                        type, space, H5.H5P_DEFAULT, H5.H5P_DEFAULT), call);
                try {
                    MemorySegment buf = arena.allocate(Math.max(1, bytes.length));
                    MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
                    Hdf5.check((int) H5.H5Awrite.invokeExact(attr, type, buf),
                            "H5Awrite(" + owner + ", name=" + name + ")");
                } finally {
                    close(attr);
                }
            } finally {
                if (space >= 0) {
                    int rc = (int) H5.H5Sclose.invokeExact(space);
                    assert rc >= 0;
                }
                int rc = (int) H5.H5Tclose.invokeExact(type);
                assert rc >= 0;
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    static boolean exists(long objectId, String owner, String name) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) H5.H5Aexists.invokeExact(objectId, arena.allocateFrom(name));
            return Hdf5.check(rc, "H5Aexists(" + owner + ", name=" + name + ")") > 0;
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    static long getLong(long objectId, String owner, String name) {
        try (Arena arena = Arena.ofConfined()) {
            long attr = Hdf5.checkId((long) H5.H5Aopen.invokeExact(objectId, arena.allocateFrom(name), H5.H5P_DEFAULT),
                    "H5Aopen(" + owner + ", name=" + name + ")");
            try {
                MemorySegment buf = arena.allocate(ValueLayout.JAVA_LONG);
                Hdf5.check((int) H5.H5Aread.invokeExact(attr, H5.H5T_NATIVE_UINT64, buf),
                        "H5Aread(" + owner + ", name=" + name + ", type=u64)");
                return buf.get(ValueLayout.JAVA_LONG, 0);
            } finally {
                close(attr);
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    static String getString(long objectId, String owner, String name) {
        try (Arena arena = Arena.ofConfined()) {
            long attr = Hdf5.checkId((long) H5.H5Aopen.invokeExact(objectId, arena.allocateFrom(name), H5.H5P_DEFAULT),
                    "H5Aopen(" + owner + ", name=" + name + ")");
            try {
                long type = Hdf5.checkId((long) H5.H5Aget_type.invokeExact(attr), "H5Aget_type(" + name + ")");
                try {
                    long size = (long) H5.H5Tget_size.invokeExact(type);
                    if (size <= 0) {
                        throw Hdf5.failure("H5Tget_size(" + name + ")");
                    }
                    MemorySegment buf = arena.allocate(size + 1);
                    Hdf5.check((int) H5.H5Aread.invokeExact(attr, type, buf),
                            "H5Aread(" + owner + ", name=" + name + ", type=string)");
                    return buf.getString(0, StandardCharsets.UTF_8);
                } finally {
                    int rc = (int) H5.H5Tclose.invokeExact(type);
                    assert rc >= 0;
                }
            } finally {
                close(attr);
            }
        } catch (Throwable t) {
            throw Hdf5.rethrow(t);
        }
    }

    private static void close(long attr) throws Throwable {
        int rc = (int) H5.H5Aclose.invokeExact(attr);
        assert rc >= 0;
    }
}
