package dev.neogat.nn;

import dev.neogat.graph.TypedGraph;
import dev.neogat.graph.TypedSampledSubgraph;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.TypedLayerSpec;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stack of {@link TypedGatLayer}s bound to a {@link TypedGraph} and its features (one matrix per node
 * type) on a {@link Backend}: forward in training or inference mode, backward to parameter gradients,
 * Adam steps, the logits of the target type's nodes, and each layer's attention and relation weights.
 *
 * <p>Training-mode dropout masks are keyed by (seed, step, layer, purpose), the purpose naming the node
 * type (input dropout) or relation (attention and message dropout), so a forward pass can be replayed
 * exactly by backward or by a finite-difference check.
 *
 * <p>A node type without features ({@link TypedGatConfig#featureless()}) reads its learned input, the
 * parameter {@code emb.<type>}: per label one row broadcast to every node of the type, per node the rows
 * themselves; backward gives its gradient like any other parameter's.
 */
public final class TypedGatNetwork extends ParameterizedNetwork {

    private static final int INPUT_DROPOUT = 0;
    private static final int ATTENTION_DROPOUT = 1;
    private static final int MESSAGE_DROPOUT = 2;
    private static final int PURPOSES = 3;

    private final Backend backend;
    private final TypedGatConfig config;
    private final Map<String, Tensor> features;
    private final boolean computeInputGradient;
    private final Map<Relation, GraphTensor> graphs = new LinkedHashMap<>();
    private final ParameterSet parameters;
    private final TypedGatLayer[] layers;
    private final List<Map<String, Tensor>> outputGradients = new ArrayList<>();
    private final Map<String, Tensor> inputGradients = new LinkedHashMap<>();
    private final TypedGraph graph;
    /** Relationship features per slot of the relations that have them, and whose given features they are. */
    private final Map<Relation, Tensor> edgeFeatureSlots = new LinkedHashMap<>();
    private final Map<Relation, Relation> edgeFeatureSource = new LinkedHashMap<>();
    private final Map<Relation, Tensor> edgeFeatureGradients = new LinkedHashMap<>();
    /** The broadcast input and its gradient of each per-label featureless type. */
    private final Map<String, Tensor> labelInputs = new LinkedHashMap<>();
    private final Map<String, Tensor> labelInputGradients = new LinkedHashMap<>();
    private Tensor dLogits;
    /** The sampled batch this network runs on (its nodes' and slots' whole-graph ids), null on a whole graph. */
    private final TypedSampledSubgraph batch;
    /** True for a network made by sharingParameters: its parameters (and Adam step count) are its owner's. */
    private final boolean sharesParameters;

    /**
     * {@code features} holds one tensor per node type of {@code config} (rows: the type's nodes in
     * {@code graph}, columns: its input width), except the featureless types, which read their learned
     * input unless given one here (inference gathers the trained rows of per-node inputs this way). The graph
     * must have exactly the config's node types and relations. With {@code computeInputGradient}, backward
     * also yields d loss / d features of each type whose given features are dense.
     */
    public TypedGatNetwork(Backend backend, TypedGatConfig config, Weights weights, TypedGraph graph,
                           Map<String, Tensor> features, boolean computeInputGradient) {
        this(backend, config, weights, graph, features, Map.of(), computeInputGradient);
    }

    /**
     * With relationship features: {@code edgeFeatures} holds [edges, config.edgeDim(r)] for each relation r
     * that has them, rows in the order of that relation's edges as given to the {@link TypedGraph} builder.
     * A relation that {@link TypedGraph.Builder#undirected()} added reads its declared relation's features
     * unless given its own. Within one type a self loop the graph added gets the mean of its node's incoming
     * features ({@link EdgeFeatures#perSlot}). With {@code computeInputGradient}, backward also yields
     * d loss / d relationship features ({@link #edgeFeatureGradient}).
     */
    public TypedGatNetwork(Backend backend, TypedGatConfig config, Weights weights, TypedGraph graph,
                           Map<String, Tensor> features, Map<Relation, DenseMatrix> edgeFeatures,
                           boolean computeInputGradient) {
        this(backend, config, weights, null, graph, null, features, edgeFeatures, computeInputGradient);
    }

    /**
     * A network over a sampled batch's computation graph with this network's parameters (shared, not copied):
     * its gradients and Adam steps act on them, and its {@link #release} leaves them to their owner. Its
     * training-mode dropout draws each element as the whole graph's network draws that node's or slot's, and
     * semantic attention averages over the nodes whose output the batch computes ({@link
     * TypedSampledSubgraph#computedRows}). {@code features}: per node type with features, the rows of the batch's
     * nodes; {@code edgeFeatures}: per relation that has them, one row per slot of the batch's graph, in the order
     * of its edges as the sampler gave them.
     */
    public TypedGatNetwork sharingParameters(TypedSampledSubgraph batch, Map<String, Tensor> features,
                                             Map<Relation, DenseMatrix> edgeFeatures) {
        return new TypedGatNetwork(backend, config, null, parameters, batch.graph(), batch, features, edgeFeatures,
                false);
    }

    private TypedGatNetwork(Backend backend, TypedGatConfig config, Weights weights, ParameterSet shared,
                            TypedGraph graph, TypedSampledSubgraph batch, Map<String, Tensor> features,
                            Map<Relation, DenseMatrix> edgeFeatures, boolean computeInputGradient) {
        requireSameSchema(config, graph, features);
        if (shared == null) {
            weights.requireMatches(parameterShapes(config));
        }
        this.batch = batch;
        this.sharesParameters = shared != null;
        this.backend = backend;
        this.config = config;
        this.features = new LinkedHashMap<>(features);
        this.computeInputGradient = computeInputGradient;
        for (Relation r : config.relations()) {
            graphs.put(r, backend.upload(graph.graph(r)));
        }
        this.graph = graph;
        relationshipFeatureSources(config, graph, edgeFeatures).forEach((r, reads) -> {
            edgeFeatureSource.put(r, reads);
            edgeFeatureSlots.put(r, EdgeFeatures.upload(backend, graph.graph(r), edgeFeatures.get(reads)));
        });
        this.parameters = shared != null ? shared : new ParameterSet(backend, parameterShapes(config), weights);
        config.featureless().forEach((type, input) -> {
            if (this.features.containsKey(type)) {
                return;
            }
            Parameter learned = parameters.require(embeddingName(type));
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                if (graph.nodeCount(type) != input.nodeCount()) {
                    throw new IllegalArgumentException("Node type '" + type + "' learns one input per node for the "
                            + input.nodeCount() + " nodes it had in training, but the graph has "
                            + graph.nodeCount(type) + "; give the trained rows of the graph's nodes instead");
                }
                this.features.put(type, learned.value());
            } else {
                Tensor broadcast = backend.zeros(graph.nodeCount(type), input.width());
                labelInputs.put(type, broadcast);
                this.features.put(type, broadcast);
            }
        });
        Map<String, Integer> nodeCounts = new LinkedHashMap<>();
        for (String type : config.nodeTypes()) {
            nodeCounts.put(type, graph.nodeCount(type));
        }
        layers = new TypedGatLayer[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            Map<String, int[]> semanticRows = new LinkedHashMap<>();
            if (batch != null) {
                for (String type : config.layer(l).outputTypes()) {
                    int[] rows = batch.computedRows(l, type);
                    if (rows.length < nodeCounts.get(type)) {
                        semanticRows.put(type, rows);
                    }
                }
            }
            layers[l] = new TypedGatLayer(backend, config.layer(l), graphs, nodeCounts, parameters.byName(),
                    TypedGatConfig.layerPrefix(l), edgeFeatureSlots, semanticRows);
            outputGradients.add(new LinkedHashMap<>());
        }
    }

    /**
     * For each relation that has relationship features in {@code edgeFeatures} (per relation, one row per edge), the
     * relation whose rows it reads: its own, or, for a relation the graph added by reversing another, the other's
     * unless given its own. Fails, naming the relation, where the rows do not fit the graph or the model.
     */
    public static Map<Relation, Relation> relationshipFeatureSources(TypedGatConfig config, TypedGraph graph,
                                                                     Map<Relation, DenseMatrix> edgeFeatures) {
        for (Relation given : edgeFeatures.keySet()) {
            if (!config.relations().contains(given)) {
                throw new IllegalArgumentException("Relationship features are given for " + given
                        + ", which is not a relation of the model; its relations are " + config.relations());
            }
        }
        Map<Relation, Relation> sources = new LinkedHashMap<>();
        for (Relation r : config.relations()) {
            Relation reads = edgeFeatures.containsKey(r) || graph.reversedFrom(r) == null ? r : graph.reversedFrom(r);
            DenseMatrix perEdge = edgeFeatures.get(reads);
            try {
                EdgeFeatures.requireFits(config.edgeDim(r), graph.graph(r), perEdge);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Relation " + r + ": " + e.getMessage(), e);
            }
            if (perEdge != null) {
                sources.put(r, reads);
            }
        }
        return sources;
    }

    /**
     * All parameters of a typed model, layer after layer, then the learned inputs of featureless types, in
     * their fixed order (initialisation and file order).
     */
    public static List<ParameterShape> parameterShapes(TypedGatConfig config) {
        List<ParameterShape> shapes = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            shapes.addAll(TypedGatLayer.parameterShapes(config.layer(l), TypedGatConfig.layerPrefix(l)));
        }
        config.featureless().forEach((type, input) ->
                shapes.add(ParameterShape.embedding(embeddingName(type), input.rows(), input.width())));
        return shapes;
    }

    /** The parameter holding the learned input of featureless node type {@code type}. */
    public static String embeddingName(String type) {
        return "emb." + type;
    }

    private static void requireSameSchema(TypedGatConfig config, TypedGraph graph, Map<String, Tensor> features) {
        if (!new HashSet<>(graph.nodeTypes()).equals(new HashSet<>(config.nodeTypes()))) {
            throw new IllegalArgumentException("The graph's node types " + graph.nodeTypes()
                    + " differ from the model's " + config.nodeTypes());
        }
        Set<Relation> modelRelations = new HashSet<>(config.relations());
        for (Relation r : graph.relations()) {
            if (!modelRelations.contains(r)) {
                throw new IllegalArgumentException("The graph has the relation " + r + ", which the model does not know;"
                        + " its relations are " + config.relations());
            }
        }
        for (Relation r : config.relations()) {
            if (!graph.relations().contains(r)) {
                throw new IllegalArgumentException("The graph lacks the model's relation " + r + "; it has "
                        + graph.relations());
            }
        }
        for (String type : config.nodeTypes()) {
            Tensor x = features.get(type);
            if (x == null && config.featureless().containsKey(type)) {
                continue;
            }
            if (x == null) {
                throw new IllegalArgumentException("No features for node type '" + type + "'");
            }
            if (x.rows() != graph.nodeCount(type)) {
                throw new IllegalArgumentException("Node type '" + type + "' has " + x.rows() + " feature rows for "
                        + graph.nodeCount(type) + " nodes");
            }
            int width = config.inputWidths().get(type);
            if (x.cols() != width) {
                throw new IllegalArgumentException("The features of node type '" + type + "' have " + x.cols()
                        + " columns but the model expects " + width);
            }
        }
    }

    public TypedGatConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    /** Inference: no dropout. Returns the logits [target type's nodes, classes]. */
    @Override
    public Tensor forward() {
        return forward(false, 0, 0);
    }

    /** Runs every layer; in training mode with the dropout masks of (seed, step). Returns the logits. */
    @Override
    public Tensor forward(boolean training, long seed, long step) {
        labelInputs.forEach((type, broadcast) -> {
            backend.fill(broadcast, 0f);
            backend.addBias(broadcast, parameters.require(embeddingName(type)).value());
        });
        Map<String, Tensor> inputs = features;
        for (int l = 0; l < layers.length; l++) {
            inputs = layers[l].forward(inputs, training ? masks(seed, step, l) : TypedGatLayer.NO_DROPOUT);
        }
        return logits();
    }

    private TypedGatLayer.Masks masks(long seed, long step, int layer) {
        TypedLayerSpec spec = config.layer(layer);
        List<String> types = config.nodeTypes();
        List<Relation> relations = config.relations();
        return new TypedGatLayer.Masks() {
            @Override
            public InputDropout input(String type) {
                DropoutMask mask = mask(spec.featureDropout(), INPUT_DROPOUT, types.indexOf(type),
                        batch == null ? null : batch.wholeNodes().get(type), spec.inputWidth(type));
                return mask == null ? null : InputDropout.shared(mask);
            }

            @Override
            public DropoutMask attention(Relation relation) {
                return mask(spec.attentionDropout(), ATTENTION_DROPOUT, relations.indexOf(relation),
                        batch == null ? null : batch.wholeSlots().get(relation), spec.relationSpec(relation).heads());
            }

            @Override
            public DropoutMask message(Relation relation) {
                return mask(spec.messageDropout(), MESSAGE_DROPOUT, relations.indexOf(relation),
                        batch == null ? null : batch.wholeNodes().get(relation.sourceType()),
                        spec.relationSpec(relation).width());
            }

            /** On a batch, element (r, c) is drawn as element (wholeRows[r], c) of the whole graph's tensor. */
            private DropoutMask mask(double probability, int purpose, int index, int[] wholeRows, int rowWidth) {
                return DropoutMasks.draw(true, probability, seed, step, layer, (long) index * PURPOSES + purpose,
                        wholeRows, rowWidth);
            }
        };
    }

    /** The target type's output of the last layer from the last forward pass. */
    public Tensor logits() {
        return layers[layers.length - 1].output(config.targetType());
    }

    public TypedGatLayer layer(int layer) {
        return layers[layer];
    }

    /** Attention [slots, heads] of a relation in a layer from the last forward pass, in its graph's slot order. */
    public Tensor attention(int layer, Relation relation) {
        return layers[layer].attention(relation);
    }

    /**
     * The weight of each relation into {@code type} at {@code layer} in the last forward pass (1 for sum,
     * 1/R for mean, β for semantic attention), by relation.
     */
    public Map<Relation, Double> relationWeights(int layer, String type) {
        double[] weights = layers[layer].relationWeights(type);
        List<Relation> into = config.layer(layer).relationsInto(type);
        Map<Relation, Double> out = new LinkedHashMap<>();
        for (int r = 0; r < into.size(); r++) {
            out.put(into.get(r), weights[r]);
        }
        return out;
    }

    /** Mean loss on {@code targets} (nodes of the target type) and, by backward, every gradient. */
    @Override
    public double lossAndGradients(Targets targets) {
        if (dLogits == null) {
            Tensor logits = logits();
            dLogits = backend.zeros(logits.rows(), logits.cols());
        }
        double loss = backend.loss(logits(), targets, dLogits);
        backward(dLogits);
        return loss;
    }

    /** Gradients of {@code Σ logits ∘ dLogits} for the last forward pass; dLogits is consumed. */
    public void backward(Tensor dLogitsGiven) {
        resetEdgeFeatureGradients();
        Map<String, Tensor> dOut = Map.of(config.targetType(), dLogitsGiven);
        for (int l = layers.length - 1; l >= 0; l--) {
            Map<String, Tensor> input = l == 0 ? features : layers[l - 1].outputs();
            Map<String, Tensor> dIn = l > 0 ? outputGradients(l - 1) : inputAndLearnedInputGradients();
            for (Tensor t : dIn.values()) {
                backend.fill(t, 0f);
            }
            layers[l].backward(input, dOut, dIn, edgeFeatureGradients);
            dOut = dIn;
        }
        labelInputGradients.forEach((type, dBroadcast) ->
                backend.biasBackward(dBroadcast, parameters.require(embeddingName(type)).gradient()));
    }

    /**
     * Where layer 0's backward adds d loss / d input: the given features' (with computeInputGradient) and the
     * learned inputs' (a per-node input's gradient is its parameter's; a per-label one's is summed into it after).
     */
    private Map<String, Tensor> inputAndLearnedInputGradients() {
        Map<String, Tensor> dIn = new LinkedHashMap<>(computeInputGradient ? inputGradients() : Map.of());
        config.featureless().forEach((type, input) -> {
            Tensor x = features.get(type);
            if (labelInputs.containsKey(type)) {
                dIn.put(type, labelInputGradients.computeIfAbsent(type, t -> backend.zeros(x.rows(), x.cols())));
            } else if (x == parameters.require(embeddingName(type)).value()) {
                dIn.put(type, parameters.require(embeddingName(type)).gradient());
            }
        });
        return dIn;
    }

    /** Where backward adds d loss / d relationship features per slot, zeroed; empty without computeInputGradient. */
    private void resetEdgeFeatureGradients() {
        if (!computeInputGradient) {
            return;
        }
        if (edgeFeatureGradients.isEmpty()) {
            edgeFeatureSlots.forEach((r, f) -> edgeFeatureGradients.put(r, backend.zeros(f.rows(), f.cols())));
        }
        edgeFeatureGradients.values().forEach(t -> backend.fill(t, 0f));
    }

    /**
     * d loss / d the relationship features given for {@code relation} [edges, edgeDim] from the last backward
     * pass (only with computeInputGradient), summed over every relation that reads them.
     */
    public DenseMatrix edgeFeatureGradient(Relation relation) {
        DenseMatrix sum = null;
        for (Map.Entry<Relation, Relation> e : edgeFeatureSource.entrySet()) {
            Tensor dSlots = edgeFeatureGradients.get(e.getKey());
            if (!e.getValue().equals(relation) || dSlots == null) {
                continue;
            }
            float[] slots = new float[dSlots.rows() * dSlots.cols()];
            backend.download(dSlots, slots);
            DenseMatrix d = EdgeFeatures.edgeGradient(graph.graph(e.getKey()),
                    new DenseMatrix(dSlots.rows(), dSlots.cols(), slots));
            if (sum == null) {
                sum = d;
            } else {
                float[] a = sum.data();
                float[] b = d.data();
                for (int i = 0; i < a.length; i++) {
                    a[i] += b[i];
                }
            }
        }
        if (sum == null) {
            throw new IllegalArgumentException("No gradient of relationship features given for " + relation
                    + " (they need computeInputGradient)");
        }
        return sum;
    }

    private Map<String, Tensor> outputGradients(int layer) {
        Map<String, Tensor> gradients = outputGradients.get(layer);
        if (gradients.isEmpty()) {
            layers[layer].outputs().forEach((type, out) -> gradients.put(type, backend.zeros(out.rows(), out.cols())));
        }
        return gradients;
    }

    private Map<String, Tensor> inputGradients() {
        if (inputGradients.isEmpty()) {
            features.forEach((type, x) -> {
                if (!x.isSparse() && !isLearnedInput(type)) {
                    inputGradients.put(type, backend.zeros(x.rows(), x.cols()));
                }
            });
        }
        return inputGradients;
    }

    /** Whether {@code type}'s input is its learned parameter (not features given to this network). */
    private boolean isLearnedInput(String type) {
        return labelInputs.containsKey(type) || (config.featureless().containsKey(type)
                && features.get(type) == parameters.require(embeddingName(type)).value());
    }

    /** d loss / d features of a node type from the last backward pass (only with computeInputGradient). */
    public Tensor inputGradient(String type) {
        return inputGradients.get(type);
    }

    @Override
    ParameterSet parameterSet() {
        return parameters;
    }

    /** Frees everything this network allocated on its backend (its graphs included; not the features). */
    public void release() {
        if (!sharesParameters) {
            parameters.release();
        }
        for (TypedGatLayer layer : layers) {
            layer.release();
        }
        for (Map<String, Tensor> gradients : outputGradients) {
            gradients.values().forEach(backend::release);
        }
        inputGradients.values().forEach(backend::release);
        graphs.values().forEach(backend::release);
        edgeFeatureSlots.values().forEach(backend::release);
        edgeFeatureGradients.values().forEach(backend::release);
        labelInputs.values().forEach(backend::release);
        labelInputGradients.values().forEach(backend::release);
        if (dLogits != null) {
            backend.release(dLogits);
        }
    }
}
