package dev.neogat.procedures.facade;

import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.graph.Orientation;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.StoredModel;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.MemoryBudget;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.RunProperties;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.LoadedGraph;
import dev.neogat.procedures.load.RelationshipFeatureReader;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.ChunkWriteBack;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.train.Inference;
import dev.neogat.train.LayerWiseInference;
import dev.neogat.train.Prediction;
import dev.neogat.train.PredictionCollector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
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
        keys.addAll(List.of("concurrency", "device", MemoryBudget.KEY));
        KEYS = List.copyOf(keys);
    }

    private final TrainedModel model;
    private final LoadedGraph graph;
    private final Prediction prediction;
    private final ProjectionConfig projection;
    private final int concurrency;
    private final long predictMillis;
    private final int[] rows;
    private final WriteBack.Summary written;
    private final long writeMillis;

    private ModelRun(TrainedModel model, LoadedGraph graph, Prediction prediction, ProjectionConfig projection,
                     int concurrency, long predictMillis, int[] rows, WriteBack.Summary written, long writeMillis) {
        this.model = model;
        this.graph = graph;
        this.prediction = prediction;
        this.projection = projection;
        this.concurrency = concurrency;
        this.predictMillis = predictMillis;
        this.rows = rows;
        this.written = written;
        this.writeMillis = writeMillis;
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

    /** The model called {@code modelName}, untyped or typed. */
    public static StoredModel storedModel(ProcedureContext context, String modelName) {
        try {
            return context.catalog().getAny(modelName);
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
        return run(context, modelName, config, given, what, request, job, outputs, null);
    }

    /**
     * Runs the model over the whole projection and writes what {@code write} asks for ({@link #written()}); a
     * layer-wise run writes each chunk's node properties as soon as it is computed ({@link ChunkWriteBack}).
     */
    public static ModelRun runAndWrite(ProcedureContext context, String modelName, ConfigMap config,
                                       Inference.Request request, WriteConfig write, Jobs.Job job) {
        return run(context, modelName, config, null, null, request, job, write::outputs, write);
    }

    /**
     * Full-batch inference when its activations and parameters fit {@code memoryBudget} (default: half the free
     * heap), else {@link LayerWiseInference} within that budget; the same results either way.
     */
    private static ModelRun run(ProcedureContext context, String modelName, ConfigMap config, List<Long> given,
                                IntFunction<String> what, Inference.Request request, Jobs.Job job,
                                Function<Orientation, List<RunProperties.Named>> outputs, WriteConfig write) {
        int concurrency = config.concurrency();
        String device = config.device();
        Long givenBudget = MemoryBudget.read(config);
        Loaded loaded = given == null ? load(context, modelName, config, job, outputs)
                : loadAround(context, modelName, config, given, what, job, outputs);
        TrainedModel model = loaded.model();
        LoadedGraph graph = loaded.graph();
        ProjectionConfig projection = loaded.projection();
        MemoryEstimate need = MemoryEstimate.of(model.config(), graph.nodeCount(), graph.graph().slotCount(),
                graph.relationshipCount(), graph.features().storedValues(), graph.features() instanceof SparseMatrix,
                false);
        long budget = MemoryBudget.orDefault(givenBudget);
        boolean layerWise = need.activationBytes() + need.parameterBytes() > budget;
        if (layerWise) {
            requireBudgetFree(givenBudget);
        } else {
            TrainFacade.requireHeap(need);
        }
        long start = System.nanoTime();
        DeviceChoice choice = Devices.select(device, concurrency, context.terminationFlag(), need);
        Prediction prediction = null;
        WriteBack.Summary written = null;
        long writeMillis = 0;
        try (Backend backend = choice.backend()) {
            if (!layerWise) {
                job.phase("predicting");
                prediction = Inference.run(backend, model, graph.graph(), graph.features(),
                        graph.relationshipFeatures(), request);
            } else if (write == null) {
                job.phase("predicting layer by layer");
                PredictionCollector collector = new PredictionCollector(model.config(), graph.graph(),
                        everyLayer(model, request.attention()), everyLayer(model, request.embeddings()));
                LayerWiseInference.run(backend, model, graph.graph(), graph.features(), graph.relationshipFeatures(),
                        budget, request, withProgress(collector, job), context.terminationFlag());
                prediction = collector.prediction();
            } else {
                job.phase("predicting and writing layer by layer");
                ChunkWriteBack writer = new ChunkWriteBack(context, modelName, graph, model.config(), write,
                        model.metadata().classes(), projection.orientation(), concurrency, job);
                LayerWiseInference.run(backend, model, graph.graph(), graph.features(), graph.relationshipFeatures(),
                        budget, new Inference.Request(writer.needsAttention(), writer.needsEmbeddings()), writer,
                        context.terminationFlag());
                written = writer.finish();
                writeMillis = writer.writeMillis();
            }
        }
        long predictMillis = (System.nanoTime() - start) / 1_000_000 - writeMillis;
        if (layerWise) {
            logLayerWise(context, modelName, budget, need);
        }
        if (write != null && written == null) {
            long writeStart = System.nanoTime();
            written = WriteBack.write(context, modelName, graph, prediction, write, model.metadata().classes(),
                    projection.orientation(), concurrency, job);
            writeMillis = (System.nanoTime() - writeStart) / 1_000_000;
        }
        int[] rows = given == null ? IntStream.range(0, graph.nodeCount()).toArray()
                : given.stream().mapToInt(id -> graph.nodes().toDense(id)).toArray();
        return new ModelRun(model, graph, prediction, projection, concurrency, predictMillis, rows, written,
                writeMillis);
    }

    /** The log line of a run that went layer by layer: why. */
    static void logLayerWise(ProcedureContext context, String modelName, long budget, MemoryEstimate need) {
        context.log().info("Model '%s' ran layer by layer within a memory budget of %s: full-batch inference "
                + "would take %s", modelName, MemoryEstimate.humanReadable(budget),
                MemoryEstimate.humanReadable(need.activationBytes() + need.parameterBytes()));
    }

    /** Fails when a budget that was given is more than the heap free now. */
    static void requireBudgetFree(Long givenBudget) {
        long free = MemoryBudget.freeHeap();
        if (givenBudget != null && givenBudget > free) {
            throw new IllegalArgumentException("Configuration 'memoryBudget' of "
                    + MemoryEstimate.humanReadable(givenBudget) + " is more than the " + MemoryEstimate.humanReadable(free)
                    + " of heap free now; give at most that, or leave it out (default: "
                    + Math.round(100 * MemoryBudget.DEFAULT_SHARE_OF_FREE_HEAP) + "% of the free heap)");
        }
    }

    private static boolean[] everyLayer(TrainedModel model, boolean keep) {
        boolean[] layers = new boolean[model.config().layerCount()];
        Arrays.fill(layers, keep);
        return layers;
    }

    /** {@code consumer}, with each chunk reported to gat.progress(). */
    private static LayerWiseInference.Consumer withProgress(LayerWiseInference.Consumer consumer, Jobs.Job job) {
        return new LayerWiseInference.Consumer() {
            @Override
            public void logits(int first, int end, float[] values) {
                consumer.logits(first, end, values);
            }

            @Override
            public void embeddings(int layer, int first, int end, float[] values) {
                consumer.embeddings(layer, first, end, values);
            }

            @Override
            public void attention(int layer, int first, int end, int firstSlot, float[] values) {
                consumer.attention(layer, first, end, firstSlot, values);
            }

            @Override
            public void progress(long chunksDone, long chunkTotal) {
                job.progress(chunksDone, chunkTotal);
            }
        };
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

    /** The results of a run that keeps them (every run but a layer-wise {@link #runAndWrite}). */
    public Prediction prediction() {
        if (prediction == null) {
            throw new IllegalStateException("A layer-wise write keeps no prediction");
        }
        return prediction;
    }

    /** What {@link #runAndWrite} wrote. */
    public WriteBack.Summary written() {
        return written;
    }

    public long writeMillis() {
        return writeMillis;
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
