package dev.hashdir.engine.store;

import static dev.hashdir.engine.store.StoreFormat.MAX_KEY_BYTES;
import static dev.hashdir.engine.store.StoreFormat.MAX_PAGE_SIZE;
import static dev.hashdir.engine.store.StoreFormat.MIN_KEY_BYTES;
import static dev.hashdir.engine.store.StoreFormat.MIN_PAGE_SIZE;

/**
 * What a store is created with; fixed for its life. Validated once, here, naming the bad value.
 *
 * @param keyBytes key length in bytes, {@value StoreFormat#MIN_KEY_BYTES}..{@value StoreFormat#MAX_KEY_BYTES}
 * @param pageSize page size in bytes, a power of two in {@value StoreFormat#MIN_PAGE_SIZE}..{@value StoreFormat#MAX_PAGE_SIZE}
 */
public record StoreOptions(int keyBytes, int pageSize) {

    public StoreOptions {
        if (keyBytes < MIN_KEY_BYTES || keyBytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key bytes must be between " + MIN_KEY_BYTES + " and " + MAX_KEY_BYTES
                    + ": keyBytes=" + keyBytes);
        }
        if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two between " + MIN_PAGE_SIZE + " and "
                    + MAX_PAGE_SIZE + " bytes: pageSize=" + pageSize);
        }
    }

    /** 32-byte keys (SHA-256), 4 KiB pages. */
    public static StoreOptions defaults() {
        return new StoreOptions(StoreFormat.DEFAULT_KEY_BYTES, StoreFormat.DEFAULT_PAGE_SIZE);
    }
}
