package dev.neogat.model;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedPrediction;
import dev.neogat.train.TypedTrainer;
import dev.neogat.train.TypedTrainingData;
import dev.neogat.train.TypedTrainingResult;
import dev.neogat.util.TerminationFlag;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a typed model-file fixture (format version 2) with the code of the day: papers and authors, papers citing
 * papers and authors writing papers read undirected, a two-layer typed GAT with semantic attention trained a few
 * epochs, and the logits it gives. Like {@link ModelFixtureWriter}, a committed fixture is never regenerated.
 * Run: {@code java -cp <test classpath> dev.neogat.model.TypedModelFixtureWriter <folder> <name>}.
 */
public final class TypedModelFixtureWriter {

    static final int CLASSES = 3;

    private TypedModelFixtureWriter() {
    }

    /** The configuration the fixture was written with; the compatibility test expects the file to read as this. */
    static TypedGatConfig config(TypedGraph graph) {
        return TypedGatConfig.builder(Map.of("paper", 5, "author", 3), graph.relations(), "paper", CLASSES)
                .aggregation(RelationAggregation.ATTENTION).semanticDim(8).hiddenHeads(2).hiddenChannels(4)
                .dropout(0.2).build();
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("Usage: TypedModelFixtureWriter <folder> <name, e.g. model-v2-typed>");
        }
        Path folder = Files.createDirectories(Path.of(args[0]));
        String name = args[1];
        SplittableRandom random = new SplittableRandom(7);
        Map<String, float[][]> features = new LinkedHashMap<>();
        features.put("paper", rows(24, 5, random));
        features.put("author", rows(16, 3, random));
        TypedModelFixture.RelationEdges cites = edges(new Relation("paper", "cites", "paper"), 40, 24, 24, random);
        TypedModelFixture.RelationEdges writes = edges(new Relation("author", "writes", "paper"), 36, 16, 24, random);
        int[] classOf = new int[24];
        for (int i = 0; i < classOf.length; i++) {
            classOf[i] = random.nextInt(CLASSES);
        }
        TypedModelFixture input = new TypedModelFixture(features, List.of(cites, writes), "paper", new float[0][]);
        TypedGraph graph = input.graph();
        Map<String, FeatureMatrix> x = input.featureMatrices();
        NodeLabels labels = NodeLabels.singleLabel(classOf, CLASSES);
        TypedTrainingData data = new TypedTrainingData(graph, x, "paper", labels,
                NodeSplit.random(labels, 0.5, 0.25, 7));
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            TypedTrainingResult result = TypedTrainer.train(backend, data, config(graph),
                    TrainingConfig.defaults().withEpochs(5).withPatience(0), TrainingListener.NONE,
                    TerminationFlag.RUNNING);
            TypedPrediction prediction = TypedInference.run(backend, result.model(), graph, x,
                    Inference.Request.LOGITS_ONLY);
            ModelFile.write(result.model(), folder.resolve(name + ".gatm"));
            float[][] logits = new float[prediction.nodeCount()][CLASSES];
            for (int node = 0; node < logits.length; node++) {
                System.arraycopy(prediction.logits(), node * CLASSES, logits[node], 0, CLASSES);
            }
            new TypedModelFixture(features, List.of(cites, writes), "paper", logits).write(
                    folder.resolve(name + ".predictions"),
                    "Input of " + name + ".gatm and the target type's logits when TypedModelFixtureWriter wrote it.\n"
                            + "Values are hexadecimal floats; edges as stored, read undirected (rev_ relations added).");
        }
    }

    private static float[][] rows(int count, int width, SplittableRandom random) {
        float[][] rows = new float[count][width];
        for (float[] row : rows) {
            for (int i = 0; i < width; i++) {
                row[i] = (float) (random.nextDouble() * 2 - 1);
            }
        }
        return rows;
    }

    private static TypedModelFixture.RelationEdges edges(Relation relation, int count, int sources, int targets,
                                                         SplittableRandom random) {
        int[] s = new int[count];
        int[] t = new int[count];
        for (int e = 0; e < count; e++) {
            s[e] = random.nextInt(sources);
            t[e] = random.nextInt(targets);
        }
        return new TypedModelFixture.RelationEdges(relation, s, t);
    }
}
