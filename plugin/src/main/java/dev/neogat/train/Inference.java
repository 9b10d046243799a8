package dev.neogat.train;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a trained model, without dropout, on any graph whose nodes have features of the model's width:
 * the training graph or one with nodes added since (a GAT is inductive: a node's output depends only on
 * its neighbourhood). Only what is asked for comes back from the backend.
 */
public final class Inference {

    /** What to bring back besides the logits. */
    public record Request(boolean attention, boolean embeddings) {
        public static final Request LOGITS_ONLY = new Request(false, false);
        public static final Request EVERYTHING = new Request(true, true);
    }

    private Inference() {
    }

    /** Fails unless {@code features} has one row per node of {@code graph} and the model's input width. */
    public static void requireInput(GatConfig config, IncomingCsr graph, FeatureMatrix features) {
        if (features.rows() != graph.nodeCount()) {
            throw new IllegalArgumentException("There are " + features.rows() + " feature rows for "
                    + graph.nodeCount() + " nodes");
        }
        if (features.cols() != config.inputDim()) {
            throw new IllegalArgumentException("The model was trained on " + config.inputDim()
                    + " features per node but these nodes have " + features.cols());
        }
    }

    public static Prediction run(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                                 Request request) {
        return run(backend, model, graph, features, null, request);
    }

    /**
     * With relationship features for a model that attends over them: one row per edge given to the graph
     * builder, in that order (null for none).
     */
    public static Prediction run(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                                 DenseMatrix relationshipFeatures, Request request) {
        EdgeFeatures.requireFits(model.config().edgeDim(), graph, relationshipFeatures);
        return onSlots(backend, model, graph, features,
                relationshipFeatures == null ? null : EdgeFeatures.perSlot(graph, relationshipFeatures), request);
    }

    /**
     * With relationship features given per attention slot of {@code graph} ([slots, edgeDim], self loops filled
     * already; null for none), as a sampled neighbourhood carries them from its whole graph.
     */
    public static Prediction onSlots(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                                     DenseMatrix slotFeatures, Request request) {
        GatConfig config = model.config();
        requireInput(config, graph, features);
        int given = slotFeatures == null ? 0 : slotFeatures.cols();
        if (given != config.edgeDim() || (slotFeatures != null && slotFeatures.rows() != graph.slotCount())) {
            throw new IllegalArgumentException("The model attends over " + config.edgeDim() + " relationship "
                    + "features per slot but " + (slotFeatures == null ? "none were given" : slotFeatures.rows()
                    + " rows of " + given + " were given for " + graph.slotCount() + " slots"));
        }
        FeatureMatrix input = config.normalizeFeatures() ? features.rowNormalized() : features;
        GraphTensor graphTensor = backend.upload(graph);
        Tensor featureTensor = backend.upload(input);
        Tensor edgeFeatures = slotFeatures == null ? null : backend.upload(slotFeatures);
        GatNetwork network = null;
        try {
            network = new GatNetwork(backend, config, model.weights(), graphTensor, featureTensor, edgeFeatures,
                    false);
            network.forward();
            float[] logits = download(backend, network.logits());
            List<float[]> attention = new ArrayList<>();
            List<float[]> embeddings = new ArrayList<>();
            for (int l = 0; l < config.layerCount(); l++) {
                if (request.attention()) {
                    attention.add(download(backend, network.attention(l)));
                }
                if (request.embeddings() && !config.isOutputLayer(l)) {
                    embeddings.add(download(backend, network.layerOutput(l)));
                }
            }
            return new Prediction(config, graph, logits, attention, embeddings);
        } finally {
            if (network != null) {
                network.release();
            }
            backend.release(featureTensor);
            if (edgeFeatures != null) {
                backend.release(edgeFeatures);
            }
            backend.release(graphTensor);
        }
    }

    private static float[] download(Backend backend, Tensor tensor) {
        float[] values = new float[Math.multiplyExact(tensor.rows(), tensor.cols())];
        backend.download(tensor, values);
        return values;
    }
}
