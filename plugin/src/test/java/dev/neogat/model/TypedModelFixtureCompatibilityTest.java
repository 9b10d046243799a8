package dev.neogat.model;

import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.Relation;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedPrediction;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards typed model files (format version 2) as {@link ModelFixtureCompatibilityTest} guards untyped ones: the
 * committed {@code model-v2-typed} was written once by {@link TypedModelFixtureWriter} with the code of the stop
 * that introduced typed models (before featureless inputs and typed relationship features were added); it must
 * load, give the logits it gave then, and re-save to the same bytes.
 */
class TypedModelFixtureCompatibilityTest {

    private static final String NAME = "model-v2-typed";
    private static final float LOGIT_TOLERANCE = 1e-5f;

    @Test
    void loadsAndPredictsWhatItPredictedWhenWritten() throws IOException {
        TypedTrainedModel model = read();
        TypedModelFixture fixture = TypedModelFixture.read(NAME + ".predictions");
        for (int threads : new int[]{1, 2}) {
            TypedPrediction prediction;
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                prediction = TypedInference.run(backend, model, fixture.graph(), fixture.featureMatrices(),
                        Inference.Request.LOGITS_ONLY);
            }
            assertArrayEquals(fixture.flatLogits(), prediction.logits(), LOGIT_TOLERANCE,
                    "logits with " + threads + " threads");
        }
    }

    @Test
    void reSavingGivesTheSameBytes() throws IOException {
        byte[] written = ModelFixture.resource(NAME + ".gatm");
        assertArrayEquals(written, ModelFile.encode(ModelFile.decodeAny(written, NAME + ".gatm")));
    }

    @Test
    void theConfigurationReadsBackAsItWasWritten() throws IOException {
        TypedTrainedModel model = read();
        TypedModelFixture fixture = TypedModelFixture.read(NAME + ".predictions");
        assertEquals(TypedModelFixtureWriter.config(fixture.graph()), model.config());
        assertEquals(List.of(new Relation("paper", "cites", "paper"), new Relation("author", "writes", "paper"),
                new Relation("paper", "rev_writes", "author")), model.config().relations());
        assertTrue(model.config().featureless().isEmpty(), "a file from before featureless inputs has none");
        assertFalse(model.config().normalizeFeatures(), "a file from before typed normalizeFeatures reads its rows "
                + "as given, as it was trained");
        assertEquals(Map.of("paper", 5, "author", 3), model.config().inputWidths());
    }

    private static TypedTrainedModel read() throws IOException {
        StoredModel stored = ModelFile.decodeAny(ModelFixture.resource(NAME + ".gatm"), NAME + ".gatm");
        return assertInstanceOf(TypedTrainedModel.class, stored);
    }
}
