package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.ModelFile;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Relationship features through {@link TypedTrainer} and {@link TypedInference}: training gives exactly the
 * weights of the network stepped by hand with the same features (so the trainer passes them where the
 * finite-difference-checked network expects them), inference gives the network's logits, sparse rows count as
 * their dense values, the stored model predicts the same, and a model that attends over them refuses to run
 * without them. On {@link TypedModelFixtures}' graph: cites (paper-paper) and writes (author-paper) carry two
 * values per relationship, rev_writes reads those of writes.
 */
class TypedRelationshipFeaturesTest {

    private static final TypedModelFixtures FIXTURE = new TypedModelFixtures(11);
    private static final Relation CITES = new Relation("paper", "cites", "paper");
    private static final Relation WRITES = new Relation("author", "writes", "paper");
    private static final TrainingConfig TRAINING = new TrainingConfig(4, 0.02, 5e-4, 100, 9);

    private static TypedGatConfig config(Variant variant) {
        TypedGraph graph = FIXTURE.graph(1);
        TypedGatConfig.Builder builder = TypedGatConfig.builder(Map.of("paper", 5, "author", 3), graph.relations(),
                "paper", TypedModelFixtures.CLASSES).variant(variant).hiddenHeads(2).hiddenChannels(4).dropout(0.3)
                .aggregation(RelationAggregation.ATTENTION).semanticDim(6);
        graph.relations().forEach(r -> builder.edgeDim(r, 2));
        return builder.build();
    }

    private static Map<Relation, FeatureMatrix> relationshipFeatures(long seed) {
        TypedGraph graph = FIXTURE.graph(1);
        SplittableRandom random = new SplittableRandom(seed);
        Map<Relation, FeatureMatrix> features = new LinkedHashMap<>();
        for (Relation r : new Relation[]{CITES, WRITES}) {
            int edges = graph.graph(r).originalEdgeCount();
            float[] values = new float[edges * 2];
            for (int i = 0; i < values.length; i++) {
                // Every other value zero, so the sparse form below differs from the dense one.
                values[i] = i % 2 == 0 ? 0f : (float) (random.nextDouble() * 2 - 1);
            }
            features.put(r, new DenseMatrix(edges, 2, values));
        }
        return features;
    }

    private static final int[] TRAIN = IntStream.range(0, 20).toArray();

    private static TypedTrainingData data(Map<Relation, FeatureMatrix> relationshipFeatures) {
        // No validation nodes: the last epoch's weights are the result, as stepping by hand gives them.
        return new TypedTrainingData(FIXTURE.graph(1), FIXTURE.features(1), "paper",
                NodeLabels.singleLabel(FIXTURE.classes, TypedModelFixtures.CLASSES),
                new NodeSplit(TRAIN, new int[0], IntStream.range(20, TypedModelFixtures.PAPERS).toArray()),
                relationshipFeatures);
    }

    @Test
    void theTrainerStepsTheNetworkWithTheGivenFeaturesForEitherVariant() {
        for (Variant variant : Variant.values()) {
            TypedGatConfig config = config(variant);
            Map<Relation, FeatureMatrix> relationshipFeatures = relationshipFeatures(3);
            Weights trained;
            try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
                trained = TypedTrainer.train(backend, data(relationshipFeatures), config, TRAINING,
                        TrainingListener.NONE, TerminationFlag.RUNNING).weights();
            }
            final Weights byHand;
            try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
                Map<String, Tensor> x = new LinkedHashMap<>();
                FIXTURE.features(1).forEach((type, m) -> x.put(type, backend.upload(m)));
                TypedGatNetwork network = new TypedGatNetwork(backend, config,
                        Weights.initialize(TypedGatNetwork.parameterShapes(config), TRAINING.seed()),
                        FIXTURE.graph(1), x, TypedTrainer.dense(relationshipFeatures), false);
                Targets targets = backend.upload(NodeLabels.singleLabel(FIXTURE.classes, TypedModelFixtures.CLASSES),
                        TRAIN);
                for (int epoch = 1; epoch <= TRAINING.epochs(); epoch++) {
                    network.forward(true, TRAINING.seed(), epoch);
                    network.lossAndGradients(targets);
                    network.adamStep(AdamSettings.of(TRAINING.learningRate(), TRAINING.weightDecay()));
                }
                byHand = network.weights();
            }
            for (String name : byHand.asMap().keySet()) {
                assertArrayEquals(byHand.get(name).data(), trained.get(name).data(), 0f, variant + " " + name);
            }
            Weights without;
            try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
                without = TypedTrainer.train(backend, data(relationshipFeatures(4)), config, TRAINING,
                        TrainingListener.NONE, TerminationFlag.RUNNING).weights();
            }
            java.util.List<String> edgeWeights = byHand.asMap().keySet().stream()
                    .filter(name -> name.startsWith("layers.0.paper__cites__paper.") && name.contains("edge")).toList();
            assertFalse(edgeWeights.isEmpty(), () -> "cites has relationship-feature weights: " + byHand.asMap().keySet());
            for (String name : edgeWeights) {
                assertFalse(Arrays.equals(trained.get(name).data(), without.get(name).data()),
                        "other features, other training of " + name);
            }
        }
    }

    @Test
    void inferenceGivesTheNetworksLogitsForDenseOrSparseFeaturesAndAfterReadingTheModel() throws Exception {
        TypedGatConfig config = config(Variant.GATV2);
        Map<Relation, FeatureMatrix> dense = relationshipFeatures(5);
        TypedTrainedModel model;
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            model = TypedTrainer.train(backend, data(dense), config, TRAINING, TrainingListener.NONE,
                    TerminationFlag.RUNNING).model();
        }
        Map<Relation, FeatureMatrix> sparse = new LinkedHashMap<>();
        dense.forEach((r, m) -> sparse.put(r, SparseMatrix.fromDense(m.rows(), m.cols(), ((DenseMatrix) m).data())));
        TypedTrainedModel read = (TypedTrainedModel) ModelFile.decodeAny(ModelFile.encode(model), "edges.gatm");
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            Map<String, Tensor> x = new LinkedHashMap<>();
            FIXTURE.features(1).forEach((type, m) -> x.put(type, backend.upload(m)));
            TypedGatNetwork network = new TypedGatNetwork(backend, config, model.weights(), FIXTURE.graph(1), x,
                    TypedTrainer.dense(dense), false);
            Tensor logits = network.forward();
            float[] expected = new float[logits.rows() * logits.cols()];
            backend.download(logits, expected);
            for (Map<Relation, FeatureMatrix> given : java.util.List.of(dense, sparse)) {
                assertArrayEquals(expected, TypedInference.run(backend, model, FIXTURE.graph(1), FIXTURE.features(1),
                        given, Map.of(), Inference.Request.LOGITS_ONLY).logits(), 0f);
            }
            assertArrayEquals(expected, TypedInference.run(backend, read, FIXTURE.graph(1), FIXTURE.features(1),
                    dense, Map.of(), Inference.Request.LOGITS_ONLY).logits(), 0f);
            assertFalse(Arrays.equals(expected, TypedInference.run(backend, model, FIXTURE.graph(1),
                    FIXTURE.features(1), relationshipFeatures(6), Map.of(), Inference.Request.LOGITS_ONLY).logits()),
                    "the relationship features reach the scores");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TypedInference.run(
                    backend, model, FIXTURE.graph(1), FIXTURE.features(1), Inference.Request.LOGITS_ONLY));
            assertEquals("Relation " + CITES + ": The model attends over 2 relationship features per "
                    + "relationship but none were given", e.getMessage());
        }
    }

    @Test
    void relationshipFeaturesThatDoNotFitTheGraphAreRefusedNamingTheRelation() {
        DenseMatrix tooFew = DenseMatrix.zeros(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> data(Map.of(WRITES, tooFew)).validate());
        assertEquals("Relation " + WRITES + " has 3 rows of relationship features for "
                + FIXTURE.graph(1).graph(WRITES).originalEdgeCount() + " edges", e.getMessage());
        Relation unknown = new Relation("author", "reviews", "paper");
        e = assertThrows(IllegalArgumentException.class, () -> data(Map.of(unknown, tooFew)).validate());
        assertEquals("There are relationship features for " + unknown + ", which is not a relation of the graph "
                + FIXTURE.graph(1).relations(), e.getMessage());
    }
}
