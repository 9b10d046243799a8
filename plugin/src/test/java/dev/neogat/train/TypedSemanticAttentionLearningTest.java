package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Semantic attention learns which relation matters: papers with a weak class signal in noisy features, linked by
 * {@code same} (each paper hears from papers of its own class, so averaging them cancels the noise) and by
 * {@code random} (papers drawn at random, whose average is noise). After training, β gives {@code same} most of
 * the weight in every layer; a β left near 1/2, as a semantic attention that does not learn would leave it, fails.
 */
class TypedSemanticAttentionLearningTest {

    private static final int PAPERS = 600;
    private static final int CLASSES = 3;
    private static final int WIDTH = 6;
    private static final int IN_DEGREE = 6;
    private static final Relation SAME = new Relation("paper", "same", "paper");
    private static final Relation RANDOM = new Relation("paper", "random", "paper");

    @Test
    void semanticAttentionPrefersTheInformativeRelation() {
        SplittableRandom random = new SplittableRandom(23);
        int[] classOf = new int[PAPERS];
        for (int i = 0; i < PAPERS; i++) {
            classOf[i] = random.nextInt(CLASSES);
        }
        float[] x = new float[PAPERS * WIDTH];
        for (int i = 0; i < PAPERS; i++) {
            for (int c = 0; c < WIDTH; c++) {
                x[i * WIDTH + c] = (float) (random.nextGaussian() + (c == classOf[i] ? 0.6 : 0));
            }
        }
        int[][] same = new int[2][PAPERS * IN_DEGREE];
        int[][] noise = new int[2][PAPERS * IN_DEGREE];
        for (int i = 0; i < PAPERS; i++) {
            for (int k = 0; k < IN_DEGREE; k++) {
                int j;
                do {
                    j = random.nextInt(PAPERS);
                } while (classOf[j] != classOf[i] || j == i);
                same[0][i * IN_DEGREE + k] = j;
                same[1][i * IN_DEGREE + k] = i;
                noise[0][i * IN_DEGREE + k] = random.nextInt(PAPERS);
                noise[1][i * IN_DEGREE + k] = i;
            }
        }
        TypedGraph graph = TypedGraph.builder().nodeType("paper", PAPERS)
                .relation("paper", "same", "paper", same[0], same[1])
                .relation("paper", "random", "paper", noise[0], noise[1]).build();
        NodeLabels labels = NodeLabels.singleLabel(classOf, CLASSES);
        Map<String, FeatureMatrix> features = Map.of("paper", new DenseMatrix(PAPERS, WIDTH, x));
        TypedTrainingData data = new TypedTrainingData(graph, features, "paper", labels,
                NodeSplit.random(labels, 0.4, 0.2, 7));
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", WIDTH);
        TypedGatConfig config = TypedGatConfig.builder(widths, graph.relations(), "paper", CLASSES)
                .aggregation(RelationAggregation.ATTENTION).semanticDim(16).hiddenHeads(4).hiddenChannels(8)
                .dropout(0.2).build();
        TypedTrainingResult result;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            result = TypedTrainer.train(backend, data, config, new TrainingConfig(150, 0.01, 5e-4, 150, 3),
                    TrainingListener.NONE, TerminationFlag.RUNNING);
        }
        List<Map<String, Map<Relation, Double>>> beta = result.relationWeights();
        System.out.printf("semantic attention: test accuracy %.4f (best epoch %d of %d), β per layer %s%n",
                result.test().score(), result.bestEpoch(), result.epochsRun(), beta);
        for (int layer = 0; layer < beta.size(); layer++) {
            assertThat(beta.get(layer).get("paper").get(SAME)).as("layer %d β of %s (of %s)", layer, SAME, RANDOM)
                    .isGreaterThan(0.7);
        }
        assertThat(result.test().score()).as("test accuracy (chance 1/3)").isGreaterThan(0.8);
    }
}
