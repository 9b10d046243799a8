package dev.neogat.procedures.facade;

import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.graph.Orientation;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.RunProperties;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.LoadedGraph;
import dev.neogat.procedures.load.RelationshipFeatureReader;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Running a stored model over the graph as it is now (new nodes included, as long as they have
 * features): the projection defaults to the one the model was trained on, and any of its keys may be
 * overridden. Shared by the predict, attention and embed procedures.
 */
public final class ModelRun {

    public static final List<String> KEYS;

    static {
        List<String> keys = new ArrayList<>(ProjectionConfig.KEYS);
        keys.addAll(List.of("concurrency", "device"));
        KEYS = List.copyOf(keys);
    }

    private final TrainedModel model;
    private final LoadedGraph graph;
    private final Prediction prediction;
    private final ProjectionConfig projection;
    private final int concurrency;
    private final long predictMillis;
    private final int[] rows;

    private ModelRun(TrainedModel model, LoadedGraph graph, Prediction prediction, ProjectionConfig projection,
                     int concurrency, long predictMillis, int[] rows) {
        this.model = model;
        this.graph = graph;
        this.prediction = prediction;
        this.projection = projection;
        this.concurrency = concurrency;
        this.predictMillis = predictMillis;
        this.rows = rows;
    }

    /** Keys this run reads, plus the procedure's own. */
    public static List<String> keys(List<String> own) {
        List<String> keys = new ArrayList<>(KEYS);
        keys.addAll(own);
        return keys;
    }

    public static TrainedModel model(ProcedureContext context, String modelName) {
        try {
            return context.catalog().get(modelName);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** A stored model and the projection it runs on, loaded as the graph is now. */
    public record Loaded(TrainedModel model, LoadedGraph graph, ProjectionConfig projection) {
    }

    /** The projection the model was trained on, as stored with it. */
    static ProjectionConfig trainedProjection(TrainedModel model) {
        return ProjectionConfig.of(model.metadata().projection());
    }

    /** The projection {@code config} asks for, once {@code outputs} are known not to overwrite an input. */
    private static ProjectionConfig checkedProjection(TrainedModel model, String modelName, ConfigMap config,
                                                      Function<Orientation, List<RunProperties.Named>> outputs) {
        ProjectionConfig trained = trainedProjection(model);
        ProjectionConfig projection = ProjectionConfig.read(config, trained, true);
        inputs(model, modelName, trained, projection).outputs(outputs.apply(projection.orientation()))
                .requireOutputsApart();
        return projection;
    }

    /** Reads the projection keys from {@code config} (overriding the model's) and loads that projection. */
    public static Loaded load(ProcedureContext context, String modelName, ConfigMap config, Jobs.Job job) {
        return load(context, modelName, config, job, orientation -> List.of());
    }

    /**
     * As {@link #load(ProcedureContext, String, ConfigMap, Jobs.Job)} for a procedure that writes {@code outputs}
     * (given the projection's orientation): they are checked against the model's inputs before anything is loaded.
     */
    public static Loaded load(ProcedureContext context, String modelName, ConfigMap config, Jobs.Job job,
                              Function<Orientation, List<RunProperties.Named>> outputs) {
        TrainedModel model = model(context, modelName);
        ProjectionConfig projection = checkedProjection(model, modelName, config, outputs);
        LoadedGraph graph = GraphLoader.load(context.tx(), projection, null, null, context.guard(), job::phase);
        requireFeatureWidth(model, modelName, projection, graph);
        return new Loaded(model, relationshipFeaturesFor(model, modelName, projection, graph), projection);
    }

    /**
     * Loads only the neighbourhood the model needs for the nodes {@code given} (Neo4j ids): every node within the
     * model's layer count of message steps, so each given node's output, and the attention into it in any layer,
     * equals the full run's.
     */
    static Loaded loadAround(ProcedureContext context, String modelName, ConfigMap config, List<Long> given,
                             IntFunction<String> what, Jobs.Job job,
                             Function<Orientation, List<RunProperties.Named>> outputs) {
        TrainedModel model = model(context, modelName);
        ProjectionConfig projection = checkedProjection(model, modelName, config, outputs);
        job.phase("reading the neighbourhood");
        long[] ids = given.stream().mapToLong(Long::longValue).toArray();
        LoadedGraph graph = GraphLoader.loadNeighbourhood(context.tx(), projection, ids,
                what, model.config().layerCount(), context.guard());
        requireFeatureWidth(model, modelName, projection, graph);
        return new Loaded(model, relationshipFeaturesFor(model, modelName, projection, graph), projection);
    }

    /**
     * The graph with its relationship features as the model reads them: standardised by the statistics stored
     * with it, as wide as its edgeDim (also when no relationship was read); fails when they do not fit.
     */
    static LoadedGraph relationshipFeaturesFor(TrainedModel model, String modelName, ProjectionConfig projection,
                                               LoadedGraph graph) {
        int edgeDim = model.config().edgeDim();
        if (graph.relationshipFeatures() == null) {
            if (edgeDim > 0) {
                throw new IllegalArgumentException("The model '" + modelName + "' attends over " + edgeDim
                        + " relationship feature values per relationship but this run reads none");
            }
            return graph;
        }
        if (edgeDim == 0) {
            throw new IllegalArgumentException("The model '" + modelName + "' was trained without relationship "
                    + "features; leave 'relationshipFeatures' out");
        }
        if (graph.relationshipFeatures().rows() == 0) {
            return graph.withRelationshipFeatures(new DenseMatrix(0, edgeDim, new float[0]));
        }
        if (graph.relationshipFeatures().cols() != edgeDim) {
            throw new IllegalArgumentException("The model '" + modelName + "' was trained on " + edgeDim
                    + " relationship feature values per relationship but relationshipFeatures "
                    + projection.relationshipFeatures().given() + " give " + graph.relationshipFeatures().cols());
        }
        RelationshipFeatureReader.standardize(projection.relationshipFeatures(), graph.relationshipFeatures());
        return graph;
    }

    /** Fails when the projection's features are not as wide as the model's input. */
    public static void requireFeatureWidth(TrainedModel model, String modelName, ProjectionConfig projection,
                                           LoadedGraph graph) {
        if (graph.features().cols() != model.config().inputDim()) {
            throw new IllegalArgumentException("The model '" + modelName + "' was trained on " + model.config().inputDim()
                    + " features per node but " + projection.featureProperties() + " give "
                    + graph.features().cols());
        }
    }

    /**
     * Reads the projection keys from {@code config}, loads the graph and runs the model over it; with a list of
     * {@code nodes} (a key only the procedures that take it accept), over those nodes' neighbourhood only.
     */
    public static ModelRun run(ProcedureContext context, String modelName, ConfigMap config,
                               Inference.Request request, Jobs.Job job) {
        return run(context, modelName, config, request, job, orientation -> List.of());
    }

    /**
     * As {@link #run(ProcedureContext, String, ConfigMap, Inference.Request, Jobs.Job)} for a procedure that
     * writes {@code outputs} (given the projection's orientation): they are checked against the model's
     * inputs before anything is loaded.
     */
    public static ModelRun run(ProcedureContext context, String modelName, ConfigMap config,
                               Inference.Request request, Jobs.Job job,
                               Function<Orientation, List<RunProperties.Named>> outputs) {
        return run(context, modelName, config, config.nodeIds("nodes"), i -> "Configuration 'nodes' entry " + i,
                request, job, outputs);
    }

    /**
     * Runs the model over the neighbourhood of the nodes {@code given} (Neo4j ids; null: over the whole projection);
     * {@link #rows()} are the given nodes. {@code what} names given node i in errors.
     */
    public static ModelRun run(ProcedureContext context, String modelName, ConfigMap config, List<Long> given,
                               IntFunction<String> what, Inference.Request request, Jobs.Job job,
                               Function<Orientation, List<RunProperties.Named>> outputs) {
        int concurrency = config.concurrency();
        String device = config.device();
        Loaded loaded = given == null ? load(context, modelName, config, job, outputs)
                : loadAround(context, modelName, config, given, what, job, outputs);
        TrainedModel model = loaded.model();
        LoadedGraph graph = loaded.graph();
        ProjectionConfig projection = loaded.projection();
        MemoryEstimate need = MemoryEstimate.of(model.config(), graph.nodeCount(), graph.graph().slotCount(),
                graph.relationshipCount(), graph.features().storedValues(), graph.features() instanceof SparseMatrix,
                false);
        TrainFacade.requireHeap(need);
        job.phase("predicting");
        long start = System.nanoTime();
        DeviceChoice choice = Devices.select(device, concurrency, context.terminationFlag(), need);
        Prediction prediction;
        try (var backend = choice.backend()) {
            prediction = Inference.run(backend, model, graph.graph(), graph.features(), graph.relationshipFeatures(),
                    request);
        }
        int[] rows = given == null ? IntStream.range(0, graph.nodeCount()).toArray()
                : given.stream().mapToInt(id -> graph.nodes().toDense(id)).toArray();
        return new ModelRun(model, graph, prediction, projection, concurrency, (System.nanoTime() - start) / 1_000_000,
                rows);
    }

    /**
     * What a run over a stored model must not overwrite: the properties the model was trained on (features,
     * label, split) and the feature properties this run reads.
     */
    static RunProperties inputs(TrainedModel model, String modelName, ProjectionConfig trained,
                                ProjectionConfig projection) {
        Map<String, Object> configuration = Objects.requireNonNullElse(model.metadata().configuration(), Map.of());
        String ofModel = " of the model '" + modelName + "'";
        return new RunProperties().inputs("featureProperties", projection.featureProperties())
                .inputs("relationshipFeatures", projection.relationshipFeatures() == null ? List.of()
                        : projection.relationshipFeatures().allProperties())
                .inputs("featureProperties" + ofModel, trained.featureProperties())
                .input("labelProperty" + ofModel, model.metadata().labelProperty())
                .input("splitProperty" + ofModel, configuration.get("splitProperty") instanceof String split ? split
                        : null);
    }

    public TrainedModel model() {
        return model;
    }

    public LoadedGraph graph() {
        return graph;
    }

    public Prediction prediction() {
        return prediction;
    }

    public ProjectionConfig projection() {
        return projection;
    }

    public int concurrency() {
        return concurrency;
    }

    /**
     * The dense ids whose rows to report: every node of the projection, or with {@code nodes} the given ones in the
     * given order, a duplicate once per time given.
     */
    public int[] rows() {
        return rows;
    }

    public long predictMillis() {
        return predictMillis;
    }

    public List<Object> classValues() {
        return model.metadata().classes();
    }
}
