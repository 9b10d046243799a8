package dev.neogat.spec;

/** Which attention scoring a layer uses. */
public enum Variant {
    /** Veličković et al. 2018: {@code LeakyReLU(a · [W h_i ‖ W h_j])}. */
    GAT,
    /** Brody et al. 2022: {@code a · LeakyReLU(W_r h_i + W_l h_j)}. */
    GATV2
}
