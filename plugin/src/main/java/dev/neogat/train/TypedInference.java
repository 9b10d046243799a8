package dev.neogat.train;

import dev.neogat.graph.TypedGraph;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a trained typed model, without dropout, on any typed graph with the model's node types, relations and
 * feature widths: the training graph or one built later with more nodes (each node's output depends only on its
 * typed neighbourhood, so nodes added since get predictions too).
 */
public final class TypedInference {

    private TypedInference() {
    }

    /**
     * Fails, naming what differs, unless {@code graph} has exactly the model's node types and relations and
     * {@code features} one matrix per node type with a row per node and the model's width for that type.
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

    public static TypedPrediction run(Backend backend, TypedTrainedModel model, TypedGraph graph,
                                      Map<String, FeatureMatrix> features, Inference.Request request) {
        return run(backend, model.config(), model.weights(), graph, features, request);
    }

    public static TypedPrediction run(Backend backend, TypedGatConfig config, Weights weights, TypedGraph graph,
                                      Map<String, FeatureMatrix> features, Inference.Request request) {
        requireInput(config, graph, features);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        TypedGatNetwork network = null;
        try {
            for (String type : config.nodeTypes()) {
                inputs.put(type, backend.upload(features.get(type)));
            }
            network = new TypedGatNetwork(backend, config, weights, graph, inputs, false);
            float[] logits = download(backend, network.forward());
            List<Map<Relation, float[]>> attention = new ArrayList<>();
            List<Map<String, float[]>> embeddings = new ArrayList<>();
            for (int l = 0; l < config.layers(); l++) {
                if (request.attention()) {
                    Map<Relation, float[]> byRelation = new LinkedHashMap<>();
                    for (Relation r : config.layer(l).activeRelations()) {
                        byRelation.put(r, download(backend, network.attention(l, r)));
                    }
                    attention.add(byRelation);
                }
                if (request.embeddings() && !config.isOutputLayer(l)) {
                    Map<String, float[]> byType = new LinkedHashMap<>();
                    for (Map.Entry<String, Tensor> out : network.layer(l).outputs().entrySet()) {
                        byType.put(out.getKey(), download(backend, out.getValue()));
                    }
                    embeddings.add(byType);
                }
            }
            return new TypedPrediction(config, graph, logits, attention, embeddings);
        } finally {
            if (network != null) {
                network.release();
            }
            inputs.values().forEach(backend::release);
        }
    }

    private static float[] download(Backend backend, Tensor tensor) {
        float[] values = new float[Math.multiplyExact(tensor.rows(), tensor.cols())];
        backend.download(tensor, values);
        return values;
    }
}
