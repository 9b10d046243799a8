package dev.neogat.procedures.facade;

import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.model.MemoryEstimate;
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
import dev.neogat.procedures.load.TypedNeighbourhoodReader;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedLayerWiseInference;
import dev.neogat.train.TypedPredictionCollector;
import dev.neogat.train.TypedPrediction;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.IntFunction;

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
        ProjectionConfig projection = checkedProjection(modelName, model, config, write, otherOutputs);
        TypedLoadedGraph graph = TypedGraphLoader.load(context.tx(), projection, null, null,
                List.of(model.config().targetType()), context.guard(), job::phase);
        return infer(context, modelName, model, config, projection, graph, request, write, job);
    }

    /**
     * The nodes a run is asked about ({@code ids}, Neo4j ids; {@code what} names entry i in errors), which must be of
     * one of {@code labels}, else an error says {@code coverage} (why the call covers only those labels).
     */
    public record Given(List<Long> ids, IntFunction<String> what, List<String> labels, String coverage) {
    }

    /**
     * Runs {@code model} for the {@code given} nodes only, reading from the store just their typed L-hop
     * neighbourhood ({@link TypedNeighbourhoodReader}): their outputs, and the attention into them in any layer, are
     * the whole projection's. With {@code relationAggregation: 'attention'} a node's output depends on every node of
     * its label (β is a mean over them), so the whole projection is read and run instead. {@link #locate} finds
     * each given node in {@link #graph()}.
     */
    public static TypedModelRun runAround(ProcedureContext context, String modelName, TypedTrainedModel model,
                                          ConfigMap config, Given given, Inference.Request request, Jobs.Job job) {
        ProjectionConfig projection = checkedProjection(modelName, model, config, null, List.of());
        TypedLoadedGraph graph;
        if (model.config().aggregation() == RelationAggregation.ATTENTION) {
            graph = TypedGraphLoader.load(context.tx(), projection, null, null,
                    List.of(model.config().targetType()), context.guard(), job::phase);
            requireGiven(context, graph, given);
        } else {
            job.phase("reading the neighbourhood");
            graph = TypedNeighbourhoodReader.read(context.tx(), projection, model.config(),
                    given.ids().stream().mapToLong(Long::longValue).toArray(), given.what(), given.labels(),
                    given.coverage(), context.guard());
        }
        return infer(context, modelName, model, config, projection, graph, request, null, job);
    }

    /** The label and the index within it of the node with Neo4j id {@code neo4jId} in {@link #graph()}. */
    public TypedLoadedGraph.Located locate(long neo4jId) {
        return graph.locate(neo4jId);
    }

    /** As the neighbourhood reader checks them: each given node exists, is projected and of a covered label. */
    @SuppressWarnings("deprecation")
    private static void requireGiven(ProcedureContext context, TypedLoadedGraph graph, Given given) {
        for (int i = 0; i < given.ids().size(); i++) {
            long id = given.ids().get(i);
            TypedLoadedGraph.Located located = graph.locate(id);
            if (located == null) {
                try {
                    context.tx().getNodeById(id);
                } catch (org.neo4j.graphdb.NotFoundException e) {
                    throw new IllegalArgumentException(given.what().apply(i) + ": there is no node with id " + id);
                }
                throw new IllegalArgumentException(given.what().apply(i) + " (id " + id + ") is not in the model's "
                        + "projection (node labels " + List.copyOf(graph.nodes().keySet()) + ")");
            }
            if (!given.labels().contains(located.type())) {
                throw new IllegalArgumentException(given.what().apply(i) + " (id " + id + ") is a '" + located.type()
                        + "' node; " + given.coverage());
            }
        }
    }

    /**
     * The projection {@code config} asks for (the model's, keys overridden), once the properties this run writes are
     * known not to be its inputs and its labels and relationship features are the model's.
     */
    private static ProjectionConfig checkedProjection(String modelName, TypedTrainedModel model, ConfigMap config,
                                                      WriteConfig write, List<RunProperties.Named> otherOutputs) {
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
        requireRelationshipFeaturesAsTrained(modelName, trainedEdgeDim(gat), projection);
        return projection;
    }

    private static int trainedEdgeDim(TypedGatConfig gat) {
        return gat.relations().stream().mapToInt(gat::edgeDim).max().orElse(0);
    }

    /** Runs the model on {@code graph} and, with a {@code write} configuration, writes what it asks for. */
    private static TypedModelRun infer(ProcedureContext context, String modelName, TypedTrainedModel model,
                                       ConfigMap config, ProjectionConfig projection, TypedLoadedGraph graph,
                                       Inference.Request request, WriteConfig write, Jobs.Job job) {
        int concurrency = config.concurrency();
        String device = config.device();
        TypedGatConfig gat = model.config();
        requireSameInputs(modelName, gat, graph);
        requireRelationshipFeatureWidth(modelName, trainedEdgeDim(gat), graph);
        Map<String, int[]> trainedRows = TrainedNodeRows.rows(context.tx(), modelName, gat, model.metadata(), graph);
        long start = System.nanoTime();
        TypedPrediction prediction;
        try {
            // Before the device is chosen, as its memory estimate counts the model's relations in this graph.
            TypedInference.requireInput(gat, graph.graph(), graph.features());
        } catch (IllegalArgumentException e) {
            throw cannotRun(modelName, e);
        }
        Long givenBudget = MemoryBudget.read(config);
        MemoryEstimate need = TypedTrainFacade.estimate(gat, graph, false);
        long budget = MemoryBudget.orDefault(givenBudget);
        boolean layerWise = need.activationBytes() + need.parameterBytes() > budget;
        if (layerWise) {
            ModelRun.requireBudgetFree(givenBudget);
        }
        DeviceChoice choice = Devices.select(device, concurrency, context.terminationFlag(), need);
        try (Backend backend = choice.backend()) {
            if (!layerWise) {
                job.phase("predicting");
                try {
                    prediction = TypedInference.run(backend, model, graph.graph(), graph.features(),
                            graph.relationshipFeatures(), trainedRows, request);
                } catch (IllegalArgumentException e) {
                    throw cannotRun(modelName, e);
                }
            } else {
                // Written after the run: the typed write's columns span every label and relation of the written
                // layer (TypedAttentionColumns); the collector's arrays count in the budget instead.
                job.phase("predicting layer by layer");
                TypedPredictionCollector collector = new TypedPredictionCollector(gat, graph.graph(), request,
                        job::progress);
                TypedLayerWiseInference.run(backend, gat, model.weights(), graph.graph(), graph.features(),
                        graph.relationshipFeatures(), trainedRows, budget, collector.keptBytes(), request, collector,
                        context.terminationFlag());
                prediction = collector.prediction();
            }
        }
        long predictMillis = (System.nanoTime() - start) / 1_000_000;
        if (layerWise) {
            ModelRun.logLayerWise(context, modelName, budget, need);
        }
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
