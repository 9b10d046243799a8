package dev.neogat.analysis;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.spec.GatConfig;

/**
 * An untyped model on one node's {@link Neighbourhood}: one attention per layer over every slot, so a slot's flow
 * weight is its attention; features after the model's row normalisation.
 */
final class UntypedLocalModel implements LocalModel {

    private final GatConfig config;
    private final TrainedModel model;
    private final Neighbourhood neighbourhood;
    private final FeatureMatrix features;
    /** The whole graph's relationship features, one row per edge; null for a model without. */
    private final DenseMatrix relationshipFeatures;

    UntypedLocalModel(TrainedModel model, Neighbourhood neighbourhood, FeatureMatrix features,
                      DenseMatrix relationshipFeatures) {
        this.config = model.config();
        this.model = model;
        this.neighbourhood = neighbourhood;
        this.features = features;
        this.relationshipFeatures = relationshipFeatures;
    }

    @Override
    public LocalGraph neighbourhood() {
        return neighbourhood;
    }

    @Override
    public int layerCount() {
        return config.layerCount();
    }

    @Override
    public int classCount() {
        return config.classCount();
    }

    @Override
    public boolean multiLabel() {
        return config.multiLabel();
    }

    @Override
    public BaseRun base(Backend backend, int head) {
        IncomingCsr subgraph = neighbourhood.build(null);
        Tensor featureTensor = backend.upload(features);
        GraphTensor graphTensor = backend.upload(subgraph);
        Tensor edgeTensor = EdgeFeatures.upload(backend, subgraph, keptRows(null));
        GatNetwork network = null;
        try {
            network = new GatNetwork(backend, config, model.weights(), graphTensor, featureTensor, edgeTensor, false);
            network.forward();
            float[] logits = PredictionExplainer.targetRow(backend, network.logits());
            double[][] attention = new double[config.layerCount()][neighbourhood.slotCount()];
            for (int l = 0; l < config.layerCount(); l++) {
                int heads = config.heads(l);
                float[] values = PredictionExplainer.download(backend, network.attention(l));
                for (int k = 0; k < neighbourhood.slotCount(); k++) {
                    attention[l][k] = PredictionExplainer.headAttention(values, subgraph.slotOfEdge(k), heads, head);
                }
            }
            return new BaseRun(logits, attention);
        } finally {
            if (network != null) {
                network.release();
            }
            PredictionExplainer.release(backend, edgeTensor);
            backend.release(graphTensor);
            backend.release(featureTensor);
        }
    }

    @Override
    public float[] logitsWithout(Backend runner, boolean[] removed) {
        Tensor featureTensor = runner.upload(features);
        IncomingCsr subgraph = neighbourhood.build(removed);
        GraphTensor graphTensor = runner.upload(subgraph);
        Tensor edgeTensor = EdgeFeatures.upload(runner, subgraph, keptRows(removed));
        GatNetwork network = null;
        try {
            network = new GatNetwork(runner, config, model.weights(), graphTensor, featureTensor, edgeTensor, false);
            network.forward();
            return PredictionExplainer.targetRow(runner, network.logits());
        } finally {
            if (network != null) {
                network.release();
            }
            PredictionExplainer.release(runner, edgeTensor);
            runner.release(graphTensor);
            runner.release(featureTensor);
        }
    }

    @Override
    public double[][] attribution(Backend backend, float[] dTargetLogits) {
        int n = neighbourhood.nodeCount();
        int cols = features.cols();
        float[] dense = features instanceof SparseMatrix sparse ? sparse.toDense() : ((DenseMatrix) features).data();
        float[] dLogits = new float[n * config.classCount()];
        System.arraycopy(dTargetLogits, 0, dLogits, 0, config.classCount());
        Tensor featureTensor = backend.upload(dense, n, cols);
        IncomingCsr subgraph = neighbourhood.build(null);
        GraphTensor graphTensor = backend.upload(subgraph);
        Tensor edgeTensor = EdgeFeatures.upload(backend, subgraph, keptRows(null));
        Tensor dLogitsTensor = backend.upload(dLogits, n, config.classCount());
        GatNetwork network = null;
        try {
            network = new GatNetwork(backend, config, model.weights(), graphTensor, featureTensor, edgeTensor, true);
            network.forward();
            network.backward(dLogitsTensor);
            float[] gradient = PredictionExplainer.download(backend, network.inputGradient());
            double[][] attribution = new double[n][cols];
            for (int v = 0; v < n; v++) {
                for (int f = 0; f < cols; f++) {
                    attribution[v][f] = (double) gradient[v * cols + f] * dense[v * cols + f];
                }
            }
            return attribution;
        } finally {
            if (network != null) {
                network.release();
            }
            backend.release(dLogitsTensor);
            PredictionExplainer.release(backend, edgeTensor);
            backend.release(graphTensor);
            backend.release(featureTensor);
        }
    }

    @Override
    public float[] inputRow(int local) {
        return Neighbourhood.row(features, local);
    }

    /** The relationship features of the edges of the neighbourhood without {@code removed}; null without. */
    private DenseMatrix keptRows(boolean[] removed) {
        return relationshipFeatures == null ? null : neighbourhood.slotFeatures(relationshipFeatures, removed);
    }
}
