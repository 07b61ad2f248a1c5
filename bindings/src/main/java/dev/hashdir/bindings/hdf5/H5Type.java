package dev.hashdir.bindings.hdf5;

/** Element types hashdir stores: the file type (little-endian, fixed) and the matching memory type. */
public enum H5Type {
    U8(1),
    U32(4),
    U64(8);

    private final int bytes;

    H5Type(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    long fileType() {
        return switch (this) {
            case U8 -> H5.H5T_STD_U8LE;
            case U32 -> H5.H5T_STD_U32LE;
            case U64 -> H5.H5T_STD_U64LE;
        };
    }

    long memoryType() {
        return switch (this) {
            case U8 -> H5.H5T_NATIVE_UINT8;
            case U32 -> H5.H5T_NATIVE_UINT32;
            case U64 -> H5.H5T_NATIVE_UINT64;
        };
    }
}
