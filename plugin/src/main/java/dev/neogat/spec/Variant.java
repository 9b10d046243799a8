package dev.neogat.spec;

/**
 * The attention variants users can name; each is implemented by one class in nn (see
 * nn.AttentionVariant#of), which declares its parameters, its memory and its scores.
 */
public enum Variant {
    /** Veličković et al. 2018: {@code LeakyReLU(a · [W h_i ‖ W h_j])}. */
    GAT,
    /** Brody et al. 2022: {@code a · LeakyReLU(W_r h_i + W_l h_j)}. */
    GATV2
}
