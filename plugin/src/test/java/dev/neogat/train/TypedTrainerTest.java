package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Training a typed GAT on a generated graph where an item's class is the node type of the one neighbour
 * that links to it (alpha, beta or gamma, whose features are drawn alike), beside noise: random item
 * features and random citations between items. The typed model, with a relation per source type, learns
 * it; the untyped model on the same graph cannot tell the three kinds of neighbour apart and stays near
 * chance (1/3), as does a model that guesses.
 */
class TypedTrainerTest {

    private static final List<String> SOURCE_TYPES = List.of("alpha", "beta", "gamma");
    private static final int ITEMS = 600;
    private static final int SOURCES_PER_TYPE = 200;
    private static final int WIDTH = 4;

    /** The generated graph, typed and as one untyped graph (items 0..599, then alpha, beta, gamma nodes). */
    record Generated(TypedTrainingData typed, TrainingData untyped) {
    }

    static Generated generate(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] classOf = new int[ITEMS];
        Map<String, int[][]> links = new LinkedHashMap<>();
        int[][] linkCount = new int[SOURCE_TYPES.size()][1];
        for (String type : SOURCE_TYPES) {
            links.put(type, new int[][]{new int[ITEMS], new int[ITEMS]});
        }
        for (int item = 0; item < ITEMS; item++) {
            int c = random.nextInt(SOURCE_TYPES.size());
            classOf[item] = c;
            int[][] e = links.get(SOURCE_TYPES.get(c));
            int k = linkCount[c][0]++;
            e[0][k] = random.nextInt(SOURCES_PER_TYPE);
            e[1][k] = item;
        }
        int citations = 2 * ITEMS;
        int[] citing = new int[citations];
        int[] cited = new int[citations];
        for (int e = 0; e < citations; e++) {
            citing[e] = random.nextInt(ITEMS);
            cited[e] = random.nextInt(ITEMS);
        }
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        features.put("item", noise(ITEMS, random));
        TypedGraph.Builder builder = TypedGraph.builder().nodeType("item", ITEMS);
        for (int t = 0; t < SOURCE_TYPES.size(); t++) {
            String type = SOURCE_TYPES.get(t);
            builder.nodeType(type, SOURCES_PER_TYPE);
            features.put(type, noise(SOURCES_PER_TYPE, random));
        }
        builder.relation("item", "cites", "item", citing, cited);
        for (int t = 0; t < SOURCE_TYPES.size(); t++) {
            int[][] e = links.get(SOURCE_TYPES.get(t));
            int n = linkCount[t][0];
            builder.relation(SOURCE_TYPES.get(t), "links", "item", java.util.Arrays.copyOf(e[0], n),
                    java.util.Arrays.copyOf(e[1], n));
        }
        NodeLabels labels = NodeLabels.singleLabel(classOf, SOURCE_TYPES.size());
        NodeSplit split = NodeSplit.random(labels, 0.6, 0.2, seed);
        TypedTrainingData typed = new TypedTrainingData(builder.build(), features, "item", labels, split);

        // The same graph untyped: one node set, one feature width, all edges alike.
        int nodes = ITEMS + SOURCE_TYPES.size() * SOURCES_PER_TYPE;
        float[] x = new float[nodes * WIDTH];
        System.arraycopy(((DenseMatrix) features.get("item")).data(), 0, x, 0, ITEMS * WIDTH);
        int[] untypedClass = new int[nodes];
        java.util.Arrays.fill(untypedClass, NodeLabels.NO_LABEL);
        System.arraycopy(classOf, 0, untypedClass, 0, ITEMS);
        int[] sources = new int[citations + ITEMS];
        int[] targets = new int[citations + ITEMS];
        System.arraycopy(citing, 0, sources, 0, citations);
        System.arraycopy(cited, 0, targets, 0, citations);
        int edge = citations;
        for (int t = 0; t < SOURCE_TYPES.size(); t++) {
            int offset = ITEMS + t * SOURCES_PER_TYPE;
            System.arraycopy(((DenseMatrix) features.get(SOURCE_TYPES.get(t))).data(), 0, x, offset * WIDTH,
                    SOURCES_PER_TYPE * WIDTH);
            int[][] e = links.get(SOURCE_TYPES.get(t));
            for (int k = 0; k < linkCount[t][0]; k++) {
                sources[edge] = offset + e[0][k];
                targets[edge] = e[1][k];
                edge++;
            }
        }
        TrainingData untyped = new TrainingData(new GraphBuilder(nodes).build(sources, targets),
                new DenseMatrix(nodes, WIDTH, x), NodeLabels.singleLabel(untypedClass, SOURCE_TYPES.size()), split);
        return new Generated(typed, untyped);
    }

    private static DenseMatrix noise(int rows, SplittableRandom random) {
        float[] values = new float[rows * WIDTH];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return new DenseMatrix(rows, WIDTH, values);
    }

    private static TypedGatConfig config(TypedTrainingData data, Variant variant, RelationAggregation aggregation) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        data.graph().nodeTypes().forEach(type -> widths.put(type, WIDTH));
        return TypedGatConfig.builder(widths, data.graph().relations(), "item", SOURCE_TYPES.size()).variant(variant)
                .aggregation(aggregation).semanticDim(16).hiddenHeads(4).hiddenChannels(8).dropout(0.2).build();
    }

    private static final TrainingConfig TRAINING = new TrainingConfig(150, 0.01, 5e-4, 100, 3);

    private static TypedTrainingResult train(TypedTrainingData data, TypedGatConfig config, int threads) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            return TypedTrainer.train(backend, data, config, TRAINING, TrainingListener.NONE, TerminationFlag.RUNNING);
        }
    }

    @ParameterizedTest(name = "{0} relations, {1}")
    @CsvSource({"GAT, SUM", "GAT, MEAN", "GAT, ATTENTION", "GATV2, ATTENTION"})
    void learnsAClassGivenByTheTypeOfANeighbour(Variant variant, RelationAggregation aggregation) {
        Generated graph = generate(5);
        TypedTrainingResult result = train(graph.typed(), config(graph.typed(), variant, aggregation), 2);
        System.out.printf("typed %s %s: test accuracy %.4f (validation %.4f, best epoch %d of %d); relation weights "
                        + "into items at the last layer %s%n", variant, aggregation.key(), result.test().score(),
                result.validation().score(), result.bestEpoch(), result.epochsRun(),
                result.relationWeights().get(1).get("item"));
        assertThat(result.test().score()).as("typed test accuracy (chance: 1/3)").isGreaterThanOrEqualTo(0.95);
        Map<Relation, Double> weights = result.relationWeights().get(1).get("item");
        assertEquals(4, weights.size(), "cites and three kinds of links point into items");
        assertEquals(1.0, weights.values().stream().mapToDouble(Double::doubleValue).sum(),
                aggregation == RelationAggregation.SUM ? 3.0 + 1e-9 : 1e-6, "relation weights of " + aggregation);
    }

    @Test
    void theUntypedModelCannotLearnIt() {
        Generated graph = generate(5);
        GatConfig config = GatConfig.builder(WIDTH, SOURCE_TYPES.size()).hiddenHeads(4).hiddenChannels(8).dropout(0.2)
                .build();
        TrainingResult result;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            result = Trainer.train(backend, graph.untyped(), config, TRAINING, TrainingListener.NONE,
                    TerminationFlag.RUNNING);
        }
        System.out.printf("untyped GAT on the same graph: test accuracy %.4f%n", result.test().score());
        assertThat(result.test().score()).as("untyped test accuracy").isLessThan(0.6);
    }

    @Test
    void trainingIsIdenticalAtAnyThreadCount() {
        Generated graph = generate(9);
        TypedGatConfig config = config(graph.typed(), Variant.GAT, RelationAggregation.ATTENTION);
        TypedTrainingData data = graph.typed();
        TrainingConfig shortRun = TRAINING.withEpochs(15);
        TypedTrainingResult one;
        TypedTrainingResult three;
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            one = TypedTrainer.train(backend, data, config, shortRun, TrainingListener.NONE, TerminationFlag.RUNNING);
        }
        try (CpuBackend backend = new CpuBackend(3, TerminationFlag.RUNNING)) {
            three = TypedTrainer.train(backend, data, config, shortRun, TrainingListener.NONE, TerminationFlag.RUNNING);
        }
        for (String name : one.weights().asMap().keySet()) {
            assertArrayEquals(one.weights().get(name).data(), three.weights().get(name).data(), 0f, name);
        }
        assertEquals(one.relationWeights(), three.relationWeights());
        assertEquals(one.history().get(14).loss(), three.history().get(14).loss(), 0.0);
    }
}
