package dev.neogat.procedures.facade;

import dev.neogat.analysis.ClassificationReport;
import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.procedures.catalog.ModelCatalog;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.TrainConfig;
import dev.neogat.procedures.config.TypedSettings;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.load.DatabaseNames;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.TypedGraphLoader;
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.BatchingChoice;
import dev.neogat.train.Inference;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedPrediction;
import dev.neogat.train.TypedTrainer;
import dev.neogat.train.TypedTrainingData;
import dev.neogat.train.TypedTrainingResult;
import dev.neogat.tune.AutoTuner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code gat.train} on a typed projection ({@link TypedSettings}): load it per label and relation
 * ({@link TypedGraphLoader}), train a typed GAT ({@link TypedTrainer}, or the best of an autoTune search,
 * {@link AutoTuner}), store it, and write the predictions of the
 * target label's nodes as the untyped path writes them. Every unsupported setting is refused before anything is
 * loaded; a failure before the model is stored leaves the catalog as it was.
 */
final class TypedTrainFacade {

    private TypedTrainFacade() {
    }

    static TrainFacade.TrainResult train(ProcedureContext context, String modelName, TrainConfig config) {
        requireSupported(config);
        WriteBack.requireLayersExist(config.write(), config.model().layers(), modelName);
        EstimateFacade.TypedSizes sizes = sizedForPlan(context, config);
        String fromStore = sizes == null ? null : TypedStoreTraining.plan(config, sizes);
        if (fromStore != null) {
            return TypedStoreTraining.train(context, modelName, config, sizes, fromStore);
        }
        ModelCatalog catalog = context.catalog();
        catalog.reserve(modelName);
        boolean stored = false;
        try (Jobs.Job job = Jobs.start("train", modelName, context.database(), null)) {
            GraphLoader.SplitSpec split = new GraphLoader.SplitSpec(config.splitProperty(), config.trainFraction(),
                    config.validationFraction(), config.training().seed());
            TypedLoadedGraph graph = TypedGraphLoader.load(context.tx(), config.projection(), config.labelProperty(),
                    split, config.typed().targetLabels(), context.guard(), job::phase);
            if (graph.labels().isMultiLabel()) {
                throw new IllegalArgumentException("The label property '" + config.labelProperty() + "' holds lists "
                        + "(multi-label), which typed models do not support yet; give typed: false");
            }
            TypedGatConfig gatConfig = modelConfig(config, graph);
            WriteBack.requireLayersExist(config.write(), gatConfig.layers(), modelName);
            BatchingChoice batching = batching(config, gatConfig, graph.graph(), featureValues(graph));
            DeviceChoice device = Devices.select(config.device(), config.concurrency(), context.terminationFlag(),
                    batching.estimate());
            context.log().info("gat.train '%s' (typed): %d nodes of %s, relations %s, target '%s', %d classes on %s, "
                            + "%s (%s)", modelName, graph.nodeCount(), graph.graph().nodeTypes(),
                    graph.graph().relations(), graph.targetType(), graph.classValues().size(), device.device(),
                    batching.mode(), batching.reason());
            try (Backend backend = device.backend()) {
                TypedTrainingData data = new TypedTrainingData(graph.graph(), graph.features(), graph.targetType(),
                        graph.labels(), graph.split(), graph.relationshipFeatures());
                TypedTrainingResult result;
                TypedTrainedModel trained;
                Map<String, Object> configuration = typedConfiguration(config, graph.targetType());
                if (config.autoTune() == null) {
                    job.phase("training");
                    result = TypedTrainer.train(backend, data, gatConfig, config.training(), batching.miniBatch(),
                            config.concurrency(), TrainFacade.listener(context, job, modelName),
                            context.terminationFlag());
                    trained = result.model();
                } else {
                    // Full-batch, as TrainConfig and chooseBatching make every autoTune run.
                    AutoTuner.TypedResult tuned = AutoTuner.tuneAndTrain(backend, data, gatConfig, config.training(),
                            config.autoTune(), TrainFacade.tuneListener(context, job, modelName),
                            context.terminationFlag());
                    result = tuned.result();
                    trained = tuned.model();
                    gatConfig = tuned.config();
                    configuration = TrainFacade.withChosen(configuration, tuned.search().chosen());
                }
                job.phase("predicting");
                Map<String, ModelMetadata.TrainedNodes> trainedNodes = TrainedNodeRows.record(context.tx(), gatConfig,
                        graph);
                TypedPrediction prediction = TypedInference.run(backend, trained, graph.graph(),
                        graph.features(), graph.relationshipFeatures(), trainedRows(gatConfig), new Inference.Request(
                                config.write().attentionProperty() != null
                                        || config.write().selfAttentionProperty() != null,
                                config.write().embeddingProperty() != null));
                ModelMetadata.TestReport testReport = ClassificationReport.of(prediction::predictedClass,
                        node -> new int[]{prediction.predictedClass(node)}, graph.labels(), graph.split().test())
                        .toMetadata(graph.classValues());
                TypedTrainedModel model = trained.withMetadata(trainedOn(trained.metadata(), result, config,
                        configuration, graph, device, testReport).withTrainedNodes(trainedNodes));
                job.phase("storing the model");
                catalog.store(modelName, model);
                stored = true;
                context.log().info("gat.train '%s': stored after %d epochs (best %d), test %s %.4f", modelName,
                        result.epochsRun(), result.bestEpoch(), TrainFacade.metricName(result.test()),
                        result.test().score());
                long writeStart = System.nanoTime();
                WriteBack.Summary written = new WriteBack.Summary(0, 0);
                if (config.write().writesAnything()) {
                    written = write(context, config, graph, prediction, job, modelName);
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

    /**
     * The projection's typed size from the store ({@link EstimateFacade#typedSizes}) when the 'mode' key may read
     * batches from the store; null for mode 'fullBatch' or autoTune, and when it cannot be sized (the loader then
     * names what is missing).
     */
    private static EstimateFacade.TypedSizes sizedForPlan(ProcedureContext context, TrainConfig config) {
        if (TrainConfig.FULL_BATCH.equals(config.batching().mode()) || config.autoTune() != null) {
            return null;
        }
        DatabaseNames.requireProjection(context.tx(), config.projection(), config.labelProperty(),
                config.splitProperty());
        try {
            return EstimateFacade.typedSizes(context, config);
        } catch (IllegalArgumentException unsized) {
            return null;
        }
    }

    /** In training every node of a per-node featureless label is its own row: 0..n-1. */
    private static Map<String, int[]> trainedRows(TypedGatConfig config) {
        Map<String, int[]> rows = new LinkedHashMap<>();
        config.featureless().forEach((type, input) -> {
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                rows.put(type, java.util.stream.IntStream.range(0, input.nodeCount()).toArray());
            }
        });
        return rows;
    }

    /** Refuses, before anything is read, what the typed path does not do yet. */
    private static void requireSupported(TrainConfig config) {
        for (String key : List.of("hiddenChannels", "heads")) {
            List<Integer> values = key.equals("heads") ? config.model().heads() : config.model().hiddenChannels();
            if (values.stream().distinct().count() > 1) {
                throw new IllegalArgumentException("Configuration '" + key + "' lists " + values + ", but a typed model "
                        + "takes one value for every hidden layer for now");
            }
        }
    }

    /** The typed architecture: the keys as read, the node types, widths and relations as loaded. */
    private static TypedGatConfig modelConfig(TrainConfig config, TypedLoadedGraph graph) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        graph.features().forEach((type, x) -> widths.put(type, x.cols()));
        Map<String, Long> nodeCounts = new LinkedHashMap<>();
        graph.nodes().forEach((type, ids) -> nodeCounts.put(type, (long) ids.size()));
        return modelConfig(config, graph.graph().nodeTypes(), widths, nodeCounts, graph.graph().relations(),
                graph.targetType(), graph.classValues().size(), relationshipFeatureWidth(config, graph));
    }

    /**
     * The typed architecture of {@code config}: node types with features of {@code widths} (one missing there is
     * featureless; with featurelessNodes 'node', one learned row per node of its {@code nodeCounts}),
     * {@code edgeDim} relationship feature values on every relation (0: none).
     */
    static TypedGatConfig modelConfig(TrainConfig config, List<String> nodeTypes, Map<String, Integer> widths,
                                      Map<String, Long> nodeCounts, List<Relation> relations, String targetType,
                                      int classes, int edgeDim) {
        TypedSettings typed = config.typed();
        Map<String, Integer> inputWidths = new LinkedHashMap<>();
        List<String> featureless = new java.util.ArrayList<>();
        for (String type : nodeTypes) {
            Integer width = widths.get(type);
            inputWidths.put(type, width == null ? typed.featurelessDimension() : width);
            if (width == null) {
                featureless.add(type);
            }
        }
        TrainConfig.ModelShape shape = config.model();
        TypedGatConfig.Builder builder = TypedGatConfig.builder(inputWidths, relations, targetType, classes);
        if (edgeDim > 0) {
            // A reversed relation (UNDIRECTED) reads its declared relation's rows, so it attends over them too.
            relations.forEach(relation -> builder.edgeDim(relation, edgeDim));
        }
        for (String type : featureless) {
            builder.featureless(type, typed.featurelessMode() == FeaturelessInput.Mode.NODE
                    ? FeaturelessInput.perNode(typed.featurelessDimension(), Math.toIntExact(nodeCounts.get(type)))
                    : FeaturelessInput.perLabel(typed.featurelessDimension()));
        }
        return builder.variant(shape.variant()).layers(shape.layers())
                .hiddenChannels(shape.hiddenChannels().get(0)).hiddenHeads(shape.heads().get(0))
                .outputHeads(shape.outputHeads()).concatHidden(shape.concat()).featureDropout(shape.dropout())
                .attentionDropout(shape.attentionDropout()).messageDropout(shape.messageDropout())
                .negativeSlope(shape.negativeSlope()).residual(shape.residual()).multiLabel(false)
                .normalizeFeatures(shape.normalizeFeatures()).aggregation(typed.aggregation()).build();
    }

    /** Values per relationship of the relationshipFeatures read (one width for every type), 0 without them. */
    private static int relationshipFeatureWidth(TrainConfig config, TypedLoadedGraph graph) {
        if (graph.relationshipFeatureConfig() == null) {
            return 0;
        }
        int width = graph.relationshipFeatures().values().stream().mapToInt(FeatureMatrix::cols).max().orElse(0);
        if (width == 0) {
            throw new IllegalArgumentException("relationshipFeatures " + config.projection().relationshipFeatures()
                    .given() + " were given but the projection has no relationships to read them from");
        }
        return width;
    }

    /** Stored feature values per node type with features. */
    private static Map<String, Long> featureValues(TypedLoadedGraph graph) {
        Map<String, Long> featureValues = new LinkedHashMap<>();
        graph.features().forEach((type, x) -> featureValues.put(type, x.storedValues()));
        return featureValues;
    }

    /**
     * The 'mode' key resolved for a typed model as for an untyped one ({@link TrainFacade#chooseBatching}):
     * 'auto' trains full-batch when its typed estimate fits the memory budget, else mini-batch. A run that got here
     * holds the projection in the heap ({@link TypedStoreTraining#plan} sent the others to the store), so a mini-batch
     * run whose estimate the budget cannot hold is refused before training.
     */
    static BatchingChoice batching(TrainConfig config, TypedGatConfig gatConfig, TypedGraph graph,
                                   Map<String, Long> featureValues) {
        MemoryEstimate fullBatch = MemoryEstimate.typed(config.largestModel(gatConfig), graph, featureValues, true);
        MiniBatchConfig miniBatch = config.batching().miniBatch();
        MemoryEstimate sampled = MemoryEstimate.typedMiniBatch(gatConfig, graph, featureValues,
                miniBatch.batchSize(), miniBatch.fanouts());
        BatchingChoice choice = TrainFacade.chooseBatching(config, fullBatch, sampled);
        if (!choice.fullBatch()) {
            requireHeld(config, sampled);
        }
        return choice;
    }

    /** Refuses a typed mini-batch run whose estimate exceeds memoryBudget (or the heap free after a collection). */
    static void requireHeld(TrainConfig config, MemoryEstimate sampled) {
        Long given = config.batching().memoryBudget();
        long budget = given != null ? given : TrainFacade.freeHeap();
        if (given == null && sampled.totalBytes() > budget) {
            System.gc();
            budget = TrainFacade.freeHeap();
        }
        if (sampled.totalBytes() > budget) {
            throw new IllegalStateException("Typed mini-batch training needs about "
                    + MemoryEstimate.humanReadable(sampled.totalBytes()) + ", more than the memory budget "
                    + MemoryEstimate.humanReadable(budget) + " (" + (given != null ? "memoryBudget" : "the free heap")
                    + ") with the typed projection held in the heap (its graph, features and the inference for "
                    + "validation), as this run holds it (mode 'fullBatch', autoTune, or a projection the store's "
                    + "counts sized smaller); raise server.memory.heap.max_size" + (given != null ? " or memoryBudget"
                    : "") + ", lower batchSize or fanouts, or give typed: false");
        }
    }

    /**
     * Where a typed job runs, chosen as for untyped models ({@link Devices#select}): 'auto' takes a usable GPU whose
     * free memory holds the job's typed estimate, else the CPU with the reason; 'gpu' without one is an error.
     */
    static DeviceChoice device(String requested, int concurrency, ProcedureContext context, TypedGatConfig config,
                               TypedLoadedGraph graph, boolean training) {
        return Devices.select(requested, concurrency, context.terminationFlag(), estimate(config, graph, training));
    }

    /** What a run of {@code config} over the loaded graph takes on the CPU backend (training or inference). */
    static MemoryEstimate estimate(TypedGatConfig config, TypedLoadedGraph graph, boolean training) {
        Map<String, Long> featureValues = new LinkedHashMap<>();
        graph.features().forEach((type, x) -> featureValues.put(type, x.storedValues()));
        return MemoryEstimate.typed(config, graph.graph(), featureValues, training);
    }

    /** {@code metadata} (the trainer's, with autoTune's search) with what the model was trained on. */
    private static ModelMetadata trainedOn(ModelMetadata metadata, TypedTrainingResult result, TrainConfig config,
                                           Map<String, Object> configuration, TypedLoadedGraph graph,
                                           DeviceChoice device, ModelMetadata.TestReport testReport) {
        ModelMetadata.SplitSizes splitSizes = new ModelMetadata.SplitSizes(graph.split().train().length,
                graph.split().validation().length, graph.split().test().length);
        ModelMetadata.Metrics metrics = new ModelMetadata.Metrics(TrainFacade.metric(result.train()),
                TrainFacade.metric(result.validation()), TrainFacade.metric(result.test()));
        // The projection as stored: with standardised relationship features, the training statistics.
        ProjectionConfig projection = graph.relationshipFeatureConfig() == null ? config.projection()
                : config.projection().withRelationshipFeatures(graph.relationshipFeatureConfig());
        return metadata.withTrainedOn(Instant.now().toString(), graph.classValues(),
                config.labelProperty(), projection.toMetadata(), graph.nodeCount(),
                graph.relationshipCount(), splitSizes, device.device(), TrainFacade.metricName(result.test()),
                metrics, configuration, testReport);
    }

    private static WriteBack.Summary write(ProcedureContext context, TrainConfig config, TypedLoadedGraph graph,
                                           TypedPrediction prediction, Jobs.Job job, String modelName) {
        try {
            return WriteBack.writeTyped(context, modelName, graph, prediction, config.write(), graph.classValues(),
                    config.projection().orientation(), config.concurrency(), job);
        } catch (RuntimeException e) {
            IllegalStateException failure = new IllegalStateException("The model '" + modelName + "' was trained and "
                    + "stored, but writing its results failed: " + e.getMessage());
            failure.addSuppressed(e);
            context.log().error("gat.train '" + modelName + "': writing results failed", e);
            throw failure;
        }
    }

    private static TrainFacade.TrainResult row(String modelName, Map<String, Object> configuration,
                                               TypedLoadedGraph graph, TypedTrainingResult result,
                                               DeviceChoice device, BatchingChoice batching,
                                               WriteBack.Summary written, double writeMillis) {
        return typedRow(modelName, configuration, graph.graph().nodeTypes(), graph.graph().relations().size(),
                graph.targetType(), graph.classValues(), graph.nodeCount(), graph.relationshipCount(),
                graph.loadMillis(), result, device, batching, written, writeMillis);
    }

    /**
     * gat.train's row of a typed training, its projection in the heap or in the store; {@code configuration} as
     * {@link #typedConfiguration} gives it (with autoTune, at the chosen trial's values).
     */
    static TrainFacade.TrainResult typedRow(String modelName, Map<String, Object> configuration,
                                            List<String> nodeTypes, int relationCount, String targetType,
                                            List<Object> classValues, long nodeCount, long relationshipCount,
                                            long loadMillis, TypedTrainingResult result, DeviceChoice device,
                                            BatchingChoice batching, WriteBack.Summary written,
                                            double writeMillis) {
        String modeReason = "typed: node types " + nodeTypes + ", " + relationCount + " relations, target '"
                + targetType + "'; " + batching.mode() + ": " + batching.reason();
        return TrainFacade.row(modelName, configuration, classValues, nodeCount, relationshipCount, loadMillis,
                result, device, "typed", modeReason, written, writeMillis);
    }

    /** The configuration a typed model records: the keys used, typed, and its target label. */
    static Map<String, Object> typedConfiguration(TrainConfig config, String targetType) {
        Map<String, Object> configuration = new LinkedHashMap<>(config.used());
        configuration.put("typed", true);
        configuration.put("targetLabels", List.of(targetType));
        return configuration;
    }
}
