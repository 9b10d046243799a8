package dev.neogat.spec;

/**
 * One attention layer, as PyG's {@code GATConv}/{@code GATv2Conv}: input width, heads × channels,
 * heads concatenated or averaged, optional residual projection, ELU after it or not, and its dropout
 * rates: input features, attention coefficients, and projected messages (the reference GAT
 * implementation drops those too; PyG does not).
 */
public record LayerSpec(Variant variant, int inputDim, int heads, int channels, boolean concat, boolean residual,
                        boolean elu, double negativeSlope, double featureDropout, double attentionDropout,
                        double messageDropout) {

    public LayerSpec {
        if (inputDim < 1 || heads < 1 || channels < 1) {
            throw new IllegalArgumentException("A layer needs a positive input width, heads and channels, got "
                    + inputDim + ", " + heads + ", " + channels);
        }
        if (!(negativeSlope >= 0 && negativeSlope <= 1)) {
            throw new IllegalArgumentException("negativeSlope must be in [0, 1], got " + negativeSlope);
        }
    }

    /** heads · channels, the width of the projection. */
    public int width() {
        return heads * channels;
    }

    public int outputDim() {
        return concat ? heads * channels : channels;
    }
}
