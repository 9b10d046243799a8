package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.model.ModelFile;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code normalizeFeatures} in typed models: training and prediction on raw rows equal the engine's computation on
 * rows scaled per label beforehand, nodes added after training are scaled alike, a featureless label is left alone,
 * and the setting survives the model file.
 */
class TypedNormalizeFeaturesTest {

    private static final TypedModelFixtures FIXTURE = new TypedModelFixtures(5);

    /** Positive rows of different sums, so that scaling them changes what the model sees. */
    private static Map<String, FeatureMatrix> positive(int copies) {
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        FIXTURE.features(copies).forEach((type, x) -> {
            DenseMatrix dense = (DenseMatrix) x;
            float[] values = dense.data().clone();
            int perCopy = values.length / copies;
            for (int i = 0; i < values.length; i++) {
                values[i] = Math.abs(values[i]) * (1 + i % perCopy % 7);
            }
            features.put(type, new DenseMatrix(dense.rows(), dense.cols(), values));
        });
        return features;
    }

    private static Map<String, FeatureMatrix> scaledRows(Map<String, FeatureMatrix> features) {
        Map<String, FeatureMatrix> scaled = new LinkedHashMap<>();
        features.forEach((type, x) -> scaled.put(type, x.rowNormalized()));
        return scaled;
    }

    private static TypedGatConfig config(boolean normalize) {
        TypedGatConfig plain = FIXTURE.config(RelationAggregation.ATTENTION);
        return TypedGatConfig.builder(plain.inputWidths(), plain.relations(), plain.targetType(), plain.classCount())
                .hiddenHeads(2).hiddenChannels(4).dropout(0.2).aggregation(RelationAggregation.ATTENTION)
                .semanticDim(6).normalizeFeatures(normalize).build();
    }

    private static TypedTrainingResult train(TypedGatConfig config, Map<String, FeatureMatrix> features) {
        TypedTrainingData data = new TypedTrainingData(FIXTURE.graph(1), features, "paper",
                NodeLabels.singleLabel(FIXTURE.classes, TypedModelFixtures.CLASSES),
                new NodeSplit(IntStream.range(0, 15).toArray(), IntStream.range(15, 22).toArray(),
                        IntStream.range(22, TypedModelFixtures.PAPERS).toArray()));
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedTrainer.train(backend, data, config, new TrainingConfig(6, 0.01, 5e-4, 100, 7),
                    TrainingListener.NONE, TerminationFlag.RUNNING);
        }
    }

    private static float[] logits(TypedTrainedModel model, int copies, Map<String, FeatureMatrix> features) {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedInference.run(backend, model, FIXTURE.graph(copies), features, Inference.Request.LOGITS_ONLY)
                    .logits();
        }
    }

    @Test
    void trainingAndPredictionOnRawRowsEqualTheEngineOnRowsScaledBeforehand() {
        TypedTrainingResult normalizing = train(config(true), positive(1));
        TypedTrainingResult onScaledRows = train(config(false), scaledRows(positive(1)));
        for (String name : normalizing.weights().asMap().keySet()) {
            assertArrayEquals(onScaledRows.weights().get(name).data(), normalizing.weights().get(name).data(), 0f,
                    name);
        }
        assertEquals(onScaledRows.history().stream().map(EpochStats::loss).toList(),
                normalizing.history().stream().map(EpochStats::loss).toList());
        float[] predicted = logits(normalizing.model(), 1, positive(1));
        assertArrayEquals(logits(onScaledRows.model(), 1, scaledRows(positive(1))), predicted, 0f);
        // The same weights without scaling predict otherwise, so the scaling is what the model reads.
        TypedTrainedModel unscaled = new TypedTrainedModel(config(false), normalizing.weights(),
                normalizing.model().metadata());
        assertFalse(Arrays.equals(predicted, logits(unscaled, 1, positive(1))));
    }

    @Test
    void nodesAddedAfterTrainingAreScaledAsTheTrainingNodesWere() {
        TypedTrainedModel model = train(config(true), positive(1)).model();
        float[] one = logits(model, 1, positive(1));
        // The second copy's nodes are new and unconnected to the first's; the same rows give the same logits.
        float[] two = logits(model, 2, positive(2));
        assertArrayEquals(one, Arrays.copyOfRange(two, 0, one.length), 0f);
        assertArrayEquals(one, Arrays.copyOfRange(two, one.length, two.length), 0f);
    }

    @Test
    void theSettingIsStoredWithTheModelAndOnlyWhenSet() throws Exception {
        TypedTrainedModel model = train(config(true), positive(1)).model();
        TypedTrainedModel read = assertInstanceOf(TypedTrainedModel.class,
                ModelFile.decodeAny(ModelFile.encode(model), "normalized.gatm"));
        assertTrue(read.config().normalizeFeatures());
        assertEquals(model.config(), read.config());
        assertArrayEquals(logits(model, 2, positive(2)), logits(read, 2, positive(2)), 0f);
        assertEquals(Boolean.TRUE, config(true).toMap().get("normalizeFeatures"));
        assertFalse(config(false).toMap().containsKey("normalizeFeatures"),
                "a model reading its rows as given keeps the file older versions read");
        Map<String, Object> stored = new LinkedHashMap<>(config(true).toMap());
        stored.remove("normalizeFeatures");
        assertFalse(TypedGatConfig.fromMap(stored).normalizeFeatures(), "absent (older files): rows as given");
    }

    @Test
    void aFeaturelessLabelKeepsItsLearnedInput() {
        TypedGatConfig plain = config(true);
        TypedGatConfig withoutAuthors = TypedGatConfig.builder(Map.of("paper", 5), plain.relations(), "paper",
                        TypedModelFixtures.CLASSES).hiddenHeads(2).hiddenChannels(4).normalizeFeatures(true)
                .featureless("author", FeaturelessInput.perLabel(3)).build();
        Map<String, FeatureMatrix> papersOnly = new LinkedHashMap<>();
        papersOnly.put("paper", positive(1).get("paper"));
        Map<String, FeatureMatrix> scaled = TypedInference.modelInput(withoutAuthors, papersOnly);
        assertEquals(java.util.Set.of("paper"), scaled.keySet());
        DenseMatrix rows = (DenseMatrix) scaled.get("paper");
        for (int r = 0; r < rows.rows(); r++) {
            double sum = 0;
            for (float v : rows.row(r)) {
                sum += v;
            }
            assertEquals(1.0, sum, 1e-6, "row " + r);
        }
        TypedTrainedModel model = train(withoutAuthors, papersOnly).model();
        assertEquals(TypedModelFixtures.PAPERS * TypedModelFixtures.CLASSES, logits(model, 1, papersOnly).length);
    }
}
