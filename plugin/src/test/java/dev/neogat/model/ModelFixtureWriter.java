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
import dev.neogat.util.TerminationFlag;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model-file fixture with the code of the day: a small citation-like graph, a Cora-shaped GAT trained a
 * few epochs, the metadata gat.train stores (class names with quotes, escapes and non-ASCII text included), and
 * the logits the model gives. The committed fixtures were written once by an earlier version and must never be
 * regenerated to make {@link ModelFixtureCompatibilityTest} pass: a new format version gets a new fixture beside
 * them. Run: {@code java -cp <test classpath> dev.neogat.model.ModelFixtureWriter <folder> <name>}.
 */
public final class ModelFixtureWriter {

    private ModelFixtureWriter() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("Usage: ModelFixtureWriter <folder> <name, e.g. model-v1-cora-like>");
        }
        Path folder = Files.createDirectories(Path.of(args[0]));
        String name = args[1];

        Dataset data = SyntheticGraphs.generate(new SyntheticGraphs.Spec(80, 3, 3, 16, true, 4, 0.8, 0.5, 10, 10, 14));
        GatConfig config = GatConfig.builder(16, 3).hiddenHeads(4).hiddenChannels(4).messageDropout(0).normalizeFeatures(false).build();
        TrainingConfig training = TrainingConfig.defaults().withEpochs(5).withPatience(0);
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            TrainingResult result = Trainer.train(backend, data.trainingData(), config, training,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            Prediction prediction = Inference.run(backend, result.model(), data.undirectedGraph(), data.features(),
                    Inference.Request.LOGITS_ONLY);
            List<Object> classes = new ArrayList<>(List.of("Databases", "Graph_Theory",
                    "Théorie \"quotée\" \\ 日本語 😀 tab\t nl\n bell\u0007 bs\b ff\f"));
            Map<String, Object> metadata = new LinkedHashMap<>(gatTrainMetadata(data, result, classes));
            metadata.put("testReport", ClassificationReport.of(prediction, data.labels(), data.split().test())
                    .toMap(classes));
            TrainedModel model = result.model().withMetadata(metadata);
            ModelFile.write(model, folder.resolve(name + ".gatm"));

            float[] dense = ((SparseMatrix) data.features()).toDense();
            new ModelFixture(data.nodeCount(), data.features().cols(), data.sources(), data.targets(), dense,
                    prediction.logits()).write(folder.resolve(name + ".predictions"),
                    "Input of " + name + ".gatm and the logits it gave when ModelFixtureWriter wrote it.\n"
                            + "Values are hexadecimal floats (Float.toHexString); edges as stored, the model runs on"
                            + " both directions plus self loops.");
        }
    }

    /** The keys gat.train's facade adds to the trainer's, with fixed values (no clock, no machine). */
    private static Map<String, Object> gatTrainMetadata(Dataset data, TrainingResult result,
                                                        List<Object> classes) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("createdAt", "2026-12-05T08:00:00Z");
        metadata.put("classes", classes);
        metadata.put("labelProperty", "subject");
        Map<String, Object> projection = new LinkedHashMap<>();
        projection.put("nodeLabels", List.of("Paper"));
        projection.put("relationshipTypes", List.of("CITES"));
        projection.put("orientation", "UNDIRECTED");
        projection.put("featureProperties", List.of("features"));
        metadata.put("projection", projection);
        metadata.put("nodeCount", data.nodeCount());
        metadata.put("relationshipCount", (long) data.edgeCount());
        Map<String, Object> splitSizes = new LinkedHashMap<>();
        splitSizes.put("train", data.split().train().length);
        splitSizes.put("validation", data.split().validation().length);
        splitSizes.put("test", data.split().test().length);
        metadata.put("splitSizes", splitSizes);
        metadata.put("device", "cpu");
        metadata.put("metric", "accuracy");
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("train", metricMap(result.train()));
        metrics.put("validation", metricMap(result.validation()));
        metrics.put("test", metricMap(result.test()));
        metadata.put("metrics", metrics);
        Map<String, Object> configuration = new LinkedHashMap<>();
        configuration.put("epochs", 5L);
        configuration.put("learningRate", 0.005);
        configuration.put("weightDecay", 5.0E-4);
        configuration.put("dropout", 0.6);
        configuration.put("seed", 42L);
        configuration.put("concurrency", 2);
        metadata.put("configuration", configuration);
        return metadata;
    }

    private static Map<String, Object> metricMap(MetricCounts counts) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("score", counts.total() == 0 ? null : counts.score());
        map.put("loss", counts.total() == 0 ? null : counts.loss());
        map.put("nodes", counts.total());
        return map;
    }
}
