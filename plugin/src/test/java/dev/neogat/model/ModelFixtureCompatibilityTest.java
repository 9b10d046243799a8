package dev.neogat.model;

import dev.neogat.spec.GatConfig;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Guards that model files written by earlier versions stay loadable and mean the same: every committed fixture
 * (written once by {@link ModelFixtureWriter} with the code of its day, never regenerated) must load, predict
 * the classes and logits it gave when it was written, and re-save to the very same bytes, header text and
 * checksum included. A change of the model metadata or configuration keys, of the header's JSON library or of
 * the layout must keep this test passing unchanged; a new format version adds a fixture, it does not replace one.
 */
class ModelFixtureCompatibilityTest {

    /** Logits may move in the last bits when a kernel reorders its sums; a misread weight moves them far more. */
    private static final float LOGIT_TOLERANCE = 1e-5f;

    @ParameterizedTest
    @ValueSource(strings = {"model-v1-cora-like"})
    void loadsAndPredictsWhatItPredictedWhenWritten(String name) throws IOException {
        TrainedModel model = ModelFile.decode(ModelFixture.resource(name + ".gatm"), name + ".gatm");
        ModelFixture fixture = ModelFixture.read(name + ".predictions");
        assertEquals(fixture.featureCount(), model.config().inputDim());
        assertEquals(fixture.classCount(), model.config().classCount());

        for (int threads : new int[]{1, 2}) {
            Prediction prediction;
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                prediction = Inference.run(backend, model, fixture.graph(), fixture.featureMatrix(),
                        Inference.Request.LOGITS_ONLY);
            }
            float[] expected = fixture.logits();
            assertArrayEquals(expected, prediction.logits(), LOGIT_TOLERANCE, "logits with " + threads + " threads");
            int classes = fixture.classCount();
            for (int node = 0; node < fixture.nodeCount(); node++) {
                assertEquals(argmax(expected, node, classes), prediction.predictedClass(node),
                        "class of node " + node + " with " + threads + " threads");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"model-v1-cora-like"})
    void reSavingGivesTheSameBytes(String name) throws IOException {
        byte[] written = ModelFixture.resource(name + ".gatm");
        TrainedModel model = ModelFile.decode(written, name + ".gatm");
        assertArrayEquals(written, ModelFile.encode(model));
    }

    @ParameterizedTest
    @ValueSource(strings = {"model-v1-cora-like"})
    void theHeaderReadsBackAsTheTypesItWasWrittenWith(String name) throws IOException {
        TrainedModel model = ModelFile.decode(ModelFixture.resource(name + ".gatm"), name + ".gatm");
        assertEquals(GatConfig.builder(16, 3).hiddenHeads(4).hiddenChannels(4).messageDropout(0).normalizeFeatures(false).build(), model.config());
        Map<String, Object> metadata = model.metadata();
        // Integers come back as Long and other numbers as Double, whatever type they were written from.
        assertEquals(5L, metadata.get("bestEpoch"));
        assertEquals(80L, metadata.get("nodeCount"));
        Map<?, ?> training = assertInstanceOf(Map.class, metadata.get("training"));
        assertEquals(0.005, training.get("learningRate"));
        assertEquals(5.0E-4, training.get("weightDecay"));
        assertEquals(42L, training.get("seed"));
        assertEquals(List.of("Databases", "Graph_Theory",
                "Théorie \"quotée\" \\ 日本語 😀 tab\t nl\n bell\u0007 bs\b ff\f"), metadata.get("classes"));
        Map<?, ?> report = assertInstanceOf(Map.class, metadata.get("testReport"));
        assertEquals(List.of(List.of(1L, 0L, 1L), List.of(1L, 3L, 0L), List.of(4L, 0L, 0L)),
                report.get("confusionMatrix"));
        List<?> perClass = assertInstanceOf(List.class, report.get("perClass"));
        Map<?, ?> third = assertInstanceOf(Map.class, perClass.get(2));
        assertEquals(0.0, third.get("precision"));
        assertEquals(4L, third.get("support"));
    }

    private static int argmax(float[] logits, int node, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[node * classes + c] > logits[node * classes + best]) {
                best = c;
            }
        }
        return best;
    }
}
