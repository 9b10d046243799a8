package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.NeighbourSampler;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Typed mini-batch training ({@link TypedMiniBatchSteps}) against full-batch typed training: with every neighbour
 * (fanouts -1) and one batch holding every training node, an epoch is one step on the same computation as the
 * full-batch epoch (the batch graph holds the training nodes' whole L-hop neighbourhoods, dropout is drawn per
 * whole-graph node and slot), so the loss and the weights after it agree to float rounding; for semantic
 * attention, whose relation weights average over the nodes of a type, the training nodes are every node of the
 * target type, so that the batch averages over the same nodes as the whole graph. Then: mini-batch training with
 * sampled neighbours gives the same bits at any thread count, and learns.
 */
class TypedMiniBatchTrainingTest {

    private static final int[] ALL = {NeighbourSampler.ALL, NeighbourSampler.ALL};

    private static TypedTrainingResult train(TypedTrainingData data, TypedGatConfig config, TrainingConfig training,
                                             MiniBatchConfig miniBatch, int threads) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            return TypedTrainer.train(backend, data, config, training, miniBatch, threads, TrainingListener.NONE,
                    TerminationFlag.RUNNING);
        }
    }

    private static void assertSameStep(TypedTrainingData data, TypedGatConfig config, String what) {
        TrainingConfig oneEpoch = new TrainingConfig(1, 0.01, 5e-4, 100, 3);
        TypedTrainingResult full = train(data, config, oneEpoch, null, 1);
        TypedTrainingResult batch = train(data, config, oneEpoch,
                new MiniBatchConfig(data.split().train().length, ALL), 1);
        assertEquals(full.history().get(0).loss(), batch.history().get(0).loss(), 1e-6, "loss, " + what);
        for (String name : full.weights().asMap().keySet()) {
            assertArrayEquals(full.weights().get(name).data(), batch.weights().get(name).data(), 1e-6f,
                    name + ", " + what);
        }
        assertEquals(full.test().score(), batch.test().score(), 1e-9, "test score, " + what);
    }

    /** The graph with every item in the training set. */
    private static TypedTrainingData allItemsTrain(TypedTrainingData data) {
        int[] all = IntStream.range(0, data.graph().nodeCount(data.targetType())).toArray();
        return new TypedTrainingData(data.graph(), data.features(), data.targetType(), data.labels(),
                new NodeSplit(all, new int[0], new int[0]), data.relationshipFeatures());
    }

    @Test
    void sumAggregationWithAFeaturelessLabelAndRelationshipFeaturesStepsAsFullBatch() {
        TypedSignalGraph graph = new TypedSignalGraph(200, 5);
        TypedGatConfig config = graph.config(true, 2).aggregation(RelationAggregation.SUM)
                .attentionDropout(0.1).messageDropout(0.1).residual(true).build();
        assertSameStep(graph.typed(), config, "sum, tag learning its input per label, weight on ratings");
    }

    @Test
    void sumAggregationWithoutFeaturelessLabelStepsAsFullBatch() {
        TypedModelFixtures fixtures = new TypedModelFixtures(11);
        TypedGatConfig config = fixtures.config(RelationAggregation.SUM);
        assertSameStep(fixturesData(fixtures, false), config, "sum, papers and authors read undirected");
    }

    /** Batches read the rows the model reads: scaled to sum 1 when the model normalises its features. */
    @Test
    void normalisedFeaturesStepAsFullBatch() {
        TypedSignalGraph graph = new TypedSignalGraph(200, 7);
        TypedGatConfig config = graph.config(true, 2).aggregation(RelationAggregation.SUM).normalizeFeatures(true)
                .attentionDropout(0.1).build();
        assertSameStep(graph.typed(), config, "sum, rows normalised");
    }

    @Test
    void semanticAttentionWithAFeaturelessLabelStepsAsFullBatch() {
        TypedSignalGraph graph = new TypedSignalGraph(200, 6);
        TypedGatConfig config = graph.config(true, 2).aggregation(RelationAggregation.ATTENTION).semanticDim(8)
                .attentionDropout(0.1).build();
        assertSameStep(allItemsTrain(graph.typed()), config, "semantic attention, tag learning its input per label");
    }

    @Test
    void semanticAttentionWithoutFeaturelessLabelStepsAsFullBatch() {
        TypedModelFixtures fixtures = new TypedModelFixtures(12);
        assertSameStep(fixturesData(fixtures, true), fixtures.config(RelationAggregation.ATTENTION),
                "semantic attention, papers and authors read undirected");
    }

    @Test
    void aTypeLearningOneInputPerNodeStepsAsFullBatch() {
        TypedSignalGraph graph = new TypedSignalGraph(200, 7);
        int tags = graph.typed().graph().nodeCount("tag");
        TypedGatConfig config = graph.config(true, 2).featureless("tag", FeaturelessInput.perNode(8, tags))
                .aggregation(RelationAggregation.SUM).build();
        assertSameStep(graph.typed(), config, "sum, tag learning one input per node");
    }

    private static TypedTrainingData fixturesData(TypedModelFixtures fixtures, boolean everyPaperTrains) {
        int papers = TypedModelFixtures.PAPERS;
        NodeSplit split = everyPaperTrains ? new NodeSplit(IntStream.range(0, papers).toArray(), new int[0], new int[0])
                : new NodeSplit(IntStream.range(0, papers / 2).toArray(),
                IntStream.range(papers / 2, 3 * papers / 4).toArray(), IntStream.range(3 * papers / 4, papers).toArray());
        return new TypedTrainingData(fixtures.graph(1), fixtures.features(1), "paper",
                NodeLabels.singleLabel(fixtures.classes, TypedModelFixtures.CLASSES), split);
    }

    @Test
    void sampledBatchesGiveTheSameBitsAt1And2And4Threads() {
        TypedSignalGraph graph = new TypedSignalGraph(300, 3);
        TypedGatConfig config = graph.config(true, 2).aggregation(RelationAggregation.ATTENTION).semanticDim(8)
                .attentionDropout(0.1).messageDropout(0.1).build();
        TrainingConfig training = new TrainingConfig(4, 0.01, 5e-4, 100, 7);
        MiniBatchConfig miniBatch = new MiniBatchConfig(32, new int[]{3, 2});
        TypedTrainingResult one = train(graph.typed(), config, training, miniBatch, 1);
        for (int threads : List.of(2, 4)) {
            TypedTrainingResult many = train(graph.typed(), config, training, miniBatch, threads);
            String at = " at " + threads + " threads";
            assertEquals(one.history().size(), many.history().size(), "epochs" + at);
            for (int e = 0; e < one.history().size(); e++) {
                assertEquals(Double.doubleToRawLongBits(one.history().get(e).loss()),
                        Double.doubleToRawLongBits(many.history().get(e).loss()), "loss of epoch " + e + at);
                assertEquals(Double.doubleToRawLongBits(one.history().get(e).validationLoss()),
                        Double.doubleToRawLongBits(many.history().get(e).validationLoss()),
                        "validation loss of epoch " + e + at);
            }
            for (String name : one.weights().asMap().keySet()) {
                assertArrayEquals(one.weights().get(name).data(), many.weights().get(name).data(), 0f, name + at);
            }
        }
    }

    @Test
    void sampledBatchesLearnTheSignalAndDifferFromFullBatch() {
        TypedSignalGraph graph = new TypedSignalGraph(400, 4);
        TypedGatConfig config = graph.config(true, 2).aggregation(RelationAggregation.SUM).build();
        TrainingConfig training = new TrainingConfig(60, 0.01, 5e-4, 100, 7);
        TypedTrainingResult sampled = train(graph.typed(), config, training,
                new MiniBatchConfig(32, new int[]{2, 2}), 1);
        TypedTrainingResult full = train(graph.typed(), config, training, null, 1);
        assertTrue(sampled.test().score() > 0.7, "mini-batch test accuracy " + sampled.test().score()
                + " (full batch " + full.test().score() + ")");
        assertNotEquals(full.history().get(0).loss(), sampled.history().get(0).loss(),
                "sampled batches train on other graphs than the whole one");
        assertEquals(List.of(32, 2, 2), List.of(sampled.model().metadata().training().batchSize(),
                sampled.model().metadata().training().fanouts().get(0),
                sampled.model().metadata().training().fanouts().get(1)));
    }
}
