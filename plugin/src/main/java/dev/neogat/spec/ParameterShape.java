package dev.neogat.spec;

/**
 * Name, shape and initialisation of one learnable tensor. Weights are stored [in, out] (y = x·W),
 * the transpose of PyTorch's Linear layout; attention vectors [heads, channels]; biases [1, width].
 * Which tensors a model has is said by its layers and their attention variants (nn.GatNetwork).
 *
 * <p>Initialisation follows PyG: Glorot-uniform for projections and attention vectors
 * (bound sqrt(6 / (fanIn + fanOut)), where an attention vector [1, H, C] counts as fans H and C),
 * zeros for the layer bias, uniform(±1/sqrt(in)) for the biases of GATv2's two projections.
 */
public record ParameterShape(String name, int rows, int cols, Init init, double bound) {

    public enum Init { GLOROT, ZEROS, UNIFORM }

    public int size() {
        return rows * cols;
    }

    /** A projection [rows, cols] or an attention vector [heads, channels], Glorot-uniform. */
    public static ParameterShape glorot(String name, int rows, int cols) {
        return new ParameterShape(name, rows, cols, Init.GLOROT, Math.sqrt(6.0 / (rows + cols)));
    }

    /** A bias [1, width] that starts at zero. */
    public static ParameterShape zeroBias(String name, int width) {
        return new ParameterShape(name, 1, width, Init.ZEROS, 0);
    }

    /** A projection's bias [1, width], uniform(±1/sqrt(fanIn)) as torch's Linear. */
    public static ParameterShape linearBias(String name, int width, int fanIn) {
        return new ParameterShape(name, 1, width, Init.UNIFORM, 1.0 / Math.sqrt(fanIn));
    }

    /**
     * A learned input [rows, width] of a node type without features, uniform(±√3): unit variance, as the
     * N(0, 1) of torch's Embedding, whatever the row count.
     */
    public static ParameterShape embedding(String name, int rows, int width) {
        return new ParameterShape(name, rows, width, Init.UNIFORM, Math.sqrt(3));
    }

    /** Name prefix of layer {@code l}'s parameters in a model file (untyped and typed models alike). */
    public static String layerPrefix(int layer) {
        return "layers." + layer + ".";
    }
}
