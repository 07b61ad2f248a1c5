package dev.hashdir.engine.wal;

/** Receives replayed records in LSN order. */
@FunctionalInterface
public interface WalConsumer {

    /** One valid record; {@code record} is a reused view, valid only during the call. */
    void accept(WalRecord record);
}
