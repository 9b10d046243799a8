package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.graph.TypedNeighbourSource;
import dev.neogat.graph.TypedNeighbourSampler;
import dev.neogat.graph.TypedSampledSubgraph;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.MetricCounts;
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
 * in every batch, so the batch reads and trains its parameter rows directly. Batches are read through the
 * pipeline's {@link TypedBatchReader}s: the in-heap graph shared by every thread, or a store's reader per thread
 * ({@link TypedSampledTrainer}); sources that number nodes and slots alike give the same batches.
 */
final class TypedMiniBatchSteps {

    private final Backend backend;
    private final TypedGatNetwork parameters;
    private final NodeLabels labels;
    private final int[] trainNodes;
    private final TypedGatConfig config;
    private final MiniBatchConfig miniBatch;
    private final long seed;
    private final Set<String> wholeTypes;
    private final BatchPipeline<TypedBatchReader> pipeline;
    /** Per relation with relationship features, one row per whole-graph slot. */
    private final Map<Relation, DenseMatrix> slotFeatures = new LinkedHashMap<>();
    private MetricCounts epochMetrics;

    /** A batch ready to run: its graph, feature rows per type, relationship features per edge, labels. */
    record PreparedBatch(TypedSampledSubgraph subgraph, Map<String, FeatureMatrix> features,
                         Map<Relation, DenseMatrix> edgeFeatures, NodeLabels labels) {
    }

    /** Over an in-heap typed graph, which every one of {@code workers} threads reads at once. */
    TypedMiniBatchSteps(Backend backend, TypedGatNetwork parameters, TypedTrainingData data, TypedGatConfig config,
                        MiniBatchConfig miniBatch, long seed, int workers) {
        this(backend, parameters, inHeap(data, workers), data.labels(), data.split().train(), config, miniBatch, seed);
        TypedGraph graph = data.graph();
        Map<Relation, DenseMatrix> perEdge = TypedTrainer.dense(data.relationshipFeatures());
        for (Relation r : config.relations()) {
            Relation reads = perEdge.containsKey(r) || graph.reversedFrom(r) == null ? r : graph.reversedFrom(r);
            if (config.edgeDim(r) > 0 && perEdge.containsKey(reads)) {
                slotFeatures.put(r, EdgeFeatures.perSlot(graph.graph(r), perEdge.get(reads)));
            }
        }
    }

    /**
     * Over any typed source read through {@code pipeline} (a store's: each worker through its own reader, which
     * gives the batches' relationship features); {@code labels} and {@code trainNodes} are of the target type's nodes.
     */
    TypedMiniBatchSteps(Backend backend, TypedGatNetwork parameters, BatchPipeline<TypedBatchReader> pipeline,
                        NodeLabels labels, int[] trainNodes, TypedGatConfig config, MiniBatchConfig miniBatch,
                        long seed) {
        miniBatch.requireLayers(config.layers());
        this.backend = backend;
        this.parameters = parameters;
        this.labels = labels;
        this.trainNodes = trainNodes.clone();
        this.config = config;
        this.miniBatch = miniBatch;
        this.seed = seed;
        this.wholeTypes = wholeTypes(config);
        this.pipeline = pipeline;
    }

    private static BatchPipeline<TypedBatchReader> inHeap(TypedTrainingData data, int workers) {
        Map<String, FeatureRows> rows = new LinkedHashMap<>();
        data.features().forEach((type, x) -> rows.put(type, FeatureRows.of(x)));
        // Batches read the heap, which every thread may read at once: one reader serves them all.
        TypedBatchReader shared = TypedBatchReader.of(TypedNeighbourSource.of(data.graph()), rows, () -> { });
        return new BatchPipeline<>(shared, () -> shared, workers);
    }

    /** Node types kept whole in every batch: those that learn one input per node. */
    static Set<String> wholeTypes(TypedGatConfig config) {
        Set<String> wholeTypes = new LinkedHashSet<>();
        config.featureless().forEach((type, input) -> {
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                wholeTypes.add(type);
            }
        });
        return wholeTypes;
    }

    /** Batches per epoch. */
    int batchCount() {
        return (trainNodes.length + miniBatch.batchSize() - 1) / miniBatch.batchSize();
    }

    /** Metrics of the last epoch's batches on their own nodes, as trained (dropout on), summed over batches. */
    MetricCounts lastEpochMetrics() {
        return epochMetrics;
    }

    /** Trains one epoch (1-based); returns the mean training loss over its batches, weighted by batch size. */
    double epoch(int epoch, AdamSettings adam, TerminationFlag termination) {
        return epoch(epoch, adam, termination, MiniBatchSteps.BatchListener.NONE);
    }

    /** As {@link #epoch(int, AdamSettings, TerminationFlag)}, telling {@code listener} of each batch. */
    double epoch(int epoch, AdamSettings adam, TerminationFlag termination, MiniBatchSteps.BatchListener listener) {
        epochMetrics = null;
        int[] order = MiniBatchSteps.shuffled(trainNodes, seed, epoch);
        int batchSize = miniBatch.batchSize();
        int batches = batchCount();
        double[] weightedLoss = {0};
        pipeline.run(batches, termination, (reader, batch) -> {
            int start = batch * batchSize;
            return prepare(reader, Arrays.copyOfRange(order, start, Math.min(order.length, start + batchSize)),
                    miniBatch.fanouts(), epoch, batch);
        }, (batch, prepared) -> {
            double loss = step(prepared, adam);
            if (!Double.isFinite(loss)) {
                throw new TrainingDivergedException("Training diverged at epoch " + epoch + ", batch " + (batch + 1)
                        + ": the loss is " + loss + "; try a lower learningRate");
            }
            weightedLoss[0] += loss * prepared.subgraph().batchLocals().length;
            listener.onBatch(epoch, batch + 1, batches);
        });
        return weightedLoss[0] / order.length;
    }

    /**
     * The batch of {@code batchNodes} drawn with (seed, epoch, batch) and {@code fanouts}, its feature rows per type
     * read through {@code reader}, its slots' relationship features and its labels.
     */
    PreparedBatch prepare(TypedBatchReader reader, int[] batchNodes, int[] fanouts, int epoch, int batch) {
        TypedSampledSubgraph subgraph = new TypedNeighbourSampler(reader.graph(), fanouts, seed, wholeTypes)
                .sample(config.targetType(), batchNodes, epoch, batch);
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        reader.features().forEach((type, rows) -> features.put(type, rows.rows(subgraph.wholeNodes().get(type))));
        Map<Relation, DenseMatrix> edgeFeatures = new LinkedHashMap<>();
        for (Relation relation : config.relations()) {
            DenseMatrix whole = slotFeatures.get(relation);
            if (config.edgeDim(relation) == 0 || (whole == null && !slotFeatures.isEmpty())) {
                continue;
            }
            IncomingCsr csr = subgraph.graph().graph(relation);
            int[] wholeSlots = subgraph.wholeSlots().get(relation);
            int[] rows = new int[csr.originalEdgeCount()];
            for (int e = 0; e < rows.length; e++) {
                rows[e] = wholeSlots[csr.slotOfEdge(e)];
            }
            // In the heap, from the whole graph's per-slot rows; from a store, read through the batch's reader.
            DenseMatrix read = whole != null ? (DenseMatrix) MiniBatchSteps.rows(whole, rows)
                    : reader.slotFeatures(relation, rows);
            if (read != null) {
                edgeFeatures.put(relation, read);
            }
        }
        return new PreparedBatch(subgraph, features, edgeFeatures,
                labelsOf(labels, subgraph.wholeNodes().get(config.targetType())));
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
            Tensor logits = network.forward(true, seed, parameters.adamSteps() + 1L);
            epochMetrics = MiniBatchSteps.plus(epochMetrics, backend.evaluate(logits, targets));
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
