package dev.neogat.train;

import dev.neogat.data.NodeSplit;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.graph.TypedNeighbourSource;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Typed training from sources read batch by batch ({@link TypedSampledTrainer}, as a store's reader serves them)
 * against typed mini-batch training in the heap ({@link TypedTrainer} with a {@link MiniBatchConfig}): the same
 * shuffles, draws, dropout and Adam steps give the same losses and weights, at any concurrency, each worker
 * through a reader of its own that is closed; chunked predictions on exact neighbourhoods equal the whole graph's;
 * a model whose relationship features the sources do not give, and what batches from a store cannot train exactly,
 * are refused.
 */
class TypedSampledTrainerTest {

    /** The in-heap graph as a store would serve it: each worker opens a reader of its own, counted. */
    private static TypedSampledTrainingData asStore(TypedTrainingData data, AtomicInteger opened,
                                                    AtomicInteger closed) {
        TypedNeighbourSource graph = TypedNeighbourSource.of(data.graph());
        Map<String, FeatureRows> rows = new LinkedHashMap<>();
        data.features().forEach((type, x) -> rows.put(type, FeatureRows.of(x)));
        return new TypedSampledTrainingData(graph, rows, data.targetType(), data.labels(), data.split(), () -> {
            opened.incrementAndGet();
            return TypedBatchReader.of(copyOf(graph), rows, closed::incrementAndGet);
        });
    }

    /** A source that reads slot by slot through another (a worker's reader does not share the caller's buffers). */
    private static TypedNeighbourSource copyOf(TypedNeighbourSource source) {
        return new TypedNeighbourSource() {
            @Override
            public List<String> nodeTypes() {
                return source.nodeTypes();
            }

            @Override
            public int nodeCount(String type) {
                return source.nodeCount(type);
            }

            @Override
            public List<Relation> relations() {
                return source.relations();
            }

            @Override
            public void incoming(int relation, int node, NeighbourSource.Slots into) {
                source.incoming(relation, node, into);
            }
        };
    }

    private static TypedTrainingResult fromSources(TypedSampledTrainingData data, TypedGatConfig config,
                                                   TrainingConfig training, MiniBatchConfig miniBatch,
                                                   int concurrency) {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedSampledTrainer.train(backend, data, config, training, miniBatch, 17, concurrency,
                    new SampledTrainer.Listener() {
                        @Override
                        public void onBatch(int epoch, int batch, int batches) {
                        }

                        @Override
                        public void onEpoch(EpochStats stats, int maxEpochs) {
                        }
                    }, TerminationFlag.RUNNING);
        }
    }

    private static TypedTrainingResult inHeap(TypedTrainingData data, TypedGatConfig config, TrainingConfig training,
                                              MiniBatchConfig miniBatch) {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedTrainer.train(backend, data, config, training, miniBatch, 1, TrainingListener.NONE,
                    TerminationFlag.RUNNING);
        }
    }

    private static void assertSameTraining(TypedTrainingResult expected, TypedTrainingResult actual, String what) {
        assertEquals(expected.history().size(), actual.history().size(), "epochs, " + what);
        for (int e = 0; e < expected.history().size(); e++) {
            assertEquals(expected.history().get(e).loss(), actual.history().get(e).loss(), 1e-6,
                    "loss of epoch " + (e + 1) + ", " + what);
            assertEquals(expected.history().get(e).validationLoss(), actual.history().get(e).validationLoss(), 1e-6,
                    "validation loss of epoch " + (e + 1) + ", " + what);
            assertEquals(expected.history().get(e).validationScore(),
                    actual.history().get(e).validationScore(), 1e-9,
                    "validation score of epoch " + (e + 1) + ", " + what);
        }
        for (String name : expected.weights().asMap().keySet()) {
            assertArrayEquals(expected.weights().get(name).data(), actual.weights().get(name).data(), 1e-6f,
                    name + ", " + what);
        }
        assertEquals(expected.test().score(), actual.test().score(), 1e-9, "test score, " + what);
        assertEquals(expected.test().loss(), actual.test().loss(), 1e-6, "test loss, " + what);
    }

    @Test
    void sampledBatchesFromSourcesTrainAsInTheHeapAtAnyConcurrency() {
        TypedSignalGraph graph = new TypedSignalGraph(300, 5);
        TypedTrainingData data = graph.typedWithoutRelationshipFeatures();
        TypedGatConfig config = graph.config(false, 2).aggregation(RelationAggregation.SUM)
                .attentionDropout(0.1).messageDropout(0.1).residual(true).normalizeFeatures(true).build();
        TrainingConfig training = new TrainingConfig(5, 0.01, 5e-4, 100, 7);
        MiniBatchConfig miniBatch = new MiniBatchConfig(32, new int[]{3, 2});
        TypedTrainingResult heap = inHeap(data, config, training, miniBatch);
        for (int concurrency : new int[]{1, 3}) {
            AtomicInteger opened = new AtomicInteger();
            AtomicInteger closed = new AtomicInteger();
            TypedTrainingResult sources = fromSources(asStore(data, opened, closed), config, training, miniBatch,
                    concurrency);
            assertSameTraining(heap, sources, "concurrency " + concurrency);
            assertEquals(opened.get(), closed.get(), "readers opened and closed at concurrency " + concurrency);
            assertTrue(concurrency == 1 ? opened.get() == 0 : opened.get() > 0, opened + " readers opened");
        }
    }

    /**
     * Relationship features given per whole-graph slot by the readers (as a store's give them: a self loop's row the
     * mean of its node's incoming ones of the relation, a reversed relation reading the relation it reverses) train
     * as in the heap.
     */
    @Test
    void relationshipFeaturesReadPerSlotTrainAsInTheHeap() {
        TypedSignalGraph graph = new TypedSignalGraph(300, 5);
        TypedTrainingData data = graph.typed();
        TypedGatConfig config = graph.config(true, 2).aggregation(RelationAggregation.SUM).attentionDropout(0.1)
                .build();
        Map<Relation, DenseMatrix> perEdge = TypedTrainer.dense(data.relationshipFeatures());
        Map<Relation, DenseMatrix> perSlot = new LinkedHashMap<>();
        for (Relation r : config.relations()) {
            Relation reads = perEdge.containsKey(r) || data.graph().reversedFrom(r) == null ? r
                    : data.graph().reversedFrom(r);
            if (config.edgeDim(r) > 0 && perEdge.containsKey(reads)) {
                perSlot.put(r, EdgeFeatures.perSlot(data.graph().graph(r), perEdge.get(reads)));
            }
        }
        assertTrue(!perSlot.isEmpty(), "relations with relationship features");
        BiFunction<Relation, int[], DenseMatrix> slotFeatures = (r, slots) -> perSlot.containsKey(r)
                ? (DenseMatrix) MiniBatchSteps.rows(perSlot.get(r), slots) : null;
        TypedNeighbourSource source = TypedNeighbourSource.of(data.graph());
        Map<String, FeatureRows> rows = new LinkedHashMap<>();
        data.features().forEach((type, x) -> rows.put(type, FeatureRows.of(x)));
        TypedSampledTrainingData sources = new TypedSampledTrainingData(source, rows, data.targetType(),
                data.labels(), data.split(), () -> TypedBatchReader.of(copyOf(source), rows, slotFeatures, () -> { }),
                slotFeatures);
        TrainingConfig training = new TrainingConfig(4, 0.01, 5e-4, 100, 7);
        MiniBatchConfig miniBatch = new MiniBatchConfig(32, new int[]{3, 2});
        TypedTrainingResult heap = inHeap(data, config, training, miniBatch);
        for (int concurrency : new int[]{1, 3}) {
            assertSameTraining(heap, fromSources(sources, config, training, miniBatch, concurrency),
                    "relationship features, concurrency " + concurrency);
        }
    }

    @Test
    void aTypeLearningOneInputPerNodeAndMeanAggregationTrainAsInTheHeap() {
        TypedSignalGraph graph = new TypedSignalGraph(200, 8);
        TypedTrainingData data = graph.typedWithoutRelationshipFeatures();
        int tags = data.graph().nodeCount("tag");
        TypedGatConfig config = graph.config(false, 2).featureless("tag", FeaturelessInput.perNode(8, tags))
                .aggregation(RelationAggregation.MEAN).build();
        TrainingConfig training = new TrainingConfig(3, 0.01, 5e-4, 100, 3);
        MiniBatchConfig miniBatch = new MiniBatchConfig(40, new int[]{4, -1});
        assertSameTraining(inHeap(data, config, training, miniBatch), fromSources(asStore(data, new AtomicInteger(),
                new AtomicInteger()), config, training, miniBatch, 2), "tag learning one input per node, mean");
    }

    @Test
    void chunkedPredictionsOnExactNeighbourhoodsEqualTheWholeGraphs() {
        TypedSignalGraph graph = new TypedSignalGraph(200, 9);
        TypedTrainingData data = graph.typedWithoutRelationshipFeatures();
        TypedGatConfig config = graph.config(false, 2).aggregation(RelationAggregation.SUM).build();
        TypedTrainingResult trained = inHeap(data, config, new TrainingConfig(3, 0.01, 5e-4, 100, 3), null);
        int items = data.graph().nodeCount(TypedSignalGraph.ITEM);
        int chunk = 23;
        float[] chunked = new float[items * config.classCount()];
        boolean[] seen = new boolean[items];
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            TypedPrediction whole = TypedInference.run(backend, trained.model(), data.graph(), data.features(),
                    Inference.Request.LOGITS_ONLY);
            TypedSampledTrainer.predictChunks(backend, trained.model(), asStore(data, new AtomicInteger(),
                    new AtomicInteger()), 2, (items + chunk - 1) / chunk, c -> {
                int[] nodes = new int[Math.min(items, (c + 1) * chunk) - c * chunk];
                Arrays.setAll(nodes, i -> items - 1 - (c * chunk + i));
                return nodes;
            }, (c, nodes, logits) -> {
                for (int i = 0; i < nodes.length; i++) {
                    seen[nodes[i]] = true;
                    System.arraycopy(logits, i * config.classCount(), chunked, nodes[i] * config.classCount(),
                            config.classCount());
                }
            }, TerminationFlag.RUNNING);
            for (int i = 0; i < items; i++) {
                assertTrue(seen[i], "item " + i + " predicted");
            }
            assertArrayEquals(whole.logits(), chunked, 1e-5f);
        }
    }

    @Test
    void relationshipFeaturesTheSourcesDoNotGiveAndSemanticAttentionAreRefused() {
        TypedSignalGraph graph = new TypedSignalGraph(100, 2);
        TypedTrainingData data = graph.typedWithoutRelationshipFeatures();
        TrainingConfig training = new TrainingConfig(1, 0.01, 5e-4, 100, 3);
        MiniBatchConfig miniBatch = new MiniBatchConfig(16, new int[]{2, 2});
        TypedSampledTrainingData sources = asStore(data, new AtomicInteger(), new AtomicInteger());
        IllegalArgumentException edges = assertThrows(IllegalArgumentException.class, () -> fromSources(sources,
                graph.config(true, 2).aggregation(RelationAggregation.SUM).build(), training, miniBatch, 1));
        assertEquals("The model attends over relationship features but the data gives none", edges.getMessage());
        IllegalArgumentException semantic = assertThrows(IllegalArgumentException.class, () -> fromSources(sources,
                graph.config(false, 2).aggregation(RelationAggregation.ATTENTION).semanticDim(8).build(), training,
                miniBatch, 1));
        assertTrue(semantic.getMessage().contains("relationAggregation 'attention' is not trained from the store"),
                semantic.getMessage());
    }

    /** The class's part that the node type of a neighbour decides is learnt from batches read from sources. */
    @Test
    void sampledBatchesFromSourcesLearnTheSignal() {
        TypedSignalGraph graph = new TypedSignalGraph(400, 4);
        TypedTrainingData data = graph.typedWithoutRelationshipFeatures();
        TypedGatConfig config = graph.config(false, 2).aggregation(RelationAggregation.SUM).build();
        TypedTrainingResult result = fromSources(asStore(data, new AtomicInteger(), new AtomicInteger()), config,
                new TrainingConfig(60, 0.01, 5e-4, 100, 7), new MiniBatchConfig(32, new int[]{3, 3}), 2);
        // Without the rating weight half of the class is a coin toss: 0.5 is the ceiling, 0.25 chance.
        assertTrue(result.test().score() > 0.45, "test accuracy " + result.test().score());
    }

    /** A split without training nodes is refused before anything is read. */
    @Test
    void noTrainingNodesIsRefused() {
        TypedSignalGraph graph = new TypedSignalGraph(100, 2);
        TypedTrainingData data = graph.typedWithoutRelationshipFeatures();
        TypedTrainingData empty = new TypedTrainingData(data.graph(), data.features(), data.targetType(),
                data.labels(), new NodeSplit(new int[0], new int[0], new int[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fromSources(asStore(empty,
                new AtomicInteger(), new AtomicInteger()), graph.config(false, 2).build(),
                new TrainingConfig(1, 0.01, 5e-4, 100, 3), new MiniBatchConfig(16, new int[]{2, 2}), 1));
        assertTrue(e.getMessage().startsWith("There are no training nodes"), e.getMessage());
    }
}
