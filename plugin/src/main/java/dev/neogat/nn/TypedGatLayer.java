package dev.neogat.nn;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedLayerSpec;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One typed attention layer, the counterpart of PyG's {@code HeteroConv({relation: GATConv or GATv2Conv},
 * aggr)}: each relation into an output type runs its own attention ({@link RelationAttention}) and gives
 * {@code z_r} [targets, outputDim] (its bias included); the relations into a type T are combined:
 * <ul>
 *   <li>{@code sum}: {@code out_T = Σ_r z_r} (PyG's default);</li>
 *   <li>{@code mean}: {@code out_T = (1/R) Σ_r z_r};</li>
 *   <li>{@code attention}, HAN's semantic attention with parameters W [outputDim, A], b [1, A], q [1, A]
 *   per target type: {@code w_r = (1/n_T) Σ_i q·tanh(z_r[i]·W + b)}, {@code β = softmax_r(w)},
 *   {@code out_T = Σ_r β_r z_r} (w_r = 0 for a type without nodes; a type with one relation has β = 1
 *   and no semantic parameters).</li>
 * </ul>
 * Then {@code + x_T·W_res} (residual, when on) and ELU (hidden layers). An output type that no relation
 * points into gets {@code x_T·W_skip + b_skip} (then ELU), so every node has an output at every layer.
 *
 * <p>Backward of the semantic attention, with {@code g = dOut}: {@code dβ_r = Σ g ∘ z_r},
 * {@code dw_r = β_r (dβ_r - Σ_s β_s dβ_s)}, {@code dz_r = β_r g + (dw_r/n) ((q ∘ (1 - h_r²)) Wᵀ)} per row with
 * {@code h_r = tanh(z_r W + b)}, {@code dq = Σ_r (dw_r/n) Σ_i h_r[i]}, and W, b from the same per-row term.
 */
public final class TypedGatLayer {

    /** The dropout masks of one training step; null everywhere for inference. */
    public interface Masks {
        /** The input features' mask of a node type (shared by every projection that reads them). */
        InputDropout input(String type);

        DropoutMask attention(Relation relation);

        DropoutMask message(Relation relation);
    }

    /** No dropout. */
    public static final Masks NO_DROPOUT = new Masks() {
        @Override
        public InputDropout input(String type) {
            return null;
        }

        @Override
        public DropoutMask attention(Relation relation) {
            return null;
        }

        @Override
        public DropoutMask message(Relation relation) {
            return null;
        }
    };

    private final Backend backend;
    private final TypedLayerSpec spec;
    private final Map<Relation, RelationAttention> relations = new LinkedHashMap<>();
    private final Map<String, TypeOutput> types = new LinkedHashMap<>();
    private Masks masks = NO_DROPOUT;
    /** Where the backward pass in progress adds the relationship features' gradients, by relation. */
    private Map<Relation, Tensor> dEdgeFeatures = Map.of();

    /**
     * {@code graphs} holds every active relation's graph on this backend, {@code nodeCounts} every output
     * type's node count, {@code parameters} the layer's tensors under {@code prefix} + the names of
     * {@link #parameterShapes(TypedLayerSpec, String)}.
     */
    public TypedGatLayer(Backend backend, TypedLayerSpec spec, Map<Relation, GraphTensor> graphs,
                         Map<String, Integer> nodeCounts, Map<String, Parameter> parameters, String prefix) {
        this(backend, spec, graphs, nodeCounts, parameters, prefix, Map.of());
    }

    /**
     * With relationship features: {@code edgeFeatures} holds [slots, spec.edgeDim(r)] per slot of each
     * active relation r that has them ({@link EdgeFeatures#perSlot}); the layer reads them and does not own them.
     */
    public TypedGatLayer(Backend backend, TypedLayerSpec spec, Map<Relation, GraphTensor> graphs,
                         Map<String, Integer> nodeCounts, Map<String, Parameter> parameters, String prefix,
                         Map<Relation, Tensor> edgeFeatures) {
        this(backend, spec, graphs, nodeCounts, parameters, prefix, edgeFeatures, Map.of());
    }

    /**
     * On a sampled batch's graph: semantic attention's mean over the nodes of a type runs over
     * {@code semanticRows.get(type)} only (the rows whose output the batch computes from their sampled
     * neighbourhood; a type absent from the map: every row), as on the whole graph it runs over every node.
     */
    public TypedGatLayer(Backend backend, TypedLayerSpec spec, Map<Relation, GraphTensor> graphs,
                         Map<String, Integer> nodeCounts, Map<String, Parameter> parameters, String prefix,
                         Map<Relation, Tensor> edgeFeatures, Map<String, int[]> semanticRows) {
        this.backend = backend;
        this.spec = spec;
        for (Relation r : spec.activeRelations()) {
            GraphTensor graph = graphs.get(r);
            if (graph == null) {
                throw new IllegalArgumentException("The graph lacks the relation " + r + " that the layer needs");
            }
            LayerSpec relationSpec = spec.relationSpec(r);
            relations.put(r, new RelationAttention(backend, r, graph, relationSpec, spec.inputWidth(r.targetType()),
                    parameters, TypedLayerSpec.relationPrefix(prefix, r), edgeFeatures.get(r)));
        }
        for (String type : spec.outputTypes()) {
            Integer count = nodeCounts.get(type);
            if (count == null) {
                throw new IllegalArgumentException("No node count for the output type '" + type + "'");
            }
            List<RelationAttention> into = new ArrayList<>();
            for (Relation r : spec.relationsInto(type)) {
                into.add(relations.get(r));
            }
            types.put(type, new TypeOutput(type, count, into, parameters, TypedLayerSpec.typePrefix(prefix, type),
                    semanticRows.get(type)));
        }
    }

    /**
     * Every parameter of a typed layer: per active relation its attention variant's tensors and bias under
     * {@code layerPrefix + key + "."} with PyG's names (GAT within a type: att_src, att_dst, bias,
     * lin.weight; between two types lin_src.weight and lin_dst.weight instead of lin.weight; GATv2: att,
     * bias, lin_l.weight/bias, lin_r.weight/bias), then per output type under {@code layerPrefix + type + "."}
     * res.weight, semantic.weight/bias/query, or skip.weight/bias. Weights are stored [in, out] (the
     * transpose of PyTorch's layout), as in {@link ParameterShape}.
     */
    public static List<ParameterShape> parameterShapes(TypedLayerSpec spec, String layerPrefix) {
        List<ParameterShape> shapes = new ArrayList<>();
        for (Relation r : spec.activeRelations()) {
            shapes.addAll(RelationAttention.parameterShapes(r, spec.relationSpec(r), spec.inputWidth(r.targetType()),
                    TypedLayerSpec.relationPrefix(layerPrefix, r)));
        }
        int outDim = spec.outputDim();
        for (String type : spec.outputTypes()) {
            String p = TypedLayerSpec.typePrefix(layerPrefix, type);
            int in = spec.inputWidth(type);
            if (spec.relationsInto(type).isEmpty()) {
                shapes.add(ParameterShape.glorot(p + "skip.weight", in, outDim));
                shapes.add(ParameterShape.zeroBias(p + "skip.bias", outDim));
                continue;
            }
            if (spec.residual()) {
                shapes.add(ParameterShape.glorot(p + "res.weight", in, outDim));
            }
            if (spec.usesSemanticAttention(type)) {
                shapes.add(ParameterShape.glorot(p + "semantic.weight", outDim, spec.semanticDim()));
                shapes.add(ParameterShape.zeroBias(p + "semantic.bias", spec.semanticDim()));
                shapes.add(ParameterShape.glorot(p + "semantic.query", 1, spec.semanticDim()));
            }
        }
        return shapes;
    }

    public TypedLayerSpec spec() {
        return spec;
    }

    /** Each output type's output of the last forward pass (after ELU for hidden layers). */
    public Map<String, Tensor> outputs() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        types.forEach((type, t) -> out.put(type, t.out));
        return out;
    }

    public Tensor output(String type) {
        return type(type).out;
    }

    /** A relation's own output {@code z_r} (bias included, before combination) of the last forward pass. */
    public Tensor relationOutput(Relation relation) {
        return relation(relation).output();
    }

    /** A relation's attention [slots, heads] of the last forward pass, before attention dropout. */
    public Tensor attention(Relation relation) {
        return relation(relation).attention();
    }

    /**
     * The weight of each relation into {@code type} in the last forward pass, in {@link
     * TypedLayerSpec#relationsInto(String)} order: 1 for sum, 1/R for mean, β for semantic attention.
     */
    public double[] relationWeights(String type) {
        return type(type).weights.clone();
    }

    /**
     * Holds the semantic attention's β of the relations into {@code type} (in {@link
     * TypedLayerSpec#relationsInto(String)} order) at the given values instead of computing them from this layer's
     * nodes: β is a mean over every node of the type, so a run on part of a graph (an explanation's neighbourhood)
     * gives the whole graph's output only with the whole graph's β. Backward then treats β as constant.
     */
    public void holdRelationWeights(String type, double[] weights) {
        if (spec.aggregation() != RelationAggregation.ATTENTION) {
            throw new IllegalStateException("Only semantic attention (relationAggregation 'attention') computes its "
                    + "relation weights; this layer combines relations by " + spec.aggregation().key());
        }
        TypeOutput t = type(type);
        if (weights.length != t.into.size()) {
            throw new IllegalArgumentException("Node type '" + type + "' has " + t.into.size() + " relations into it, "
                    + "but " + weights.length + " weights are given");
        }
        t.held = weights.clone();
    }

    /** β = softmax over the relations of their semantic scores w_r (see the class comment). */
    public static double[] semanticSoftmax(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double score : scores) {
            max = Math.max(max, score);
        }
        double[] weights = new double[scores.length];
        double sum = 0;
        for (int r = 0; r < scores.length; r++) {
            weights[r] = Math.exp(scores[r] - max);
            sum += weights[r];
        }
        for (int r = 0; r < scores.length; r++) {
            weights[r] /= sum;
        }
        return weights;
    }

    /**
     * Runs every active relation and combines them per output type. {@code inputs} holds every node type's
     * input. Returns {@link #outputs()}.
     */
    public Map<String, Tensor> forward(Map<String, Tensor> inputs, Masks masks) {
        this.masks = masks == null ? NO_DROPOUT : masks;
        for (RelationAttention r : relations.values()) {
            Relation rel = r.relation();
            r.forward(input(inputs, rel.sourceType()), this.masks.input(rel.sourceType()),
                    input(inputs, rel.targetType()), this.masks.input(rel.targetType()),
                    this.masks.attention(rel), this.masks.message(rel));
        }
        for (TypeOutput t : types.values()) {
            t.forward(input(inputs, t.type), this.masks.input(t.type));
        }
        return outputs();
    }

    /**
     * Parameter gradients for the last forward pass, given d loss / d output per output type (consumed).
     * d loss / d input is added to {@code dInputs}' tensor of each type that has one (none for sparse
     * features).
     */
    public void backward(Map<String, Tensor> inputs, Map<String, Tensor> dOutputs, Map<String, Tensor> dInputs) {
        backward(inputs, dOutputs, dInputs, Map.of());
    }

    /**
     * As {@link #backward(Map, Map, Map)}, also adding d loss / d relationship features per slot to the
     * tensor {@code dEdgeFeatures} holds for each relation that has one.
     */
    public void backward(Map<String, Tensor> inputs, Map<String, Tensor> dOutputs, Map<String, Tensor> dInputs,
                         Map<Relation, Tensor> dEdgeFeatures) {
        this.dEdgeFeatures = dEdgeFeatures;
        for (TypeOutput t : types.values()) {
            Tensor dOut = dOutputs.get(t.type);
            if (dOut == null) {
                throw new IllegalArgumentException("No output gradient for node type '" + t.type + "'");
            }
            t.backward(inputs, dOut, dInputs);
        }
    }

    private static Tensor input(Map<String, Tensor> inputs, String type) {
        Tensor x = inputs.get(type);
        if (x == null) {
            throw new IllegalArgumentException("No input for node type '" + type + "'");
        }
        return x;
    }

    private RelationAttention relation(Relation relation) {
        RelationAttention r = relations.get(relation);
        if (r == null) {
            throw new IllegalArgumentException("The layer computes no relation " + relation + "; it computes "
                    + relations.keySet());
        }
        return r;
    }

    private TypeOutput type(String type) {
        TypeOutput t = types.get(type);
        if (t == null) {
            throw new IllegalArgumentException("The layer has no output for node type '" + type + "'; it has "
                    + types.keySet());
        }
        return t;
    }

    /** Frees the activations and gradient buffers (the parameters belong to the caller). */
    public void release() {
        relations.values().forEach(RelationAttention::release);
        types.values().forEach(TypeOutput::release);
    }

    /** One output type: its relations' combination, residual, skip projection and ELU. */
    private final class TypeOutput {

        final String type;
        final int nodes;
        final List<RelationAttention> into;
        final Parameter skipWeight;
        final Parameter skipBias;
        final Parameter residual;
        final Parameter semanticWeight;
        final Parameter semanticBias;
        final Parameter semanticQuery;
        final Tensor out;
        final Tensor residualOut;
        /** The weight of each relation in the last forward pass. */
        final double[] weights;
        /** β held at given values ({@link #holdRelationWeights}); null: computed. */
        double[] held;
        /** Semantic attention: tanh(z_r·W + b) per relation, and its column sums. */
        final Tensor[] hidden;
        final Tensor[] hiddenSums;

        /** The rows semantic attention averages over, all when null: a graph pooling them into one target. */
        final GraphTensor pool;
        final Tensor poolWeights;
        final Tensor poolWeightGradients;
        final int pooled;

        Tensor dRelation;
        Tensor dHidden;
        Tensor scaledQuery;
        Tensor dSemanticWeight;
        Tensor dSemanticBias;

        TypeOutput(String type, int nodes, List<RelationAttention> into, Map<String, Parameter> parameters,
                   String prefix, int[] semanticRows) {
            this.type = type;
            this.nodes = nodes;
            this.into = into;
            int outDim = spec.outputDim();
            boolean skip = into.isEmpty();
            boolean semantic = spec.usesSemanticAttention(type);
            skipWeight = skip ? AttentionVariant.require(parameters, prefix + "skip.weight") : null;
            skipBias = skip ? AttentionVariant.require(parameters, prefix + "skip.bias") : null;
            residual = !skip && spec.residual() ? AttentionVariant.require(parameters, prefix + "res.weight") : null;
            semanticWeight = semantic ? AttentionVariant.require(parameters, prefix + "semantic.weight") : null;
            semanticBias = semantic ? AttentionVariant.require(parameters, prefix + "semantic.bias") : null;
            semanticQuery = semantic ? AttentionVariant.require(parameters, prefix + "semantic.query") : null;
            out = backend.zeros(nodes, outDim);
            residualOut = residual == null ? null : backend.zeros(nodes, outDim);
            weights = new double[into.size()];
            Arrays.fill(weights, spec.aggregation() == RelationAggregation.MEAN ? 1.0 / into.size() : 1.0);
            hidden = semantic ? new Tensor[into.size()] : null;
            hiddenSums = semantic ? new Tensor[into.size()] : null;
            if (semantic && semanticRows != null) {
                pool = backend.upload(GraphBuilder.bipartite(nodes, 1).build(semanticRows,
                        new int[semanticRows.length]));
                float[] ones = new float[semanticRows.length];
                Arrays.fill(ones, 1f);
                poolWeights = backend.upload(ones, ones.length, 1);
                poolWeightGradients = backend.zeros(ones.length, 1);
                pooled = semanticRows.length;
            } else {
                pool = null;
                poolWeights = null;
                poolWeightGradients = null;
                pooled = nodes;
            }
            if (semantic) {
                for (int r = 0; r < into.size(); r++) {
                    hidden[r] = backend.zeros(nodes, spec.semanticDim());
                    hiddenSums[r] = backend.zeros(1, spec.semanticDim());
                }
            }
        }

        void forward(Tensor x, InputDropout mask) {
            if (into.isEmpty()) {
                backend.linear(x, mask, skipWeight.value(), skipBias.value(), out);
            } else {
                combine();
                if (residual != null) {
                    backend.linear(x, mask, residual.value(), null, residualOut);
                    backend.add(out, residualOut);
                }
            }
            if (spec.elu()) {
                backend.elu(out, out);
            }
        }

        private void combine() {
            switch (spec.aggregation()) {
                case SUM -> {
                    backend.copy(into.get(0).output(), out);
                    for (int r = 1; r < into.size(); r++) {
                        backend.add(out, into.get(r).output());
                    }
                }
                case MEAN -> weightedSum();
                case ATTENTION -> {
                    if (held != null) {
                        System.arraycopy(held, 0, weights, 0, weights.length);
                    } else if (semanticWeight != null) {
                        semanticWeights();
                    }
                    weightedSum();
                }
            }
        }

        private void weightedSum() {
            backend.fill(out, 0f);
            for (int r = 0; r < into.size(); r++) {
                backend.scaledAdd(out, (float) weights[r], into.get(r).output());
            }
        }

        /** β = softmax over the relations of w_r = (1/n) Σ_i q·tanh(z_r[i]·W + b). */
        private void semanticWeights() {
            double[] scores = new double[into.size()];
            for (int r = 0; r < into.size(); r++) {
                backend.linear(into.get(r).output(), null, semanticWeight.value(), semanticBias.value(), hidden[r]);
                backend.tanh(hidden[r], hidden[r]);
                if (pool == null) {
                    backend.biasBackward(hidden[r], hiddenSums[r]);
                } else {
                    backend.aggregate(pool, poolWeights, null, hidden[r], true, hiddenSums[r]);
                }
                scores[r] = pooled == 0 ? 0 : backend.dot(hiddenSums[r], semanticQuery.value()) / pooled;
            }
            System.arraycopy(semanticSoftmax(scores), 0, weights, 0, weights.length);
        }

        void backward(Map<String, Tensor> inputs, Tensor dOut, Map<String, Tensor> dInputs) {
            Tensor x = input(inputs, type);
            InputDropout mask = masks.input(type);
            Tensor dIn = dInputs.get(type);
            if (spec.elu()) {
                backend.eluBackward(out, dOut, dOut);
            }
            if (into.isEmpty()) {
                backend.linearBackward(x, mask, skipWeight.value(), dOut, skipWeight.gradient(), skipBias.gradient(),
                        dIn);
                return;
            }
            if (residual != null) {
                backend.linearBackward(x, mask, residual.value(), dOut, residual.gradient(), null, dIn);
            }
            switch (spec.aggregation()) {
                case SUM -> {
                    for (RelationAttention r : into) {
                        relationBackward(r, inputs, dOut, dInputs);
                    }
                }
                case MEAN -> {
                    Tensor dz = relationGradient();
                    backend.fill(dz, 0f);
                    backend.scaledAdd(dz, (float) weights[0], dOut);
                    for (RelationAttention r : into) {
                        relationBackward(r, inputs, dz, dInputs);
                    }
                }
                case ATTENTION -> {
                    if (held != null) {
                        // β held constant: the semantic parameters do not reach the output.
                        if (semanticWeight != null) {
                            backend.fill(semanticWeight.gradient(), 0f);
                            backend.fill(semanticBias.gradient(), 0f);
                            backend.fill(semanticQuery.gradient(), 0f);
                        }
                        Tensor dz = relationGradient();
                        for (int r = 0; r < into.size(); r++) {
                            backend.fill(dz, 0f);
                            backend.scaledAdd(dz, (float) weights[r], dOut);
                            relationBackward(into.get(r), inputs, dz, dInputs);
                        }
                    } else if (semanticWeight != null) {
                        semanticBackward(inputs, dOut, dInputs);
                    } else {
                        relationBackward(into.get(0), inputs, dOut, dInputs);
                    }
                }
            }
        }

        private void semanticBackward(Map<String, Tensor> inputs, Tensor dOut, Map<String, Tensor> dInputs) {
            int count = into.size();
            double[] dWeights = new double[count];
            double weighted = 0;
            for (int r = 0; r < count; r++) {
                dWeights[r] = backend.dot(dOut, into.get(r).output());
                weighted += weights[r] * dWeights[r];
            }
            Tensor dz = relationGradient();
            if (dHidden == null) {
                dHidden = backend.zeros(nodes, spec.semanticDim());
                scaledQuery = backend.zeros(1, spec.semanticDim());
                dSemanticWeight = backend.zeros(spec.outputDim(), spec.semanticDim());
                dSemanticBias = backend.zeros(1, spec.semanticDim());
            }
            backend.fill(semanticWeight.gradient(), 0f);
            backend.fill(semanticBias.gradient(), 0f);
            backend.fill(semanticQuery.gradient(), 0f);
            for (int r = 0; r < count; r++) {
                RelationAttention relation = into.get(r);
                backend.fill(dz, 0f);
                backend.scaledAdd(dz, (float) weights[r], dOut);
                double dScore = pooled == 0 ? 0 : weights[r] * (dWeights[r] - weighted) / pooled;
                backend.scaledAdd(semanticQuery.gradient(), (float) dScore, hiddenSums[r]);
                // Every averaged row of d tanh(...) is dScore·q; the rows left out of the mean get none.
                backend.fill(scaledQuery, 0f);
                backend.scaledAdd(scaledQuery, (float) dScore, semanticQuery.value());
                backend.fill(dHidden, 0f);
                if (pool == null) {
                    backend.addBias(dHidden, scaledQuery);
                } else {
                    backend.aggregateBackward(pool, poolWeights, null, hidden[r], true, scaledQuery, dHidden,
                            poolWeightGradients);
                }
                backend.tanhBackward(hidden[r], dHidden, dHidden);
                backend.linearBackward(relation.output(), null, semanticWeight.value(), dHidden, dSemanticWeight,
                        dSemanticBias, dz);
                backend.add(semanticWeight.gradient(), dSemanticWeight);
                backend.add(semanticBias.gradient(), dSemanticBias);
                relationBackward(relation, inputs, dz, dInputs);
            }
        }

        private Tensor relationGradient() {
            if (dRelation == null) {
                dRelation = backend.zeros(nodes, spec.outputDim());
            }
            return dRelation;
        }

        private void relationBackward(RelationAttention r, Map<String, Tensor> inputs, Tensor dz,
                                      Map<String, Tensor> dInputs) {
            Relation rel = r.relation();
            r.backward(input(inputs, rel.sourceType()), masks.input(rel.sourceType()), input(inputs, rel.targetType()),
                    masks.input(rel.targetType()), dz, dInputs.get(rel.sourceType()), dInputs.get(rel.targetType()),
                    dEdgeFeatures.get(rel));
        }

        void release() {
            List<Object> all = new ArrayList<>(Arrays.asList(out, residualOut, dRelation, dHidden, scaledQuery,
                    dSemanticWeight, dSemanticBias, pool, poolWeights, poolWeightGradients));
            if (hidden != null) {
                all.addAll(Arrays.asList(hidden));
                all.addAll(Arrays.asList(hiddenSums));
            }
            for (Object t : all) {
                if (t != null) {
                    backend.release(t);
                }
            }
        }
    }
}
