package dev.neogat.train;

import dev.neogat.graph.NeighbourSampler;
import dev.neogat.graph.TypedGraph;
import dev.neogat.graph.TypedSampledSubgraph;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Typed mini-batch training of a typed graph that is not held in the heap, as {@link SampledTrainer} for an untyped
 * one: batches read their typed neighbourhoods and feature rows from a {@link TypedSampledTrainingData}'s sources and
 * step as {@link TypedMiniBatchSteps} does in the heap (same shuffles, draws, dropout and Adam steps), so sources that
 * number nodes and slots alike give the same parameters. Evaluation (validation per epoch, the final metrics) runs
 * on chunks of target nodes with their exact L-hop typed neighbourhoods (every fanout -1), each chunk read ahead on
 * the pipeline's threads; the training score of an epoch is that of its batches as they were trained (dropout on).
 *
 * <p>Relationship features are read per batch through the readers ({@link TypedBatchReader#slotFeatures}: a self
 * loop's row, the mean of its node's incoming ones over the whole graph, is the source's to keep). Semantic attention
 * is not trained this way: a batch read from the store has no whole-graph β (a mean over every node of a type).
 */
public final class TypedSampledTrainer {

    private TypedSampledTrainer() {
    }

    /**
     * @param evaluationChunk target nodes per evaluation chunk (their whole L-hop typed neighbourhoods read at once)
     * @param concurrency     threads sampling and reading batches and chunks ahead; the result is the same at any
     */
    public static TypedTrainingResult train(Backend backend, TypedSampledTrainingData data, TypedGatConfig config,
                                            TrainingConfig training, MiniBatchConfig miniBatch, int evaluationChunk,
                                            int concurrency, SampledTrainer.Listener listener,
                                            TerminationFlag termination) {
        data.validate();
        miniBatch.requireLayers(config.layers());
        requireSupported(config);
        requireConfigFits(config, data);
        if (evaluationChunk < 1) {
            throw new IllegalArgumentException("evaluationChunk must be at least 1, got " + evaluationChunk);
        }
        UnaryOperator<FeatureRows> modelRows = rows -> rows.rowNormalized(config.normalizeFeatures());
        BatchPipeline<TypedBatchReader> pipeline = new BatchPipeline<>(data.callerReader().withFeatures(modelRows),
                () -> data.workerReaders().get().withFeatures(modelRows), BatchPipeline.workersFor(concurrency));
        long start = System.nanoTime();
        List<Object> resources = new ArrayList<>();
        TypedGatNetwork parameters = null;
        try {
            parameters = anchor(backend, config, data, Weights.initialize(TypedGatNetwork.parameterShapes(config),
                    training.seed()), resources);
            TypedMiniBatchSteps batches = new TypedMiniBatchSteps(backend, parameters, pipeline, data.labels(),
                    data.split().train(), config, miniBatch, training.seed());
            Evaluator evaluator = new Evaluator(backend, config, data, pipeline, batches, evaluationChunk);
            boolean canStopEarly = data.split().validation().length > 0;
            AdamSettings adam = AdamSettings.of(training.learningRate(), training.weightDecay());
            TypedGatNetwork network = parameters;
            EpochLoop.Outcome outcome = EpochLoop.run(backend, network, training, canStopEarly, listener,
                    termination, epoch -> batches.epoch(epoch, adam, termination, listener::onBatch),
                    () -> new EpochLoop.Scores(batches.lastEpochMetrics(), canStopEarly
                            ? evaluator.evaluate(network, data.split().validation(), termination) : null));
            MetricCounts trainMetrics = evaluator.evaluate(parameters, data.split().train(), termination);
            MetricCounts validationMetrics = evaluator.evaluate(parameters, data.split().validation(), termination);
            MetricCounts testMetrics = evaluator.evaluate(parameters, data.split().test(), termination);
            double millis = (System.nanoTime() - start) / 1e6;
            return new TypedTrainingResult(config, parameters.weights(), outcome.history(), outcome.bestEpoch(),
                    outcome.stopReason(), trainMetrics, validationMetrics, testMetrics, relationWeights(config),
                    millis, backend.description(), training, miniBatch);
        } finally {
            if (parameters != null) {
                parameters.release();
            }
            resources.forEach(backend::release);
        }
    }

    /** Receives the logits of each chunk of target nodes, in chunk order, on the calling thread. */
    @FunctionalInterface
    public interface ChunkLogits {
        /** {@code logits}: [nodes.length, classes], row i for target node {@code nodes[i]}. */
        void accept(int chunk, int[] nodes, float[] logits);
    }

    /** The class of row {@code row} of {@code logits} ([rows, classes]) with the highest score. */
    public static int predictedClass(float[] logits, int row, int classes) {
        return Prediction.predictedClass(logits, row * classes, classes);
    }

    /** The softmax of row {@code row} of {@code logits} ([rows, classes]), as a typed prediction gives it. */
    public static double[] probabilities(float[] logits, int row, int classes) {
        return Prediction.probabilities(logits, row * classes, classes, false);
    }

    /**
     * A typed model's logits for {@code chunkCount} chunks of target nodes ({@code chunkNodes}: distinct type-local
     * ids per chunk), each computed on its exact L-hop typed neighbourhood, so they are the whole graph's for those
     * nodes; neighbourhoods and rows are read ahead on {@code concurrency} threads (the caller through
     * {@code data.callerReader()}, each worker through a reader of {@code data.workerReaders()}).
     */
    public static void predictChunks(Backend backend, TypedTrainedModel model, TypedSampledTrainingData data,
                                     int concurrency, int chunkCount, IntFunction<int[]> chunkNodes,
                                     ChunkLogits consumer, TerminationFlag termination) {
        TypedGatConfig config = model.config();
        requireSupported(config);
        UnaryOperator<FeatureRows> modelRows = rows -> rows.rowNormalized(config.normalizeFeatures());
        BatchPipeline<TypedBatchReader> pipeline = new BatchPipeline<>(data.callerReader().withFeatures(modelRows),
                () -> data.workerReaders().get().withFeatures(modelRows), BatchPipeline.workersFor(concurrency));
        List<Object> resources = new ArrayList<>();
        TypedGatNetwork parameters = null;
        try {
            parameters = anchor(backend, config, data, model.weights(), resources);
            TypedMiniBatchSteps chunks = new TypedMiniBatchSteps(backend, parameters, pipeline, data.labels(),
                    new int[0], config, new MiniBatchConfig(1, allNeighbours(config.layers())), 0);
            int[] fanouts = allNeighbours(config.layers());
            TypedGatNetwork owner = parameters;
            pipeline.run(chunkCount, termination,
                    (reader, c) -> chunks.prepare(reader, chunkNodes.apply(c), fanouts, 0, 0),
                    (c, prepared) -> {
                        float[] logits = forward(backend, owner, prepared, (network, batchLocals) -> {
                            Tensor all = network.forward();
                            int classes = config.classCount();
                            float[] values = new float[Math.multiplyExact(all.rows(), classes)];
                            backend.download(all, values);
                            float[] rows = new float[batchLocals.length * classes];
                            for (int i = 0; i < batchLocals.length; i++) {
                                System.arraycopy(values, batchLocals[i] * classes, rows, i * classes, classes);
                            }
                            return rows;
                        });
                        int[] nodes = new int[prepared.subgraph().batchLocals().length];
                        int[] whole = prepared.subgraph().wholeNodes().get(config.targetType());
                        for (int i = 0; i < nodes.length; i++) {
                            nodes[i] = whole[prepared.subgraph().batchLocals()[i]];
                        }
                        consumer.accept(c, nodes, logits);
                    });
        } finally {
            if (parameters != null) {
                parameters.release();
            }
            resources.forEach(backend::release);
        }
    }

    private static int[] allNeighbours(int layers) {
        int[] fanouts = new int[layers];
        Arrays.fill(fanouts, NeighbourSampler.ALL);
        return fanouts;
    }

    /** What runs on a prepared chunk's network. */
    @FunctionalInterface
    private interface OnChunk<T> {
        T run(TypedGatNetwork network, int[] batchLocals);
    }

    /** Uploads a prepared batch, runs {@code onChunk} on a network sharing {@code owner}'s parameters, releases all. */
    private static <T> T forward(Backend backend, TypedGatNetwork owner, TypedMiniBatchSteps.PreparedBatch prepared,
                                 OnChunk<T> onChunk) {
        List<Object> resources = new ArrayList<>();
        TypedGatNetwork network = null;
        try {
            Map<String, Tensor> features = new LinkedHashMap<>();
            prepared.features().forEach((type, x) -> {
                Tensor uploaded = backend.upload(x);
                resources.add(uploaded);
                features.put(type, uploaded);
            });
            network = owner.sharingParameters(prepared.subgraph(), features, prepared.edgeFeatures());
            return onChunk.run(network, prepared.subgraph().batchLocals());
        } finally {
            if (network != null) {
                network.release();
            }
            resources.forEach(backend::release);
        }
    }

    /**
     * The network that owns the parameters: it never runs, so its graph holds no node but those of the types that
     * learn one input per node (whose parameter rows are the type's nodes), and no edge.
     */
    private static TypedGatNetwork anchor(Backend backend, TypedGatConfig config, TypedSampledTrainingData data,
                                          Weights weights, List<Object> resources) {
        TypedGraph.Builder builder = TypedGraph.builder();
        for (String type : config.nodeTypes()) {
            FeaturelessInput learned = config.featureless().get(type);
            builder.nodeType(type, learned != null && learned.mode() == FeaturelessInput.Mode.NODE
                    ? data.graph().nodeCount(type) : 0);
        }
        for (Relation r : config.relations()) {
            builder.relation(r, new int[0], new int[0]);
        }
        Map<String, Tensor> features = new LinkedHashMap<>();
        for (String type : config.nodeTypes()) {
            if (!config.featureless().containsKey(type)) {
                Tensor empty = backend.upload(new DenseMatrix(0, config.inputWidths().get(type), new float[0]));
                resources.add(empty);
                features.put(type, empty);
            }
        }
        // Empty rows: the anchor has no edge, only the width of each relation's relationship features is checked.
        Map<Relation, DenseMatrix> edgeFeatures = new LinkedHashMap<>();
        for (Relation r : config.relations()) {
            if (config.edgeDim(r) > 0) {
                edgeFeatures.put(r, new DenseMatrix(0, config.edgeDim(r), new float[0]));
            }
        }
        return new TypedGatNetwork(backend, config, weights, builder.build(), features, edgeFeatures, false);
    }

    /** Refuses what batches read from a store cannot train or predict exactly. */
    public static void requireSupported(TypedGatConfig config) {
        for (int l = 0; l < config.layers(); l++) {
            if (config.layer(l).aggregation() == RelationAggregation.ATTENTION) {
                throw new IllegalArgumentException("relationAggregation 'attention' is not trained from the store: "
                        + "semantic attention's relation weights are a mean over every node of a type, which batches "
                        + "read from the store do not hold; use 'sum' or 'mean'");
            }
        }
    }

    private static void requireConfigFits(TypedGatConfig config, TypedSampledTrainingData data) {
        boolean attendsOverRelationships = config.relations().stream().anyMatch(r -> config.edgeDim(r) > 0);
        if (attendsOverRelationships != (data.slotFeatures() != null)) {
            throw new IllegalArgumentException(attendsOverRelationships ? "The model attends over relationship "
                    + "features but the data gives none" : "The data gives relationship features but the model "
                    + "attends over none");
        }
        if (!config.targetType().equals(data.targetType())) {
            throw new IllegalArgumentException("The model predicts node type '" + config.targetType()
                    + "' but the labels are of '" + data.targetType() + "'");
        }
        if (!config.nodeTypes().equals(data.graph().nodeTypes())
                || !config.relations().equals(data.graph().relations())) {
            throw new IllegalArgumentException("The model's node types " + config.nodeTypes() + " and relations "
                    + config.relations() + " differ from the graph's " + data.graph().nodeTypes() + " and "
                    + data.graph().relations());
        }
        for (String type : config.nodeTypes()) {
            boolean learned = config.featureless().containsKey(type);
            FeatureRows rows = data.features().get(type);
            if (learned != (rows == null)) {
                throw new IllegalArgumentException(learned ? "There are features for node type '" + type + "', but the "
                        + "model learns its input" : "No features for node type '" + type + "'");
            }
            if (rows != null && rows.cols() != config.inputWidths().get(type)) {
                throw new IllegalArgumentException("The model expects " + config.inputWidths().get(type)
                        + " input features for node type '" + type + "' but there are " + rows.cols());
            }
        }
        if (config.classCount() != data.labels().classCount() || data.labels().isMultiLabel()) {
            throw new IllegalArgumentException("The model predicts " + config.classCount() + " classes but the labels "
                    + "have " + data.labels().classCount() + (data.labels().isMultiLabel() ? " (multi-label)" : ""));
        }
    }

    /** 1 per relation for sum, 1/R for mean (what the layers report; semantic attention is refused here). */
    private static List<Map<String, Map<Relation, Double>>> relationWeights(TypedGatConfig config) {
        List<Map<String, Map<Relation, Double>>> layers = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            Map<String, Map<Relation, Double>> byType = new LinkedHashMap<>();
            for (String type : config.layer(l).outputTypes()) {
                List<Relation> into = config.layer(l).relationsInto(type);
                if (!into.isEmpty()) {
                    Map<Relation, Double> weights = new LinkedHashMap<>();
                    boolean mean = config.layer(l).aggregation() == RelationAggregation.MEAN;
                    into.forEach(r -> weights.put(r, mean ? 1.0 / into.size() : 1.0));
                    byType.put(type, weights);
                }
            }
            layers.add(byType);
        }
        return layers;
    }

    /** Metrics over a set of target nodes without dropout, chunk by chunk on exact neighbourhoods read ahead. */
    private static final class Evaluator {
        private final Backend backend;
        private final TypedGatConfig config;
        private final TypedSampledTrainingData data;
        private final BatchPipeline<TypedBatchReader> pipeline;
        private final TypedMiniBatchSteps steps;
        private final int chunk;
        private final int[] allNeighbours;

        Evaluator(Backend backend, TypedGatConfig config, TypedSampledTrainingData data,
                  BatchPipeline<TypedBatchReader> pipeline, TypedMiniBatchSteps steps, int chunk) {
            this.backend = backend;
            this.config = config;
            this.data = data;
            this.pipeline = pipeline;
            this.steps = steps;
            this.chunk = chunk;
            this.allNeighbours = allNeighbours(config.layers());
        }

        MetricCounts evaluate(TypedGatNetwork parameters, int[] nodes, TerminationFlag termination) {
            MetricCounts[] total = {null};
            int chunks = (nodes.length + chunk - 1) / chunk;
            pipeline.run(chunks, termination, (reader, c) -> steps.prepare(reader,
                    Arrays.copyOfRange(nodes, c * chunk, Math.min(nodes.length, (c + 1) * chunk)), allNeighbours, 0,
                    0), (c, prepared) -> total[0] = MiniBatchSteps.plus(total[0],
                    forward(backend, parameters, prepared, (network, batchLocals) -> {
                        Targets targets = backend.upload(prepared.labels(), batchLocals);
                        try {
                            return backend.evaluate(network.forward(), targets);
                        } finally {
                            backend.release(targets);
                        }
                    })));
            return total[0] != null ? total[0] : new MetricCounts(0, 0, 0, 0, 0, 0, false);
        }
    }
}
