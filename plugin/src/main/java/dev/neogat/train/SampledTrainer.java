package dev.neogat.train;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.NeighbourSampler;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.graph.SampledSubgraph;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.Weights;
import dev.neogat.spec.GatConfig;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Mini-batch training of a graph that is not held in the heap: batches read their sampled neighbourhoods and
 * feature rows from a {@link SampledTrainingData}'s sources, as {@link Trainer} does from the heap, with the same
 * draws, dropout and Adam steps, so the same sources give the same parameters. Evaluation (validation per epoch,
 * the final metrics) runs on chunks of nodes with their exact L-hop neighbourhoods (every fanout -1), so no step
 * holds more than one chunk's computation graph; the training score of an epoch is that of its batches as they
 * were trained (dropout on), as PyG's examples report it.
 */
public final class SampledTrainer {

    private SampledTrainer() {
    }

    /** Told after each batch (progress) and each epoch. */
    public interface Listener extends TrainingListener {
        void onBatch(int epoch, int batch, int batches);
    }

    /**
     * On one thread, evaluating chunk by chunk only (no layer-wise run).
     *
     * @param evaluationChunk nodes per evaluation chunk (their whole L-hop neighbourhoods are read at once)
     */
    public static TrainingResult train(Backend backend, SampledTrainingData data, GatConfig config,
                                       TrainingConfig training, MiniBatchConfig miniBatch, int evaluationChunk,
                                       Listener listener, TerminationFlag termination) {
        return train(backend, data, config, training, miniBatch, evaluationChunk, 1, 0, listener, termination);
    }

    /**
     * As {@link #train(Backend, SampledTrainingData, GatConfig, TrainingConfig, MiniBatchConfig, int, Listener,
     * TerminationFlag)}, with batches and evaluation chunks sampled and read ahead on {@code concurrency} threads
     * ({@link BatchPipeline#workersFor}), each through its own reader; the result is the same at any concurrency.
     *
     * @param layerWiseBudget bytes a layer-wise evaluation over the data's whole graph may take (its per-node arrays,
     *                        chunks and the evaluated nodes' logits): what the memory budget leaves beyond the
     *                        batches' own need ({@code MemoryEstimate.fromStore}); 0 evaluates chunk by chunk only
     */
    public static TrainingResult train(Backend backend, SampledTrainingData data, GatConfig config,
                                       TrainingConfig training, MiniBatchConfig miniBatch, int evaluationChunk,
                                       int concurrency, long layerWiseBudget, Listener listener,
                                       TerminationFlag termination) {
        data.validate();
        miniBatch.requireLayers(config.layerCount());
        if (evaluationChunk < 1) {
            throw new IllegalArgumentException("evaluationChunk must be at least 1, got " + evaluationChunk);
        }
        if (config.inputDim() != data.features().cols()) {
            throw new IllegalArgumentException("The model expects " + config.inputDim()
                    + " input features but there are " + data.features().cols());
        }
        if ((config.edgeDim() > 0) != (data.slotFeatures() != null)) {
            throw new IllegalArgumentException(config.edgeDim() > 0 ? "The model attends over " + config.edgeDim()
                    + " relationship features per relationship but the data gives none"
                    : "The data gives relationship features but the model attends over none");
        }
        if (config.classCount() != data.labels().classCount()
                || config.multiLabel() != data.labels().isMultiLabel()) {
            throw new IllegalArgumentException("The model predicts " + config.classCount() + (config.multiLabel()
                    ? " classes (multi-label)" : " classes") + " but the labels have " + data.labels().classCount()
                    + (data.labels().isMultiLabel() ? " (multi-label)" : ""));
        }
        FeatureRows features = data.features().rowNormalized(config.normalizeFeatures());
        UnaryOperator<FeatureRows> modelRows = rows -> rows.rowNormalized(config.normalizeFeatures());
        BatchPipeline<BatchReader> pipeline = new BatchPipeline<>(data.callerReader().withFeatures(modelRows),
                () -> data.workerReaders().get().withFeatures(modelRows), BatchPipeline.workersFor(concurrency));
        long start = System.nanoTime();
        GatNetwork parameters = null;
        List<Object> resources = new ArrayList<>();
        try {
            // The parameters' owner never runs: it sits on one node so that batches can share its parameters.
            IncomingCsr anchor = new GraphBuilder(1).build(new int[0], new int[0]);
            GraphTensor anchorGraph = keep(resources, backend.upload(anchor));
            Tensor anchorFeatures = keep(resources, backend.upload(features.rows(new int[]{data.split().train()[0]})));
            // Zeros: the anchor's relationship features are never read, only their width is checked.
            Tensor anchorEdgeFeatures = config.edgeDim() == 0 ? null : keep(resources, backend.upload(
                    new DenseMatrix(anchor.slotCount(), config.edgeDim(),
                            new float[anchor.slotCount() * config.edgeDim()])));
            parameters = new GatNetwork(backend, config, Weights.initialize(config, training.seed()), anchorGraph,
                    anchorFeatures, anchorEdgeFeatures, false);
            MiniBatchSteps batches = new MiniBatchSteps(backend, parameters, pipeline, data.labels(), data::labelRow,
                    data.split().train(), null, miniBatch, training.seed());
            Evaluator evaluator = new Evaluator(backend, data, pipeline, config, evaluationChunk, layerWiseBudget);
            boolean canStopEarly = data.split().validation().length > 0;
            AdamSettings adam = AdamSettings.of(training.learningRate(), training.weightDecay());
            GatNetwork network = parameters;
            EpochLoop.Outcome outcome = EpochLoop.run(backend, network, training, canStopEarly, listener,
                    termination, epoch -> batches.epoch(epoch, adam, termination, listener::onBatch),
                    () -> new EpochLoop.Scores(batches.lastEpochMetrics(), canStopEarly
                            ? evaluator.evaluate(network, data.split().validation(), termination) : null));
            List<EpochStats> history = outcome.history();
            int bestEpoch = outcome.bestEpoch();
            StopReason stopReason = outcome.stopReason();
            MetricCounts trainMetrics = evaluator.evaluate(parameters, data.split().train(), termination);
            MetricCounts validationMetrics = evaluator.evaluate(parameters, data.split().validation(), termination);
            MetricCounts testMetrics = evaluator.evaluate(parameters, data.split().test(), termination);
            TrainedModel model = new TrainedModel(config, parameters.weights(),
                    Trainer.trainingMetadata(training, miniBatch, history, bestEpoch, stopReason));
            double millis = (System.nanoTime() - start) / 1e6;
            return new TrainingResult(model, List.copyOf(history), bestEpoch, stopReason, trainMetrics,
                    validationMetrics, testMetrics, millis, backend.description());
        } finally {
            if (parameters != null) {
                parameters.release();
            }
            resources.forEach(backend::release);
        }
    }

    /**
     * A model's prediction for {@code nodes} (distinct whole-graph ids): computed on their exact L-hop
     * neighbourhood, so it is the whole graph's prediction for them; row i is {@code nodes[i]}.
     */
    public static Prediction predict(Backend backend, TrainedModel model, NeighbourSource graph,
                                     FeatureRows features, int[] nodes) {
        GatConfig config = model.config();
        SampledSubgraph neighbourhood = new NeighbourSampler(graph, allNeighbours(config.layerCount()), 0)
                .sample(nodes, 0, 0);
        Prediction whole = Inference.run(backend, model, neighbourhood.graph(),
                features.rows(neighbourhood.wholeNodes()), Inference.Request.LOGITS_ONLY);
        return Prediction.ofLogits(config, Arrays.copyOf(whole.logits(), nodes.length * config.classCount()));
    }

    /** Receives the predictions of each chunk, in chunk order, on the calling thread. */
    @FunctionalInterface
    public interface ChunkPredictions {
        void accept(int chunk, int[] nodes, Prediction prediction);
    }

    /**
     * {@link #predict} for {@code chunkCount} chunks of nodes ({@code chunkNodes}: distinct whole-graph ids per
     * chunk), their neighbourhoods and feature rows read ahead on {@code concurrency} threads (the caller reads with
     * {@code callerReader}, each worker with a reader of {@code workerReaders}) while the caller runs the model on
     * the current chunk and hands it to {@code consumer}.
     */
    public static void predictChunks(Backend backend, TrainedModel model, BatchReader callerReader,
                                     Supplier<BatchReader> workerReaders, int concurrency, int chunkCount,
                                     IntFunction<int[]> chunkNodes, ChunkPredictions consumer,
                                     TerminationFlag termination) {
        GatConfig config = model.config();
        int[] fanouts = allNeighbours(config.layerCount());
        record Chunk(int[] nodes, SampledSubgraph neighbourhood, FeatureMatrix rows, DenseMatrix slotFeatures) {
        }
        new BatchPipeline<>(callerReader, workerReaders, BatchPipeline.workersFor(concurrency)).run(chunkCount,
                termination, (reader, c) -> {
                    int[] nodes = chunkNodes.apply(c);
                    SampledSubgraph neighbourhood = new NeighbourSampler(reader.graph(), fanouts, 0)
                            .sample(nodes, 0, 0);
                    return new Chunk(nodes, neighbourhood, reader.features().rows(neighbourhood.wholeNodes()),
                            reader.slotFeatures(neighbourhood.wholeSlots()));
                }, (c, chunk) -> {
                    Prediction whole = Inference.onSlots(backend, model, chunk.neighbourhood().graph(), chunk.rows(),
                            chunk.slotFeatures(), Inference.Request.LOGITS_ONLY);
                    consumer.accept(c, chunk.nodes(), Prediction.ofLogits(config,
                            Arrays.copyOf(whole.logits(), chunk.nodes().length * config.classCount())));
                });
    }

    private static int[] allNeighbours(int layers) {
        int[] fanouts = new int[layers];
        Arrays.fill(fanouts, NeighbourSampler.ALL);
        return fanouts;
    }

    private static <T> T keep(List<Object> resources, T handle) {
        resources.add(handle);
        return handle;
    }

    /**
     * Metrics over a node set without dropout: chunk by chunk, each on its exact L-hop neighbourhood (read ahead by
     * the pipeline, counts summed in chunk order), or, when the data has a layer-wise view of the whole graph that
     * the layer-wise budget holds (with the evaluated nodes' logits) and its chunks would read more feature rows than
     * the graph has nodes, from one layer-wise run over the whole graph, which reads every row once and gives the
     * whole graph's logits.
     */
    private static final class Evaluator {
        private final Backend backend;
        private final SampledTrainingData data;
        private final BatchPipeline<BatchReader> pipeline;
        private final GatConfig config;
        private final int[] allNeighbours;
        private final int chunk;
        private final LayerWiseInference.Source wholeGraph;
        private final long layerWiseBudget;
        /** Per node set (by identity: the split's arrays), whether one layer-wise run fits and reads fewer rows. */
        private final Map<int[], Boolean> layerWiseFor = new IdentityHashMap<>();

        Evaluator(Backend backend, SampledTrainingData data, BatchPipeline<BatchReader> pipeline, GatConfig config, int chunk,
                  long layerWiseBudget) {
            if (layerWiseBudget < 0) {
                throw new IllegalArgumentException("layerWiseBudget must be at least 0, got " + layerWiseBudget);
            }
            this.backend = backend;
            this.data = data;
            this.pipeline = pipeline;
            this.config = config;
            this.allNeighbours = allNeighbours(config.layerCount());
            this.chunk = chunk;
            this.layerWiseBudget = layerWiseBudget;
            this.wholeGraph = data.wholeGraph();
        }

        /** The layer-wise run's own budget for {@code nodes}: the budget less their logits and the position map. */
        private long planBudget(int[] nodes) {
            return layerWiseBudget - 4L * nodes.length * config.classCount() - 4L * wholeGraph.nodeCount();
        }

        private boolean fits(int[] nodes) {
            long budget = planBudget(nodes);
            if (budget <= 0) {
                return false;
            }
            try {
                LayerWiseInference.plan(config, wholeGraph, budget);
                return true;
            } catch (IllegalArgumentException tooSmall) {
                return false;
            }
        }

        MetricCounts evaluate(GatNetwork parameters, int[] nodes, TerminationFlag termination) {
            if (nodes.length > 0 && wholeGraph != null && layerWiseFor.computeIfAbsent(nodes,
                    set -> fits(set) && rowsInChunks(set, termination) > wholeGraph.nodeCount())) {
                return evaluateLayerWise(parameters, nodes, termination);
            }
            MetricCounts[] total = {null};
            int chunks = (nodes.length + chunk - 1) / chunk;
            pipeline.run(chunks, termination, (reader, c) -> {
                SampledSubgraph neighbourhood = new NeighbourSampler(reader.graph(), allNeighbours, 0)
                        .sample(chunkOf(nodes, c), 0, 0);
                return new MiniBatchSteps.PreparedBatch(neighbourhood,
                        reader.features().rows(neighbourhood.wholeNodes()),
                        MiniBatchSteps.batchLabels(data.labels(), data::labelRow, neighbourhood),
                        reader.slotFeatures(neighbourhood.wholeSlots()));
            }, (c, prepared) -> total[0] = MiniBatchSteps.plus(total[0], evaluateChunk(parameters, prepared)));
            return total[0] != null ? total[0]
                    : new MetricCounts(0, 0, 0, 0, 0, 0, data.labels().isMultiLabel());
        }

        private int[] chunkOf(int[] nodes, int c) {
            return Arrays.copyOfRange(nodes, c * chunk, Math.min(nodes.length, (c + 1) * chunk));
        }

        /** Feature rows the chunks of {@code nodes} read: their neighbourhoods' sizes (slot lists only are read). */
        private long rowsInChunks(int[] nodes, TerminationFlag termination) {
            NeighbourSampler exact = new NeighbourSampler(data.graph(), allNeighbours, 0);
            long rows = 0;
            for (int c = 0; c * chunk < nodes.length; c++) {
                termination.assertRunning();
                rows += exact.sample(chunkOf(nodes, c), 0, 0).wholeNodes().length;
            }
            return rows;
        }

        private MetricCounts evaluateLayerWise(GatNetwork parameters, int[] nodes, TerminationFlag termination) {
            int classes = config.classCount();
            int[] position = new int[wholeGraph.nodeCount()];
            Arrays.fill(position, -1);
            for (int i = 0; i < nodes.length; i++) {
                position[nodes[i]] = i;
            }
            float[] logits = new float[Math.multiplyExact(nodes.length, classes)];
            LayerWiseInference.run(backend, new TrainedModel(config, parameters.weights(), null), wholeGraph,
                    planBudget(nodes), Inference.Request.LOGITS_ONLY, new LayerWiseInference.Consumer() {
                        @Override
                        public void logits(int first, int end, float[] values) {
                            for (int node = first; node < end; node++) {
                                if (position[node] >= 0) {
                                    System.arraycopy(values, (node - first) * classes, logits,
                                            position[node] * classes, classes);
                                }
                            }
                        }
                    }, termination);
            Tensor logitRows = null;
            Targets targets = null;
            try {
                logitRows = backend.upload(new DenseMatrix(nodes.length, classes, logits));
                int[] rows = new int[nodes.length];
                Arrays.setAll(rows, i -> i);
                targets = backend.upload(MiniBatchSteps.labelsOf(data.labels(), data::labelRow, nodes,
                        nodes.length), rows);
                return backend.evaluate(logitRows, targets);
            } finally {
                if (targets != null) {
                    backend.release(targets);
                }
                if (logitRows != null) {
                    backend.release(logitRows);
                }
            }
        }

        private MetricCounts evaluateChunk(GatNetwork parameters, MiniBatchSteps.PreparedBatch prepared) {
            SampledSubgraph neighbourhood = prepared.subgraph();
            GraphTensor graph = null;
            Tensor chunkFeatures = null;
            Targets targets = null;
            Tensor chunkEdgeFeatures = null;
            GatNetwork network = null;
            try {
                graph = backend.upload(neighbourhood.graph());
                chunkFeatures = backend.upload(prepared.features());
                targets = backend.upload(prepared.labels(), neighbourhood.batchLocals());
                if (prepared.slotFeatures() != null) {
                    chunkEdgeFeatures = backend.upload(prepared.slotFeatures());
                }
                network = parameters.sharingParameters(graph, chunkFeatures, chunkEdgeFeatures);
                return backend.evaluate(network.forward(), targets);
            } finally {
                if (network != null) {
                    network.release();
                }
                for (Object handle : new Object[]{targets, chunkEdgeFeatures, chunkFeatures, graph}) {
                    if (handle != null) {
                        backend.release(handle);
                    }
                }
            }
        }
    }
}
