package dev.neogat.train;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;

import java.util.List;
import java.util.Map;

/**
 * What a typed model gives on a typed graph: the logits of the target type's nodes (indexed within that type),
 * optionally the attention of each layer's relations ([slots, heads] in the relation's slot order) and the
 * embeddings of each node type after each hidden layer ([nodes of the type, width]).
 */
public final class TypedPrediction {

    /**
     * Where an attention slot came from: edge {@code edge} of the declared relation {@code relation} (as given to
     * {@link TypedGraph.Builder#relation}), read backwards when {@code reversed}; {@code edge} is
     * {@link IncomingCsr#ADDED_SELF_LOOP} for an added self loop.
     */
    public record StoredEdge(Relation relation, int edge, boolean reversed) {

        public boolean isSelfLoop() {
            return edge == IncomingCsr.ADDED_SELF_LOOP;
        }
    }

    private final TypedGatConfig config;
    private final TypedGraph graph;
    private final float[] logits;
    private final List<Map<Relation, float[]>> attention;
    private final List<Map<String, float[]>> embeddings;
    private final List<Map<String, double[]>> relationWeights;

    TypedPrediction(TypedGatConfig config, TypedGraph graph, float[] logits, List<Map<Relation, float[]>> attention,
                    List<Map<String, float[]>> embeddings, List<Map<String, double[]>> relationWeights) {
        this.config = config;
        this.graph = graph;
        this.logits = logits;
        this.attention = attention;
        this.embeddings = embeddings;
        this.relationWeights = relationWeights;
    }

    /**
     * The weight of each relation into {@code type} at {@code layer} in this run, in {@link
     * dev.neogat.spec.TypedLayerSpec#relationsInto(String)} order: 1 for sum, 1/R for mean, β for semantic attention.
     */
    public double[] relationWeights(int layer, String type) {
        double[] weights = relationWeights.get(checkedLayer(layer)).get(type);
        if (weights == null) {
            throw new IllegalArgumentException("No relation points into '" + type + "' at layer " + layer);
        }
        return weights.clone();
    }

    public TypedGatConfig config() {
        return config;
    }

    public TypedGraph graph() {
        return graph;
    }

    public String targetType() {
        return config.targetType();
    }

    /** Nodes of the target type. */
    public int nodeCount() {
        return graph.nodeCount(config.targetType());
    }

    public int classCount() {
        return config.classCount();
    }

    /** [target nodes, classes], row-major. */
    public float[] logits() {
        return logits;
    }

    /** The class with the highest score (ties: the lowest class). */
    public int predictedClass(int node) {
        return Prediction.predictedClass(logits, checkedNode(node) * config.classCount(), config.classCount());
    }

    /** Softmax of the scores, or per-class sigmoids for a multi-label model. */
    public double[] probabilities(int node) {
        return Prediction.probabilities(logits, checkedNode(node) * config.classCount(), config.classCount(),
                config.multiLabel());
    }

    public boolean hasAttention() {
        return !attention.isEmpty();
    }

    /** The relations layer {@code layer} attends over (the last layer: only those into the target type). */
    public List<Relation> relations(int layer) {
        return config.layer(layer).activeRelations();
    }

    public int heads(int layer) {
        return config.layer(layer).heads();
    }

    /** Attention [slots, heads] of {@code relation} at {@code layer}, in the relation's slot order. */
    public float[] attention(int layer, Relation relation) {
        if (attention.isEmpty()) {
            throw new IllegalStateException("The attention was not requested");
        }
        float[] values = attention.get(checkedLayer(layer)).get(relation);
        if (values == null) {
            throw new IllegalArgumentException("Layer " + layer + " has no attention over " + relation
                    + "; it attends over " + relations(layer));
        }
        return values;
    }

    public float attention(int layer, Relation relation, int slot, int head) {
        return attention(layer, relation)[slot * heads(layer) + head];
    }

    /** The stored edge behind {@code slot} of {@code relation}: a rev_ relation's slots map to their declared one. */
    public StoredEdge storedEdge(Relation relation, int slot) {
        IncomingCsr csr = graph.graph(relation);
        Relation declared = graph.reversedFrom(relation);
        boolean reversed = csr.isReversed(slot);
        return declared == null ? new StoredEdge(relation, csr.originalEdge(slot), reversed)
                : new StoredEdge(declared, csr.originalEdge(slot), !reversed);
    }

    public boolean hasEmbeddings() {
        return !embeddings.isEmpty();
    }

    /** Output [nodes of the type, width] of {@code type} after hidden layer {@code layer} (not the last layer). */
    public float[] embeddings(int layer, String type) {
        if (embeddings.isEmpty()) {
            throw new IllegalStateException("The embeddings were not requested");
        }
        if (layer < 0 || layer >= embeddings.size()) {
            throw new IllegalArgumentException("Layer " + layer + " is not a hidden layer; the hidden layers are 0.."
                    + (embeddings.size() - 1));
        }
        float[] values = embeddings.get(layer).get(type);
        if (values == null) {
            throw new IllegalArgumentException("Unknown node type '" + type + "'; the node types are "
                    + config.nodeTypes());
        }
        return values;
    }

    /** Width of each node's embedding after hidden layer {@code layer}. */
    public int embeddingWidth(int layer) {
        return config.layer(layer).outputDim();
    }

    private int checkedNode(int node) {
        if (node < 0 || node >= nodeCount()) {
            throw new IllegalArgumentException("Node " + node + " outside the " + nodeCount() + " nodes of '"
                    + targetType() + "'");
        }
        return node;
    }

    private int checkedLayer(int layer) {
        if (layer < 0 || layer >= config.layers()) {
            throw new IllegalArgumentException("Layer " + layer + " outside [0, " + config.layers() + ")");
        }
        return layer;
    }
}
