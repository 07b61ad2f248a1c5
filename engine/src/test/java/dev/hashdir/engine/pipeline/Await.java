package dev.hashdir.engine.pipeline;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The pipeline tests' polling wait: for state another thread sets after an answer went out. */
final class Await {

    private Await() {
    }

    /**
     * Returns once {@code condition} holds, checked every {@code pollMillis}; fails naming
     * {@code what} (evaluated then) when it did not hold within {@code seconds}.
     */
    static void until(Supplier<String> what, long seconds, long pollMillis, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(what.get() + ": not within " + seconds + " s");
            }
            Thread.sleep(pollMillis);
        }
    }
}
