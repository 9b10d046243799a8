package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small typed graph for model-file and inference tests: papers (width 5) citing papers, authors (width 3)
 * writing papers, read undirected (so authors get rev_writes); 3 classes on the papers. {@link #copies} repeats
 * it side by side, each copy's nodes after the previous copy's, with no edge between copies.
 */
public final class TypedModelFixtures {

    public static final int PAPERS = 30;
    public static final int AUTHORS = 12;
    public static final int CLASSES = 3;

    public final int[][] cites;
    public final int[][] writes;
    public final DenseMatrix paperFeatures;
    public final DenseMatrix authorFeatures;
    public final int[] classes;

    public TypedModelFixtures(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        cites = edges(random, PAPERS, PAPERS, 60);
        writes = edges(random, AUTHORS, PAPERS, 40);
        paperFeatures = noise(random, PAPERS, 5);
        authorFeatures = noise(random, AUTHORS, 3);
        classes = new int[PAPERS];
        for (int p = 0; p < PAPERS; p++) {
            classes[p] = random.nextInt(CLASSES);
        }
    }

    /** {@code count} copies of the graph, undirected. */
    public TypedGraph graph(int count) {
        return TypedGraph.builder().nodeType("paper", PAPERS * count).nodeType("author", AUTHORS * count)
                .relation("paper", "cites", "paper", repeat(cites[0], PAPERS, count), repeat(cites[1], PAPERS, count))
                .relation("author", "writes", "paper", repeat(writes[0], AUTHORS, count),
                        repeat(writes[1], PAPERS, count))
                .undirected().build();
    }

    public Map<String, FeatureMatrix> features(int count) {
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        features.put("paper", tile(paperFeatures, count));
        features.put("author", tile(authorFeatures, count));
        return features;
    }

    public TypedGatConfig config(RelationAggregation aggregation) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 5);
        widths.put("author", 3);
        return TypedGatConfig.builder(widths, graph(1).relations(), "paper", CLASSES)
                .hiddenHeads(2).hiddenChannels(4).outputHeads(1).dropout(0.2).aggregation(aggregation)
                .semanticDim(6).build();
    }

    public TypedTrainingResult train(RelationAggregation aggregation, int epochs) {
        int[] train = new int[PAPERS / 2];
        int[] validation = new int[PAPERS / 4];
        int[] test = new int[PAPERS - train.length - validation.length];
        for (int i = 0; i < PAPERS; i++) {
            if (i < train.length) {
                train[i] = i;
            } else if (i < train.length + validation.length) {
                validation[i - train.length] = i;
            } else {
                test[i - train.length - validation.length] = i;
            }
        }
        TypedTrainingData data = new TypedTrainingData(graph(1), features(1), "paper",
                NodeLabels.singleLabel(classes, CLASSES), new NodeSplit(train, validation, test));
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedTrainer.train(backend, data, config(aggregation),
                    new TrainingConfig(epochs, 0.01, 5e-4, 100, 7), TrainingListener.NONE, TerminationFlag.RUNNING);
        }
    }

    private static int[] repeat(int[] ids, int stride, int count) {
        int[] out = new int[ids.length * count];
        for (int c = 0; c < count; c++) {
            for (int i = 0; i < ids.length; i++) {
                out[c * ids.length + i] = c * stride + ids[i];
            }
        }
        return out;
    }

    private static DenseMatrix tile(DenseMatrix x, int count) {
        float[] values = new float[x.data().length * count];
        for (int c = 0; c < count; c++) {
            System.arraycopy(x.data(), 0, values, c * x.data().length, x.data().length);
        }
        return new DenseMatrix(x.rows() * count, x.cols(), values);
    }

    static int[][] edges(SplittableRandom random, int sources, int targets, int count) {
        int[][] e = new int[2][count];
        for (int k = 0; k < count; k++) {
            e[0][k] = random.nextInt(sources);
            e[1][k] = random.nextInt(targets);
        }
        return e;
    }

    static DenseMatrix noise(SplittableRandom random, int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return new DenseMatrix(rows, cols, values);
    }
}
