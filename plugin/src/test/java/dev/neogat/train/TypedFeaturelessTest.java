package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.model.ModelFile;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node types without features: the authors of {@link TypedModelFixtures} learn their input, one vector for all
 * (per label) or one per author (per node). Trained by Adam with weight decay, stored in the model file, and
 * run on graphs with more nodes (per label: any author; per node: through the trained row of each author).
 */
class TypedFeaturelessTest {

    private static final TypedModelFixtures FIXTURE = new TypedModelFixtures(5);
    private static final int WIDTH = 4;

    private static TypedGatConfig config(FeaturelessInput authors) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 5);
        return TypedGatConfig.builder(widths, FIXTURE.graph(1).relations(), "paper", TypedModelFixtures.CLASSES)
                .featureless("author", authors).hiddenHeads(2).hiddenChannels(4).dropout(0.2)
                .aggregation(RelationAggregation.ATTENTION).semanticDim(6).build();
    }

    private static Map<String, FeatureMatrix> paperFeatures(int copies) {
        Map<String, FeatureMatrix> features = new LinkedHashMap<>(FIXTURE.features(copies));
        features.remove("author");
        return features;
    }

    private static TypedTrainingData data(Map<String, FeatureMatrix> features) {
        int[] train = IntStream.range(0, 15).toArray();
        int[] validation = IntStream.range(15, 22).toArray();
        int[] test = IntStream.range(22, TypedModelFixtures.PAPERS).toArray();
        return new TypedTrainingData(FIXTURE.graph(1), features, "paper",
                NodeLabels.singleLabel(FIXTURE.classes, TypedModelFixtures.CLASSES),
                new NodeSplit(train, validation, test));
    }

    private static TypedTrainingResult train(TypedGatConfig config, int epochs, double weightDecay) {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedTrainer.train(backend, data(paperFeatures(1)), config,
                    new TrainingConfig(epochs, 0.01, weightDecay, 100, 7), TrainingListener.NONE,
                    TerminationFlag.RUNNING);
        }
    }

    private static TypedPrediction run(TypedTrainedModel model, int copies, Map<String, int[]> rows) {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedInference.run(backend, model, FIXTURE.graph(copies), paperFeatures(copies), rows,
                    Inference.Request.LOGITS_ONLY);
        }
    }

    @Test
    void theLearnedInputIsAParameterOfItsShapeThatAdamAndWeightDecayMove() {
        String embedding = TypedGatNetwork.embeddingName("author");
        TypedGatConfig perLabel = config(FeaturelessInput.perLabel(WIDTH));
        TypedGatConfig perNode = config(FeaturelessInput.perNode(WIDTH, TypedModelFixtures.AUTHORS));
        assertEquals(WIDTH, perLabel.inputWidths().get("author"));
        DenseMatrix initial = dev.neogat.nn.Weights.initialize(TypedGatNetwork.parameterShapes(perLabel), 7)
                .get(embedding);
        assertEquals(1, initial.rows());
        assertEquals(WIDTH, initial.cols());

        DenseMatrix trained = train(perLabel, 5, 5e-4).model().weights().get(embedding);
        assertFalse(Arrays.equals(initial.data(), trained.data()), "Adam moved the learned input");
        DenseMatrix decayed = train(perLabel, 5, 0.5).model().weights().get(embedding);
        assertFalse(Arrays.equals(trained.data(), decayed.data()), "weight decay reaches the learned input");

        DenseMatrix perAuthor = train(perNode, 5, 5e-4).model().weights().get(embedding);
        assertEquals(TypedModelFixtures.AUTHORS, perAuthor.rows());
        assertEquals(WIDTH, perAuthor.cols());
    }

    @Test
    void aModelThatLearnsAnInputIsStoredWithItAndPredictsTheSameAfterReading() throws Exception {
        TypedTrainedModel model = train(config(FeaturelessInput.perNode(WIDTH, TypedModelFixtures.AUTHORS)), 6,
                5e-4).model();
        assertEquals(Map.of("author", Map.of("mode", "node", "width", WIDTH, "nodeCount",
                TypedModelFixtures.AUTHORS)), model.config().toMap().get("featureless"));
        assertFalse(FIXTURE.config(RelationAggregation.SUM).toMap().containsKey("featureless"),
                "no featureless key when every type has features");
        TypedTrainedModel read = (TypedTrainedModel) ModelFile.decodeAny(ModelFile.encode(model), "emb.gatm");
        assertEquals(model.config(), read.config());
        assertEquals(model.config(), TypedGatConfig.fromMap(model.config().toMap()));
        Map<String, int[]> rows = Map.of("author", IntStream.range(0, TypedModelFixtures.AUTHORS).toArray());
        assertArrayEquals(run(model, 1, rows).logits(), run(read, 1, rows).logits(), 0f);
        assertArrayEquals(ModelFile.encode(model), ModelFile.encode(read), "re-saving what was read");
    }

    @Test
    void aLearnedInputPerLabelServesAnyNumberOfNodes() {
        TypedTrainedModel model = train(config(FeaturelessInput.perLabel(WIDTH)), 6, 5e-4).model();
        float[] original = run(model, 1, Map.of()).logits();
        // Two more copies of the graph: new authors get the shared input, so each copy predicts as the original.
        float[] grown = run(model, 3, Map.of()).logits();
        for (int copy = 0; copy < 3; copy++) {
            assertArrayEquals(original, Arrays.copyOfRange(grown, copy * original.length,
                    (copy + 1) * original.length), 1e-6f, "copy " + copy);
        }
    }

    @Test
    void aLearnedInputPerNodeReadsEachNodesTrainedRowAndRefusesANodeUnseenInTraining() {
        TypedTrainedModel model = train(config(FeaturelessInput.perNode(WIDTH, TypedModelFixtures.AUTHORS)), 6,
                5e-4).model();
        float[] original = run(model, 1, Map.of("author", IntStream.range(0, TypedModelFixtures.AUTHORS).toArray()))
                .logits();
        int[] rows = IntStream.range(0, 3 * TypedModelFixtures.AUTHORS).map(i -> i % TypedModelFixtures.AUTHORS)
                .toArray();
        float[] grown = run(model, 3, Map.of("author", rows)).logits();
        for (int copy = 0; copy < 3; copy++) {
            assertArrayEquals(original, Arrays.copyOfRange(grown, copy * original.length,
                    (copy + 1) * original.length), 1e-6f, "copy " + copy);
        }
        // Another order of the trained rows changes what the authors say.
        int[] reversed = IntStream.range(0, TypedModelFixtures.AUTHORS).map(i -> TypedModelFixtures.AUTHORS - 1 - i)
                .toArray();
        assertFalse(Arrays.equals(original, run(model, 1, Map.of("author", reversed)).logits()));

        int[] unseen = rows.clone();
        unseen[TypedModelFixtures.AUTHORS + 2] = -1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(model, 3, Map.of("author", unseen)));
        assertTrue(e.getMessage().startsWith("Node " + (TypedModelFixtures.AUTHORS + 2) + " of node type 'author' "
                + "was not in the training graph, and the model was trained with featurelessNodes 'node'"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> run(model, 1, Map.of()));
        assertTrue(e.getMessage().contains("'author' has a learned input per node (the model was trained with "
                + "featurelessNodes 'node')"), e.getMessage());
    }

    @Test
    void featuresForAFeaturelessTypeOrNoneForATypeWithFeaturesAreRefused() {
        TypedGatConfig perLabel = config(FeaturelessInput.perLabel(WIDTH));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
                TypedTrainer.train(backend, data(FIXTURE.features(1)), perLabel, new TrainingConfig(1, 0.01, 0, 10, 1),
                        TrainingListener.NONE, TerminationFlag.RUNNING);
            }
        });
        assertEquals("There are features for node type 'author', but the model learns its input (it is featureless "
                + "in the model's configuration)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> {
            try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
                TypedTrainer.train(backend, data(paperFeatures(1)), FIXTURE.config(RelationAggregation.SUM),
                        new TrainingConfig(1, 0.01, 0, 10, 1), TrainingListener.NONE, TerminationFlag.RUNNING);
            }
        });
        assertEquals("No features for node type 'author' (only a type the model's configuration declares featureless "
                + "may have none)", e.getMessage());
        TypedTrainedModel model = train(perLabel, 1, 0).model();
        e = assertThrows(IllegalArgumentException.class, () -> {
            try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
                TypedInference.run(backend, model, FIXTURE.graph(1), FIXTURE.features(1),
                        Inference.Request.LOGITS_ONLY);
            }
        });
        assertTrue(e.getMessage().startsWith("There are features for node type 'author', but the model learned its "
                + "input"), e.getMessage());
        assertEquals("The featureless node type 'author' learns inputs of 4 values but its input width is given as 3",
                assertThrows(IllegalArgumentException.class, () -> TypedGatConfig.builder(Map.of("paper", 5,
                        "author", 3), FIXTURE.graph(1).relations(), "paper", 3).featureless("author",
                        FeaturelessInput.perLabel(4))).getMessage());
    }
}
