package dev.neogat.train;

import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A typed training gives the same bits at any thread count: on issue 17's generated graph ({@link TypedSignalGraph}:
 * node types of different widths, one learning its input, a relationship property in attention, semantic attention
 * over the relations, all dropouts), at 1, 2 and 4 threads every epoch's loss and scores, every weight, the relation
 * importances and the inference's logits are equal to the last bit.
 */
class TypedThreadCountTest {

    private static final TrainingConfig TRAINING = new TrainingConfig(12, 0.01, 5e-4, 100, 7);

    private record Run(TypedTrainingResult result, float[] logits) {
    }

    private static Run train(TypedSignalGraph graph, TypedGatConfig config, int threads) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            TypedTrainingResult result = TypedTrainer.train(backend, graph.typed(), config, TRAINING,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            TypedTrainingData data = graph.typed();
            float[] logits = TypedInference.run(backend, result.model(), data.graph(), data.features(),
                    data.relationshipFeatures(), java.util.Map.of(), Inference.Request.LOGITS_ONLY).logits();
            return new Run(result, logits);
        }
    }

    @Test
    void everyEpochEveryWeightAndThePredictionsAreIdenticalAt1And2And4Threads() {
        TypedSignalGraph graph = new TypedSignalGraph(400, 3);
        TypedGatConfig config = graph.config(true, 4).aggregation(RelationAggregation.ATTENTION).semanticDim(8)
                .attentionDropout(0.1).messageDropout(0.1).residual(true).build();
        Run one = train(graph, config, 1);
        for (int threads : List.of(2, 4)) {
            Run many = train(graph, config, threads);
            String at = " at " + threads + " threads";
            assertEquals(one.result().history().size(), many.result().history().size(), "epochs" + at);
            for (int e = 0; e < one.result().history().size(); e++) {
                EpochStats a = one.result().history().get(e);
                EpochStats b = many.result().history().get(e);
                assertEquals(Double.doubleToRawLongBits(a.loss()), Double.doubleToRawLongBits(b.loss()),
                        "loss of epoch " + e + at);
                assertEquals(Double.doubleToRawLongBits(a.validationLoss()),
                        Double.doubleToRawLongBits(b.validationLoss()), "validation loss of epoch " + e + at);
                assertEquals(a.trainScore(), b.trainScore(), 0.0, "train score of epoch " + e + at);
                assertEquals(a.validationScore(), b.validationScore(), 0.0, "validation score of epoch " + e + at);
            }
            for (String name : one.result().weights().asMap().keySet()) {
                assertArrayEquals(one.result().weights().get(name).data(), many.result().weights().get(name).data(),
                        0f, name + at);
            }
            assertEquals(one.result().relationWeights(), many.result().relationWeights(), "relation importances" + at);
            assertArrayEquals(one.logits(), many.logits(), 0f, "logits" + at);
        }
    }
}
