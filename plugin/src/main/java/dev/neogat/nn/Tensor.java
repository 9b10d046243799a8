package dev.neogat.nn;

/**
 * A backend-owned matrix of {@code rows × cols} values in row-major order. Where the values live (the
 * Java heap, GPU memory) is the backend's business; host code copies in and out explicitly.
 */
public interface Tensor {

    int rows();

    int cols();

    /** Whether this holds sparse input features (only a projection's input may be sparse). */
    default boolean isSparse() {
        return false;
    }
}
