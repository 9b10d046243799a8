package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {

    private static final Dataset SMALL = SyntheticGraphs.generate(
            new SyntheticGraphs.Spec(600, 4, 4, 300, true, 12, 0.8, 0.5, 100, 200, 5));

    private static GatConfig config(Dataset data) {
        return GatConfig.builder(data.features().cols(), data.labels().classCount()).hiddenHeads(4).hiddenChannels(6)
                .messageDropout(0).normalizeFeatures(false).build();
    }

    private static TrainingResult train(Dataset data, GatConfig config, TrainingConfig training, int threads,
                                        TrainingListener listener, TerminationFlag flag) {
        try (CpuBackend backend = new CpuBackend(threads, flag)) {
            return Trainer.train(backend, data.trainingData(), config, training, listener, flag);
        }
    }

    @Test
    void sameSeedGivesBitIdenticalModelsForAnyThreadCount() {
        GatConfig config = config(SMALL).toBuilder().variant(Variant.GATV2).residual(true).inputDropoutPerHead(true)
                .messageDropout(0.3).build();
        TrainingConfig training = TrainingConfig.defaults().withEpochs(15).withPatience(0);
        TrainingResult one = train(SMALL, config, training, 1, TrainingListener.NONE, TerminationFlag.RUNNING);
        for (int threads : new int[]{2, 3}) {
            TrainingResult many = train(SMALL, config, training, threads, TrainingListener.NONE,
                    TerminationFlag.RUNNING);
            for (String name : one.model().weights().asMap().keySet()) {
                assertArrayEquals(one.model().weights().get(name).data(), many.model().weights().get(name).data(),
                        name + " differs between 1 and " + threads + " threads");
            }
            assertEquals(losses(one), losses(many));
        }
        TrainingResult otherSeed = train(SMALL, config, training.withSeed(7), 2, TrainingListener.NONE,
                TerminationFlag.RUNNING);
        assertThat(losses(otherSeed)).isNotEqualTo(losses(one));
    }

    @Test
    void relationshipFeaturesTrainBitIdenticallyForAnyThreadCountAndChangeThePredictions() {
        TrainingData plain = SMALL.trainingData();
        int edges = plain.graph().originalEdgeCount();
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        float[] values = new float[edges * 3];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble();
        }
        DenseMatrix relationshipFeatures = new DenseMatrix(edges, 3, values);
        TrainingData data = new TrainingData(plain.graph(), plain.features(), plain.labels(), plain.split(),
                relationshipFeatures);
        TrainingConfig training = TrainingConfig.defaults().withEpochs(8).withPatience(0);
        for (Variant variant : Variant.values()) {
            GatConfig config = config(SMALL).toBuilder().variant(variant).edgeDim(3).build();
            TrainingResult one;
            try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
                one = Trainer.train(backend, data, config, training, TrainingListener.NONE, TerminationFlag.RUNNING);
            }
            TrainingResult three;
            try (CpuBackend backend = new CpuBackend(3, TerminationFlag.RUNNING)) {
                three = Trainer.train(backend, data, config, training, TrainingListener.NONE, TerminationFlag.RUNNING);
            }
            assertThat(one.model().weights().asMap()).containsKey("layers.0.weight_edge");
            for (String name : one.model().weights().asMap().keySet()) {
                assertArrayEquals(one.model().weights().get(name).data(), three.model().weights().get(name).data(),
                        variant + " " + name + " differs between 1 and 3 threads");
            }
            float[] reversed = values.clone();
            for (int i = 0; i < reversed.length; i++) {
                reversed[i] = values[values.length - 1 - i];
            }
            try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
                float[] given = Inference.run(backend, one.model(), data.graph(), data.features(),
                        relationshipFeatures, Inference.Request.LOGITS_ONLY).logits();
                float[] other = Inference.run(backend, one.model(), data.graph(), data.features(),
                        new DenseMatrix(edges, 3, reversed), Inference.Request.LOGITS_ONLY).logits();
                assertThat(other).as("%s logits with other relationship features", variant).isNotEqualTo(given);
                IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> Inference.run(
                        backend, one.model(), data.graph(), data.features(), Inference.Request.LOGITS_ONLY));
                assertThat(missing).hasMessageContaining("attends over 3 relationship features");
            }
        }
    }

    private static String losses(TrainingResult result) {
        return Arrays.toString(result.history().stream().mapToDouble(EpochStats::loss).toArray());
    }

    @Test
    void learnsAndEarlyStoppingRestoresTheBestEpoch() {
        TrainingConfig training = new TrainingConfig(400, 0.01, 5e-4, 15, 3);
        TrainingResult result = train(SMALL, config(SMALL), training, 2, TrainingListener.NONE,
                TerminationFlag.RUNNING);
        assertEquals(StopReason.EARLY_STOPPING, result.stopReason());
        assertThat(result.epochsRun()).isLessThan(400);
        EpochStats best = result.history().get(result.bestEpoch() - 1);
        assertEquals(best.validationScore(), result.validation().score(), 1e-12,
                "validation accuracy of the restored weights is that of the best epoch");
        assertEquals(best.validationLoss(), result.validation().loss(), 1e-6);
        assertThat(result.test().score()).as("test accuracy").isGreaterThan(0.7);
        assertThat(result.history().get(0).trainScore()).isLessThan(result.train().score());
        assertEquals(result.bestEpoch(), (int) result.model().metadata().bestEpoch());
    }

    @Test
    void theBoundedRuleIsThePapersRunCutShort() {
        // Dropout 0.6 everywhere and a small patience: the loss creeps on after the kept weights last changed.
        GatConfig config = config(SMALL).toBuilder().dropout(0.6).messageDropout(0.6).build();
        TrainingConfig paperRule = new TrainingConfig(600, 0.005, 5e-4, 4, 3, StoppingRule.GAT_PAPER);
        TrainingResult paper = train(SMALL, config, paperRule, 2, TrainingListener.NONE, TerminationFlag.RUNNING);
        TrainingResult bounded = train(SMALL, config, paperRule.withStoppingRule(StoppingRule.GAT_PAPER_BOUNDED), 2,
                TrainingListener.NONE, TerminationFlag.RUNNING);
        assertThat(bounded.epochsRun()).as("the bounded rule stops earlier here").isLessThan(paper.epochsRun());
        assertEquals(validation(paper.history().subList(0, bounded.epochsRun())), validation(bounded.history()),
                "the same epochs up to its stop");
        StoppingReplay.Outcome replayed = StoppingReplay.replay(paper.history(), 4, StoppingRule.GAT_PAPER_BOUNDED);
        assertEquals(bounded.epochsRun(), replayed.epochsRun(), "the replay stops where the run stopped");
        assertEquals(bounded.bestEpoch(), replayed.bestEpoch());
        if (bounded.bestEpoch() == paper.bestEpoch()) {
            assertEquals(paper.test().score(), bounded.test().score(), 0, "the same kept weights");
        }
    }

    private static List<String> validation(List<EpochStats> history) {
        return history.stream().map(e -> e.loss() + " " + e.validationScore() + " " + e.validationLoss()).toList();
    }

    @Test
    void terminationBetweenEpochsStopsTraining() {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger epochsSeen = new AtomicInteger();
        TrainingListener stopAfterThree = (stats, max) -> {
            if (epochsSeen.incrementAndGet() == 3) {
                stop.set(true);
            }
        };
        assertThrows(TerminatedException.class, () -> train(SMALL, config(SMALL), TrainingConfig.defaults(), 2,
                stopAfterThree, stop::get));
        assertEquals(3, epochsSeen.get());
    }

    @Test
    void terminationInsideAnEpochStopsTheLoopThatSeesIt() {
        AtomicInteger checks = new AtomicInteger();
        TerminationFlag flipsAfterSomeChunks = () -> checks.incrementAndGet() > 40;
        AtomicInteger epochs = new AtomicInteger();
        assertThrows(TerminatedException.class, () -> train(SMALL, config(SMALL), TrainingConfig.defaults(), 2,
                (stats, max) -> epochs.incrementAndGet(), flipsAfterSomeChunks));
        assertEquals(0, epochs.get(), "stopped inside the first epoch");
    }

    @Test
    void rejectsInputThatDoesNotFit() {
        int n = 5;
        IncomingCsr graph = new GraphBuilder(n).build(new int[]{0, 1}, new int[]{1, 2});
        DenseMatrix features = DenseMatrix.zeros(n, 3);
        NodeLabels labels = NodeLabels.singleLabel(new int[]{0, 1, 0, -1, 1}, 2);
        GatConfig config = GatConfig.builder(3, 2).messageDropout(0).normalizeFeatures(false).build();
        TrainingConfig training = TrainingConfig.defaults();

        assertMessage("There are no training nodes", new TrainingData(graph, features, labels,
                new NodeSplit(new int[0], new int[]{0}, new int[]{1})), config, training);
        assertMessage("Node 3 is in the training set but has no label", new TrainingData(graph, features, labels,
                new NodeSplit(new int[]{0, 3}, new int[0], new int[0])), config, training);
        assertMessage("There are 4 feature rows for 5 nodes", new TrainingData(graph, DenseMatrix.zeros(4, 3), labels,
                new NodeSplit(new int[]{0}, new int[0], new int[0])), config, training);
        assertMessage("The model expects 4 input features but there are 3", new TrainingData(graph, features, labels,
                new NodeSplit(new int[]{0}, new int[0], new int[0])), GatConfig.builder(4, 2).messageDropout(0)
                        .normalizeFeatures(false).build(), training);
        assertMessage("The model predicts 3 classes but the labels have 2", new TrainingData(graph, features, labels,
                new NodeSplit(new int[]{0}, new int[0], new int[0])), GatConfig.builder(3, 3).messageDropout(0)
                        .normalizeFeatures(false).build(), training);
        assertMessage("Node 1 is in the training set and in the test set", new TrainingData(graph, features, labels,
                new NodeSplit(new int[]{0, 1}, new int[0], new int[]{1})), config, training);
    }

    private static void assertMessage(String expected, TrainingData data, GatConfig config, TrainingConfig training) {
        try (CpuBackend backend = CpuBackend.sequential()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.train(backend, data, config, training, TrainingListener.NONE,
                            TerminationFlag.RUNNING));
            assertThat(e.getMessage()).contains(expected);
        }
    }

    @Test
    void multiLabelTrainingRaisesMicroF1() {
        int classes = SMALL.labels().classCount();
        int n = SMALL.nodeCount();
        byte[] memberships = new byte[n * classes];
        boolean[] labeled = new boolean[n];
        for (int i = 0; i < n; i++) {
            labeled[i] = true;
            int c = SMALL.labels().classOf(i);
            memberships[i * classes + c] = 1;
            if (i % 3 == 0) {
                memberships[i * classes + (c + 1) % classes] = 1;
            }
        }
        NodeLabels multi = NodeLabels.multiLabel(classes, memberships, labeled);
        NodeSplit split = NodeSplit.random(multi, 0.3, 0.2, 1);
        GatConfig config = config(SMALL).toBuilder().multiLabel(true).build();
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            TrainingResult result = Trainer.train(backend,
                    new TrainingData(SMALL.undirectedGraph(), SMALL.features(), multi, split), config,
                    new TrainingConfig(150, 0.01, 5e-4, 30, 1), TrainingListener.NONE, TerminationFlag.RUNNING);
            assertTrue(result.test().multiLabel());
            assertThat(result.test().score()).as("test micro-F1").isGreaterThan(0.7);
            assertThat(result.history().get(0).validationScore()).isLessThan(result.validation().score());
        }
    }

    @Test
    void inferenceWorksOnNodesAddedAfterTraining() {
        TrainingResult result = train(SMALL, config(SMALL), new TrainingConfig(60, 0.01, 5e-4, 0, 2), 2,
                TrainingListener.NONE, TerminationFlag.RUNNING);
        int n = SMALL.nodeCount();
        int added = 3;
        // New nodes n, n+1, n+2 copy the features of nodes 0..2 and cite node 0..2's neighbours; only node 10
        // receives an edge from a new node, so every other old node keeps its neighbourhood.
        int[] sources = Arrays.copyOf(SMALL.sources(), SMALL.edgeCount() + 2 * added);
        int[] targets = Arrays.copyOf(SMALL.targets(), SMALL.edgeCount() + 2 * added);
        for (int k = 0; k < added; k++) {
            sources[SMALL.edgeCount() + 2 * k] = SMALL.sources()[k];
            targets[SMALL.edgeCount() + 2 * k] = n + k;
            sources[SMALL.edgeCount() + 2 * k + 1] = SMALL.targets()[k];
            targets[SMALL.edgeCount() + 2 * k + 1] = n + k;
        }
        sources[SMALL.edgeCount() + 1] = n;
        targets[SMALL.edgeCount() + 1] = 10;
        SparseMatrix old = (SparseMatrix) SMALL.features();
        SparseMatrix grown = grow(old, added);
        IncomingCsr before = SMALL.undirectedGraph();
        IncomingCsr after = new GraphBuilder(n + added).orientation(Orientation.NATURAL).selfLoops(true)
                .build(withReverse(SMALL.sources(), SMALL.targets(), sources, targets, true),
                        withReverse(SMALL.sources(), SMALL.targets(), sources, targets, false));
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            Prediction original = Inference.run(backend, result.model(), before, old, Inference.Request.EVERYTHING);
            Prediction extended = Inference.run(backend, result.model(), after, grown, Inference.Request.EVERYTHING);
            int changed = 0;
            for (int i = 0; i < n; i++) {
                if (!Arrays.equals(Arrays.copyOfRange(original.logits(), i * 4, i * 4 + 4),
                        Arrays.copyOfRange(extended.logits(), i * 4, i * 4 + 4))) {
                    changed++;
                }
            }
            assertThat(changed).as("old nodes whose 2-hop neighbourhood changed").isLessThan(40).isGreaterThan(0);
            for (int k = 0; k < added; k++) {
                assertThat(extended.predictedClass(n + k)).isBetween(0, 3);
                assertEquals(1.0, Arrays.stream(extended.probabilities(n + k)).sum(), 1e-6);
            }
            assertAttentionSumsToOne(extended);
        }
    }

    /** Stored edges (undirected, once) plus the directed new ones: the message edges of both directions. */
    private static int[] withReverse(int[] oldSources, int[] oldTargets, int[] sources, int[] targets,
                                     boolean wantSources) {
        int m = oldSources.length;
        int extra = sources.length - m;
        int[] out = new int[2 * m + extra];
        for (int e = 0; e < m; e++) {
            out[2 * e] = wantSources ? oldSources[e] : oldTargets[e];
            out[2 * e + 1] = wantSources ? oldTargets[e] : oldSources[e];
        }
        for (int e = 0; e < extra; e++) {
            out[2 * m + e] = wantSources ? sources[m + e] : targets[m + e];
        }
        return out;
    }

    private static SparseMatrix grow(SparseMatrix old, int added) {
        int n = old.rows();
        int[] offsets = Arrays.copyOf(old.rowOffsets(), n + added + 1);
        int extra = 0;
        for (int k = 0; k < added; k++) {
            extra += old.rowOffsets()[k + 1] - old.rowOffsets()[k];
        }
        int[] columns = Arrays.copyOf(old.columns(), old.columns().length + extra);
        float[] values = Arrays.copyOf(old.values(), old.values().length + extra);
        int write = old.columns().length;
        for (int k = 0; k < added; k++) {
            for (int p = old.rowOffsets()[k]; p < old.rowOffsets()[k + 1]; p++) {
                columns[write] = old.columns()[p];
                values[write++] = old.values()[p];
            }
            offsets[n + k + 1] = write;
        }
        return new SparseMatrix(n + added, old.cols(), offsets, columns, values);
    }

    static void assertAttentionSumsToOne(Prediction prediction) {
        IncomingCsr graph = prediction.graph();
        for (int layer = 0; layer < 2; layer++) {
            int heads = prediction.heads(layer);
            for (int i = 0; i < graph.nodeCount(); i++) {
                for (int h = 0; h < heads; h++) {
                    double sum = 0;
                    for (int slot = graph.offsets()[i]; slot < graph.offsets()[i + 1]; slot++) {
                        sum += prediction.attention(layer, slot, h);
                    }
                    assertEquals(1.0, sum, 1e-5, "attention into node " + i + ", layer " + layer + ", head " + h);
                }
            }
        }
    }
}
