package dev.neogat.train;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MiniBatchTrainingTest {

    private static final Dataset SPARSE = SyntheticGraphs.generate(
            new SyntheticGraphs.Spec(600, 4, 4, 300, true, 12, 0.8, 0.5, 100, 200, 5));
    private static final Dataset DENSE = SyntheticGraphs.generate(
            new SyntheticGraphs.Spec(500, 5, 3, 24, false, 0, 0.8, 1.0, 100, 200, 9));
    private static final long SEED = 21;

    private static GatConfig gat(Dataset data) {
        return GatConfig.builder(data.features().cols(), data.labels().classCount()).hiddenHeads(4).hiddenChannels(6)
                .build();
    }

    private static GatConfig gatV2(Dataset data) {
        return gat(data).toBuilder().variant(Variant.GATV2).residual(true).inputDropoutPerHead(true)
                .messageDropout(0.3).build();
    }

    @Test
    void allNeighboursInOneBatchStepsAsFullBatchWithDropout() {
        stepsAsFullBatch(SPARSE, gat(SPARSE));
        stepsAsFullBatch(DENSE, gatV2(DENSE));
        stepsAsFullBatch(DENSE, gat(DENSE).toBuilder().layers(3).hiddenChannels(4, 4).hiddenHeads(2, 2).build());
    }

    @Test
    void allNeighboursInOneBatchStepsAsFullBatchWithRelationshipFeatures() {
        TrainingData plain = DENSE.trainingData();
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        int edges = plain.graph().originalEdgeCount();
        float[] values = new float[edges * 2];
        for (int e = 0; e < values.length; e++) {
            values[e] = (float) random.nextDouble(-1, 1);
        }
        TrainingData withFeatures = new TrainingData(plain.graph(), plain.features(), plain.labels(), plain.split(),
                new dev.neogat.nn.DenseMatrix(edges, 2, values));
        stepsAsFullBatch(withFeatures, DENSE.features(), gat(DENSE).toBuilder().edgeDim(2).build());
        stepsAsFullBatch(withFeatures, DENSE.features(), gatV2(DENSE).toBuilder().edgeDim(2).build());
    }

    private static void stepsAsFullBatch(Dataset data, GatConfig config) {
        stepsAsFullBatch(data.trainingData(), data.features(), config);
    }

    /**
     * With fanouts all -1 and one batch holding every training node, each mini-batch step is the full-batch
     * step: same loss, gradients and parameters after Adam, up to the order of float sums.
     */
    private static void stepsAsFullBatch(TrainingData training, FeatureMatrix rawFeatures, GatConfig config) {
        FeatureMatrix features = config.normalizeFeatures() ? rawFeatures.rowNormalized() : rawFeatures;
        Weights initial = Weights.initialize(config, SEED);
        AdamSettings adam = AdamSettings.of(0.01, 5e-4);
        int[] allNeighbours = new int[config.layerCount()];
        Arrays.fill(allNeighbours, -1);
        try (CpuBackend fullBackend = new CpuBackend(2, TerminationFlag.RUNNING);
             CpuBackend batchBackend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            GatNetwork full = new GatNetwork(fullBackend, config, initial, fullBackend.upload(training.graph()),
                    fullBackend.upload(features), dev.neogat.nn.EdgeFeatures.upload(fullBackend, training.graph(),
                            training.relationshipFeatures()), false);
            Targets trainTargets = fullBackend.upload(training.labels(), training.split().train());
            GatNetwork owner = new GatNetwork(batchBackend, config, initial, batchBackend.upload(training.graph()),
                    batchBackend.upload(features), dev.neogat.nn.EdgeFeatures.upload(batchBackend, training.graph(),
                            training.relationshipFeatures()), false);
            MiniBatchSteps batches = new MiniBatchSteps(batchBackend, owner, training, features,
                    new MiniBatchConfig(training.split().train().length + 5, allNeighbours), SEED, 0);
            for (int step = 1; step <= 4; step++) {
                full.forward(true, SEED, step);
                double fullLoss = full.lossAndGradients(trainTargets);
                Weights gradients = gradients(full);
                full.adamStep(adam);
                double batchLoss = batches.epoch(step, adam, TerminationFlag.RUNNING);
                assertEquals(fullLoss, batchLoss, 1e-5 * Math.abs(fullLoss), "loss at step " + step);
                assertClose(gradients, gradients(owner), 1e-4, "gradient at step " + step);
                assertClose(full.weights(), owner.weights(), 1e-5, "parameters after step " + step);
            }
            assertEquals(4, owner.adamSteps());
        }
    }

    private static Weights gradients(GatNetwork network) {
        java.util.Map<String, dev.neogat.nn.DenseMatrix> map = new java.util.LinkedHashMap<>();
        for (String name : network.parameterNames()) {
            Tensor g = network.gradient(name);
            float[] values = new float[g.rows() * g.cols()];
            network.backend().download(g, values);
            map.put(name, new dev.neogat.nn.DenseMatrix(g.rows(), g.cols(), values));
        }
        return new Weights(map);
    }

    /** Each value within {@code relative} of the largest magnitude of its tensor. */
    private static void assertClose(Weights expected, Weights actual, double relative, String what) {
        for (String name : expected.asMap().keySet()) {
            float[] e = expected.get(name).data();
            float[] a = actual.get(name).data();
            double scale = 0;
            for (float v : e) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], relative * scale + 1e-7, what + ", " + name + "[" + i + "]");
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalModelsAtOneAndThreeThreads() {
        MiniBatchConfig miniBatch = new MiniBatchConfig(16, new int[]{4, 3});
        TrainingConfig training = TrainingConfig.defaults().withEpochs(6).withPatience(0).withSeed(SEED);
        for (GatConfig config : new GatConfig[]{gat(SPARSE), gatV2(SPARSE)}) {
            TrainingResult one = train(SPARSE, config, training, miniBatch, 1, TerminationFlag.RUNNING);
            TrainingResult three = train(SPARSE, config, training, miniBatch, 3, TerminationFlag.RUNNING);
            for (String name : one.model().weights().asMap().keySet()) {
                assertArrayEquals(one.model().weights().get(name).data(), three.model().weights().get(name).data(),
                        name + " differs between 1 and 3 threads");
            }
            assertEquals(losses(one), losses(three));
            TrainingResult otherSeed = train(SPARSE, config, training.withSeed(SEED + 1), miniBatch, 3,
                    TerminationFlag.RUNNING);
            assertThat(losses(otherSeed)).isNotEqualTo(losses(one));
        }
    }

    /** Batches sampled and gathered ahead on 0, 2 and 4 worker threads: the same steps, bit for bit. */
    @Test
    void batchesPreparedOnMoreThreadsGiveBitIdenticalModels() {
        MiniBatchConfig miniBatch = new MiniBatchConfig(16, new int[]{4, 3});
        TrainingConfig training = TrainingConfig.defaults().withEpochs(4).withPatience(2).withSeed(SEED);
        for (Dataset data : new Dataset[]{SPARSE, DENSE}) {
            GatConfig config = data == SPARSE ? gat(data) : gatV2(data);
            TrainingResult one = trainPrepared(data, config, training, miniBatch, 1);
            for (int concurrency : new int[]{2, 4}) {
                TrainingResult more = trainPrepared(data, config, training, miniBatch, concurrency);
                assertEquals(losses(one), losses(more), "losses at concurrency " + concurrency);
                assertEquals(one.bestEpoch(), more.bestEpoch());
                for (String name : one.model().weights().asMap().keySet()) {
                    assertArrayEquals(one.model().weights().get(name).data(),
                            more.model().weights().get(name).data(), name + " at concurrency " + concurrency);
                }
            }
        }
    }

    private static TrainingResult trainPrepared(Dataset data, GatConfig config, TrainingConfig training,
                                                MiniBatchConfig miniBatch, int concurrency) {
        try (Backend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            return Trainer.train(backend, data.trainingData(), config, training, miniBatch, concurrency,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
        }
    }

    @Test
    void learnsWithSmallBatchesAndFewNeighbours() {
        TrainingConfig training = new TrainingConfig(60, 0.01, 5e-4, 20, 3);
        TrainingResult result = train(SPARSE, gat(SPARSE), training, new MiniBatchConfig(20, new int[]{5, 5}), 2,
                TerminationFlag.RUNNING);
        assertThat(result.validation().score()).as("validation accuracy, 4 classes").isGreaterThan(0.6);
        assertThat(result.history().get(result.history().size() - 1).loss())
                .isLessThan(result.history().get(0).loss());
        var settings = result.model().metadata().training();
        assertEquals(20, settings.batchSize());
        assertEquals(java.util.List.of(5, 5), settings.fanouts());
    }

    @Test
    void terminationIsCheckedPerBatch() {
        AtomicInteger asked = new AtomicInteger();
        // Epoch 1 asks once before its batches and once per batch (80 training nodes / 8 = 10 batches).
        TerminationFlag stopAtThirdBatch = () -> asked.incrementAndGet() > 4;
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            assertThrows(TerminatedException.class, () -> Trainer.train(backend, SPARSE.trainingData(), gat(SPARSE),
                    TrainingConfig.defaults().withEpochs(1), new MiniBatchConfig(8, new int[]{2, 2}),
                    TrainingListener.NONE, stopAtThirdBatch));
        }
        assertEquals(5, asked.get(), "stopped at the flag, not at the end of the epoch");
    }

    @Test
    void fanoutsMustMatchTheLayers() {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.train(backend,
                    SPARSE.trainingData(), gat(SPARSE), TrainingConfig.defaults().withEpochs(1),
                    new MiniBatchConfig(8, new int[]{2, 2, 2}), TrainingListener.NONE, TerminationFlag.RUNNING));
            assertThat(e.getMessage()).contains("fanouts lists 3 values [2, 2, 2]").contains("2 layers");
        }
        assertThat(assertThrows(IllegalArgumentException.class, () -> new MiniBatchConfig(0, new int[]{2}))
                .getMessage()).contains("batchSize must be at least 1, got 0");
        assertThat(assertThrows(IllegalArgumentException.class, () -> new MiniBatchConfig(4, new int[]{2, -3}))
                .getMessage()).contains("fanouts[1]").contains("-3");
    }

    private static TrainingResult train(Dataset data, GatConfig config, TrainingConfig training,
                                        MiniBatchConfig miniBatch, int threads, TerminationFlag flag) {
        try (Backend backend = new CpuBackend(threads, flag)) {
            return Trainer.train(backend, data.trainingData(), config, training, miniBatch, TrainingListener.NONE,
                    flag);
        }
    }

    private static String losses(TrainingResult result) {
        return Arrays.toString(result.history().stream().mapToDouble(EpochStats::loss).toArray());
    }
}
