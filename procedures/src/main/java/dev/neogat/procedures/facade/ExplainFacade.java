package dev.neogat.procedures.facade;

import dev.neogat.analysis.Explanation;
import dev.neogat.analysis.PredictionExplainer;
import dev.neogat.analysis.TypedIds;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.procedures.load.NodeIdMap;
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.TrainedModel;
import dev.neogat.train.Inference;
import dev.neogat.nn.Backend;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.RunProperties;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.load.LoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.PropertyWriter;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.procedures.write.WriteTally;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import java.util.stream.IntStream;

/**
 * gat.explain.stream and gat.explain.write: reads their configuration, loads what they need (the stream only the
 * node's L-hop neighbourhood, the write the model's projection) and runs the engine's {@link PredictionExplainer}
 * (on the CPU: an explanation computes on one node's neighbourhood, too small for a GPU to pay off). A typed model
 * is explained on its typed neighbourhood in the graph as it is now ({@link TypedModelRun}), for nodes of its target
 * label; its explanation's ids are {@link TypedIds} numbers, mapped back to nodes and relationships here.
 */
public final class ExplainFacade {

    public static final List<String> STREAM_KEYS = keys("k", "head", "rankBy", "topFeatures", FeatureNames.KEY);
    public static final List<String> WRITE_KEYS = keys("nodes", "k", "head", "rankBy", "writeProperty",
            "writeBatchSize");

    private static final int DEFAULT_K = 10;
    private static final int DEFAULT_WRITE_K = 5;
    private static final int DEFAULT_TOP_FEATURES = 5;

    private ExplainFacade() {
    }

    private static List<String> keys(String... own) {
        List<String> keys = new ArrayList<>(ProjectionConfig.KEYS);
        keys.add("concurrency");
        keys.addAll(List.of(own));
        return List.copyOf(keys);
    }

    /**
     * One explained node, cut to the k most influential parts, with what is needed to turn it into rows: the Neo4j
     * id of each node and relationship id of the explanation.
     */
    public record ExplainedNode(Explanation explanation, IntToLongFunction neo4jNodes,
                                IntToLongFunction neo4jRelationships, List<Object> classValues,
                                Map<Integer, Integer> neighbourRanks, Map<Integer, Integer> relationshipRanks,
                                IntFunction<List<String>> featureNames) {

        /** The value a class index stands for, as stored in the label property. */
        public Object classValue(int c) {
            return c < 0 ? null : classValues == null ? (Object) (long) c : classValues.get(c);
        }

        /** The name of a feature column of a node: from featureNames (its label's, typed), or the column index. */
        public Object featureName(int node, int column) {
            List<String> names = featureNames.apply(node);
            return names == null ? (Object) (long) column : names.get(column);
        }
    }

    /** What gat.explain.write did. */
    public static final class ExplainWriteResult {
        public long nodeCount;
        public long propertiesWritten;
        public long writeRetries;
        public long relationshipsPerNode;
        public String rankBy;
        public long loadMillis;
        public long explainMillis;
        public long writeMillis;
    }

    private record Settings(int k, int head, Explanation.Ranking ranking, int concurrency) {
    }

    public static ExplainedNode stream(ProcedureContext context, String modelName, Object node,
                                       Map<String, Object> rawConfig) {
        ConfigMap config = new ConfigMap(rawConfig, STREAM_KEYS);
        if (ModelRun.storedModel(context, modelName) instanceof TypedTrainedModel typed) {
            return typedStream(context, modelName, typed, node, config, rawConfig);
        }
        TrainedModel model = ModelRun.model(context, modelName);
        Settings settings = settings(config, rawConfig, maxHeads(model.config()), DEFAULT_K);
        int topFeatures = config.integer("topFeatures", DEFAULT_TOP_FEATURES, 0, 1_000_000);
        Object featureNamesValue = config.rawValue(FeatureNames.KEY);
        long neo4jId = ConfigMap.nodeId(node, "The node");
        try (Jobs.Job job = Jobs.start("explain", modelName, context.database(), null)) {
            ModelRun.Loaded loaded = ModelRun.loadAround(context, modelName, config, List.of(neo4jId),
                    entry -> "The node", job, orientation -> List.of());
            int target = denseId(loaded, neo4jId, "The node");
            List<String> names = featureNamesValue == null ? null
                    : FeatureNames.untyped(context, featureNamesValue, neo4jId, model.config().inputDim());
            job.phase("explaining");
            Explanation explanation;
            try (CpuBackend backend = new CpuBackend(settings.concurrency(), context.terminationFlag())) {
                explanation = explainer(backend, loaded, target, settings.head())
                        .explain(topFeatures, settings.concurrency(), context.terminationFlag());
            }
            LoadedGraph graph = loaded.graph();
            return cut(explanation, graph.nodes()::toNeo4j, r -> graph.relationshipIds()[r],
                    loaded.model().metadata().classes(), settings, n -> names);
        }
    }

    /** A typed model's explanation of a node of its target label, on the graph as it is now. */
    private static ExplainedNode typedStream(ProcedureContext context, String modelName, TypedTrainedModel model,
                                             Object node, ConfigMap config, Map<String, Object> rawConfig) {
        Settings settings = settings(config, rawConfig, maxHeads(model), DEFAULT_K);
        int topFeatures = config.integer("topFeatures", DEFAULT_TOP_FEATURES, 0, 1_000_000);
        long neo4jId = ConfigMap.nodeId(node, "The node");
        try (Jobs.Job job = Jobs.start("explain", modelName, context.database(), null)) {
            String targetType = model.config().targetType();
            // Only the node's neighbourhood (unless semantic attention needs the whole graph's β).
            TypedModelRun run = TypedModelRun.runAround(context, modelName, model, config, new TypedModelRun.Given(
                    List.of(neo4jId), i -> "The node", List.of(targetType), "the typed model '" + modelName
                    + "' predicts, and so explains, nodes of its target label '" + targetType + "' only"),
                    new Inference.Request(false, false), job);
            int target = typedTarget(run, modelName, neo4jId, "The node");
            Map<String, List<String>> names = FeatureNames.typed(context, config.rawValue(FeatureNames.KEY), neo4jId,
                    modelName, model.config());
            job.phase("explaining");
            Explanation explanation;
            try (CpuBackend backend = new CpuBackend(settings.concurrency(), context.terminationFlag())) {
                explanation = PredictionExplainer.of(backend, run.model(), run.prediction(),
                        typedInputs(context, modelName, run), target, settings.head())
                        .explain(topFeatures, settings.concurrency(), context.terminationFlag());
            }
            TypedIds ids = new TypedIds(run.graph().graph());
            return cut(explanation, typedNodes(run.graph(), ids), typedRelationships(run.graph(), ids),
                    run.classValues(), settings, n -> names.get(ids.type(n)));
        }
    }

    /** What the typed explainer reads besides the run; read once, in the procedure's transaction. */
    private static PredictionExplainer.TypedInputs typedInputs(ProcedureContext context, String modelName,
                                                               TypedModelRun run) {
        TypedLoadedGraph graph = run.graph();
        Map<String, int[]> trainedRows = TrainedNodeRows.rows(context.tx(), modelName, run.model().config(),
                run.model().metadata(), graph);
        return new PredictionExplainer.TypedInputs(graph.features(), graph.relationshipFeatures(), trainedRows);
    }

    /** The index within the target label of the node with Neo4j id {@code neo4jId}; fails for another label's node. */
    private static int typedTarget(TypedModelRun run, String modelName, long neo4jId, String what) {
        String targetType = run.model().config().targetType();
        int dense = run.graph().nodes().get(targetType).toDense(neo4jId);
        if (dense >= 0) {
            return dense;
        }
        for (Map.Entry<String, NodeIdMap> type : run.graph().nodes().entrySet()) {
            if (type.getValue().toDense(neo4jId) >= 0) {
                throw new IllegalArgumentException(what + " (id " + neo4jId + ") is a '" + type.getKey() + "' node; "
                        + "the typed model '" + modelName + "' predicts, and so explains, nodes of its target label '"
                        + targetType + "' only");
            }
        }
        throw new IllegalArgumentException(what + " (id " + neo4jId + ") is not in the typed model's projection "
                + "(node labels " + run.model().config().nodeTypes() + ")");
    }

    private static IntToLongFunction typedNodes(TypedLoadedGraph graph, TypedIds ids) {
        return node -> graph.nodes().get(ids.type(node)).toNeo4j(ids.index(node));
    }

    private static IntToLongFunction typedRelationships(TypedLoadedGraph graph, TypedIds ids) {
        return relationship -> graph.relationshipIds().get(ids.relation(relationship))[ids.edge(relationship)];
    }

    /** Explains each node and writes its k most influential relationships' element ids to writeProperty. */
    public static ExplainWriteResult write(ProcedureContext context, String modelName, Map<String, Object> rawConfig) {
        ConfigMap config = new ConfigMap(rawConfig, WRITE_KEYS);
        String writeProperty = config.requiredString("writeProperty",
                "the node property for the element ids of each node's most influential relationships");
        if (ModelRun.storedModel(context, modelName) instanceof TypedTrainedModel typed) {
            return typedWrite(context, modelName, typed, config, rawConfig, writeProperty);
        }
        TrainedModel model = ModelRun.model(context, modelName);
        Settings settings = settings(config, rawConfig, maxHeads(model.config()), DEFAULT_WRITE_K);
        int batchSize = WriteConfig.batchSize(config);
        List<Long> requested = config.nodeIds("nodes");
        try (Jobs.Job job = Jobs.start("explain.write", modelName, context.database(), null)) {
            ModelRun.Loaded loaded = ModelRun.load(context, modelName, config, job,
                    orientation -> List.of(new RunProperties.Named("writeProperty", writeProperty)));
            int[] targets;
            if (requested == null) {
                targets = IntStream.range(0, loaded.graph().nodeCount()).toArray();
            } else {
                targets = new int[requested.size()];
                for (int i = 0; i < targets.length; i++) {
                    targets[i] = denseId(loaded, requested.get(i), "Configuration 'nodes' entry " + i);
                }
            }
            TerminationFlag flag = context.terminationFlag();
            LoadedGraph graph = loaded.graph();
            return explainAndWrite(context, modelName, writeProperty, settings, batchSize, targets,
                    target -> {
                        try (CpuBackend backend = CpuBackend.sequential()) {
                            return explainer(backend, loaded, target, settings.head())
                                    .topRelationships(settings.k(), settings.ranking(), 1, flag);
                        }
                    }, r -> graph.relationshipIds()[r], graph.nodes()::toNeo4j, graph.loadMillis(), job);
        }
    }

    /** gat.explain.write for a typed model: nodes of its target label (default: all of them). */
    private static ExplainWriteResult typedWrite(ProcedureContext context, String modelName, TypedTrainedModel model,
                                                 ConfigMap config, Map<String, Object> rawConfig,
                                                 String writeProperty) {
        Settings settings = settings(config, rawConfig, maxHeads(model), DEFAULT_WRITE_K);
        int batchSize = WriteConfig.batchSize(config);
        List<Long> requested = config.nodeIds("nodes");
        // 'nodes' here names the nodes to explain; the run itself reads the whole projection.
        Map<String, Object> runConfig = new LinkedHashMap<>(rawConfig);
        runConfig.remove("nodes");
        try (Jobs.Job job = Jobs.start("explain.write", modelName, context.database(), null)) {
            TypedModelRun run = TypedModelRun.run(context, modelName, model, new ConfigMap(runConfig, WRITE_KEYS),
                    new Inference.Request(false, false), null,
                    List.of(new RunProperties.Named("writeProperty", writeProperty)), job);
            NodeIdMap targetNodes = run.graph().targetNodes();
            int[] targets;
            if (requested == null) {
                targets = IntStream.range(0, targetNodes.size()).toArray();
            } else {
                targets = new int[requested.size()];
                for (int i = 0; i < targets.length; i++) {
                    targets[i] = typedTarget(run, modelName, requested.get(i), "Configuration 'nodes' entry " + i);
                }
            }
            TerminationFlag flag = context.terminationFlag();
            TypedIds ids = new TypedIds(run.graph().graph());
            PredictionExplainer.TypedInputs inputs = typedInputs(context, modelName, run);
            return explainAndWrite(context, modelName, writeProperty, settings, batchSize, targets,
                    target -> {
                        try (CpuBackend backend = CpuBackend.sequential()) {
                            return PredictionExplainer.of(backend, run.model(), run.prediction(), inputs, target,
                                    settings.head()).topRelationships(settings.k(), settings.ranking(), 1, flag);
                        }
                    }, typedRelationships(run.graph(), ids), targetNodes::toNeo4j, run.graph().loadMillis(), job);
        }
    }

    /**
     * Finds each target's k most influential relationships ({@code topOf}, on {@code settings.concurrency()}
     * threads) and writes their element ids, most influential first, to {@code writeProperty} of the target.
     */
    @SuppressWarnings("deprecation")
    private static ExplainWriteResult explainAndWrite(ProcedureContext context, String modelName,
                                                      String writeProperty, Settings settings, int batchSize,
                                                      int[] targets,
                                                      IntFunction<List<Explanation.RelationshipInfluence>> topOf,
                                                      IntToLongFunction neo4jRelationships,
                                                      IntToLongFunction neo4jNodes, long loadMillis, Jobs.Job job) {
        job.phase("explaining");
        long start = System.nanoTime();
        int[][] topRelationships = new int[targets.length][];
        ForkJoinPool pool = new ForkJoinPool(settings.concurrency());
        try {
            pool.submit(() -> IntStream.range(0, targets.length).parallel().forEach(i ->
                    topRelationships[i] = topOf.apply(targets[i]).stream()
                            .mapToInt(Explanation.RelationshipInfluence::relationship).toArray())).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while explaining", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdown();
        }
        long explainMillis = (System.nanoTime() - start) / 1_000_000;
        Object[] values = new Object[targets.length];
        for (int i = 0; i < targets.length; i++) {
            values[i] = Arrays.stream(topRelationships[i])
                    .mapToObj(r -> context.tx().getRelationshipById(neo4jRelationships.applyAsLong(r)).getElementId())
                    .toArray(String[]::new);
        }
        String phase = "writing node properties";
        job.phase(phase);
        start = System.nanoTime();
        List<PropertyWriter.Column> columns = List.of(PropertyWriter.column(writeProperty, index -> values[index]));
        WriteTally tally = new WriteTally();
        tally.expect("nodes", columns);
        PropertyWriter.writeNodes(context.db(), targets.length,
                (tx, index) -> tx.getNodeById(neo4jNodes.applyAsLong(targets[index])), columns, batchSize,
                settings.concurrency(), context.guard(), tally,
                WriteBack.progress(job, phase, targets.length, context.log(), modelName));
        ExplainWriteResult result = new ExplainWriteResult();
        result.nodeCount = targets.length;
        result.propertiesWritten = tally.propertiesWritten();
        result.writeRetries = tally.retries();
        result.relationshipsPerNode = settings.k();
        result.rankBy = settings.ranking().name().toLowerCase(java.util.Locale.ROOT);
        result.loadMillis = loadMillis;
        result.explainMillis = explainMillis;
        result.writeMillis = (System.nanoTime() - start) / 1_000_000;
        return result;
    }

    private static PredictionExplainer explainer(Backend backend, ModelRun.Loaded loaded, int target, int head) {
        return PredictionExplainer.of(backend, loaded.model(), loaded.graph().graph(), loaded.graph().features(),
                loaded.graph().relationshipFeatures(), target, head);
    }

    private static int maxHeads(GatConfig model) {
        return IntStream.range(0, model.layerCount()).map(model::heads).max().orElse(1);
    }

    private static int maxHeads(TypedTrainedModel model) {
        return IntStream.range(0, model.config().layers()).map(l -> model.config().layer(l).heads()).max().orElse(1);
    }

    private static Settings settings(ConfigMap config, Map<String, Object> raw, int maxHeads, int defaultK) {
        int k = config.integer("k", defaultK, 1, 1_000_000);
        Object headValue = raw == null ? null : raw.get("head");
        int head = PredictionExplainer.MEAN_HEADS;
        if (headValue instanceof Number) {
            head = config.integer("head", 0, 0, maxHeads - 1);
        } else if (headValue != null) {
            if (!(headValue instanceof String s) || !s.equalsIgnoreCase("mean")) {
                throw new IllegalArgumentException("Configuration 'head' must be 'mean' or a head index from 0 to "
                        + (maxHeads - 1) + ", got " + ConfigMap.describe(headValue));
            }
            config.string("head", "mean");
        }
        Explanation.Ranking ranking = Explanation.Ranking.valueOf(config.choice("rankBy", "occlusion",
                List.of("occlusion", "flow")).toUpperCase(java.util.Locale.ROOT));
        return new Settings(k, head, ranking, config.concurrency());
    }

    private static ExplainedNode cut(Explanation explanation, IntToLongFunction neo4jNodes,
                                     IntToLongFunction neo4jRelationships, List<Object> classes, Settings settings,
                                     IntFunction<List<String>> names) {
        Map<Integer, Integer> neighbourRanks = new LinkedHashMap<>();
        List<Explanation.NodeInfluence> neighbours = explanation.topNeighbours(Integer.MAX_VALUE, settings.ranking());
        for (int i = 0; i < neighbours.size(); i++) {
            neighbourRanks.put(neighbours.get(i).node(), i + 1);
        }
        Map<Integer, Integer> relationshipRanks = new TreeMap<>();
        List<Explanation.RelationshipInfluence> relationships =
                explanation.topRelationships(Integer.MAX_VALUE, settings.ranking());
        for (int i = 0; i < relationships.size(); i++) {
            relationshipRanks.put(relationships.get(i).relationship(), i + 1);
        }
        return new ExplainedNode(explanation.top(settings.k(), settings.ranking()), neo4jNodes, neo4jRelationships,
                classes, neighbourRanks, relationshipRanks, names);
    }

    private static int denseId(ModelRun.Loaded loaded, long neo4jId, String what) {
        int dense = loaded.graph().nodes().toDense(neo4jId);
        if (dense < 0) {
            throw new IllegalArgumentException(what + " (id " + neo4jId + ") is not in the model's projection (node "
                    + "labels " + loaded.projection().nodeLabels() + ", features " + loaded.projection()
                    .featureProperties() + ")");
        }
        return dense;
    }
}
