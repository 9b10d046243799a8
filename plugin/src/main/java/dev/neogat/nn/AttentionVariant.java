package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Variant;
import dev.neogat.util.InputDropout;

import java.util.List;
import java.util.Map;

/**
 * How a layer projects its input into messages and scores its edges, the one thing attention variants
 * differ in: each variant is one class that declares its parameters, the memory its tensors take, and its
 * projection and raw score per edge slot, forward and backward, built from {@link Backend} primitives.
 * {@link GatLayer} does the rest the same for all: the softmax over each target's incoming slots,
 * dropouts, aggregation, residual, bias and ELU. A new variant is a class implementing this, its name in
 * {@link Variant} and its line in {@link #of}; the layer, the parameter list, the memory estimate and the
 * configuration reader stay as they are.
 *
 * <p>The variants live in nn rather than in a package above it because nn/** is copied into the float64
 * twin (nn64) that the golden and finite-difference tests run at 1e-9; above nn they would have no twin.
 */
public interface AttentionVariant {

    /** The implementation of a variant; the switch is exhaustive, so a new name cannot lack its class. */
    static AttentionVariant of(Variant variant) {
        return switch (variant) {
            case GAT -> GatAttention.INSTANCE;
            case GATV2 -> GatV2Attention.INSTANCE;
        };
    }

    /** The variant's learnable tensors, named {@code prefix + local name} (PyG's names, in file order). */
    List<ParameterShape> parameters(LayerSpec layer, String prefix);

    /** Floats the variant's activations take in one layer (messages included) over a graph of that size. */
    long activationFloats(LayerSpec layer, long nodes, long slots);

    /** Floats of the gradients the variant keeps in a backward pass (the messages' gradient is the layer's). */
    long gradientFloats(LayerSpec layer, long nodes, long slots);

    /**
     * The variant's tensors for one layer on one graph; {@code parameters} holds them under their names.
     * {@code edgeFeatures} [slots, layer.edgeDim()] are the relationship features per slot
     * ({@link EdgeFeatures#perSlot}), null exactly when the layer has none.
     */
    Scorer bind(Backend backend, GraphTensor graph, LayerSpec layer, Map<String, Parameter> parameters,
                String prefix, Tensor edgeFeatures);

    /** One layer's projection and scores, with the activations its backward needs. */
    interface Scorer {

        /**
         * Projects {@code input} (dropped out by {@code inputMask}, null for none) and writes each slot's raw
         * score into {@code scores} [slots, heads] (overwritten). Returns the messages [nodes, heads·channels]
         * the layer aggregates; the scorer owns that tensor.
         */
        Tensor forward(Tensor input, InputDropout inputMask, Tensor scores);

        /**
         * From the scores' gradient {@code dScores} and the messages' gradient {@code dMessages} (both
         * consumed), overwrites the variant's parameter gradients and adds d loss / d input to {@code dIn} and
         * d loss / d edge features to {@code dEdgeFeatures} when they are not null.
         */
        void backward(Tensor input, InputDropout inputMask, Tensor dScores, Tensor dMessages, Tensor dIn,
                      Tensor dEdgeFeatures);

        /** Frees the activations and gradient buffers. */
        void release();
    }

    /** The parameter a layer's map must hold. */
    static Parameter require(Map<String, Parameter> parameters, String name) {
        Parameter p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("Missing layer parameter '" + name + "'");
        }
        return p;
    }

    /** The relationship features a layer was given, checked against its spec and graph. */
    static Tensor requireEdgeFeatures(LayerSpec layer, GraphTensor graph, Tensor edgeFeatures) {
        if (layer.edgeDim() == 0) {
            if (edgeFeatures != null) {
                throw new IllegalArgumentException("Relationship features were given to a layer without them"
                        + " (edgeDim 0)");
            }
            return null;
        }
        if (edgeFeatures == null) {
            throw new IllegalArgumentException("The layer attends over " + layer.edgeDim()
                    + " relationship features per edge, but none were given");
        }
        if (edgeFeatures.rows() != graph.slotCount() || edgeFeatures.cols() != layer.edgeDim()) {
            throw new IllegalArgumentException("Relationship features are " + edgeFeatures.rows() + " x "
                    + edgeFeatures.cols() + " but the layer needs " + graph.slotCount() + " slots x "
                    + layer.edgeDim());
        }
        return edgeFeatures;
    }
}
