package dev.neogat.model;

import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedModelFixtures;
import dev.neogat.train.TypedPrediction;
import dev.neogat.train.TypedTrainingResult;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed models in the model file: round trip with the same predictions, β in the metadata, tolerant reading. */
class TypedModelFileTest {

    private final TypedModelFixtures fixture = new TypedModelFixtures(3);

    @Test
    void aTypedModelSavedAndLoadedPredictsTheSameLogits(@TempDir Path folder) throws Exception {
        TypedTrainingResult result = fixture.train(RelationAggregation.ATTENTION, 8);
        TypedTrainedModel model = result.model();
        Path path = folder.resolve("typed.gatm");
        ModelFile.write(model, path);
        TypedTrainedModel read = assertInstanceOf(TypedTrainedModel.class, ModelFile.readAny(path));

        assertEquals(model.config(), read.config());
        for (String name : model.weights().asMap().keySet()) {
            assertArrayEquals(model.weights().get(name).data(), read.weights().get(name).data(), 0f, name);
        }
        assertEquals(model.metadata(), read.metadata());
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            TypedPrediction before = TypedInference.run(backend, model, fixture.graph(1), fixture.features(1),
                    Inference.Request.LOGITS_ONLY);
            TypedPrediction after = TypedInference.run(backend, read, fixture.graph(1), fixture.features(1),
                    Inference.Request.LOGITS_ONLY);
            assertArrayEquals(before.logits(), after.logits(), 0f);
        }
        assertArrayEquals(ModelFile.encode(model), ModelFile.encode(read), "re-saving what was read");
    }

    @Test
    void theMetadataHoldsEachLayersRelationWeightsPerType() throws Exception {
        TypedTrainingResult result = fixture.train(RelationAggregation.ATTENTION, 4);
        ModelMetadata metadata = ModelFile.decodeAny(ModelFile.encode(result.model()), "beta.gatm").metadata();
        List<Map<String, Map<String, Double>>> stored = metadata.relationWeights();
        assertEquals(result.config().layers(), stored.size());
        // Layer 0: papers from cites and writes (β over two relations), authors from rev_writes only.
        Map<String, Double> intoPapers = stored.get(0).get("paper");
        assertEquals(List.of("paper__cites__paper", "author__writes__paper"), List.copyOf(intoPapers.keySet()));
        assertEquals(1.0, intoPapers.values().stream().mapToDouble(Double::doubleValue).sum(), 1e-9);
        assertEquals(result.relationWeights().get(0).get("paper").values().iterator().next(),
                intoPapers.get("paper__cites__paper"));
        assertEquals(Map.of("paper__rev_writes__author", 1.0), stored.get(0).get("author"));
        assertEquals(List.of("paper"), List.copyOf(stored.get(1).keySet()));
        assertEquals(result.bestEpoch(), metadata.bestEpoch());
        assertEquals(4, metadata.training().epochs());
    }

    @Test
    void anUntypedModelIsStillWrittenAsVersionOneAndATypedOneAsVersionTwo() throws Exception {
        byte[] typed = ModelFile.encode(fixture.train(RelationAggregation.SUM, 1).model());
        assertEquals(ModelFile.TYPED_VERSION, typed[8]);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.decode(typed, "t.gatm"));
        assertTrue(e.getMessage().contains("it holds a typed model (node types [paper, author]), where an untyped "
                + "model is expected"), e.getMessage());
    }

    @Test
    void theTypedConfigurationRoundTripsThroughItsMap() {
        for (RelationAggregation aggregation : RelationAggregation.values()) {
            TypedGatConfig config = fixture.config(aggregation);
            assertEquals(config, TypedGatConfig.fromMap(config.toMap()));
        }
        // Relationship-feature widths are stored only where a relation has some, and read back per relation.
        TypedGatConfig plain = fixture.config(RelationAggregation.SUM);
        assertTrue(!plain.toMap().containsKey("edgeDims"), "no edgeDims key without relationship features");
        dev.neogat.spec.Relation first = plain.relations().get(0);
        TypedGatConfig withFeatures = TypedGatConfig.builder(plain.inputWidths(), plain.relations(), plain.targetType(),
                plain.classCount()).edgeDim(first, 3).build();
        TypedGatConfig read = TypedGatConfig.fromMap(withFeatures.toMap());
        assertEquals(withFeatures, read);
        assertEquals(3, read.edgeDim(first));
    }

    @Test
    void aStoredTypedConfigurationWithAMissingUnknownOrWrongKeyFailsNamingIt() {
        Map<String, Object> stored = new LinkedHashMap<>(fixture.config(RelationAggregation.SUM).toMap());
        Map<String, Object> missing = new LinkedHashMap<>(stored);
        missing.remove("semanticDim");
        assertEquals("the model configuration lacks 'semanticDim' (an integer)",
                assertThrows(IllegalArgumentException.class, () -> TypedGatConfig.fromMap(missing)).getMessage());
        Map<String, Object> unknown = new LinkedHashMap<>(stored);
        unknown.put("futureKey", 1L);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TypedGatConfig.fromMap(unknown)).getMessage()
                .startsWith("the typed model configuration has the key 'futureKey', which this version does not "
                        + "know"));
        Map<String, Object> wrongWidth = new LinkedHashMap<>(stored);
        wrongWidth.put("nodeTypes", Map.of("paper", "five"));
        assertEquals("the model configuration's 'nodeTypes.paper' must be an integer width, got five",
                assertThrows(IllegalArgumentException.class, () -> TypedGatConfig.fromMap(wrongWidth)).getMessage());
        Map<String, Object> wrongRelation = new LinkedHashMap<>(stored);
        wrongRelation.put("relations", List.of(Map.of("source", "paper", "name", "cites")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TypedGatConfig.fromMap(wrongRelation))
                .getMessage().startsWith("the model configuration's 'relations[0]' must be {source, name, target}"));
        Map<String, Object> wrongAggregation = new LinkedHashMap<>(stored);
        wrongAggregation.put("relationAggregation", "max");
        assertEquals("relationAggregation must be one of 'sum', 'mean', 'attention', got 'max'",
                assertThrows(IllegalArgumentException.class, () -> TypedGatConfig.fromMap(wrongAggregation))
                        .getMessage());
    }
}
