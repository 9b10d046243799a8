package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.graph.NeighbourSampler;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.graph.SampledSubgraph;
import dev.neogat.nn.Backend;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Mini-batch training from sources that are not the in-heap CSR: a source built differently (per-node lists from
 * the edge arrays in relationship order, as the store reader builds them) samples exactly what the CSR samples,
 * and {@link SampledTrainer} on it takes the same steps as {@link Trainer} on the heap; chunked evaluation and
 * prediction on exact neighbourhoods equal the whole graph's.
 */
class SampledTrainingTest {

    private static final Dataset SPARSE = SyntheticGraphs.generate(
            new SyntheticGraphs.Spec(600, 4, 4, 300, true, 12, 0.8, 0.5, 100, 200, 5));
    private static final Dataset DENSE = SyntheticGraphs.generate(
            new SyntheticGraphs.Spec(500, 5, 3, 24, false, 0, 0.8, 1.0, 100, 200, 9));
    private static final long SEED = 21;

    /**
     * Per node, its incoming slots read from the edge list as a store reader reads relationships: in edge order,
     * each edge at both ends (undirected), an edge from a node to itself replaced by the self loop that comes last;
     * slot ids numbered by a prefix sum of the counts.
     */
    static final class EdgeListSource implements NeighbourSource {
        private final int[][] sources;
        private final int[] firstSlot;

        EdgeListSource(Dataset data) {
            List<List<Integer>> lists = new ArrayList<>();
            for (int i = 0; i < data.nodeCount(); i++) {
                lists.add(new ArrayList<>());
            }
            for (int e = 0; e < data.edgeCount(); e++) {
                int s = data.sources()[e];
                int t = data.targets()[e];
                if (s != t) {
                    lists.get(t).add(s);
                    lists.get(s).add(t);
                }
            }
            sources = new int[data.nodeCount()][];
            firstSlot = new int[data.nodeCount()];
            int next = 0;
            for (int i = 0; i < data.nodeCount(); i++) {
                lists.get(i).add(i);
                sources[i] = lists.get(i).stream().mapToInt(Integer::intValue).toArray();
                firstSlot[i] = next;
                next += sources[i].length;
            }
        }

        @Override
        public int nodeCount() {
            return sources.length;
        }

        @Override
        public void incoming(int node, Slots into) {
            into.clear();
            for (int k = 0; k < sources[node].length; k++) {
                into.add(sources[node][k], firstSlot[node] + k, k == sources[node].length - 1);
            }
        }

        @Override
        public int selfLoopSlot(int node) {
            return firstSlot[node] + sources[node].length - 1;
        }
    }

    /** The dataset with labels for its labelled nodes only. */
    private static SampledTrainingData sampled(Dataset data, NodeSplit split) {
        return sampled(data, split, -1);
    }

    /** As {@link #sampled(Dataset, NodeSplit)}, with {@code unlabelled}'s label left out. */
    private static SampledTrainingData sampled(Dataset data, NodeSplit split, int unlabelled) {
        NodeLabels labels = data.labels();
        int[] labelled = java.util.stream.IntStream.range(0, data.nodeCount())
                .filter(i -> labels.hasLabel(i) && i != unlabelled).toArray();
        int[] classOf = Arrays.stream(labelled).map(labels::classOf).toArray();
        FeatureMatrix features = data.features();
        return new SampledTrainingData(new EdgeListSource(data), new FeatureRows() {
            @Override
            public int cols() {
                return features.cols();
            }

            @Override
            public FeatureMatrix rows(int[] nodes) {
                return MiniBatchSteps.rows(features, nodes);
            }
        }, labelled, NodeLabels.singleLabel(classOf, labels.classCount()), split);
    }

    private static GatConfig gat(Dataset data) {
        return GatConfig.builder(data.features().cols(), data.labels().classCount()).hiddenHeads(4).hiddenChannels(6)
                .build();
    }

    @Test
    void aDifferentlyBuiltSourceSamplesTheSameSubgraphs() {
        for (Dataset data : List.of(SPARSE, DENSE)) {
            NeighbourSampler heap = new NeighbourSampler(data.undirectedGraph(), new int[]{3, 2}, SEED);
            NeighbourSampler lists = new NeighbourSampler(new EdgeListSource(data), new int[]{3, 2}, SEED);
            int[] batch = Arrays.copyOf(data.split().train(), 16);
            for (int draw = 0; draw < 5; draw++) {
                SampledSubgraph a = heap.sample(batch, 1, draw);
                SampledSubgraph b = lists.sample(batch, 1, draw);
                assertArrayEquals(a.wholeNodes(), b.wholeNodes());
                assertArrayEquals(a.wholeSlots(), b.wholeSlots());
                assertArrayEquals(a.graph().offsets(), b.graph().offsets());
                assertArrayEquals(a.graph().sources(), b.graph().sources());
            }
        }
    }

    /** Without validation nodes no best epoch is restored: the last step's parameters are compared bit for bit. */
    @Test
    void trainingFromAnotherSourceGivesBitIdenticalParameters() {
        GatConfig gatV2 = gat(DENSE).toBuilder().variant(Variant.GATV2).inputDropoutPerHead(true).messageDropout(0.3)
                .build();
        for (Dataset data : List.of(SPARSE, DENSE)) {
            for (GatConfig config : data == DENSE ? List.of(gat(data), gatV2) : List.of(gat(data))) {
                NodeSplit noValidation = new NodeSplit(data.split().train(), new int[0], data.split().test());
                TrainingData heapData = new TrainingData(data.undirectedGraph(), data.features(), data.labels(),
                        noValidation);
                TrainingConfig training = TrainingConfig.defaults().withEpochs(4).withPatience(0).withSeed(SEED);
                MiniBatchConfig miniBatch = new MiniBatchConfig(16, new int[]{4, 3});
                try (Backend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
                    TrainingResult heap = Trainer.train(backend, heapData, config, training, miniBatch,
                            TrainingListener.NONE, TerminationFlag.RUNNING);
                    TrainingResult lists = SampledTrainer.train(backend, sampled(data, noValidation), config,
                            training, miniBatch, 37, listener(new AtomicInteger()), TerminationFlag.RUNNING);
                    assertEquals(losses(heap), losses(lists));
                    for (String name : heap.model().weights().asMap().keySet()) {
                        assertArrayEquals(heap.model().weights().get(name).data(),
                                lists.model().weights().get(name).data(), name);
                    }
                    // Test metrics: the whole graph at once against chunks of 37 nodes on exact neighbourhoods.
                    assertEquals(heap.test().total(), lists.test().total());
                    assertEquals(heap.test().correct(), lists.test().correct());
                    assertEquals(heap.test().loss(), lists.test().loss(), 1e-5);
                }
            }
        }
    }

    @Test
    void validationPerEpochMatchesTheWholeGraphs() {
        TrainingConfig training = TrainingConfig.defaults().withEpochs(5).withPatience(100).withSeed(SEED);
        MiniBatchConfig miniBatch = new MiniBatchConfig(32, new int[]{5, 5});
        AtomicInteger batches = new AtomicInteger();
        try (Backend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            TrainingResult heap = Trainer.train(backend, SPARSE.trainingData(), gat(SPARSE), training, miniBatch,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            TrainingResult lists = SampledTrainer.train(backend, sampled(SPARSE, SPARSE.split()), gat(SPARSE),
                    training, miniBatch, 50, listener(batches), TerminationFlag.RUNNING);
            assertEquals(losses(heap), losses(lists));
            for (int e = 0; e < heap.history().size(); e++) {
                assertEquals(heap.history().get(e).validationScore(), lists.history().get(e).validationScore(), 1e-9);
                assertEquals(heap.history().get(e).validationLoss(), lists.history().get(e).validationLoss(), 1e-5);
            }
            assertEquals(heap.bestEpoch(), lists.bestEpoch());
            assertEquals(heap.validation().correct(), lists.validation().correct());
            int perEpoch = (SPARSE.split().train().length + 31) / 32;
            assertEquals(5 * perEpoch, batches.get(), "one progress report per batch");
            // Prediction for given nodes on their exact neighbourhood is the whole graph's.
            int[] nodes = {5, 77, 123, 599, 0};
            Prediction whole = Inference.run(backend, lists.model(), SPARSE.undirectedGraph(), SPARSE.features(),
                    Inference.Request.LOGITS_ONLY);
            SampledTrainingData data = sampled(SPARSE, SPARSE.split());
            Prediction some = SampledTrainer.predict(backend, lists.model(), data.graph(), data.features(), nodes);
            int classes = SPARSE.labels().classCount();
            for (int i = 0; i < nodes.length; i++) {
                for (int c = 0; c < classes; c++) {
                    assertEquals(whole.logits()[nodes[i] * classes + c], some.logits()[i * classes + c], 1e-5);
                }
            }
        }
    }

    /**
     * Batches and evaluation chunks prepared on 2 and 4 worker threads, each reading through a reader of its own
     * (opened and closed on the worker): the same losses, validation, parameters and predictions as on one thread.
     */
    @Test
    void workerThreadsWithTheirOwnReadersGiveBitIdenticalResults() {
        TrainingConfig training = TrainingConfig.defaults().withEpochs(4).withPatience(100).withSeed(SEED);
        MiniBatchConfig miniBatch = new MiniBatchConfig(16, new int[]{4, 3});
        GatConfig config = gat(DENSE).toBuilder().normalizeFeatures(true).build();
        try (Backend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            TrainingResult one = SampledTrainer.train(backend, sampled(DENSE, DENSE.split()), config, training,
                    miniBatch, 37, 1, 0, listener(new AtomicInteger()), TerminationFlag.RUNNING);
            for (int concurrency : new int[]{2, 4}) {
                AtomicInteger opened = new AtomicInteger();
                AtomicInteger closed = new AtomicInteger();
                List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
                SampledTrainingData shared = sampled(DENSE, DENSE.split());
                SampledTrainingData data = new SampledTrainingData(shared.graph(), shared.features(),
                        shared.labelledNodes(), shared.labels(), shared.split(), () -> {
                            opened.incrementAndGet();
                            threads.add(Thread.currentThread().getName());
                            return BatchReader.of(new EdgeListSource(DENSE), shared.features(),
                                    closed::incrementAndGet);
                        });
                TrainingResult more = SampledTrainer.train(backend, data, config, training, miniBatch, 37, concurrency,
                        0, listener(new AtomicInteger()), TerminationFlag.RUNNING);
                assertEquals(losses(one), losses(more), "concurrency " + concurrency);
                for (int e = 0; e < one.history().size(); e++) {
                    assertEquals(one.history().get(e).validationLoss(), more.history().get(e).validationLoss());
                }
                assertEquals(one.test().loss(), more.test().loss());
                for (String name : one.model().weights().asMap().keySet()) {
                    assertArrayEquals(one.model().weights().get(name).data(), more.model().weights().get(name).data(),
                            name + " at concurrency " + concurrency);
                }
                assertThat(opened.get()).as("readers opened by workers").isPositive();
                assertEquals(opened.get(), closed.get(), "every worker's reader is closed");
                assertThat(threads).allMatch(name -> name.startsWith("neogat-batches-"));

                int[] nodes = java.util.stream.IntStream.range(0, DENSE.nodeCount()).toArray();
                float[] inChunks = new float[nodes.length * DENSE.labels().classCount()];
                SampledTrainer.predictChunks(backend, more.model(), data.callerReader(), data.workerReaders(),
                        concurrency, (nodes.length + 99) / 100,
                        c -> Arrays.copyOfRange(nodes, c * 100, Math.min(nodes.length, c * 100 + 100)),
                        (c, chunk, prediction) -> System.arraycopy(prediction.logits(), 0, inChunks,
                                chunk[0] * DENSE.labels().classCount(), prediction.logits().length),
                        TerminationFlag.RUNNING);
                Prediction whole = Inference.run(backend, more.model(), DENSE.undirectedGraph(), DENSE.features(),
                        Inference.Request.LOGITS_ONLY);
                for (int i = 0; i < inChunks.length; i++) {
                    assertEquals(whole.logits()[i], inChunks[i], 1e-5, "logit " + i);
                }
            }
        }
    }

    /**
     * Layer-wise inference reading each chunk's slot lists and each node range's rows from a source (as from a store)
     * gives the whole graph's logits bit for bit, in several chunks per layer.
     */
    @Test
    void layerWiseInferenceReadFromASourceEqualsTheWholeGraphs() {
        TrainingConfig training = TrainingConfig.defaults().withEpochs(2).withPatience(0).withSeed(SEED);
        MiniBatchConfig miniBatch = new MiniBatchConfig(32, new int[]{4, 3});
        try (Backend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            for (Dataset data : List.of(SPARSE, DENSE)) {
                GatConfig config = data == SPARSE ? gat(data) : gat(data).toBuilder().variant(Variant.GATV2)
                        .residual(true).normalizeFeatures(true).build();
                TrainedModel model = SampledTrainer.train(backend, sampled(data, data.split()), config, training,
                        miniBatch, 64, listener(new AtomicInteger()), TerminationFlag.RUNNING).model();
                EdgeListSource lists = new EdgeListSource(data);
                int n = data.nodeCount();
                int[] offsets = new int[n + 1];
                NeighbourSource.Slots slots = new NeighbourSource.Slots();
                for (int i = 0; i < n; i++) {
                    lists.incoming(i, slots);
                    offsets[i + 1] = offsets[i] + slots.count();
                }
                int cols = data.features().cols();
                LayerWiseInference.Source source = LayerWiseInference.Source.read(lists, offsets,
                        FeatureRows.of(data.features()), data == SPARSE ? 20L * cols + 8 : 4L * cols);
                long budget = LayerWiseInference.plan(config, source, Long.MAX_VALUE / 4).residentBytes() + 40_000;
                int classes = data.labels().classCount();
                float[] logits = new float[n * classes];
                LayerWiseInference.Plan plan = LayerWiseInference.run(backend, model, source, budget,
                        Inference.Request.LOGITS_ONLY, new LayerWiseInference.Consumer() {
                            @Override
                            public void logits(int first, int end, float[] values) {
                                System.arraycopy(values, 0, logits, first * classes, values.length);
                            }
                        }, TerminationFlag.RUNNING);
                assertThat(plan.chunkCount()).as("chunks over both layers").isGreaterThan(4);
                Prediction whole = Inference.run(backend, model, data.undirectedGraph(), data.features(),
                        Inference.Request.LOGITS_ONLY);
                assertArrayEquals(whole.logits(), logits, "layer-wise from a source, " + config.variant());
            }
        }
    }

    /**
     * With a layer-wise view of the whole graph, evaluation whose chunks would read more rows than the graph has
     * nodes runs layer by layer instead: validation per epoch and the final metrics are the in-heap trainer's bit for
     * bit, and each evaluation reads every node's row once. A layer-wise budget too small for it leaves evaluation to
     * the chunks, with the same metrics.
     */
    @Test
    void layerWiseEvaluationGivesTheWholeGraphsMetrics() {
        TrainingConfig training = TrainingConfig.defaults().withEpochs(5).withPatience(100).withSeed(SEED);
        MiniBatchConfig miniBatch = new MiniBatchConfig(32, new int[]{5, 5});
        SampledTrainingData lists = sampled(SPARSE, SPARSE.split());
        int n = SPARSE.nodeCount();
        int[] offsets = new int[n + 1];
        NeighbourSource.Slots slots = new NeighbourSource.Slots();
        for (int i = 0; i < n; i++) {
            lists.graph().incoming(i, slots);
            offsets[i + 1] = offsets[i] + slots.count();
        }
        AtomicInteger rowsRead = new AtomicInteger();
        FeatureRows counted = new FeatureRows() {
            @Override
            public int cols() {
                return SPARSE.features().cols();
            }

            @Override
            public FeatureMatrix rows(int[] nodes) {
                rowsRead.addAndGet(nodes.length);
                return MiniBatchSteps.rows(SPARSE.features(), nodes);
            }
        };
        SampledTrainingData data = new SampledTrainingData(lists.graph(), lists.features(), lists.labelledNodes(),
                lists.labels(), lists.split(), lists.workerReaders(), LayerWiseInference.Source.read(lists.graph(),
                offsets, counted, 20L * SPARSE.features().cols() + 8));
        try (Backend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            TrainingResult heap = Trainer.train(backend, SPARSE.trainingData(), gat(SPARSE), training, miniBatch,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            TrainingResult layerWise = SampledTrainer.train(backend, data, gat(SPARSE), training, miniBatch, 8, 2,
                    64L << 20, listener(new AtomicInteger()), TerminationFlag.RUNNING);
            assertEquals(losses(heap), losses(layerWise));
            for (int e = 0; e < heap.history().size(); e++) {
                assertEquals(heap.history().get(e).validationLoss(), layerWise.history().get(e).validationLoss());
                assertEquals(heap.history().get(e).validationScore(), layerWise.history().get(e).validationScore());
            }
            assertEquals(heap.bestEpoch(), layerWise.bestEpoch());
            for (MetricCounts[] pair : new MetricCounts[][]{{heap.train(), layerWise.train()},
                    {heap.validation(), layerWise.validation()}, {heap.test(), layerWise.test()}}) {
                assertEquals(pair[0], pair[1]);
            }
            // Five epochs' validation and the three final evaluations, each every row once.
            assertEquals(8 * n, rowsRead.get(), "rows read by layer-wise evaluation");
            rowsRead.set(0);
            TrainingResult chunks = SampledTrainer.train(backend, data, gat(SPARSE), training, miniBatch, 8, 2,
                    4L * n, listener(new AtomicInteger()), TerminationFlag.RUNNING);
            assertEquals(0, rowsRead.get(), "a budget that holds no layer-wise run leaves evaluation to the chunks");
            assertEquals(losses(heap), losses(chunks));
            for (MetricCounts[] pair : new MetricCounts[][]{{heap.train(), chunks.train()},
                    {heap.validation(), chunks.validation()}, {heap.test(), chunks.test()}}) {
                assertEquals(pair[0].correct(), pair[1].correct());
                assertEquals(pair[0].total(), pair[1].total());
            }
        }
    }

    @Test
    void terminationIsCheckedPerBatchAndBadInputIsNamed() {
        AtomicInteger asked = new AtomicInteger();
        TerminationFlag stopAtThirdBatch = () -> asked.incrementAndGet() > 4;
        SampledTrainingData data = sampled(SPARSE, SPARSE.split());
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            assertThrows(TerminatedException.class, () -> SampledTrainer.train(backend, data, gat(SPARSE),
                    TrainingConfig.defaults().withEpochs(1), new MiniBatchConfig(8, new int[]{2, 2}), 64,
                    listener(new AtomicInteger()), stopAtThirdBatch));
            assertEquals(5, asked.get());
            int unlabelled = SPARSE.split().test()[0];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SampledTrainer.train(
                    backend, sampled(SPARSE, SPARSE.split(), unlabelled), gat(SPARSE), TrainingConfig.defaults().withEpochs(1),
                    new MiniBatchConfig(8, new int[]{2, 2}), 64, listener(new AtomicInteger()),
                    TerminationFlag.RUNNING));
            assertThat(e.getMessage()).isEqualTo("Node " + unlabelled + " has no label");
            e = assertThrows(IllegalArgumentException.class, () -> SampledTrainer.train(backend, data, gat(SPARSE),
                    TrainingConfig.defaults().withEpochs(1), new MiniBatchConfig(8, new int[]{2, 2}), 0,
                    listener(new AtomicInteger()), TerminationFlag.RUNNING));
            assertThat(e.getMessage()).contains("evaluationChunk must be at least 1, got 0");
        }
    }

    private static SampledTrainer.Listener listener(AtomicInteger batches) {
        return new SampledTrainer.Listener() {
            @Override
            public void onBatch(int epoch, int batch, int total) {
                batches.incrementAndGet();
            }

            @Override
            public void onEpoch(EpochStats stats, int maxEpochs) {
            }
        };
    }

    private static String losses(TrainingResult result) {
        return Arrays.toString(result.history().stream().mapToDouble(EpochStats::loss).toArray());
    }
}
