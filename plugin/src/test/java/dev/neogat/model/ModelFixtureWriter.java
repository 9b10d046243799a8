package dev.neogat.model;

import dev.neogat.spec.GatConfig;
import dev.neogat.analysis.ClassificationReport;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.tune.AutoTuner;
import dev.neogat.tune.SearchSpace;
import dev.neogat.tune.TuneListener;
import dev.neogat.tune.TuneSettings;
import dev.neogat.util.TerminationFlag;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a model-file fixture with the code of the day: a small citation-like graph, a Cora-shaped GAT trained a
 * few epochs, the metadata gat.train stores (class names with quotes, escapes and non-ASCII text included), and
 * the logits the model gives. The committed fixtures were written once by an earlier version and must never be
 * regenerated to make {@link ModelFixtureCompatibilityTest} pass: a new format version gets a new fixture beside
 * them. Run: {@code java -cp <test classpath> dev.neogat.model.ModelFixtureWriter <folder> <name> [autoTune]}; with
 * {@code autoTune} the model is the choice of a two-trial autoTune search (its trials in the metadata).
 */
public final class ModelFixtureWriter {

    private ModelFixtureWriter() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3 || args.length == 3 && !args[2].equals("autoTune")) {
            throw new IllegalArgumentException("Usage: ModelFixtureWriter <folder> <name, e.g. model-v1-cora-like> "
                    + "[autoTune]");
        }
        boolean autoTune = args.length == 3;
        Path folder = Files.createDirectories(Path.of(args[0]));
        String name = args[1];

        Dataset data = SyntheticGraphs.generate(new SyntheticGraphs.Spec(80, 3, 3, 16, true, 4, 0.8, 0.5, 10, 10, 14));
        GatConfig config = GatConfig.builder(16, 3).hiddenHeads(4).hiddenChannels(4).messageDropout(0)
                .normalizeFeatures(false).build();
        TrainingConfig training = TrainingConfig.defaults().withEpochs(5).withPatience(0);
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            TrainingResult result = autoTune
                    ? AutoTuner.tuneAndTrain(backend, data.trainingData(), config, training,
                            new TuneSettings(2, 0, 7, SearchSpace.of(Map.of("hiddenChannels", List.of(4),
                                    "heads", List.of(4)), Map.of(), Set.of(), true)),
                            TuneListener.NONE, TerminationFlag.RUNNING).result()
                    : Trainer.train(backend, data.trainingData(), config, training, TrainingListener.NONE,
                            TerminationFlag.RUNNING);
            Prediction prediction = Inference.run(backend, result.model(), data.undirectedGraph(), data.features(),
                    Inference.Request.LOGITS_ONLY);
            List<Object> classes = new ArrayList<>(List.of("Databases", "Graph_Theory",
                    "Théorie \"quotée\" \\ 日本語 😀 tab\t nl\n bell\u0007 bs\b ff\f"));
            ModelMetadata.TestReport testReport = ClassificationReport.of(prediction, data.labels(),
                    data.split().test()).toMetadata(classes);
            TrainedModel model = result.model().withMetadata(gatTrainMetadata(result.model().metadata(), data,
                    result, classes, testReport));
            ModelFile.write(model, folder.resolve(name + ".gatm"));

            float[] dense = ((SparseMatrix) data.features()).toDense();
            new ModelFixture(data.nodeCount(), data.features().cols(), data.sources(), data.targets(), dense,
                    prediction.logits()).write(folder.resolve(name + ".predictions"),
                    "Input of " + name + ".gatm and the logits it gave when ModelFixtureWriter wrote it.\n"
                            + "Values are hexadecimal floats (Float.toHexString); edges as stored, the model runs on"
                            + " both directions plus self loops.");
        }
    }

    /** The part gat.train's facade adds to the trainer's, with fixed values (no clock, no machine). */
    private static ModelMetadata gatTrainMetadata(ModelMetadata trained, Dataset data, TrainingResult result,
                                                  List<Object> classes, ModelMetadata.TestReport testReport) {
        ModelMetadata.Projection projection = new ModelMetadata.Projection(List.of("Paper"), List.of("CITES"),
                "UNDIRECTED", null, null, List.of("features"), null);
        ModelMetadata.SplitSizes splitSizes = new ModelMetadata.SplitSizes(data.split().train().length,
                data.split().validation().length, data.split().test().length);
        ModelMetadata.Metrics metrics = new ModelMetadata.Metrics(metric(result.train()), metric(result.validation()),
                metric(result.test()));
        Map<String, Object> configuration = new LinkedHashMap<>();
        configuration.put("epochs", 5L);
        configuration.put("learningRate", 0.005);
        configuration.put("weightDecay", 5.0E-4);
        configuration.put("dropout", 0.6);
        configuration.put("seed", 42L);
        configuration.put("concurrency", 2);
        return trained.withTrainedOn("2026-12-05T08:00:00Z", classes, "subject", projection, data.nodeCount(),
                data.edgeCount(), splitSizes, "cpu", "accuracy", metrics, configuration, testReport);
    }

    private static ModelMetadata.Score metric(MetricCounts counts) {
        return new ModelMetadata.Score(counts.total() == 0 ? null : counts.score(),
                counts.total() == 0 ? null : counts.loss(), counts.total());
    }
}
