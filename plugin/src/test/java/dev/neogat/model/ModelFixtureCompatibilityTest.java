package dev.neogat.model;

import dev.neogat.spec.GatConfig;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
    @ValueSource(strings = {"model-v1-cora-like", "model-v1-autotuned"})
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
    @ValueSource(strings = {"model-v1-cora-like", "model-v1-autotuned"})
    void reSavingGivesTheSameBytes(String name) throws IOException {
        byte[] written = ModelFixture.resource(name + ".gatm");
        TrainedModel model = ModelFile.decode(written, name + ".gatm");
        assertArrayEquals(written, ModelFile.encode(model));
    }

    @ParameterizedTest
    @ValueSource(strings = {"model-v1-cora-like"})
    void theHeaderReadsBackAsTheTypesItWasWrittenWith(String name) throws IOException {
        TrainedModel model = ModelFile.decode(ModelFixture.resource(name + ".gatm"), name + ".gatm");
        assertEquals(GatConfig.builder(16, 3).hiddenHeads(4).hiddenChannels(4).messageDropout(0)
                .normalizeFeatures(false).build(), model.config());
        ModelMetadata metadata = model.metadata();
        assertEquals(5, metadata.bestEpoch());
        assertEquals(80L, metadata.nodeCount());
        assertEquals(new ModelMetadata.Training(5, 0.005, 5.0E-4, 0, 42L), metadata.training());
        assertEquals(List.of("Databases", "Graph_Theory",
                "Théorie \"quotée\" \\ 日本語 😀 tab\t nl\n bell\u0007 bs\b ff\f"), metadata.classes());
        // The projection of its day, before selfLoops, dropDuplicates and missingFeatures were stored.
        assertEquals(new ModelMetadata.Projection(List.of("Paper"), List.of("CITES"), "UNDIRECTED", null, null,
                List.of("features"), null), metadata.projection());
        ModelMetadata.TestReport report = metadata.testReport();
        assertEquals(List.of(List.of(1L, 0L, 1L), List.of(1L, 3L, 0L), List.of(4L, 0L, 0L)), report.confusionMatrix());
        ModelMetadata.ClassMetrics third = report.perClass().get(2);
        assertEquals(0.0, third.precision());
        assertEquals(4L, third.support());
        // The configuration as gat.train reported it stays free-form: integers Long, other numbers Double.
        assertEquals(5L, metadata.configuration().get("epochs"));
        assertEquals(0.6, metadata.configuration().get("dropout"));
        assertEquals(new ModelMetadata.Score(0.4, 0.9979528903961181, 10L), metadata.metrics().test());
    }

    /** An autoTune search stored before trials could run several seeds: one run each, none listed. */
    @Test
    void anAutoTunedModelOfItsDayKeepsItsSearch() throws IOException {
        TrainedModel model = ModelFile.decode(ModelFixture.resource("model-v1-autotuned.gatm"),
                "model-v1-autotuned.gatm");
        ModelMetadata.AutoTune search = model.metadata().autoTune();
        assertEquals(2, search.maxTrials());
        assertEquals(7L, search.seed());
        assertEquals("MAX_TRIALS", search.endReason());
        assertEquals(1, search.chosenTrial());
        assertNull(search.seedsPerTrial());
        assertNull(search.chosenSeed());
        assertEquals(2, search.trials().size());
        ModelMetadata.TrialSummary second = search.trials().get(1);
        assertEquals(2, second.trial());
        assertEquals(2.2768042060518581E-4, second.configuration().get("weightDecay"));
        assertEquals(true, second.configuration().get("normalizeFeatures"));
        assertEquals(1.0343546271324158, second.validationLoss());
        assertEquals(39.832122, second.millis());
        assertNull(second.runs());
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
