package dev.neogat.train;

import dev.neogat.model.ModelMetadata;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.testing.RandomGraphs;
import dev.neogat.testing.SharedData;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Layer-wise inference equals full-batch inference: every logit, hidden output and attention value of every layer
 * and head, on random graphs (GAT and GATv2, residual, averaged heads, 3 layers, dense and sparse features) and on
 * Cora, at any thread count and any chunking.
 */
class LayerWiseInferenceTest {

    private static final int NODES = 400;

    @ParameterizedTest(name = "{0}, residual {1}, concat hidden {2}, sparse {3}, self loops {4}")
    @CsvSource({
            "GAT, true, false, false, true",
            "GAT, false, true, true, true",
            "GATV2, true, false, true, true",
            "GATV2, false, true, false, false",
            "GAT, true, true, false, false",
    })
    void equalsFullBatchOnRandomGraphs(Variant variant, boolean residual, boolean concatHidden, boolean sparse,
                                       boolean selfLoops) {
        IncomingCsr graph = RandomGraphs.graph(NODES, 2400, 7, selfLoops);
        FeatureMatrix features = features(NODES, 24, sparse, 11);
        GatConfig config = GatConfig.builder(24, 5).variant(variant).layers(3).hiddenChannels(6).hiddenHeads(4)
                .outputHeads(2).concatHidden(concatHidden).residual(residual).normalizeFeatures(sparse).build();
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 3), ModelMetadata.NONE);
        Prediction full;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            full = Inference.run(backend, model, graph, features, Inference.Request.EVERYTHING);
        }
        long budget = LayerWiseInference.plan(config, graph, features, Long.MAX_VALUE / 4).residentBytes() + 60_000;
        for (int threads : new int[]{1, 3}) {
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                LayerWiseInference.Plan plan = LayerWiseInference.plan(config, graph, features, budget);
                assertThat(plan.chunkCount()).as("chunks of a small budget").isGreaterThan(3L * 3);
                Prediction layerWise = LayerWiseInference.predict(backend, model, graph, features, budget,
                        Inference.Request.EVERYTHING, TerminationFlag.RUNNING);
                assertSame(config, full, layerWise);
            }
        }
    }

    @Test
    void chunksStayWithinTheBudgetAndCoverEveryNodeOnce() {
        IncomingCsr graph = RandomGraphs.graph(NODES, 3000, 5, true);
        FeatureMatrix features = features(NODES, 16, true, 2);
        GatConfig config = GatConfig.builder(16, 3).variant(Variant.GATV2).layers(2).hiddenChannels(8).hiddenHeads(4)
                .residual(true).build();
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 1), ModelMetadata.NONE);
        long budget = LayerWiseInference.plan(config, graph, features, Long.MAX_VALUE / 4).residentBytes() + 40_000;
        LayerWiseInference.Plan plan = LayerWiseInference.plan(config, graph, features, budget);
        int[] offsets = graph.offsets();
        for (int l = 0; l < 2; l++) {
            int[] bounds = plan.chunks()[l];
            assertThat(bounds[0]).isZero();
            assertThat(bounds[bounds.length - 1]).isEqualTo(NODES);
            for (int c = 0; c + 1 < bounds.length; c++) {
                int targets = bounds[c + 1] - bounds[c];
                assertThat(targets).isPositive();
                if (targets > 1) {
                    assertThat(LayerWiseInference.chunkBytes(config.layer(l), targets,
                            offsets[bounds[c + 1]] - offsets[bounds[c]], 0))
                            .isLessThanOrEqualTo(plan.chunkBudgetBytes());
                }
            }
        }
        int[] logitsSeen = new int[NODES];
        int[][] attentionSeen = new int[2][graph.slotCount()];
        AtomicInteger lastProgress = new AtomicInteger();
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            LayerWiseInference.run(backend, model, graph, features, budget, new Inference.Request(true, false),
                    new LayerWiseInference.Consumer() {
                        @Override
                        public void logits(int first, int end, float[] values) {
                            assertThat(values).hasSize((end - first) * 3);
                            for (int i = first; i < end; i++) {
                                logitsSeen[i]++;
                            }
                        }

                        @Override
                        public void embeddings(int layer, int first, int end, float[] values) {
                            throw new AssertionError("embeddings were not requested");
                        }

                        @Override
                        public void attention(int layer, int first, int end, int firstSlot, float[] values) {
                            assertThat(firstSlot).isEqualTo(offsets[first]);
                            assertThat(values).hasSize((offsets[end] - firstSlot) * config.heads(layer));
                            for (int s = firstSlot; s < offsets[end]; s++) {
                                attentionSeen[layer][s]++;
                            }
                        }

                        @Override
                        public void progress(long chunksDone, long chunkTotal) {
                            assertThat(chunksDone).isEqualTo(lastProgress.get() + 1L);
                            assertThat(chunkTotal).isEqualTo(plan.chunkCount());
                            lastProgress.set((int) chunksDone);
                        }
                    }, TerminationFlag.RUNNING);
        }
        assertThat(logitsSeen).containsOnly(1);
        assertThat(attentionSeen[0]).containsOnly(1);
        assertThat(attentionSeen[1]).containsOnly(1);
        assertThat(lastProgress.get()).isEqualTo((int) plan.chunkCount());
    }

    @Test
    void aBudgetTooSmallIsRefusedWithTheMinimum() {
        IncomingCsr graph = RandomGraphs.graph(100, 400, 1, true);
        GatConfig config = GatConfig.builder(8, 3).layers(2).hiddenChannels(4).hiddenHeads(2).build();
        assertThatThrownBy(() -> LayerWiseInference.plan(config, graph, features(100, 8, false, 1), 1000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memory budget of 1000 B is too small")
                .hasMessageContaining("give at least");
        assertThatThrownBy(() -> LayerWiseInference.plan(config, graph, features(100, 8, false, 1), 0))
                .hasMessageContaining("must be positive");
    }

    @Test
    void stopsWhenTerminated() {
        IncomingCsr graph = RandomGraphs.graph(NODES, 2000, 3, true);
        FeatureMatrix features = features(NODES, 8, false, 4);
        GatConfig config = GatConfig.builder(8, 3).layers(2).hiddenChannels(4).hiddenHeads(2).build();
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 1), ModelMetadata.NONE);
        long budget = LayerWiseInference.plan(config, graph, features, Long.MAX_VALUE / 4).residentBytes() + 20_000;
        AtomicInteger chunks = new AtomicInteger();
        TerminationFlag afterTwoChunks = () -> chunks.get() >= 2;
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            assertThatThrownBy(() -> LayerWiseInference.run(backend, model, graph, features, budget,
                    Inference.Request.LOGITS_ONLY, new LayerWiseInference.Consumer() {
                        @Override
                        public void progress(long chunksDone, long chunkTotal) {
                            chunks.incrementAndGet();
                        }
                    }, afterTwoChunks)).isInstanceOf(TerminatedException.class);
        }
        assertThat(chunks.get()).isEqualTo(2);
    }

    @Test
    void equalsFullBatchOnCora() throws IOException {
        Dataset cora = PlanetoidCsv.load(SharedData.require("datasets/cora"));
        IncomingCsr graph = cora.undirectedGraph();
        GatConfig config = GatConfig.builder(cora.features().cols(), cora.labels().classCount()).layers(2)
                .hiddenChannels(8).hiddenHeads(8).outputHeads(1).normalizeFeatures(true).build();
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 42), ModelMetadata.NONE);
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            Prediction full = Inference.run(backend, model, graph, cora.features(), Inference.Request.EVERYTHING);
            long budget = LayerWiseInference.plan(config, graph, cora.features(), Long.MAX_VALUE / 4).residentBytes()
                    + (1 << 20);
            Prediction layerWise = LayerWiseInference.predict(backend, model, graph, cora.features(), budget,
                    Inference.Request.EVERYTHING, TerminationFlag.RUNNING);
            assertThat(LayerWiseInference.plan(config, graph, cora.features(), budget).chunkCount()).isGreaterThan(2);
            assertSame(config, full, layerWise);
        }
    }

    private static void assertSame(GatConfig config, Prediction full, Prediction layerWise) {
        assertThat(layerWise.logits()).as("logits").containsExactly(full.logits());
        for (int l = 0; l < config.layerCount(); l++) {
            assertThat(layerWise.attention(l)).as("attention of layer %d", l).containsExactly(full.attention(l));
            if (!config.isOutputLayer(l)) {
                assertThat(layerWise.embeddings(l)).as("output of layer %d", l).containsExactly(full.embeddings(l));
            }
        }
        for (int i = 0; i < full.nodeCount(); i++) {
            assertThat(layerWise.probabilities(i)).containsExactly(full.probabilities(i));
        }
    }

    private static FeatureMatrix features(int rows, int cols, boolean sparse, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[rows * cols];
        for (int p = 0; p < values.length; p++) {
            if (!sparse || random.nextDouble() < 0.2) {
                values[p] = (float) random.nextGaussian();
            }
        }
        return sparse ? SparseMatrix.fromDense(rows, cols, values) : new DenseMatrix(rows, cols, values);
    }
}
