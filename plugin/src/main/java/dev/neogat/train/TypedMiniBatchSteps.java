package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.graph.TypedNeighbourSampler;
import dev.neogat.graph.TypedSampledSubgraph;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The epoch of a typed mini-batch training, as {@link MiniBatchSteps} for an untyped one: the target type's
 * training nodes in an order drawn from (seed, epoch), {@code batchSize} at a time; each batch's typed computation
 * graph sampled by {@link TypedNeighbourSampler} with draws keyed by (seed, epoch, batch), its feature rows, its
 * relationship features per slot as the whole graph has them (a self loop's the mean of its node's incoming ones
 * over the whole graph) and its labels prepared on the pipeline's threads; on the calling thread, in batch order,
 * a training forward pass over the batch graph with the parameters of the whole graph's network, the loss on the
 * batch nodes, its exact gradients and one Adam step. A type that learns one input per node keeps all its nodes
 * in every batch, so the batch reads and trains its parameter rows directly.
 */
final class TypedMiniBatchSteps {

    private final Backend backend;
    private final TypedGatNetwork parameters;
    private final TypedTrainingData data;
    private final TypedGatConfig config;
    private final MiniBatchConfig miniBatch;
    private final long seed;
    private final TypedNeighbourSampler sampler;
    private final BatchPipeline pipeline;
    /** Per relation with relationship features, one row per whole-graph slot. */
    private final Map<Relation, DenseMatrix> slotFeatures = new LinkedHashMap<>();

    /** A batch ready to run: its graph, feature rows per type, relationship features per edge, labels. */
    private record PreparedBatch(TypedSampledSubgraph subgraph, Map<String, FeatureMatrix> features,
                                 Map<Relation, DenseMatrix> edgeFeatures, NodeLabels labels) {
    }

    TypedMiniBatchSteps(Backend backend, TypedGatNetwork parameters, TypedTrainingData data, TypedGatConfig config,
                        MiniBatchConfig miniBatch, long seed, int workers) {
        miniBatch.requireLayers(config.layers());
        this.backend = backend;
        this.parameters = parameters;
        this.data = data;
        this.config = config;
        this.miniBatch = miniBatch;
        this.seed = seed;
        Set<String> wholeTypes = new LinkedHashSet<>();
        config.featureless().forEach((type, input) -> {
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                wholeTypes.add(type);
            }
        });
        this.sampler = new TypedNeighbourSampler(data.graph(), miniBatch.fanouts(), seed, wholeTypes);
        TypedGraph graph = data.graph();
        Map<Relation, DenseMatrix> perEdge = TypedTrainer.dense(data.relationshipFeatures());
        for (Relation r : config.relations()) {
            Relation reads = perEdge.containsKey(r) || graph.reversedFrom(r) == null ? r : graph.reversedFrom(r);
            if (config.edgeDim(r) > 0 && perEdge.containsKey(reads)) {
                slotFeatures.put(r, EdgeFeatures.perSlot(graph.graph(r), perEdge.get(reads)));
            }
        }
        // Batches read the heap, which every thread may read at once: there is no reader to open.
        this.pipeline = new BatchPipeline(null, () -> null, workers);
    }

    /** Trains one epoch (1-based); returns the mean training loss over its batches, weighted by batch size. */
    double epoch(int epoch, AdamSettings adam, TerminationFlag termination) {
        int[] order = MiniBatchSteps.shuffled(data.split().train(), seed, epoch);
        int batchSize = miniBatch.batchSize();
        int batches = (order.length + batchSize - 1) / batchSize;
        double[] weightedLoss = {0};
        pipeline.run(batches, termination, (reader, batch) -> {
            int start = batch * batchSize;
            return prepare(Arrays.copyOfRange(order, start, Math.min(order.length, start + batchSize)), epoch, batch);
        }, (batch, prepared) -> {
            double loss = step(prepared, adam);
            if (!Double.isFinite(loss)) {
                throw new TrainingDivergedException("Training diverged at epoch " + epoch + ", batch " + (batch + 1)
                        + ": the loss is " + loss + "; try a lower learningRate");
            }
            weightedLoss[0] += loss * prepared.subgraph().batchLocals().length;
        });
        return weightedLoss[0] / order.length;
    }

    private PreparedBatch prepare(int[] batchNodes, int epoch, int batch) {
        TypedSampledSubgraph subgraph = sampler.sample(config.targetType(), batchNodes, epoch, batch);
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        data.features().forEach((type, x) -> features.put(type, MiniBatchSteps.rows(x, subgraph.wholeNodes().get(type))));
        Map<Relation, DenseMatrix> edgeFeatures = new LinkedHashMap<>();
        slotFeatures.forEach((relation, whole) -> {
            IncomingCsr csr = subgraph.graph().graph(relation);
            int[] wholeSlots = subgraph.wholeSlots().get(relation);
            int[] rows = new int[csr.originalEdgeCount()];
            for (int e = 0; e < rows.length; e++) {
                rows[e] = wholeSlots[csr.slotOfEdge(e)];
            }
            edgeFeatures.put(relation, (DenseMatrix) MiniBatchSteps.rows(whole, rows));
        });
        return new PreparedBatch(subgraph, features, edgeFeatures,
                labelsOf(data.labels(), subgraph.wholeNodes().get(config.targetType())));
    }

    private double step(PreparedBatch prepared, AdamSettings adam) {
        TypedSampledSubgraph batch = prepared.subgraph();
        List<Object> resources = new ArrayList<>();
        TypedGatNetwork network = null;
        try {
            Map<String, Tensor> features = new LinkedHashMap<>();
            prepared.features().forEach((type, x) -> {
                Tensor uploaded = backend.upload(x);
                resources.add(uploaded);
                features.put(type, uploaded);
            });
            Targets targets = backend.upload(prepared.labels(), batch.batchLocals());
            resources.add(targets);
            network = parameters.sharingParameters(batch, features, prepared.edgeFeatures());
            // The step number keys dropout as the full-batch trainer's epoch does: one batch per epoch is that.
            network.forward(true, seed, parameters.adamSteps() + 1L);
            double loss = network.lossAndGradients(targets);
            if (Double.isFinite(loss)) {
                network.adamStep(adam);
            }
            return loss;
        } finally {
            if (network != null) {
                network.release();
            }
            resources.forEach(backend::release);
        }
    }

    /** The labels of {@code wholeNodes} (target-type indices) in their order; unlabelled ones stay without. */
    static NodeLabels labelsOf(NodeLabels labels, int[] wholeNodes) {
        int classCount = labels.classCount();
        if (!labels.isMultiLabel()) {
            int[] classOf = new int[wholeNodes.length];
            for (int i = 0; i < wholeNodes.length; i++) {
                classOf[i] = labels.classOf(wholeNodes[i]);
            }
            return NodeLabels.singleLabel(classOf, classCount);
        }
        byte[] memberships = new byte[Math.multiplyExact(wholeNodes.length, classCount)];
        boolean[] labeled = new boolean[wholeNodes.length];
        for (int i = 0; i < wholeNodes.length; i++) {
            labeled[i] = labels.hasLabel(wholeNodes[i]);
            System.arraycopy(labels.memberships(), wholeNodes[i] * classCount, memberships, i * classCount,
                    classCount);
        }
        return NodeLabels.multiLabel(classCount, memberships, labeled);
    }
}
