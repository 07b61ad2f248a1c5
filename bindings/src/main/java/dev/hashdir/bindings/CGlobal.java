package dev.hashdir.bindings;

/**
 * A C global variable read by the binding.
 *
 * @param header the header that declares it
 * @param name   the C symbol
 * @param type   its type
 */
public record CGlobal(String header, String name, CType type) {
}
