package dev.hashdir.engine;

import dev.hashdir.engine.recovery.RecoveryListener;
import dev.hashdir.engine.recovery.WalApplier;
import dev.hashdir.engine.store.PageIo;
import dev.hashdir.engine.wal.WalDirectory;
import dev.hashdir.engine.wal.WalOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.IntFunction;

/** Tests of other packages: a {@link HashDir} with its internals tuned (tiny cache, wrapped page I/O). */
public final class TunedHashDirs {

    private TunedHashDirs() {
    }

    /** Opens the store in {@code dir} with exactly {@code frames} cache frames and its file I/O wrapped. */
    public static HashDir open(Path dir, HashDirConfig config, int frames, PageIo.Wrapper io) throws IOException {
        return HashDir.open(dir, config, new HashDir.Tuning(HashDir.Tuning.DEFAULT.chunkBits(), frames, io));
    }

    /** Opens (recovers) a {@link DurableHashDir} whose HDF5 file I/O is wrapped (e.g. to fail page writes). */
    public static DurableHashDir openDurable(Path dir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir,
                                             RecoveryListener listener, PageIo.Wrapper io) throws IOException {
        return DurableHashDir.open(dir, config, walOptions, walDir, listener, WalApplier.DEFAULT_WINDOW_BYTES,
                HashDir.Tuning.withIo(io));
    }

    /** {@link #openDurable(Path, HashDirConfig, WalOptions, WalDirectory, RecoveryListener, PageIo.Wrapper)} with the WAL options given for the store's key length. */
    public static DurableHashDir openDurable(Path dir, HashDirConfig config, IntFunction<WalOptions> walOptions,
                                             WalDirectory walDir, RecoveryListener listener, PageIo.Wrapper io)
            throws IOException {
        return DurableHashDir.open(dir, config, walOptions, walDir, listener, WalApplier.DEFAULT_WINDOW_BYTES,
                HashDir.Tuning.withIo(io));
    }

    /** Rows (with the id each names) of the last published checkpoint, when {@code track} was on. */
    public static long[] publishedRows(HashDir hd) {
        return hd.cache().publishedRows();
    }

    /** Remembers the rows of each published checkpoint from now on. */
    public static void trackPublishedRows(HashDir hd) {
        hd.cache().trackPublishedRows(true);
    }
}
