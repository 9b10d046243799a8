package dev.neogat.procedures.facade;

import dev.neogat.analysis.ClassificationReport;
import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.catalog.ModelCatalog;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.TrainConfig;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.LoadedGraph;
import dev.neogat.procedures.load.RelationshipFeatureReader;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.train.BatchingChoice;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingData;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingOutcome;
import dev.neogat.train.TrainingResult;
import dev.neogat.tune.AutoTuner;
import dev.neogat.tune.Trial;
import dev.neogat.tune.TuneListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code gat.train} does: read the configuration, reserve the model name, load the projection,
 * check that the job fits in the heap, choose the device, train (progress in gat.progress() and the log),
 * store the model, and write predictions and attention back when asked. A failure or termination before
 * the model is stored leaves the catalog as it was.
 */
public final class TrainFacade {

    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private TrainFacade() {
    }

    /** The row {@code gat.train} yields. */
    public static final class TrainResult {
        public String modelName;
        public String device;
        public String deviceReason;
        public String mode;
        public String modeReason;
        public long nodeCount;
        public long relationshipCount;
        public List<Object> classes;
        public long epochs;
        public long bestEpoch;
        public String stopReason;
        public String metric;
        public Double trainAccuracy;
        public Double validationAccuracy;
        public Double testAccuracy;
        public double finalLoss;
        public long loadMillis;
        public long trainMillis;
        public long writeMillis;
        public long propertiesWritten;
        public long writeRetries;
        public Map<String, Object> configuration;
    }

    public static TrainResult train(ProcedureContext context, String modelName, Map<String, Object> rawConfig) {
        ModelCatalog.validateName(modelName);
        TrainConfig config = TrainConfig.read(rawConfig);
        if (config.typed().typedFor(config)) {
            return TypedTrainFacade.train(context, modelName, config);
        }
        if (!config.typed().targetLabels().isEmpty()) {
            throw new IllegalArgumentException("Configuration 'targetLabels' applies to typed models, but this run "
                    + "trains an untyped one (typed: " + config.used().get("typed") + ", nodeLabels "
                    + config.projection().nodeLabels() + ", relationshipTypes " + config.projection().relationshipTypes()
                    + "); give typed: true, or leave targetLabels out");
        }
        if (config.projection().featurePropertiesByLabel() != null) {
            throw new IllegalArgumentException("featureProperties as a map from label (" + config.used()
                    .get("featureProperties") + ") needs a typed model; give typed: true, or one property or list "
                    + "for every node");
        }
        WriteBack.requireLayersExist(config.write(), config.model().layers(), modelName);
        ModelCatalog catalog = context.catalog();
        catalog.reserve(modelName);
        boolean stored = false;
        try (Jobs.Job job = Jobs.start("train", modelName, context.database(), null)) {
            String fromStore = StoreTraining.storeReason(context, config);
            if (fromStore != null) {
                boolean[] inCatalog = {false};
                try {
                    return StoreTraining.train(context, modelName, config, fromStore, job, () -> inCatalog[0] = true);
                } finally {
                    stored = inCatalog[0];
                }
            }
            GraphLoader.SplitSpec split = new GraphLoader.SplitSpec(config.splitProperty(), config.trainFraction(),
                    config.validationFraction(), config.training().seed());
            LoadedGraph graph = GraphLoader.load(context.tx(), config.projection(), config.labelProperty(), split,
                    context.guard(), job::phase);
            ProjectionConfig projection = withRelationshipFeatureStatistics(config.projection(), graph);
            GatConfig gatConfig = config.model().toConfig(graph.features().cols(), graph.classValues().size(),
                    graph.labels().isMultiLabel(), graph.features() instanceof SparseMatrix);
            if (graph.relationshipFeatures() != null) {
                gatConfig = gatConfig.toBuilder().edgeDim(graph.relationshipFeatures().cols()).build();
            }
            WriteBack.requireLayersExist(config.write(), gatConfig.layerCount(), modelName);
            MemoryEstimate fullBatch = MemoryEstimate.of(config.largestModel(gatConfig), graph.nodeCount(),
                    graph.graph().slotCount(), graph.relationshipCount(), graph.features().storedValues(),
                    graph.features() instanceof SparseMatrix, true);
            MemoryEstimate miniBatch = MemoryEstimate.miniBatch(gatConfig, graph.nodeCount(),
                    graph.graph().slotCount(), graph.relationshipCount(), graph.features().storedValues(),
                    graph.features() instanceof SparseMatrix, config.batching().miniBatch().batchSize(),
                    config.batching().miniBatch().fanouts(), config.concurrency());
            BatchingChoice batching = chooseBatching(config, fullBatch, miniBatch);
            MemoryEstimate need = batching.estimate();
            requireHeap(need);
            DeviceChoice device = Devices.select(config.device(), config.concurrency(), context.terminationFlag(),
                    need);
            context.log().info("gat.train '%s': %d nodes, %d relationships, %d features, %d classes on %s (%s), %s (%s)",
                    modelName, graph.nodeCount(), graph.relationshipCount(), graph.features().cols(),
                    graph.classValues().size(), device.device(), device.reason(), batching.mode(), batching.reason());
            try (Backend backend = device.backend()) {
                TrainingData data = new TrainingData(graph.graph(), graph.features(), graph.labels(), graph.split(),
                        graph.relationshipFeatures());
                TrainingResult result;
                Map<String, Object> configuration = config.used();
                if (config.autoTune() == null) {
                    job.phase("training");
                    result = Trainer.train(backend, data, gatConfig, config.training(), batching.miniBatch(),
                            config.concurrency(), listener(context, job, modelName), context.terminationFlag());
                } else {
                    AutoTuner.Result tuned = AutoTuner.tuneAndTrain(backend, data, gatConfig, config.training(),
                            config.autoTune(), tuneListener(context, job, modelName), context.terminationFlag());
                    result = tuned.result();
                    configuration = withChosen(configuration, tuned.search().chosen());
                }
                job.phase("predicting");
                boolean needsAttention = config.write().attentionProperty() != null
                        || config.write().selfAttentionProperty() != null;
                Prediction prediction = Inference.run(backend, result.model(), graph.graph(), graph.features(),
                        graph.relationshipFeatures(),
                        new Inference.Request(needsAttention, config.write().embeddingProperty() != null));
                ModelMetadata.TestReport testReport = ClassificationReport.of(prediction, graph.labels(),
                        graph.split().test()).toMetadata(graph.classValues());
                TrainedModel model = result.model().withMetadata(trainedOn(result.model().metadata(), config,
                        projection, configuration, graph, result, device, testReport));
                job.phase("storing the model");
                catalog.store(modelName, model);
                stored = true;
                context.log().info("gat.train '%s': stored after %d epochs (best %d), test %s %.4f", modelName,
                        result.epochsRun(), result.bestEpoch(), metricName(result.test()), result.test().score());

                long writeStart = System.nanoTime();
                WriteBack.Summary written = new WriteBack.Summary(0, 0);
                if (config.write().writesAnything()) {
                    written = writeResults(context, config, graph, prediction, job, modelName);
                }
                return row(modelName, configuration, graph, result, device, batching, written,
                        (System.nanoTime() - writeStart) / 1e6);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot store the model '" + modelName + "': " + e.getMessage(), e);
        } finally {
            if (!stored) {
                catalog.release(modelName);
            }
        }
    }

    private static WriteBack.Summary writeResults(ProcedureContext context, TrainConfig config, LoadedGraph graph,
                                     Prediction prediction, Jobs.Job job, String modelName) {
        try {
            return WriteBack.write(context, modelName, graph, prediction, config.write(), graph.classValues(),
                    config.projection().orientation(), config.concurrency(), job);
        } catch (RuntimeException e) {
            // Neo4j shows users the deepest cause's message: keep ours on top, the original as suppressed.
            IllegalStateException failure = new IllegalStateException("The model '" + modelName + "' was trained and "
                    + "stored, but writing its results failed: " + e.getMessage());
            failure.addSuppressed(e);
            context.log().error("gat.train '" + modelName + "': writing results failed", e);
            throw failure;
        }
    }

    /**
     * The 'mode' key resolved: 'auto' trains full-batch when its estimate fits 'memoryBudget' (default: the heap
     * free now), else mini-batch; autoTune's trials are full-batch, so with autoTune 'auto' is full-batch.
     */
    static BatchingChoice chooseBatching(TrainConfig config, MemoryEstimate fullBatch, MemoryEstimate miniBatch) {
        TrainConfig.Batching batching = config.batching();
        return switch (batching.mode()) {
            case TrainConfig.FULL_BATCH -> BatchingChoice.fullBatch(fullBatch, "mode 'fullBatch' was asked for");
            case TrainConfig.MINI_BATCH -> BatchingChoice.miniBatch(batching.miniBatch(), miniBatch,
                    "mode 'miniBatch' was asked for");
            default -> config.autoTune() != null
                    ? BatchingChoice.fullBatch(fullBatch, "auto: autoTune trains full-batch")
                    : batching.memoryBudget() != null
                    ? BatchingChoice.auto(fullBatch, miniBatch, batching.miniBatch(), batching.memoryBudget(),
                    "memoryBudget")
                    : BatchingChoice.auto(fullBatch, miniBatch, batching.miniBatch(), freeHeap(), "the free heap");
        };
    }

    static long freeHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    }

    /**
     * Refuses a job whose estimated memory exceeds the heap that is free now. The heap in use counts garbage not
     * yet collected (after a scan of the store, most of it), so a job is refused only if it does not fit after one
     * collection either.
     */
    static void requireHeap(MemoryEstimate estimate) {
        Runtime runtime = Runtime.getRuntime();
        long free = freeHeap();
        if (estimate.totalBytes() > free) {
            System.gc();
            free = freeHeap();
        }
        if (estimate.totalBytes() > free) {
            throw new IllegalStateException("This job needs about " + MemoryEstimate.humanReadable(estimate.totalBytes())
                    + " of heap (" + breakdown(estimate) + ") but only " + MemoryEstimate.humanReadable(free)
                    + " is free of " + MemoryEstimate.humanReadable(runtime.maxMemory())
                    + "; raise server.memory.heap.max_size, or project fewer nodes, features or heads");
        }
    }

    private static String breakdown(MemoryEstimate estimate) {
        StringBuilder out = new StringBuilder();
        estimate.toMap().forEach((part, bytes) -> {
            if (!part.equals("total")) {
                out.append(out.length() == 0 ? "" : ", ").append(part).append(' ')
                        .append(MemoryEstimate.humanReadable((Long) bytes));
            }
        });
        return out.toString();
    }

    static TrainingListener listener(ProcedureContext context, Jobs.Job job, String modelName) {
        long[] lastLog = {System.nanoTime()};
        return (stats, maxEpochs) -> {
            job.epoch(stats.epoch(), maxEpochs, stats.loss(), stats.validationScore());
            long now = System.nanoTime();
            if (now - lastLog[0] >= LOG_EVERY_NANOS) {
                lastLog[0] = now;
                context.log().info("gat.train '%s': epoch %d of at most %d, loss %.4f, validation score %.4f",
                        modelName, stats.epoch(), maxEpochs, stats.loss(), stats.validationScore());
            }
        };
    }

    /** Progress per trial in gat.progress() (phase and done/total trials), epochs as without autoTune. */
    static TuneListener tuneListener(ProcedureContext context, Jobs.Job job, String modelName) {
        TrainingListener epochs = listener(context, job, modelName);
        return new TuneListener() {
            private String trialPhase = "";

            @Override
            public void onTrialStart(int trial, int maxTrials, Map<String, Object> values) {
                trialPhase = "autoTune: trial " + trial + " of " + maxTrials;
                job.phase(trialPhase);
                job.progress(trial - 1, maxTrials);
            }

            @Override
            public void onRunStart(int trial, int run, int runs, long seed) {
                if (runs > 1) {
                    job.phase(trialPhase + ", seed " + run + " of " + runs + " (" + seed + ")");
                }
            }

            @Override
            public void onTrialEnd(Trial trial, int maxTrials) {
                job.progress(trial.number(), maxTrials);
                context.log().info("gat.train '%s': autoTune trial %d of %d: validation score %.4f (%s) after %d "
                        + "epochs (%s) in %.0f ms, %s", modelName, trial.number(), maxTrials, trial.validationScore(),
                        trial.runs().size() > 1 ? "mean of " + trial.runs().size() + " seeds, the best run's epochs"
                                : "one seed", trial.epochsRun(), trial.stopReason(), trial.millis(),
                        trial.configuration());
            }

            @Override
            public void onFinalTraining(Trial chosen) {
                job.phase("training the chosen configuration (autoTune trial " + chosen.number() + ", seed "
                        + chosen.bestRun().seed() + ")");
            }

            @Override
            public TrainingListener epochs() {
                return epochs;
            }
        };
    }

    /**
     * The configuration as read, with the searched keys at the chosen trial's values and the seed its model was trained
     * with (its best run's: the training seed unless the trials ran several seeds).
     */
    static Map<String, Object> withChosen(Map<String, Object> used, Trial chosen) {
        Map<String, Object> configuration = new LinkedHashMap<>(used);
        chosen.configuration().forEach((key, value) ->
                configuration.put(key, value instanceof Integer width ? List.of(width) : value));
        configuration.put("seed", chosen.bestRun().seed());
        return configuration;
    }

    static String metricName(MetricCounts counts) {
        return counts.multiLabel() ? "micro-F1" : "accuracy";
    }

    static Double score(MetricCounts counts) {
        return counts.total() == 0 ? null : counts.score();
    }

    /**
     * The projection as stored with the model: with standardised relationship features, the statistics of the
     * training relationships, which {@code graph}'s relationship features are standardised by here.
     */
    private static ProjectionConfig withRelationshipFeatureStatistics(ProjectionConfig projection,
                                                                      LoadedGraph graph) {
        if (graph.relationshipFeatures() == null) {
            return projection;
        }
        if (graph.relationshipFeatures().cols() == 0) {
            throw new IllegalArgumentException("relationshipFeatures " + projection.relationshipFeatures().given()
                    + " were given but the projection has no relationships to read them from");
        }
        double[][] statistics = RelationshipFeatureReader.standardize(projection.relationshipFeatures(),
                graph.relationshipFeatures());
        return statistics == null ? projection : projection.withRelationshipFeatures(
                projection.relationshipFeatures().withStatistics(statistics[0], statistics[1]));
    }

    private static ModelMetadata trainedOn(ModelMetadata metadata, TrainConfig config, ProjectionConfig projection,
                                           Map<String, Object> configuration, LoadedGraph graph,
                                           TrainingResult result, DeviceChoice device,
                                           ModelMetadata.TestReport testReport) {
        return trainedOn(metadata, config, projection, configuration, graph.classValues(), graph.nodeCount(),
                graph.relationshipCount(), graph.split(), result, device, testReport);
    }

    /** The model's metadata with what it was trained on, from the projection's counts, classes and split. */
    static ModelMetadata trainedOn(ModelMetadata metadata, TrainConfig config, ProjectionConfig projection,
                                   Map<String, Object> configuration, List<Object> classValues, long nodeCount,
                                   long relationshipCount, dev.neogat.data.NodeSplit split, TrainingResult result,
                                   DeviceChoice device, ModelMetadata.TestReport testReport) {
        ModelMetadata.SplitSizes splitSizes = new ModelMetadata.SplitSizes(split.train().length,
                split.validation().length, split.test().length);
        ModelMetadata.Metrics metrics = new ModelMetadata.Metrics(metric(result.train()),
                metric(result.validation()), metric(result.test()));
        return metadata.withTrainedOn(Instant.now().toString(), classValues, config.labelProperty(),
                projection.toMetadata(), nodeCount, relationshipCount, splitSizes,
                device.device(), metricName(result.test()), metrics, configuration, testReport);
    }

    /** Score and loss, null when there were no such nodes. */
    static ModelMetadata.Score metric(MetricCounts counts) {
        return new ModelMetadata.Score(score(counts), counts.total() == 0 ? null : counts.loss(),
                counts.total());
    }

    private static TrainResult row(String modelName, Map<String, Object> configuration, LoadedGraph graph,
                                   TrainingResult result, DeviceChoice device, BatchingChoice batching,
                                   WriteBack.Summary written, double writeMillis) {
        return row(modelName, configuration, graph.classValues(), graph.nodeCount(), graph.relationshipCount(),
                graph.loadMillis(), result, device, batching, written, writeMillis);
    }

    /** The row of a training, from the projection's counts and classes. */
    static TrainResult row(String modelName, Map<String, Object> configuration, List<Object> classValues,
                           long nodeCount, long relationshipCount, long loadMillis, TrainingResult result,
                           DeviceChoice device, BatchingChoice batching, WriteBack.Summary written,
                           double writeMillis) {
        return row(modelName, configuration, classValues, nodeCount, relationshipCount, loadMillis,
                result, device, batching.mode(), batching.reason(), written, writeMillis);
    }

    /** The row of any training (untyped, typed, in the heap or from the store). */
    static TrainResult row(String modelName, Map<String, Object> configuration, List<Object> classValues,
                           long nodeCount, long relationshipCount, long loadMillis, TrainingOutcome result,
                           DeviceChoice device, String mode, String modeReason, WriteBack.Summary written,
                           double writeMillis) {
        TrainResult row = new TrainResult();
        row.modelName = modelName;
        row.device = device.device();
        row.deviceReason = device.reason();
        row.mode = mode;
        row.modeReason = modeReason;
        row.nodeCount = nodeCount;
        row.relationshipCount = relationshipCount;
        row.classes = classValues;
        row.epochs = result.history().size();
        row.bestEpoch = result.bestEpoch();
        row.stopReason = result.stopReason().name();
        row.metric = metricName(result.test());
        row.trainAccuracy = score(result.train());
        row.validationAccuracy = score(result.validation());
        row.testAccuracy = score(result.test());
        row.finalLoss = result.history().get(result.history().size() - 1).loss();
        row.loadMillis = loadMillis;
        row.trainMillis = Math.round(result.trainMillis());
        row.writeMillis = Math.round(writeMillis);
        row.propertiesWritten = written.propertiesWritten();
        row.writeRetries = written.retries();
        row.configuration = configuration;
        return row;
    }
}
