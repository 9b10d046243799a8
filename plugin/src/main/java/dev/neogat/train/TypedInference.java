package dev.neogat.train;

import dev.neogat.graph.TypedGraph;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a trained typed model, without dropout, on any typed graph with the model's node types, relations and
 * feature widths: the training graph or one built later with more nodes (each node's output depends only on its
 * typed neighbourhood, so nodes added since get predictions too). A node type without features reads its
 * learned input: per label the one vector, for any number of nodes; per node the trained row of each node,
 * given by {@code embeddingRows} (a node unseen in training has none, which is an error).
 */
public final class TypedInference {

    private TypedInference() {
    }

    /**
     * The first layer's input from {@code features}: each node type's rows scaled to sum to 1 when the model
     * normalises features, else the features as given. Every run of a model (training, prediction, explanation)
     * reads its features through this, so nodes added after training see the same scaling.
     */
    public static Map<String, FeatureMatrix> modelInput(TypedGatConfig config, Map<String, FeatureMatrix> features) {
        if (!config.normalizeFeatures()) {
            return features;
        }
        Map<String, FeatureMatrix> normalized = new LinkedHashMap<>();
        features.forEach((type, x) -> normalized.put(type, x.rowNormalized()));
        return normalized;
    }

    /**
     * Fails, naming what differs, unless {@code graph} has exactly the model's node types and relations and
     * {@code features} one matrix per node type with a row per node and the model's width for that type (none for
     * a type whose input the model learned).
     */
    public static void requireInput(TypedGatConfig config, TypedGraph graph, Map<String, FeatureMatrix> features) {
        for (String type : config.nodeTypes()) {
            if (!graph.nodeTypes().contains(type)) {
                throw new IllegalArgumentException("The graph lacks the model's node type '" + type + "'; the model "
                        + "was trained on the node types " + config.nodeTypes() + ", the graph has "
                        + graph.nodeTypes());
            }
        }
        for (String type : graph.nodeTypes()) {
            if (!config.nodeTypes().contains(type)) {
                throw new IllegalArgumentException("The graph has the node type '" + type + "', which the model was "
                        + "not trained on; its node types are " + config.nodeTypes());
            }
        }
        for (Relation r : config.relations()) {
            if (!graph.relations().contains(r)) {
                throw new IllegalArgumentException("The graph lacks the model's relation " + r + "; the model was "
                        + "trained on " + config.relations() + ", the graph has " + graph.relations());
            }
        }
        for (Relation r : graph.relations()) {
            if (!config.relations().contains(r)) {
                throw new IllegalArgumentException("The graph has the relation " + r + ", which the model was not "
                        + "trained on; its relations are " + config.relations());
            }
        }
        for (String type : config.nodeTypes()) {
            FeatureMatrix x = features.get(type);
            if (config.featureless().containsKey(type)) {
                if (x != null) {
                    throw new IllegalArgumentException("There are features for node type '" + type + "', but the "
                            + "model learned its input (it was trained without features for '" + type + "')");
                }
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
                throw new IllegalArgumentException("The model was trained on " + width + " features per '" + type
                        + "' node but these '" + type + "' nodes have " + x.cols());
            }
        }
        for (String type : features.keySet()) {
            if (!config.nodeTypes().contains(type)) {
                throw new IllegalArgumentException("There are features for '" + type + "', which is not a node type "
                        + "of the model " + config.nodeTypes());
            }
        }
    }

    /** For a model without relationship features or per-node learned inputs. */
    public static TypedPrediction run(Backend backend, TypedTrainedModel model, TypedGraph graph,
                                      Map<String, FeatureMatrix> features, Inference.Request request) {
        return run(backend, model.config(), model.weights(), graph, features, Map.of(), Map.of(), request);
    }

    /**
     * {@code embeddingRows}: for each node type with a learned input per node, the trained row of each of the
     * graph's nodes of that type (-1 for a node unseen in training, which is refused).
     */
    public static TypedPrediction run(Backend backend, TypedTrainedModel model, TypedGraph graph,
                                      Map<String, FeatureMatrix> features, Map<String, int[]> embeddingRows,
                                      Inference.Request request) {
        return run(backend, model.config(), model.weights(), graph, features, Map.of(), embeddingRows, request);
    }

    /**
     * {@code relationshipFeatures}: for each relation the model has relationship features for, one row per edge
     * in the order given to the {@link TypedGraph} builder (a relation the graph added by reversing another
     * reads the other's unless given its own).
     */
    public static TypedPrediction run(Backend backend, TypedTrainedModel model, TypedGraph graph,
                                      Map<String, FeatureMatrix> features,
                                      Map<Relation, FeatureMatrix> relationshipFeatures,
                                      Map<String, int[]> embeddingRows, Inference.Request request) {
        return run(backend, model.config(), model.weights(), graph, features, relationshipFeatures, embeddingRows,
                request);
    }

    public static TypedPrediction run(Backend backend, TypedGatConfig config, Weights weights, TypedGraph graph,
                                      Map<String, FeatureMatrix> features, Inference.Request request) {
        return run(backend, config, weights, graph, features, Map.of(), Map.of(), request);
    }

    public static TypedPrediction run(Backend backend, TypedGatConfig config, Weights weights, TypedGraph graph,
                                      Map<String, FeatureMatrix> features,
                                      Map<Relation, FeatureMatrix> relationshipFeatures,
                                      Map<String, int[]> embeddingRows, Inference.Request request) {
        requireInput(config, graph, features);
        requireEmbeddingRows(config, embeddingRows);
        Map<String, FeatureMatrix> input = modelInput(config, features);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        TypedGatNetwork network = null;
        try {
            for (String type : config.nodeTypes()) {
                FeatureMatrix given = input.get(type);
                FeaturelessInput learned = config.featureless().get(type);
                if (learned == null) {
                    inputs.put(type, backend.upload(given));
                } else if (learned.mode() == FeaturelessInput.Mode.NODE) {
                    inputs.put(type, backend.upload(trainedRows(type, weights, graph.nodeCount(type),
                            embeddingRows.get(type))));
                }
            }
            network = new TypedGatNetwork(backend, config, weights, graph, inputs,
                    TypedTrainer.dense(relationshipFeatures), false);
            float[] logits = LayerWiseInference.download(backend, network.forward());
            List<Map<Relation, float[]>> attention = new ArrayList<>();
            List<Map<String, float[]>> embeddings = new ArrayList<>();
            List<Map<String, double[]>> relationWeights = new ArrayList<>();
            for (int l = 0; l < config.layers(); l++) {
                Map<String, double[]> weightsByType = new LinkedHashMap<>();
                for (String type : config.layer(l).outputTypes()) {
                    if (!config.layer(l).relationsInto(type).isEmpty()) {
                        weightsByType.put(type, network.layer(l).relationWeights(type));
                    }
                }
                relationWeights.add(weightsByType);
                if (request.attention()) {
                    Map<Relation, float[]> byRelation = new LinkedHashMap<>();
                    for (Relation r : config.layer(l).activeRelations()) {
                        byRelation.put(r, LayerWiseInference.download(backend, network.attention(l, r)));
                    }
                    attention.add(byRelation);
                }
                if (request.embeddings() && !config.isOutputLayer(l)) {
                    Map<String, float[]> byType = new LinkedHashMap<>();
                    for (Map.Entry<String, Tensor> out : network.layer(l).outputs().entrySet()) {
                        byType.put(out.getKey(), LayerWiseInference.download(backend, out.getValue()));
                    }
                    embeddings.add(byType);
                }
            }
            return new TypedPrediction(config, graph, logits, attention, embeddings, relationWeights);
        } finally {
            if (network != null) {
                network.release();
            }
            inputs.values().forEach(backend::release);
        }
    }

    /** Fails unless every node type given trained rows learns its input per node. */
    static void requireEmbeddingRows(TypedGatConfig config, Map<String, int[]> embeddingRows) {
        for (String type : embeddingRows.keySet()) {
            FeaturelessInput learned = config.featureless().get(type);
            if (learned == null || learned.mode() != FeaturelessInput.Mode.NODE) {
                throw new IllegalArgumentException("Trained rows are given for node type '" + type + "', which has no "
                        + "learned input per node in this model");
            }
        }
    }

    /** The trained input row of each of the graph's {@code nodes} nodes of a per-node featureless type. */
    public static DenseMatrix trainedRows(String type, Weights weights, int nodes, int[] rows) {
        requireTrainedRows(type, weights, nodes, rows);
        return trainedRows(type, weights, rows, 0, nodes);
    }

    /** The trained input rows of the nodes [start, end) of a per-node featureless type, checked by {@link #requireTrainedRows}. */
    static DenseMatrix trainedRows(String type, Weights weights, int[] rows, int start, int end) {
        DenseMatrix table = weights.get(TypedGatNetwork.embeddingName(type));
        int width = table.cols();
        float[] gathered = new float[Math.multiplyExact(end - start, width)];
        for (int i = start; i < end; i++) {
            System.arraycopy(table.data(), rows[i] * width, gathered, (i - start) * width, width);
        }
        return new DenseMatrix(end - start, width, gathered);
    }

    /** Fails unless {@code rows} gives a trained row of the table for each of the {@code nodes} nodes of {@code type}. */
    static void requireTrainedRows(String type, Weights weights, int nodes, int[] rows) {
        if (rows == null) {
            throw new IllegalArgumentException("Node type '" + type + "' has a learned input per node (the model was "
                    + "trained with featurelessNodes 'node'): give the trained row of each of its nodes");
        }
        if (rows.length != nodes) {
            throw new IllegalArgumentException("Node type '" + type + "' has " + nodes + " nodes but " + rows.length
                    + " trained rows are given");
        }
        DenseMatrix table = weights.get(TypedGatNetwork.embeddingName(type));
        for (int i = 0; i < nodes; i++) {
            int row = rows[i];
            if (row == -1) {
                throw new IllegalArgumentException("Node " + i + " of node type '" + type + "' was not in the training "
                        + "graph, and the model was trained with featurelessNodes 'node', which learns an input only "
                        + "for the nodes it was trained on; retrain, or use featurelessNodes 'label' to predict nodes "
                        + "added later");
            }
            if (row < 0 || row >= table.rows()) {
                throw new IllegalArgumentException("Node " + i + " of node type '" + type + "' has the trained row "
                        + row + ", outside [0, " + table.rows() + ")");
            }
        }
    }
}
