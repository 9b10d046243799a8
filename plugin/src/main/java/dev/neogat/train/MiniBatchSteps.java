package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.NeighbourSampler;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.graph.SampledSubgraph;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.util.CounterRng;
import dev.neogat.util.TerminationFlag;

import java.util.function.IntUnaryOperator;

/**
 * One epoch of sampled mini-batch training: the training nodes shuffled by (seed, epoch), cut into batches,
 * and per batch its sampled computation subgraph with its nodes' features, a forward pass with dropout keyed
 * by the whole graph's ids, the loss on the batch nodes, backward and one Adam step on the shared parameters.
 * Neighbourhoods and feature rows come from a {@link NeighbourSource} and {@link FeatureRows}, in the heap or read
 * from a store, through a {@link BatchPipeline} that samples and reads the next batches on worker threads while the
 * current one steps; labels are looked up through {@code labelRow} (whole-graph node → row of the labels).
 */
final class MiniBatchSteps {

    private static final long SHUFFLE_STREAM = 0x2c1b_3c6d_8e4f_a071L;

    private final Backend backend;
    private final GatNetwork parameters;
    private final BatchPipeline<BatchReader> pipeline;
    private final NodeLabels labels;
    private final IntUnaryOperator labelRow;
    private final int[] trainNodes;
    private final MiniBatchConfig miniBatch;
    private final long seed;
    /** The whole graph's relationship features per attention slot, or null without them. */
    private final DenseMatrix slotFeatures;

    /** In the heap: {@code workers} threads (0: none) sample and gather batches ahead of the step. */
    MiniBatchSteps(Backend backend, GatNetwork parameters, TrainingData data, FeatureMatrix features,
                   MiniBatchConfig miniBatch, long seed, int workers) {
        // A batch slot takes its whole-graph slot's features, so a self loop keeps the mean over all its node's
        // relationships, not only the sampled ones.
        this(backend, parameters, BatchPipeline.shared(BatchReader.of(NeighbourSource.of(data.graph()),
                        FeatureRows.of(features)), workers), data.labels(), IntUnaryOperator.identity(),
                data.split().train(), data.relationshipFeatures() == null ? null
                        : EdgeFeatures.perSlot(data.graph(), data.relationshipFeatures()), miniBatch, seed);
    }

    /**
     * {@code pipeline}: where batches are sampled and their rows read (rows as the model reads them, normalised
     * when it asks); {@code slotFeatures}: relationship features per whole-graph slot, or null.
     */
    MiniBatchSteps(Backend backend, GatNetwork parameters, BatchPipeline<BatchReader> pipeline, NodeLabels labels,
                   IntUnaryOperator labelRow, int[] trainNodes, DenseMatrix slotFeatures, MiniBatchConfig miniBatch,
                   long seed) {
        miniBatch.requireLayers(parameters.config().layerCount());
        this.backend = backend;
        this.parameters = parameters;
        this.pipeline = pipeline;
        this.labels = labels;
        this.labelRow = labelRow;
        this.trainNodes = trainNodes.clone();
        this.miniBatch = miniBatch;
        this.seed = seed;
        this.slotFeatures = slotFeatures;
    }

    /** Told after each batch of an epoch. */
    interface BatchListener {
        BatchListener NONE = (epoch, batch, batches) -> { };

        void onBatch(int epoch, int batch, int batches);
    }

    /** A batch ready for its step: its sampled subgraph and what the step uploads of it. */
    record PreparedBatch(SampledSubgraph subgraph, FeatureMatrix features, NodeLabels labels,
                         FeatureMatrix slotFeatures) {
    }

    /** Batches per epoch. */
    int batchCount() {
        return (trainNodes.length + miniBatch.batchSize() - 1) / miniBatch.batchSize();
    }

    /** Metrics of the last epoch's batches on their own nodes, as trained (dropout on), summed over batches. */
    MetricCounts lastEpochMetrics() {
        return epochMetrics;
    }

    private MetricCounts epochMetrics;

    /** Runs every batch of an epoch; returns the mean training loss over the batch nodes. */
    double epoch(int epoch, AdamSettings adam, TerminationFlag termination) {
        return epoch(epoch, adam, termination, BatchListener.NONE);
    }

    /**
     * As {@link #epoch(int, AdamSettings, TerminationFlag)}, telling {@code listener} of each batch. Batches are
     * sampled and read ahead by the pipeline's workers, each drawn from (seed, epoch, batch); the steps run here in
     * batch order, so the parameters do not depend on the number of workers.
     */
    double epoch(int epoch, AdamSettings adam, TerminationFlag termination, BatchListener listener) {
        epochMetrics = null;
        int batches = batchCount();
        int[] order = shuffled(trainNodes, seed, epoch);
        int batchSize = miniBatch.batchSize();
        int[] fanouts = miniBatch.fanouts();
        double[] weightedLoss = {0};
        pipeline.run(batches, termination, (reader, batch) -> {
            int start = batch * batchSize;
            int[] batchNodes = java.util.Arrays.copyOfRange(order, start, Math.min(order.length, start + batchSize));
            return prepare(reader, labels, labelRow, slotFeatures, batchNodes, fanouts, seed, epoch, batch);
        }, (batch, prepared) -> {
            double loss = step(prepared, adam);
            if (!Double.isFinite(loss)) {
                throw new TrainingDivergedException("Training diverged at epoch " + epoch + ", batch " + (batch + 1)
                        + ": the loss is " + loss + "; try a lower learningRate");
            }
            weightedLoss[0] += loss * prepared.subgraph().batchSize();
            listener.onBatch(epoch, batch + 1, batches);
        });
        return weightedLoss[0] / order.length;
    }

    /**
     * Batch {@code batch} of {@code epoch}: the subgraph sampled around {@code batchNodes} with (seed, epoch, batch),
     * its nodes' feature rows and labels read through {@code reader}, its slots' relationship features (from
     * {@code slotFeatures}, else from the reader; null for none); what the pipeline holds of a batch until its step.
     */
    static PreparedBatch prepare(BatchReader reader, NodeLabels labels, IntUnaryOperator labelRow,
                                 DenseMatrix slotFeatures, int[] batchNodes, int[] fanouts, long seed, int epoch,
                                 int batch) {
        SampledSubgraph subgraph = new NeighbourSampler(reader.graph(), fanouts, seed).sample(batchNodes, epoch, batch);
        return new PreparedBatch(subgraph, reader.features().rows(subgraph.wholeNodes()),
                batchLabels(labels, labelRow, subgraph),
                slotFeatures == null ? reader.slotFeatures(subgraph.wholeSlots())
                        : rows(slotFeatures, subgraph.wholeSlots()));
    }

    private double step(PreparedBatch prepared, AdamSettings adam) {
        SampledSubgraph batch = prepared.subgraph();
        GraphTensor graph = null;
        Tensor batchFeatures = null;
        Targets targets = null;
        Tensor batchEdgeFeatures = null;
        GatNetwork network = null;
        try {
            graph = backend.upload(batch.graph());
            batchFeatures = backend.upload(prepared.features());
            targets = backend.upload(prepared.labels(), batch.batchLocals());
            if (prepared.slotFeatures() != null) {
                batchEdgeFeatures = backend.upload(prepared.slotFeatures());
            }
            network = parameters.sharingParameters(graph, batchFeatures, batchEdgeFeatures);
            // The step number keys dropout as the full-batch trainer's epoch does: one batch per epoch is that.
            Tensor logits = network.forward(true, seed, parameters.adamSteps() + 1L, batch.wholeNodes(),
                    batch.wholeSlots());
            epochMetrics = plus(epochMetrics, backend.evaluate(logits, targets));
            double loss = network.lossAndGradients(targets);
            if (Double.isFinite(loss)) {
                network.adamStep(adam);
            }
            return loss;
        } finally {
            if (network != null) {
                network.release();
            }
            for (Object handle : new Object[]{targets, batchEdgeFeatures, batchFeatures, graph}) {
                if (handle != null) {
                    backend.release(handle);
                }
            }
        }
    }

    /** A permutation of {@code nodes} drawn from (seed, epoch) by Fisher–Yates. */
    static int[] shuffled(int[] nodes, long seed, long epoch) {
        int[] order = nodes.clone();
        long key = CounterRng.streamKey(CounterRng.mix64(seed ^ SHUFFLE_STREAM), epoch, 0, 0);
        for (int i = order.length - 1; i > 0; i--) {
            long bits = CounterRng.bits(key, i) & 0xffff_ffffL;
            int j = (int) ((bits * (i + 1)) >>> 32);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /** The rows {@code rowIds} of a feature matrix, in that order, stored as the matrix is. */
    static FeatureMatrix rows(FeatureMatrix matrix, int[] rowIds) {
        int cols = matrix.cols();
        if (matrix instanceof DenseMatrix dense) {
            float[] source = dense.data();
            float[] gathered = new float[Math.multiplyExact(rowIds.length, cols)];
            for (int r = 0; r < rowIds.length; r++) {
                System.arraycopy(source, rowIds[r] * cols, gathered, r * cols, cols);
            }
            return new DenseMatrix(rowIds.length, cols, gathered);
        }
        SparseMatrix sparse = (SparseMatrix) matrix;
        int[] offsets = sparse.rowOffsets();
        int[] gatheredOffsets = new int[rowIds.length + 1];
        for (int r = 0; r < rowIds.length; r++) {
            gatheredOffsets[r + 1] = gatheredOffsets[r] + offsets[rowIds[r] + 1] - offsets[rowIds[r]];
        }
        int[] columns = new int[gatheredOffsets[rowIds.length]];
        float[] values = new float[columns.length];
        for (int r = 0; r < rowIds.length; r++) {
            int from = offsets[rowIds[r]];
            int length = offsets[rowIds[r] + 1] - from;
            System.arraycopy(sparse.columns(), from, columns, gatheredOffsets[r], length);
            System.arraycopy(sparse.values(), from, values, gatheredOffsets[r], length);
        }
        return new SparseMatrix(rowIds.length, cols, gatheredOffsets, columns, values);
    }

    /** Labels over the subgraph's nodes: the batch nodes keep theirs, the others have none. */
    static NodeLabels batchLabels(NodeLabels labels, IntUnaryOperator labelRow, SampledSubgraph batch) {
        return labelsOf(labels, labelRow, batch.wholeNodes(), batch.batchSize());
    }

    /** Labels of rows for {@code nodes} (whole-graph ids): the first {@code labelled} keep theirs, the rest none. */
    static NodeLabels labelsOf(NodeLabels labels, IntUnaryOperator labelRow, int[] nodes, int labelled) {
        int classCount = labels.classCount();
        if (!labels.isMultiLabel()) {
            int[] classOf = new int[nodes.length];
            java.util.Arrays.fill(classOf, NodeLabels.NO_LABEL);
            for (int i = 0; i < labelled; i++) {
                classOf[i] = labels.classOf(labelRow.applyAsInt(nodes[i]));
            }
            return NodeLabels.singleLabel(classOf, classCount);
        }
        byte[] memberships = new byte[Math.multiplyExact(nodes.length, classCount)];
        boolean[] labeled = new boolean[nodes.length];
        for (int i = 0; i < labelled; i++) {
            labeled[i] = true;
            System.arraycopy(labels.memberships(), labelRow.applyAsInt(nodes[i]) * classCount, memberships,
                    i * classCount, classCount);
        }
        return NodeLabels.multiLabel(classCount, memberships, labeled);
    }

    /** Counts over two disjoint node sets; the loss is their mean weighted by node count. */
    static MetricCounts plus(MetricCounts a, MetricCounts b) {
        if (a == null) {
            return b;
        }
        long total = a.total() + b.total();
        double loss = total == 0 ? 0 : (a.loss() * a.total() + b.loss() * b.total()) / total;
        return new MetricCounts(loss, a.correct() + b.correct(), total, a.truePositives() + b.truePositives(),
                a.falsePositives() + b.falsePositives(), a.falseNegatives() + b.falseNegatives(), a.multiLabel());
    }
}
