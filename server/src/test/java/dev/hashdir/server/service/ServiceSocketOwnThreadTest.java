package dev.hashdir.server.service;

/**
 * Every {@link ServiceSocketTest} with {@code network-loop=thread}: the ZMTP transport's own
 * selector thread reads and dispatches, not the engine thread.
 */
class ServiceSocketOwnThreadTest extends ServiceSocketTest {

    @Override
    String networkLoop() {
        return "thread";
    }
}
