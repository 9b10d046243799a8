package dev.neogat.procedures.facade;

import dev.neogat.device.DeviceChoice;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.MemoryBudget;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.RunProperties;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.load.TypedGraphLoader;
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedPrediction;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Running a stored typed model over the graph as it is now, as {@link ModelRun} runs an untyped one: the
 * projection defaults to the one it was trained on (its labels, relationship types and per-label feature
 * properties), any projection key may be overridden, and nodes added since training get predictions. The graph must
 * have exactly the model's labels and relations, each label with features or without as in training.
 */
public record TypedModelRun(TypedTrainedModel model, TypedLoadedGraph graph, TypedPrediction prediction,
                            long predictMillis, WriteBack.Summary written, long writeMillis) {

    /**
     * Runs {@code model} for what {@code request} asks (logits always) and, with a {@code write} configuration,
     * writes its predictions on the target nodes.
     */
    public static TypedModelRun run(ProcedureContext context, String modelName, TypedTrainedModel model,
                                    ConfigMap config, Inference.Request request, WriteConfig write, Jobs.Job job) {
        return run(context, modelName, model, config, request, write, List.of(), job);
    }

    /**
     * As {@link #run(ProcedureContext, String, TypedTrainedModel, ConfigMap, Inference.Request, WriteConfig,
     * Jobs.Job)}, also refusing, before anything is read, {@code otherOutputs} (properties the caller writes itself)
     * that are one of the model's inputs or of the write's outputs.
     */
    public static TypedModelRun run(ProcedureContext context, String modelName, TypedTrainedModel model,
                                    ConfigMap config, Inference.Request request, WriteConfig write,
                                    List<RunProperties.Named> otherOutputs, Jobs.Job job) {
        for (String key : List.of("nodes", MemoryBudget.KEY)) {
            if (config.has(key)) {
                throw new IllegalArgumentException("The model '" + modelName + "' is a typed model; '" + key
                        + "' with a typed model is not supported yet");
            }
        }
        int concurrency = config.concurrency();
        String device = config.device();
        ProjectionConfig projection = ProjectionConfig.read(config, trainedProjection(model), true);
        Map<String, Object> configuration = Objects.requireNonNullElse(model.metadata().configuration(), Map.of());
        String ofModel = " of the model '" + modelName + "'";
        new RunProperties().inputs("featureProperties", projection.featureProperties())
                .input("labelProperty" + ofModel, model.metadata().labelProperty())
                .input("splitProperty" + ofModel, configuration.get("splitProperty") instanceof String split ? split
                        : null)
                .outputs(write == null ? List.of() : write.outputs(projection.orientation())).outputs(otherOutputs)
                .requireOutputsApart();
        TypedGatConfig gat = model.config();
        if (!new TreeSet<>(projection.nodeLabels()).equals(new TreeSet<>(gat.nodeTypes()))) {
            throw new IllegalArgumentException("The typed model '" + modelName + "' was trained on the labels "
                    + gat.nodeTypes() + " but this projection has " + projection.nodeLabels() + "; give nodeLabels "
                    + gat.nodeTypes());
        }
        int trainedEdgeDim = gat.relations().stream().mapToInt(gat::edgeDim).max().orElse(0);
        requireRelationshipFeaturesAsTrained(modelName, trainedEdgeDim, projection);
        TypedLoadedGraph graph = TypedGraphLoader.load(context.tx(), projection, null, null,
                List.of(gat.targetType()), context.guard(), job::phase);
        requireSameInputs(modelName, gat, graph);
        requireRelationshipFeatureWidth(modelName, trainedEdgeDim, graph);
        Map<String, int[]> trainedRows = TrainedNodeRows.rows(context.tx(), modelName, gat, model.metadata(), graph);
        long start = System.nanoTime();
        TypedPrediction prediction;
        try {
            // Before the device is chosen, as its memory estimate counts the model's relations in this graph.
            TypedInference.requireInput(gat, graph.graph(), graph.features());
        } catch (IllegalArgumentException e) {
            throw cannotRun(modelName, e);
        }
        DeviceChoice choice = TypedTrainFacade.device(device, concurrency, context, gat, graph, false);
        try (Backend backend = choice.backend()) {
            job.phase("predicting");
            try {
                prediction = TypedInference.run(backend, model, graph.graph(), graph.features(),
                        graph.relationshipFeatures(), trainedRows, request);
            } catch (IllegalArgumentException e) {
                throw cannotRun(modelName, e);
            }
        }
        long predictMillis = (System.nanoTime() - start) / 1_000_000;
        WriteBack.Summary written = null;
        long writeMillis = 0;
        if (write != null) {
            long writeStart = System.nanoTime();
            written = WriteBack.writeTyped(context, modelName, graph, prediction, write,
                    model.metadata().classes(), projection.orientation(), concurrency, job);
            writeMillis = (System.nanoTime() - writeStart) / 1_000_000;
        }
        return new TypedModelRun(model, graph, prediction, predictMillis, written, writeMillis);
    }

    private static IllegalArgumentException cannotRun(String modelName, IllegalArgumentException cause) {
        IllegalArgumentException named = new IllegalArgumentException("The typed model '" + modelName
                + "' cannot run on this projection: " + cause.getMessage());
        named.addSuppressed(cause);
        return named;
    }

    /** The projection stored with the model, with its feature properties per label when they were given so. */
    static ProjectionConfig trainedProjection(TypedTrainedModel model) {
        ProjectionConfig stored = ProjectionConfig.of(model.metadata().projection());
        Map<String, Object> configuration = Objects.requireNonNullElse(model.metadata().configuration(), Map.of());
        Map<String, List<String>> byLabel = ProjectionConfig.featureMap(configuration.get("featureProperties"));
        return new ProjectionConfig(stored.nodeLabels(), stored.relationshipTypes(), stored.orientation(),
                stored.selfLoops(), stored.dropDuplicates(), stored.featureProperties(), stored.zeroMissingFeatures(),
                stored.relationshipFeatures(), byLabel);
    }

    /** Fails unless each of the model's labels has features or none as in training. */
    private static void requireSameInputs(String modelName, TypedGatConfig config, TypedLoadedGraph graph) {
        for (String type : config.nodeTypes()) {
            boolean trainedFeatureless = config.featureless().containsKey(type);
            if (trainedFeatureless != graph.featureless().contains(type)) {
                throw new IllegalArgumentException("The typed model '" + modelName + "' was trained with "
                        + (trainedFeatureless ? "no features" : "features") + " for the label '" + type + "' but this "
                        + "projection reads " + (trainedFeatureless ? "features" : "none") + " for it");
            }
        }
    }

    /** Fails unless the projection reads relationship features exactly when the model attends over them. */
    private static void requireRelationshipFeaturesAsTrained(String modelName, int trained,
                                                             ProjectionConfig projection) {
        if (projection.relationshipFeatures() == null && trained > 0) {
            throw new IllegalArgumentException("The typed model '" + modelName + "' attends over " + trained
                    + " relationship feature values per relationship but this run reads none");
        }
        if (projection.relationshipFeatures() != null && trained == 0) {
            throw new IllegalArgumentException("The typed model '" + modelName + "' was trained without relationship "
                    + "features; leave 'relationshipFeatures' out");
        }
    }

    /** Fails unless the relationship features read are as wide as those the model attends over. */
    private static void requireRelationshipFeatureWidth(String modelName, int trained, TypedLoadedGraph graph) {
        for (Map.Entry<Relation, FeatureMatrix> entry : graph.relationshipFeatures().entrySet()) {
            FeatureMatrix rows = entry.getValue();
            if (rows.rows() > 0 && rows.cols() != trained) {
                throw new IllegalArgumentException("The typed model '" + modelName + "' was trained on " + trained
                        + " relationship feature values per relationship but the relationships of " + entry.getKey()
                        + " give " + rows.cols());
            }
        }
    }

    public List<Object> classValues() {
        return model.metadata().classes();
    }
}
