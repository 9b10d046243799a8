package dev.neogat.spec;

import static dev.neogat.spec.ArchitectureChecks.requireAtLeast;
import static dev.neogat.spec.ArchitectureChecks.requireNegativeSlope;

/**
 * One attention layer, as PyG's {@code GATConv}/{@code GATv2Conv}: input width, heads × channels,
 * heads concatenated or averaged, optional residual projection, ELU after it or not, and its dropout
 * rates: input features, attention coefficients, and projected messages (the reference GAT
 * implementation drops those too; PyG does not). {@code edgeDim} is the width of the relationship features
 * each edge's score also sees (PyG's {@code edge_dim}); 0 for none.
 */
public record LayerSpec(Variant variant, int inputDim, int heads, int channels, boolean concat, boolean residual,
                        boolean elu, double negativeSlope, double featureDropout, double attentionDropout,
                        double messageDropout, int edgeDim) {

    public LayerSpec {
        if (inputDim < 1 || heads < 1 || channels < 1) {
            throw new IllegalArgumentException("A layer needs a positive input width, heads and channels, got "
                    + inputDim + ", " + heads + ", " + channels);
        }
        requireAtLeast("edgeDim", edgeDim, 0);
        requireNegativeSlope(negativeSlope);
    }

    /** A layer without relationship features. */
    public LayerSpec(Variant variant, int inputDim, int heads, int channels, boolean concat, boolean residual,
                     boolean elu, double negativeSlope, double featureDropout, double attentionDropout,
                     double messageDropout) {
        this(variant, inputDim, heads, channels, concat, residual, elu, negativeSlope, featureDropout,
                attentionDropout, messageDropout, 0);
    }

    /** heads · channels, the width of the projection. */
    public int width() {
        return heads * channels;
    }

    public int outputDim() {
        return concat ? heads * channels : channels;
    }
}
