package dev.neogat.analysis;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.TypedInference;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A typed model on one node's {@link TypedNeighbourhood}. Flow weights: in a typed layer a node's output combines
 * its relations' outputs, {@code Σ_r w_r z_r} with {@code w_r} 1 for 'sum', 1/R for 'mean' and β_r for
 * 'attention', each {@code z_r} a softmax-weighted sum over the node's slots of that relation; so a slot's flow
 * weight is its attention times {@code w_r / Σ_s w_s}, the sum over the relations that bring the node any message.
 * Flows over several relations add; with 'sum' and 'mean' each relation that reaches a node has an equal share of
 * it, with 'attention' a share in proportion to β (read from the forward pass); and, as in the untyped flow, the
 * weights into every node that receives messages sum to 1. A label without relations into it (a skip projection)
 * passes no flow on.
 *
 * <p>Semantic attention's β is a mean over every node of a label, not a function of the neighbourhood: every run
 * here holds β at the whole graph's values ({@code relationWeights}, from the whole graph's forward pass), which
 * gives the target exactly its whole-graph output. Occlusion and the feature gradient keep β there: removing one
 * relationship moves the whole graph's β by a term of order 1/(nodes of the label), which they leave out.
 */
final class TypedLocalModel implements LocalModel {

    private final TypedTrainedModel model;
    private final TypedGatConfig config;
    private final TypedNeighbourhood neighbourhood;
    /** The neighbourhood's rows of each label that has features. */
    private final Map<String, FeatureMatrix> features;
    /** The trained input rows of the neighbourhood's nodes of each label with a learned input per node. */
    private final Map<String, DenseMatrix> learnedRows = new LinkedHashMap<>();
    /** The whole graph's relationship features per declared relation, one row per edge. */
    private final Map<Relation, ? extends FeatureMatrix> relationshipFeatures;
    /** Per layer, β of each label's relations in the whole graph; null unless relationAggregation is 'attention'. */
    private final List<Map<String, double[]>> heldWeights;

    TypedLocalModel(TypedTrainedModel model, TypedNeighbourhood neighbourhood, Map<String, FeatureMatrix> features,
                    Map<Relation, ? extends FeatureMatrix> relationshipFeatures, Map<String, int[]> embeddingRows,
                    List<Map<String, double[]>> relationWeights) {
        this.model = model;
        this.config = model.config();
        this.neighbourhood = neighbourhood;
        // Row scaling is per node, so scaling the neighbourhood's rows equals scaling the whole graph's.
        this.features = TypedInference.modelInput(config, neighbourhood.features(features));
        this.relationshipFeatures = relationshipFeatures;
        this.heldWeights = config.aggregation() == RelationAggregation.ATTENTION ? relationWeights : null;
        config.featureless().forEach((type, input) -> {
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                int[] whole = embeddingRows.get(type);
                int[] nodes = neighbourhood.typeNodes(type);
                int[] rows = new int[nodes.length];
                for (int i = 0; i < nodes.length; i++) {
                    rows[i] = whole == null ? -1 : whole[nodes[i]];
                }
                learnedRows.put(type, TypedInference.trainedRows(type, model.weights(), nodes.length,
                        whole == null ? null : rows));
            }
        });
    }

    @Override
    public LocalGraph neighbourhood() {
        return neighbourhood;
    }

    @Override
    public int layerCount() {
        return config.layers();
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
        TypedGraph graph = neighbourhood.build(null);
        Map<String, Tensor> inputs = inputs(backend, false);
        TypedGatNetwork network = null;
        try {
            network = network(backend, graph, inputs, null, false);
            network.forward();
            float[] logits = PredictionExplainer.targetRow(backend, network.logits());
            int slots = neighbourhood.slotCount();
            double[][] flowWeights = new double[config.layers()][slots];
            for (int l = 0; l < config.layers(); l++) {
                int heads = config.layer(l).heads();
                double[] attention = new double[slots];
                double[] relationWeight = new double[slots];
                for (Relation r : config.layer(l).activeRelations()) {
                    float[] values = PredictionExplainer.download(backend, network.attention(l, r));
                    IncomingCsr csr = graph.graph(r);
                    List<Relation> into = config.layer(l).relationsInto(r.targetType());
                    double weight = network.layer(l).relationWeights(r.targetType())[into.indexOf(r)];
                    for (int k = 0; k < slots; k++) {
                        if (neighbourhood.slotRelation(k).equals(r)) {
                            attention[k] = PredictionExplainer.headAttention(values,
                                    csr.slotOfEdge(neighbourhood.slotPosition(k)), heads, head);
                            relationWeight[k] = weight;
                        }
                    }
                }
                // Σ_s w_s over the relations that bring each node a message, each relation counted once per node:
                // a node's slots of one relation are listed together.
                double[] total = new double[neighbourhood.nodeCount()];
                for (int k = 0; k < slots; k++) {
                    boolean firstOfRelation = k == 0 || neighbourhood.slotTarget(k - 1) != neighbourhood.slotTarget(k)
                            || !neighbourhood.slotRelation(k - 1).equals(neighbourhood.slotRelation(k));
                    if (firstOfRelation) {
                        total[neighbourhood.slotTarget(k)] += relationWeight[k];
                    }
                }
                for (int k = 0; k < slots; k++) {
                    double sum = total[neighbourhood.slotTarget(k)];
                    flowWeights[l][k] = sum == 0 ? 0 : attention[k] * relationWeight[k] / sum;
                }
            }
            return new BaseRun(logits, flowWeights);
        } finally {
            if (network != null) {
                network.release();
            }
            inputs.values().forEach(backend::release);
        }
    }

    @Override
    public float[] logitsWithout(Backend runner, boolean[] removed) {
        Map<String, Tensor> inputs = inputs(runner, false);
        TypedGatNetwork network = null;
        try {
            network = network(runner, neighbourhood.build(removed), inputs, removed, false);
            network.forward();
            return PredictionExplainer.targetRow(runner, network.logits());
        } finally {
            if (network != null) {
                network.release();
            }
            inputs.values().forEach(runner::release);
        }
    }

    @Override
    public double[][] attribution(Backend backend, float[] dTargetLogits) {
        Map<String, Tensor> inputs = inputs(backend, true);
        TypedGatNetwork network = null;
        Tensor dLogitsTensor = null;
        try {
            network = network(backend, neighbourhood.build(null), inputs, null, true);
            Tensor logits = network.forward();
            float[] dLogits = new float[Math.multiplyExact(logits.rows(), logits.cols())];
            System.arraycopy(dTargetLogits, 0, dLogits, 0, config.classCount());
            dLogitsTensor = backend.upload(dLogits, logits.rows(), logits.cols());
            network.backward(dLogitsTensor);
            double[][] attribution = new double[neighbourhood.nodeCount()][];
            Map<String, float[]> gradients = new LinkedHashMap<>();
            for (String type : features.keySet()) {
                gradients.put(type, PredictionExplainer.download(backend, network.inputGradient(type)));
            }
            for (int v = 0; v < attribution.length; v++) {
                String type = neighbourhood.type(v);
                float[] gradient = gradients.get(type);
                if (gradient == null) {
                    attribution[v] = new double[0];
                    continue;
                }
                int cols = features.get(type).cols();
                float[] row = inputRow(v);
                int offset = neighbourhood.typeLocal(v) * cols;
                attribution[v] = new double[cols];
                for (int f = 0; f < cols; f++) {
                    attribution[v][f] = (double) gradient[offset + f] * row[f];
                }
            }
            return attribution;
        } finally {
            if (network != null) {
                network.release();
            }
            if (dLogitsTensor != null) {
                backend.release(dLogitsTensor);
            }
            inputs.values().forEach(backend::release);
        }
    }

    @Override
    public float[] inputRow(int local) {
        FeatureMatrix x = features.get(neighbourhood.type(local));
        return x == null ? new float[0] : Neighbourhood.row(x, neighbourhood.typeLocal(local));
    }

    /** The inputs of every label but those learned per label (the network broadcasts those); dense for a gradient. */
    private Map<String, Tensor> inputs(Backend backend, boolean dense) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        features.forEach((type, x) -> inputs.put(type, dense && x instanceof SparseMatrix sparse
                ? backend.upload(sparse.toDense(), x.rows(), x.cols()) : backend.upload(x)));
        learnedRows.forEach((type, rows) -> inputs.put(type, backend.upload(rows)));
        return inputs;
    }

    private TypedGatNetwork network(Backend backend, TypedGraph graph, Map<String, Tensor> inputs, boolean[] removed,
                                    boolean inputGradient) {
        TypedGatNetwork network = new TypedGatNetwork(backend, config, model.weights(), graph, inputs,
                neighbourhood.slotFeatures(relationshipFeatures, removed), inputGradient);
        if (heldWeights != null) {
            for (int l = 0; l < config.layers(); l++) {
                int layer = l;
                heldWeights.get(l).forEach((type, weights) -> network.layer(layer).holdRelationWeights(type, weights));
            }
        }
        return network;
    }
}
