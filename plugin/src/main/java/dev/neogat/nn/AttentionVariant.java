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

    /**
     * Where a scorer reads its two inputs and how its tensors are named. The source input is
     * {@code layer.inputDim()} wide, the target input {@code targetDim}. {@code bipartite}: sources and
     * targets are different node sets (a typed relation between two types: a projection per side, no self
     * loops); otherwise both inputs are the same tensor. {@code typed}: PyG's {@code GATConv}/{@code
     * GATv2Conv} module names as {@code HeteroConv} stores them ({@code lin.weight}, {@code lin_src.weight},
     * {@code lin_l.weight}, ...) rather than the untyped model's ({@code weight}, {@code weight_src}, ...).
     */
    record Sides(int targetDim, boolean bipartite, boolean typed) {

        /** An untyped layer: one input, the untyped model's names. */
        public static Sides untyped(LayerSpec layer) {
            return new Sides(layer.inputDim(), false, false);
        }

        /** A typed relation into targets {@code targetDim} wide; bipartite when it joins two node types. */
        public static Sides relation(LayerSpec layer, boolean bipartite, int targetDim) {
            if (!bipartite && targetDim != layer.inputDim()) {
                throw new IllegalArgumentException("A relation within one node type reads one input, but its widths"
                        + " are " + layer.inputDim() + " and " + targetDim);
            }
            return new Sides(targetDim, bipartite, true);
        }

        /** The name of a tensor: {@code untyped}, or {@code typed} (typed models), {@code typedBipartite} between two types. */
        String name(String untyped, String typed, String typedBipartite) {
            return !this.typed ? untyped : bipartite ? typedBipartite : typed;
        }
    }

    /** The variant's learnable tensors of an untyped layer, named {@code prefix + local name}, in file order. */
    default List<ParameterShape> parameters(LayerSpec layer, String prefix) {
        return parameters(layer, Sides.untyped(layer), prefix);
    }

    /**
     * The variant's learnable tensors for {@code sides}, named {@code prefix + local name} (PyG's names), in
     * the order of an untyped model's file; a typed relation orders them as PyTorch's state_dict does.
     */
    List<ParameterShape> parameters(LayerSpec layer, Sides sides, String prefix);

    /**
     * Floats the variant's activations take in one layer (messages included) over a graph of that size; per node
     * ({@code slots} 0, one node) the columns of a scorer's {@link Scorer#sourceTensors()} and
     * {@link Scorer#targetTensors()} together.
     */
    long activationFloats(LayerSpec layer, long nodes, long slots);

    /** Floats of the gradients the variant keeps in a backward pass (the messages' gradient is the layer's). */
    long gradientFloats(LayerSpec layer, long nodes, long slots);

    /**
     * The variant's tensors for one layer on one graph; {@code parameters} holds them under their names.
     * {@code edgeFeatures} [slots, layer.edgeDim()] are the relationship features per slot
     * ({@link EdgeFeatures#perSlot}), null exactly when the layer has none.
     */
    default Scorer bind(Backend backend, GraphTensor graph, LayerSpec layer, Map<String, Parameter> parameters,
                        String prefix, Tensor edgeFeatures) {
        return bind(backend, graph, layer, Sides.untyped(layer), parameters, prefix, edgeFeatures);
    }

    /**
     * As {@link #bind(Backend, GraphTensor, LayerSpec, Map, String, Tensor)} for {@code sides}; on a bipartite
     * graph the sources are {@code graph.sourceCount()} nodes and the targets {@code graph.nodeCount()}.
     */
    Scorer bind(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides, Map<String, Parameter> parameters,
                String prefix, Tensor edgeFeatures);

    /**
     * A scorer of an untyped layer over {@code graph} that reads the given node tensors instead of allocating its
     * own: {@code sourceTensors} [graph.sourceCount(), ·] and {@code targetTensors} [graph.nodeCount(), ·], as
     * {@link Scorer#sourceTensors()} and {@link Scorer#targetTensors()} of this variant list them, filled by a
     * {@link Scorer#project} elsewhere (layer-wise inference: the sources are all nodes, the targets a chunk of
     * them). The caller keeps them; only {@link Scorer#score} is meant to run, the graph's sources and targets
     * being rows of the same node set.
     */
    default Scorer bindProjected(Backend backend, GraphTensor graph, LayerSpec layer,
                                 Map<String, Parameter> parameters, String prefix, Tensor edgeFeatures,
                                 List<Tensor> sourceTensors, List<Tensor> targetTensors) {
        return bindProjected(backend, graph, layer, Sides.untyped(layer), parameters, prefix, edgeFeatures,
                sourceTensors, targetTensors);
    }

    /**
     * As {@link #bindProjected(Backend, GraphTensor, LayerSpec, Map, String, Tensor, List, List)} for
     * {@code sides}: a typed relation's scorer over a slice of its targets (on a bipartite relation the source
     * tensors are the source type's rows, the target tensors the target type's).
     */
    Scorer bindProjected(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides,
                         Map<String, Parameter> parameters, String prefix, Tensor edgeFeatures,
                         List<Tensor> sourceTensors, List<Tensor> targetTensors);

    /** {@code given}, checked to be {@code rows} x {@code cols[k]} each. */
    static List<Tensor> requireNodeTensors(List<Tensor> given, int rows, int[] cols, String side) {
        if (given.size() != cols.length) {
            throw new IllegalArgumentException("The " + side + " side has " + cols.length + " node tensors, "
                    + given.size() + " were given");
        }
        for (int k = 0; k < cols.length; k++) {
            if (given.get(k).rows() != rows || given.get(k).cols() != cols[k]) {
                throw new IllegalArgumentException("Node tensor " + k + " of the " + side + " side is "
                        + given.get(k).rows() + " x " + given.get(k).cols() + " but the layer needs " + rows + " x "
                        + cols[k]);
            }
        }
        return given;
    }

    /**
     * One layer's projection and scores, with the activations its backward needs. The forward pass has a per-node
     * half ({@link #project}, into the node tensors) and a per-slot half ({@link #score}, reading only the node
     * tensors and the relationship features), so a caller may fill the node tensors with rows projected elsewhere
     * and score a slice of a graph's targets (layer-wise inference).
     */
    interface Scorer {

        /**
         * Projects {@code source} and {@code target} (dropped out by their masks, null for none; the same
         * tensor and mask unless the graph is bipartite) and writes each slot's raw score into {@code scores}
         * [slots, heads] (overwritten). Returns the messages [sources, heads·channels] the layer aggregates;
         * the scorer owns that tensor.
         */
        default Tensor forward(Tensor source, InputDropout sourceMask, Tensor target, InputDropout targetMask,
                               Tensor scores) {
            Tensor messages = project(source, sourceMask, target, targetMask);
            score(scores);
            return messages;
        }

        /**
         * The per-node half of {@link #forward(Tensor, InputDropout, Tensor, InputDropout, Tensor)}: overwrites
         * the node tensors from the inputs and returns the messages (the first of {@link #sourceTensors()}).
         */
        Tensor project(Tensor source, InputDropout sourceMask, Tensor target, InputDropout targetMask);

        /**
         * The per-slot half: overwrites {@code scores} [slots, heads] with each slot's raw score, from the node
         * tensors as they stand and the relationship features.
         */
        void score(Tensor scores);

        /**
         * The node tensors of the source side, [graph.sourceCount(), ·] each, the messages first: with
         * {@link #targetTensors()}, all that {@link #score} and the aggregation read per node. The scorer owns them.
         */
        List<Tensor> sourceTensors();

        /** The node tensors of the target side, [graph.nodeCount(), ·] each (see {@link #sourceTensors()}). */
        List<Tensor> targetTensors();

        /** {@link #forward(Tensor, InputDropout, Tensor, InputDropout, Tensor)} with one input for both sides. */
        default Tensor forward(Tensor input, InputDropout inputMask, Tensor scores) {
            return forward(input, inputMask, input, inputMask, scores);
        }

        /**
         * From the scores' gradient {@code dScores} and the messages' gradient {@code dMessages} (both
         * consumed), overwrites the variant's parameter gradients and adds d loss / d source and d loss /
         * d target input to {@code dSource} and {@code dTarget} (the same tensor unless bipartite; each
         * contribution is added once) and d loss / d edge features to {@code dEdgeFeatures}, each when not null.
         */
        void backward(Tensor source, InputDropout sourceMask, Tensor target, InputDropout targetMask, Tensor dScores,
                      Tensor dMessages, Tensor dSource, Tensor dTarget, Tensor dEdgeFeatures);

        /** {@link #backward(Tensor, InputDropout, Tensor, InputDropout, Tensor, Tensor, Tensor, Tensor, Tensor)} with one input. */
        default void backward(Tensor input, InputDropout inputMask, Tensor dScores, Tensor dMessages, Tensor dIn,
                              Tensor dEdgeFeatures) {
            backward(input, inputMask, input, inputMask, dScores, dMessages, dIn, dIn, dEdgeFeatures);
        }

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
