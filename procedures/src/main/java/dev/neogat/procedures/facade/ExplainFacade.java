package dev.neogat.procedures.facade;

import dev.neogat.analysis.Explanation;
import dev.neogat.analysis.PredictionExplainer;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.TrainedModel;
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
import org.neo4j.graphdb.Result;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * gat.explain.stream and gat.explain.write: reads their configuration, loads what they need (the stream only the
 * node's L-hop neighbourhood, the write the model's projection) and runs the engine's {@link PredictionExplainer}
 * (on the CPU: an explanation computes on one node's neighbourhood, too small for a GPU to pay off).
 */
public final class ExplainFacade {

    public static final List<String> STREAM_KEYS = keys("k", "head", "rankBy", "topFeatures", "featureNames");
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

    /** One explained node, cut to the k most influential parts, with what is needed to turn it into rows. */
    public record ExplainedNode(Explanation explanation, LoadedGraph graph, List<Object> classValues,
                                Map<Integer, Integer> neighbourRanks, Map<Integer, Integer> relationshipRanks,
                                List<String> featureNames) {

        /** The value a class index stands for, as stored in the label property. */
        public Object classValue(int c) {
            return c < 0 ? null : classValues == null ? (Object) (long) c : classValues.get(c);
        }

        /** The name of a feature column: from featureNames, or the column index. */
        public Object featureName(int column) {
            return featureNames == null ? (Object) (long) column : featureNames.get(column);
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
        TrainedModel model = ModelRun.model(context, modelName);
        Settings settings = settings(config, rawConfig, model.config(), DEFAULT_K);
        int topFeatures = config.integer("topFeatures", DEFAULT_TOP_FEATURES, 0, 1_000_000);
        Object featureNamesValue = rawConfig == null ? null : rawConfig.get("featureNames");
        List<String> names = featureNamesValue instanceof List<?> list ? namesFromList(list, model.config()) : null;
        if (featureNamesValue != null && !(featureNamesValue instanceof List<?>)) {
            config.string("featureNames", null);
        }
        long neo4jId = ConfigMap.nodeId(node, "The node");
        try (Jobs.Job job = Jobs.start("explain", modelName, context.database(), null)) {
            ModelRun.Loaded loaded = ModelRun.loadAround(context, modelName, config, List.of(neo4jId),
                    entry -> "The node", job, orientation -> List.of());
            int target = denseId(loaded, neo4jId, "The node");
            if (featureNamesValue instanceof String property) {
                names = namesFromProperty(context, property, neo4jId, model.config());
            }
            job.phase("explaining");
            Explanation explanation;
            try (CpuBackend backend = new CpuBackend(settings.concurrency(), context.terminationFlag())) {
                explanation = explainer(backend, loaded, target, settings.head())
                        .explain(topFeatures, settings.concurrency(), context.terminationFlag());
            }
            return cut(explanation, loaded, settings, names);
        }
    }

    /** Explains each node and writes its k most influential relationships' element ids to writeProperty. */
    @SuppressWarnings("deprecation")
    public static ExplainWriteResult write(ProcedureContext context, String modelName, Map<String, Object> rawConfig) {
        ConfigMap config = new ConfigMap(rawConfig, WRITE_KEYS);
        TrainedModel model = ModelRun.model(context, modelName);
        String writeProperty = config.requiredString("writeProperty",
                "the node property for the element ids of each node's most influential relationships");
        Settings settings = settings(config, rawConfig, model.config(), DEFAULT_WRITE_K);
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
            job.phase("explaining");
            long start = System.nanoTime();
            TerminationFlag flag = context.terminationFlag();
            int[][] topRelationships = new int[targets.length][];
            ForkJoinPool pool = new ForkJoinPool(settings.concurrency());
            try {
                pool.submit(() -> IntStream.range(0, targets.length).parallel().forEach(i -> {
                    try (CpuBackend backend = CpuBackend.sequential()) {
                        topRelationships[i] = explainer(backend, loaded, targets[i], settings.head())
                                .topRelationships(settings.k(), settings.ranking(), 1, flag).stream()
                                .mapToInt(Explanation.RelationshipInfluence::relationship).toArray();
                    }
                })).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while explaining", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
            } finally {
                pool.shutdown();
            }
            long explainMillis = (System.nanoTime() - start) / 1_000_000;
            long[] relationshipIds = loaded.graph().relationshipIds();
            Object[] values = new Object[targets.length];
            for (int i = 0; i < targets.length; i++) {
                values[i] = Arrays.stream(topRelationships[i])
                        .mapToObj(r -> context.tx().getRelationshipById(relationshipIds[r]).getElementId())
                        .toArray(String[]::new);
            }
            String phase = "writing node properties";
            job.phase(phase);
            start = System.nanoTime();
            List<PropertyWriter.Column> columns = List.of(PropertyWriter.column(writeProperty, index -> values[index]));
            WriteTally tally = new WriteTally();
            tally.expect("nodes", columns);
            PropertyWriter.writeNodes(context.db(), targets.length,
                    (tx, index) -> tx.getNodeById(loaded.graph().nodes().toNeo4j(targets[index])), columns, batchSize,
                    settings.concurrency(), context.guard(), tally,
                    WriteBack.progress(job, phase, targets.length, context.log(), modelName));
            ExplainWriteResult result = new ExplainWriteResult();
            result.nodeCount = targets.length;
            result.propertiesWritten = tally.propertiesWritten();
            result.writeRetries = tally.retries();
            result.relationshipsPerNode = settings.k();
            result.rankBy = settings.ranking().name().toLowerCase(java.util.Locale.ROOT);
            result.loadMillis = loaded.graph().loadMillis();
            result.explainMillis = explainMillis;
            result.writeMillis = (System.nanoTime() - start) / 1_000_000;
            return result;
        }
    }

    /** Typed models (another node type per label) will choose their explainer here. */
    private static PredictionExplainer explainer(Backend backend, ModelRun.Loaded loaded, int target, int head) {
        return PredictionExplainer.of(backend, loaded.model(), loaded.graph().graph(), loaded.graph().features(),
                loaded.graph().relationshipFeatures(), target, head);
    }

    private static Settings settings(ConfigMap config, Map<String, Object> raw, GatConfig model, int defaultK) {
        int k = config.integer("k", defaultK, 1, 1_000_000);
        Object headValue = raw == null ? null : raw.get("head");
        int head = PredictionExplainer.MEAN_HEADS;
        int maxHeads = IntStream.range(0, model.layerCount()).map(model::heads).max().orElse(1);
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

    private static ExplainedNode cut(Explanation explanation, ModelRun.Loaded loaded, Settings settings,
                                     List<String> names) {
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
        List<Object> classes = loaded.model().metadata().classes();
        return new ExplainedNode(explanation.top(settings.k(), settings.ranking()), loaded.graph(), classes,
                neighbourRanks, relationshipRanks, names);
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

    private static List<String> namesFromList(List<?> list, GatConfig model) {
        if (list.size() != model.inputDim()) {
            throw new IllegalArgumentException("Configuration 'featureNames' has " + list.size()
                    + " names but the model has " + model.inputDim() + " input features");
        }
        List<String> names = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw new IllegalArgumentException("Configuration 'featureNames' must hold strings, but entry " + i
                        + " is " + ConfigMap.describe(list.get(i)));
            }
            names.add(s);
        }
        return names;
    }

    /** The vocabulary in a node property: on the explained node, else on the first node that has it. */
    @SuppressWarnings("deprecation")
    private static List<String> namesFromProperty(ProcedureContext context, String property, long neo4jId,
                                                  GatConfig model) {
        Object value = context.tx().getNodeById(neo4jId).getProperty(property, null);
        if (value == null) {
            try (Result result = context.tx().execute("MATCH (n) WHERE n[$p] IS NOT NULL RETURN n[$p] AS v LIMIT 1",
                    Map.of("p", property))) {
                value = result.hasNext() ? result.next().get("v") : null;
            }
        }
        if (value == null) {
            throw new IllegalArgumentException("Configuration 'featureNames' names the property '" + property
                    + "', but no node has it; give the vocabulary as a list of strings or a property holding one");
        }
        List<?> list = value instanceof String[] strings ? List.of(strings)
                : value instanceof List<?> l ? l : null;
        if (list == null) {
            throw new IllegalArgumentException("Configuration 'featureNames': the property '" + property
                    + "' holds " + ConfigMap.describe(value) + ", not a list of strings");
        }
        if (list.size() != model.inputDim()) {
            throw new IllegalArgumentException("Configuration 'featureNames': the property '" + property + "' holds "
                    + list.size() + " names but the model has " + model.inputDim() + " input features");
        }
        return namesFromList(list, model);
    }
}
