package dev.hashdir.bindings.hdf5;

import dev.hashdir.bindings.CFunction;
import dev.hashdir.bindings.CGlobal;
import dev.hashdir.bindings.CType;
import dev.hashdir.bindings.NativeAccess;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Low layer of the HDF5 1.10 binding: one downcall handle per function, declared with its C
 * types, and the library's constants. Call with {@code invokeExact}; most code should use the safe
 * layer ({@link H5File}, {@link H5Dataset}) instead.
 *
 * <p>The library is {@value #DEFAULT_LIBRARY} unless the system property {@value #LIBRARY_PROPERTY}
 * names another file. Loading this class calls {@code H5open()} and then reads the {@code _g}
 * globals (they are only set after {@code H5open}), and turns automatic error printing off: errors
 * are raised as {@link Hdf5Exception} carrying the error stack's text.
 *
 * <p>The functions a server's start does not call are in {@link Late}, bound at their first use
 * or by {@link #bindAll()}.
 *
 * <p>Every declaration is listed by {@link #declarations()} and {@link #globals()}; the
 * {@code native/} module compiles them against the installed headers.
 */
@SuppressWarnings("restricted") // reads the library's globals
public final class H5 {

    public static final String LIBRARY_PROPERTY = "hashdir.hdf5.library";
    public static final String DEFAULT_LIBRARY = "libhdf5_serial.so.103";

    private static final List<CFunction> FUNCTIONS = new ArrayList<>();
    private static final List<CGlobal> GLOBALS = new ArrayList<>();
    private static final SymbolLookup LIB = NativeAccess.library(
            System.getProperty(LIBRARY_PROPERTY, DEFAULT_LIBRARY),
            "install Debian's libhdf5-103-1 (or libhdf5-dev), or set -D" + LIBRARY_PROPERTY + "=/path/to/libhdf5.so");

    // C types of the HDF5 API (H5public.h, H5Ipublic.h)
    public static final CType HID = CType.scalar("hid_t", ValueLayout.JAVA_LONG);
    public static final CType HERR = CType.scalar("herr_t", ValueLayout.JAVA_INT);
    public static final CType HTRI = CType.scalar("htri_t", ValueLayout.JAVA_INT);
    public static final CType HSSIZE = CType.scalar("hssize_t", ValueLayout.JAVA_LONG);
    static final CType HSIZE = CType.scalar("hsize_t", ValueLayout.JAVA_LONG);
    static final CType CSTR = CType.pointer("const char *");
    static final CType CONST_HSIZE_PTR = CType.pointer("const hsize_t *");
    static final CType HSIZE_PTR = CType.pointer("hsize_t *");
    static final CType UNSIGNED_PTR = CType.pointer("unsigned *");
    static final CType UINT32_PTR = CType.pointer("uint32_t *");
    static final CType VOID_PTR = CType.pointer("void *");
    static final CType CONST_VOID_PTR = CType.pointer("const void *");
    static final CType VOID_PTR_PTR = CType.pointer("void **");
    static final CType FILE_PTR = CType.pointer("FILE *");
    /** C {@code bool} in 1.10 (H5public.h includes stdbool.h). */
    static final CType HBOOL = CType.scalar("hbool_t", ValueLayout.JAVA_BOOLEAN);
    static final CType LIBVER = CType.cEnum("H5F_libver_t");
    static final CType SCOPE = CType.cEnum("H5F_scope_t");
    static final CType SCLASS = CType.cEnum("H5S_class_t");
    static final CType STRPAD = CType.cEnum("H5T_str_t");
    static final CType AUTO_FUNC = CType.pointer("H5E_auto2_t");
    static final CType MDC_CONFIG_PTR = CType.pointer("H5AC_cache_config_t *");

    // library
    public static final MethodHandle H5open = fn("H5public.h", "H5open", HERR);
    // files
    public static final MethodHandle H5Fopen = fn("H5Fpublic.h", "H5Fopen", HID, CSTR, CType.UNSIGNED, HID);
    public static final MethodHandle H5Fclose = fn("H5Fpublic.h", "H5Fclose", HERR, HID);
    public static final MethodHandle H5Fstart_swmr_write = fn("H5Fpublic.h", "H5Fstart_swmr_write", HERR, HID);
    public static final MethodHandle H5Fget_vfd_handle = fn("H5Fpublic.h", "H5Fget_vfd_handle", HERR,
            HID, HID, VOID_PTR_PTR);
    public static final MethodHandle H5Fget_intent = fn("H5Fpublic.h", "H5Fget_intent", HERR, HID, UNSIGNED_PTR);
    // property lists
    public static final MethodHandle H5Pcreate = fn("H5Ppublic.h", "H5Pcreate", HID, HID);
    public static final MethodHandle H5Pclose = fn("H5Ppublic.h", "H5Pclose", HERR, HID);
    public static final MethodHandle H5Pset = fn("H5Ppublic.h", "H5Pset", HERR, HID, CSTR, CONST_VOID_PTR);
    public static final MethodHandle H5Pset_libver_bounds = fn("H5Ppublic.h", "H5Pset_libver_bounds", HERR,
            HID, LIBVER, LIBVER);
    public static final MethodHandle H5Pset_alignment = fn("H5Ppublic.h", "H5Pset_alignment", HERR,
            HID, HSIZE, HSIZE);
    /** Both declared with {@code H5AC_cache_config_t *}: {@link MetadataCache} lays the struct out. */
    public static final MethodHandle H5Pget_mdc_config = fn("H5Ppublic.h", "H5Pget_mdc_config", HERR, HID,
            MDC_CONFIG_PTR);
    public static final MethodHandle H5Pset_mdc_config = fn("H5Ppublic.h", "H5Pset_mdc_config", HERR, HID,
            MDC_CONFIG_PTR);
    public static final MethodHandle H5Pget_chunk = fn("H5Ppublic.h", "H5Pget_chunk", CType.INT,
            HID, CType.INT, HSIZE_PTR);
    public static final MethodHandle H5Pset_chunk = fn("H5Ppublic.h", "H5Pset_chunk", HERR,
            HID, CType.INT, CONST_HSIZE_PTR);
    // dataspaces
    public static final MethodHandle H5Sget_simple_extent_ndims = fn("H5Spublic.h", "H5Sget_simple_extent_ndims",
            CType.INT, HID);
    public static final MethodHandle H5Sget_simple_extent_dims = fn("H5Spublic.h", "H5Sget_simple_extent_dims",
            CType.INT, HID, HSIZE_PTR, HSIZE_PTR);
    public static final MethodHandle H5Sclose = fn("H5Spublic.h", "H5Sclose", HERR, HID);
    // datatypes
    public static final MethodHandle H5Tcopy = fn("H5Tpublic.h", "H5Tcopy", HID, HID);
    public static final MethodHandle H5Tget_size = fn("H5Tpublic.h", "H5Tget_size", CType.SIZE_T, HID);
    public static final MethodHandle H5Tclose = fn("H5Tpublic.h", "H5Tclose", HERR, HID);
    // datasets
    public static final MethodHandle H5Dopen2 = fn("H5Dpublic.h", "H5Dopen2", HID, HID, CSTR, HID);
    public static final MethodHandle H5Dclose = fn("H5Dpublic.h", "H5Dclose", HERR, HID);
    public static final MethodHandle H5Dget_space = fn("H5Dpublic.h", "H5Dget_space", HID, HID);
    public static final MethodHandle H5Dget_type = fn("H5Dpublic.h", "H5Dget_type", HID, HID);
    public static final MethodHandle H5Dget_create_plist = fn("H5Dpublic.h", "H5Dget_create_plist", HID, HID);
    public static final MethodHandle H5Dset_extent = fn("H5Dpublic.h", "H5Dset_extent", HERR, HID, CONST_HSIZE_PTR);
    public static final MethodHandle H5Dread_chunk = fn("H5Dpublic.h", "H5Dread_chunk", HERR,
            HID, HID, CONST_HSIZE_PTR, UINT32_PTR, VOID_PTR);
    public static final MethodHandle H5Dget_chunk_storage_size = fn("H5Dpublic.h", "H5Dget_chunk_storage_size",
            HERR, HID, CONST_HSIZE_PTR, HSIZE_PTR);
    public static final MethodHandle H5Dflush = fn("H5Dpublic.h", "H5Dflush", HERR, HID);
    public static final MethodHandle H5Drefresh = fn("H5Dpublic.h", "H5Drefresh", HERR, HID);
    // attributes
    public static final MethodHandle H5Aopen = fn("H5Apublic.h", "H5Aopen", HID, HID, CSTR, HID);
    public static final MethodHandle H5Awrite = fn("H5Apublic.h", "H5Awrite", HERR, HID, HID, CONST_VOID_PTR);
    public static final MethodHandle H5Aread = fn("H5Apublic.h", "H5Aread", HERR, HID, HID, VOID_PTR);
    public static final MethodHandle H5Aget_type = fn("H5Apublic.h", "H5Aget_type", HID, HID);
    public static final MethodHandle H5Aexists = fn("H5Apublic.h", "H5Aexists", HTRI, HID, CSTR);
    public static final MethodHandle H5Aclose = fn("H5Apublic.h", "H5Aclose", HERR, HID);
    // links (does an object exist)
    public static final MethodHandle H5Lexists = fn("H5Lpublic.h", "H5Lexists", HTRI, HID, CSTR, HID);
    // the error stack
    public static final MethodHandle H5Eset_auto2 = fn("H5Epublic.h", "H5Eset_auto2", HERR, HID, AUTO_FUNC, VOID_PTR);
    public static final MethodHandle H5Eprint2 = fn("H5Epublic.h", "H5Eprint2", HERR, HID, FILE_PTR);
    public static final MethodHandle H5Eclear2 = fn("H5Epublic.h", "H5Eclear2", HERR, HID);

    /**
     * The functions a server's start does not call: creating files, datasets and attributes,
     * writing and flushing, the version, reading the error-printing setting. Binding a function
     * whose C signature no other has makes FFM generate a stub class, some 4 ms each in a freshly
     * started JVM; these are bound when this class is first used, which a store's open makes happen
     * on a daemon thread when it is done ({@link #bindAll()} from
     * {@link dev.hashdir.bindings.NativeAccess#bindRestInBackground}), so that neither the start nor
     * the first checkpoint waits for them. Using them (or {@link #bindAll()}) initialises
     * {@link H5} first, on the same thread.
     */
    public static final class Late {

        public static final MethodHandle H5get_libversion = fn("H5public.h", "H5get_libversion", HERR,
                UNSIGNED_PTR, UNSIGNED_PTR, UNSIGNED_PTR);
        public static final MethodHandle H5Fcreate = fn("H5Fpublic.h", "H5Fcreate", HID, CSTR, CType.UNSIGNED, HID, HID);
        public static final MethodHandle H5Fflush = fn("H5Fpublic.h", "H5Fflush", HERR, HID, SCOPE);
        /** Since 1.10.7. */
        public static final MethodHandle H5Pset_file_locking = fn("H5Ppublic.h", "H5Pset_file_locking", HERR,
                HID, HBOOL, HBOOL);
        public static final MethodHandle H5Screate = fn("H5Spublic.h", "H5Screate", HID, SCLASS);
        public static final MethodHandle H5Screate_simple = fn("H5Spublic.h", "H5Screate_simple", HID,
                CType.INT, CONST_HSIZE_PTR, CONST_HSIZE_PTR);
        public static final MethodHandle H5Tset_size = fn("H5Tpublic.h", "H5Tset_size", HERR, HID, CType.SIZE_T);
        public static final MethodHandle H5Tset_strpad = fn("H5Tpublic.h", "H5Tset_strpad", HERR, HID, STRPAD);
        public static final MethodHandle H5Dcreate2 = fn("H5Dpublic.h", "H5Dcreate2", HID,
                HID, CSTR, HID, HID, HID, HID, HID);
        public static final MethodHandle H5Dwrite_chunk = fn("H5Dpublic.h", "H5Dwrite_chunk", HERR,
                HID, HID, CType.UINT32, CONST_HSIZE_PTR, CType.SIZE_T, CONST_VOID_PTR);
        public static final MethodHandle H5Eget_auto2 = fn("H5Epublic.h", "H5Eget_auto2", HERR, HID,
                CType.pointer("H5E_auto2_t *"), VOID_PTR_PTR);
        public static final MethodHandle H5Acreate2 = fn("H5Apublic.h", "H5Acreate2", HID, HID, CSTR, HID, HID, HID, HID);

        private Late() {
        }

        /** Initialises this class: binds its functions. */
        static void bind() {
            // the static initialiser did it
        }
    }

    // macro constants; native/ checks each against the headers at run time (they expand to calls)
    public static final long H5P_DEFAULT = 0L;
    public static final long H5E_DEFAULT = 0L;
    public static final long H5S_ALL = 0L;
    public static final long H5S_UNLIMITED = -1L;
    public static final int H5F_ACC_RDONLY = 0x0000;
    public static final int H5F_ACC_RDWR = 0x0001;
    public static final int H5F_ACC_TRUNC = 0x0002;
    public static final int H5F_ACC_EXCL = 0x0004;
    public static final int H5F_ACC_CREAT = 0x0010;
    public static final int H5F_ACC_SWMR_WRITE = 0x0020;
    public static final int H5F_ACC_SWMR_READ = 0x0040;
    public static final int H5F_LIBVER_EARLIEST = 0;
    public static final int H5F_LIBVER_V18 = 1;
    public static final int H5F_LIBVER_V110 = 2;
    public static final int H5F_LIBVER_LATEST = H5F_LIBVER_V110;
    public static final int H5F_SCOPE_LOCAL = 0;
    public static final int H5F_SCOPE_GLOBAL = 1;
    public static final int H5S_SCALAR = 0;
    public static final int H5S_SIMPLE = 1;
    public static final int H5T_STR_NULLTERM = 0;
    public static final int H5T_STR_NULLPAD = 1;
    /** The private file-access property h5clear sets to clear a crashed writer's status flags. */
    public static final String CLEAR_STATUS_FLAGS_PROPERTY = "clear_status_flags";

    static {
        // the _g globals hold valid ids only after H5open; error printing goes off before any failure
        try {
            int rc = (int) H5open.invokeExact();
            if (rc < 0) {
                throw new ExceptionInInitializerError("H5open() failed: " + rc);
            }
            rc = (int) H5Eset_auto2.invokeExact(H5E_DEFAULT, MemorySegment.NULL, MemorySegment.NULL);
            if (rc < 0) {
                throw new ExceptionInInitializerError("H5Eset_auto2(H5E_DEFAULT, NULL, NULL) failed: " + rc);
            }
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    // property list classes and types: hid_t globals, valid after H5open()
    public static final long H5P_CLS_FILE_CREATE = global("H5Ppublic.h", "H5P_CLS_FILE_CREATE_ID_g");
    public static final long H5P_CLS_FILE_ACCESS = global("H5Ppublic.h", "H5P_CLS_FILE_ACCESS_ID_g");
    public static final long H5P_CLS_DATASET_CREATE = global("H5Ppublic.h", "H5P_CLS_DATASET_CREATE_ID_g");
    public static final long H5P_CLS_DATASET_XFER = global("H5Ppublic.h", "H5P_CLS_DATASET_XFER_ID_g");
    public static final long H5T_STD_U8LE = global("H5Tpublic.h", "H5T_STD_U8LE_g");
    public static final long H5T_STD_U32LE = global("H5Tpublic.h", "H5T_STD_U32LE_g");
    public static final long H5T_STD_U64LE = global("H5Tpublic.h", "H5T_STD_U64LE_g");
    public static final long H5T_NATIVE_UINT8 = global("H5Tpublic.h", "H5T_NATIVE_UINT8_g");
    public static final long H5T_NATIVE_UINT32 = global("H5Tpublic.h", "H5T_NATIVE_UINT32_g");
    public static final long H5T_NATIVE_UINT64 = global("H5Tpublic.h", "H5T_NATIVE_UINT64_g");
    public static final long H5T_C_S1 = global("H5Tpublic.h", "H5T_C_S1_g");

    private H5() {
    }

    /**
     * Initialises this class on the calling thread, if no thread did yet: loads the library, binds
     * the functions a store's open calls, calls {@code H5open()} (a fresh JVM's start lets a thread
     * of its own do this while it sets up the rest). The call that runs the initialisation throws
     * what it threw (for example {@link UnsatisfiedLinkError} when the library is missing); later
     * calls throw {@link NoClassDefFoundError}.
     */
    public static void load() {
        // the static initialiser does it
    }

    /**
     * Binds every function not bound yet ({@link Late}'s): calls no HDF5 function. Call it once
     * {@link H5} is initialised (a file was opened), from any thread.
     */
    public static void bindAll() {
        Late.bind();
    }

    /** Every HDF5 function this binding declares, in declaration order ({@link Late}'s last). */
    public static List<CFunction> declarations() {
        bindAll();
        return Collections.unmodifiableList(FUNCTIONS);
    }

    /** Every HDF5 global variable this binding reads. */
    public static List<CGlobal> globals() {
        return Collections.unmodifiableList(GLOBALS);
    }

    /**
     * The macro constants the binding hard-codes, as {@code C expression -> Java value}; the prototype
     * check evaluates each expression in C and compares.
     */
    public static java.util.Map<String, Long> macroConstants() {
        var m = new java.util.LinkedHashMap<String, Long>();
        m.put("H5P_DEFAULT", H5P_DEFAULT);
        m.put("H5E_DEFAULT", H5E_DEFAULT);
        m.put("H5S_ALL", H5S_ALL);
        m.put("(long long) H5S_UNLIMITED", H5S_UNLIMITED);
        m.put("H5AC__CURR_CACHE_CONFIG_VERSION", (long) MetadataCache.VERSION);
        m.put("sizeof(H5AC_cache_config_t)", MetadataCache.SIZE);
        m.put("offsetof(H5AC_cache_config_t, set_initial_size)", MetadataCache.SET_INITIAL_SIZE);
        m.put("offsetof(H5AC_cache_config_t, initial_size)", MetadataCache.INITIAL_SIZE);
        m.put("offsetof(H5AC_cache_config_t, max_size)", MetadataCache.MAX_SIZE);
        m.put("offsetof(H5AC_cache_config_t, min_size)", MetadataCache.MIN_SIZE);
        m.put("H5F_ACC_RDONLY", (long) H5F_ACC_RDONLY);
        m.put("H5F_ACC_RDWR", (long) H5F_ACC_RDWR);
        m.put("H5F_ACC_TRUNC", (long) H5F_ACC_TRUNC);
        m.put("H5F_ACC_EXCL", (long) H5F_ACC_EXCL);
        m.put("H5F_ACC_CREAT", (long) H5F_ACC_CREAT);
        m.put("H5F_ACC_SWMR_WRITE", (long) H5F_ACC_SWMR_WRITE);
        m.put("H5F_ACC_SWMR_READ", (long) H5F_ACC_SWMR_READ);
        m.put("H5F_LIBVER_EARLIEST", (long) H5F_LIBVER_EARLIEST);
        m.put("H5F_LIBVER_V18", (long) H5F_LIBVER_V18);
        m.put("H5F_LIBVER_V110", (long) H5F_LIBVER_V110);
        m.put("H5F_LIBVER_LATEST", (long) H5F_LIBVER_LATEST);
        m.put("H5F_SCOPE_LOCAL", (long) H5F_SCOPE_LOCAL);
        m.put("H5F_SCOPE_GLOBAL", (long) H5F_SCOPE_GLOBAL);
        m.put("H5S_SCALAR", (long) H5S_SCALAR);
        m.put("H5S_SIMPLE", (long) H5S_SIMPLE);
        m.put("H5T_STR_NULLTERM", (long) H5T_STR_NULLTERM);
        m.put("H5T_STR_NULLPAD", (long) H5T_STR_NULLPAD);
        return java.util.Collections.unmodifiableMap(m);
    }

    private static MethodHandle fn(String header, String name, CType returns, CType... params) {
        return NativeAccess.bind(LIB, FUNCTIONS, new CFunction(header, name, returns, List.of(params)));
    }

    private static long global(String header, String name) {
        GLOBALS.add(new CGlobal(header, name, HID));
        MemorySegment symbol = LIB.find(name).orElseThrow(() -> new UnsatisfiedLinkError("global " + name + " not found"));
        return symbol.reinterpret(ValueLayout.JAVA_LONG.byteSize()).get(ValueLayout.JAVA_LONG, 0);
    }
}
