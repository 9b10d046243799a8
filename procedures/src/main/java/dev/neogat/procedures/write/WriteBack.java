package dev.neogat.procedures.write;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.load.LoadedGraph;
import dev.neogat.procedures.load.NodeIdMap;
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.train.Prediction;
import dev.neogat.train.TypedPrediction;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.Log;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * Writes what {@link WriteConfig} asks for: on nodes the predicted class (as the user's own label value),
 * class probabilities, self-loop attention and embeddings; on every stored relationship its attention.
 *
 * <p>For a stored relationship {@code (a)-[r]->(b)}: with NATURAL orientation {@code r.<attention>} is how
 * much b attends to a; with REVERSE how much a attends to b; with UNDIRECTED both exist, written as
 * {@code <attention>} (b to a) and {@code <attention>Reverse} (a to b), or as their mean when
 * {@code attentionDirections: 'mean'}. A self-loop relationship carries its node's self attention.
 */
public final class WriteBack {

    private WriteBack() {
    }

    /** What a write-back did: properties committed, and transactions retried after transient errors. */
    public record Summary(long propertiesWritten, long retries) {
    }

    @SuppressWarnings("deprecation")
    public static Summary write(ProcedureContext context, String modelName, LoadedGraph graph, Prediction prediction,
                                WriteConfig write, List<Object> classValues, Orientation orientation, int concurrency,
                                Jobs.Job job) {
        requireLayersExist(write, prediction.layerCount(), modelName);
        List<PropertyWriter.Column> nodeColumns = nodeColumns(prediction, write, classValues, modelName);
        List<PropertyWriter.Column> relationshipColumns = write.attentionProperty() == null ? List.of()
                : attentionColumns(graph.graph(), prediction, write, orientation);
        WriteTally tally = new WriteTally();
        tally.expect("nodes", nodeColumns);
        tally.expect("relationships", relationshipColumns);
        if (!nodeColumns.isEmpty()) {
            String phase = "writing node properties";
            job.phase(phase);
            long total = (long) graph.nodeCount() * nodeColumns.size();
            PropertyWriter.writeNodes(context.db(), graph.nodeCount(),
                    (tx, index) -> tx.getNodeById(graph.nodes().toNeo4j(index)), nodeColumns, write.batchSize(),
                    concurrency, context.guard(), tally, progress(job, phase, total, context.log(), modelName));
        }
        writeRelationships(context, modelName, graph, relationshipColumns, write, concurrency, job, tally);
        return summary(context, modelName, tally);
    }

    /**
     * Writes a typed model's results: on the nodes of its target label the predicted class (as the user's own
     * label value) to writeProperty and the class probabilities to probabilityProperty, as {@link #write} does; the
     * attention of every relation on its stored relationships and the self attention on every node
     * ({@link TypedAttentionColumns}); on every projected node, of every label, its hidden embedding to
     * embeddingProperty.
     */
    @SuppressWarnings("deprecation")
    public static Summary writeTyped(ProcedureContext context, String modelName, TypedLoadedGraph graph,
                                     TypedPrediction prediction, WriteConfig write, List<Object> classValues,
                                     Orientation orientation, int concurrency, Jobs.Job job) {
        requireLayersExist(write, prediction.config().layers(), modelName);
        List<PropertyWriter.Column> columns = new ArrayList<>();
        if (write.writeProperty() != null) {
            columns.add(PropertyWriter.column(write.writeProperty(),
                    i -> classValues.get(prediction.predictedClass(i))));
        }
        if (write.probabilityProperty() != null) {
            columns.add(PropertyWriter.column(write.probabilityProperty(), prediction::probabilities));
        }
        TypedAttentionColumns attention = write.attentionProperty() == null && write.selfAttentionProperty() == null
                ? null : new TypedAttentionColumns(graph, prediction,
                attentionLayer(write.attentionLayer(), prediction.config().layers()), write.attentionPerHead());
        List<PropertyWriter.Column> selfAttention = write.selfAttentionProperty() == null ? List.of()
                : List.of(attention.selfAttentionColumn(write.selfAttentionProperty()));
        List<PropertyWriter.Column> relationshipColumns = write.attentionProperty() == null ? List.of()
                : attention.relationshipColumns(write, orientation);
        WriteTally tally = new WriteTally();
        tally.expect("nodes", columns);
        tally.expect("nodes", selfAttention);
        tally.expect("relationships", relationshipColumns);
        NodeIdMap nodes = graph.targetNodes();
        if (!columns.isEmpty()) {
            String phase = "writing node properties";
            job.phase(phase);
            long total = (long) nodes.size() * columns.size();
            PropertyWriter.writeNodes(context.db(), nodes.size(), (tx, index) -> tx.getNodeById(nodes.toNeo4j(index)),
                    columns, write.batchSize(), concurrency, context.guard(), tally,
                    progress(job, phase, total, context.log(), modelName));
        }
        if (!selfAttention.isEmpty()) {
            String phase = "writing self attention";
            job.phase(phase);
            PropertyWriter.writeNodes(context.db(), attention.nodeCount(),
                    (tx, index) -> tx.getNodeById(attention.nodeId(index)), selfAttention, write.batchSize(),
                    concurrency, context.guard(), tally,
                    progress(job, phase, attention.nodeCount(), context.log(), modelName));
        }
        if (!relationshipColumns.isEmpty()) {
            String phase = "writing relationship properties";
            job.phase(phase);
            long total = (long) attention.relationshipCount() * relationshipColumns.size();
            int[][] ends = attention.endNodes();
            PropertyWriter.writeRelationships(context.db(), attention.nodeCount(), ends[0], ends[1],
                    chainLockingNodes(context, attention.nodeCount(), attention::nodeId, ends),
                    (tx, index) -> tx.getRelationshipById(attention.relationshipId(index)), relationshipColumns,
                    write.batchSize(), concurrency, context.guard(), tally,
                    progress(job, phase, total, context.log(), modelName));
        }
        if (write.embeddingProperty() != null) {
            writeTypedEmbeddings(context, modelName, graph, prediction, write, concurrency, job, tally);
        }
        return summary(context, modelName, tally);
    }

    /** Every projected node's hidden embedding, label by label in the model's order, as gat.embed.stream gives it. */
    @SuppressWarnings("deprecation")
    private static void writeTypedEmbeddings(ProcedureContext context, String modelName, TypedLoadedGraph graph,
                                             TypedPrediction prediction, WriteConfig write, int concurrency,
                                             Jobs.Job job, WriteTally tally) {
        int layer = embeddingLayer(write.embeddingLayer(), prediction.config().layers(), modelName);
        int width = prediction.embeddingWidth(layer);
        List<String> types = prediction.config().nodeTypes();
        // Node index i of the write is node i - firstOf[t] of types[t]: labels one after another.
        int[] firstOf = new int[types.size() + 1];
        for (int t = 0; t < types.size(); t++) {
            firstOf[t + 1] = Math.addExact(firstOf[t], graph.nodes().get(types.get(t)).size());
        }
        float[][] embeddings = new float[types.size()][];
        for (int t = 0; t < types.size(); t++) {
            embeddings[t] = prediction.embeddings(layer, types.get(t));
        }
        int total = firstOf[types.size()];
        int[] typeOf = new int[total];
        for (int t = 0; t < types.size(); t++) {
            java.util.Arrays.fill(typeOf, firstOf[t], firstOf[t + 1], t);
        }
        List<PropertyWriter.Column> columns = List.of(PropertyWriter.column(write.embeddingProperty(), index -> {
            int t = typeOf[index];
            int i = index - firstOf[t];
            return java.util.Arrays.copyOfRange(embeddings[t], i * width, (i + 1) * width);
        }));
        tally.expect("nodes", columns);
        String phase = "writing embeddings";
        job.phase(phase);
        PropertyWriter.writeNodes(context.db(), total, (tx, index) -> {
            int t = typeOf[index];
            return tx.getNodeById(graph.nodes().get(types.get(t)).toNeo4j(index - firstOf[t]));
        }, columns, write.batchSize(), concurrency, context.guard(), tally,
                progress(job, phase, total, context.log(), modelName));
    }

    /** Writes the relationship columns (attention) in cells of disjoint end nodes ({@link WriteJobs}). */
    @SuppressWarnings("deprecation")
    static void writeRelationships(ProcedureContext context, String modelName, LoadedGraph graph,
                                   List<PropertyWriter.Column> relationshipColumns, WriteConfig write, int concurrency,
                                   Jobs.Job job, WriteTally tally) {
        if (!relationshipColumns.isEmpty()) {
            String phase = "writing relationship properties";
            job.phase(phase);
            long total = (long) graph.relationshipCount() * relationshipColumns.size();
            int[][] ends = endNodes(graph.graph(), graph.relationshipCount());
            PropertyWriter.writeRelationships(context.db(), graph.nodeCount(), ends[0], ends[1],
                    chainLockingNodes(context, graph, ends),
                    (tx, index) -> tx.getRelationshipById(graph.relationshipIds()[index]), relationshipColumns,
                    write.batchSize(), concurrency, context.guard(), tally,
                    progress(job, phase, total, context.log(), modelName));
        }
    }

    /** What a write-back did, its retries logged. */
    static Summary summary(ProcedureContext context, String modelName, WriteTally tally) {
        if (tally.retries() > 0) {
            context.log().warn("Writing the results of model '%s': %s", modelName, tally.describe());
        }
        return new Summary(tally.propertiesWritten(), tally.retries());
    }

    /**
     * Reports a write phase to gat.progress(): properties done of {@code total}, and retries in the phase's
     * name; each retry goes to the log with its cause.
     */
    public static PropertyWriter.Listener progress(Jobs.Job job, String phase, long total, Log log, String modelName) {
        return new PropertyWriter.Listener() {
            @Override
            public void written(long propertiesSoFar) {
                job.progress(propertiesSoFar, total);
            }

            @Override
            public void retried(long retriesSoFar, RuntimeException cause) {
                job.phase(phase + " (" + retriesSoFar + (retriesSoFar == 1 ? " transaction" : " transactions")
                        + " retried after transient errors)");
                log.warn("Writing the results of model '%s': retrying a transaction after a transient error: %s",
                        modelName, cause.getMessage());
            }
        };
    }

    /**
     * The nodes whose stored degree is the dense-node threshold: record storage locks every relationship of
     * such a sparse node when one of them changes (see {@link WriteJobs}). Null where the setting cannot be read.
     */
    static boolean[] chainLockingNodes(ProcedureContext context, LoadedGraph graph, int[][] ends) {
        return chainLockingNodes(context, graph.nodeCount(), graph.nodes()::toNeo4j, ends);
    }

    /** As above, for {@code nodeCount} nodes whose Neo4j ids {@code neo4jId} gives. */
    @SuppressWarnings("deprecation")
    static boolean[] chainLockingNodes(ProcedureContext context, int nodeCount, IntToLongFunction neo4jId,
                                       int[][] ends) {
        if (!(context.db() instanceof GraphDatabaseAPI api)) {
            return null;
        }
        int threshold = api.getDependencyResolver().resolveDependency(Config.class)
                .get(GraphDatabaseSettings.dense_node_threshold);
        int[] projectedDegree = new int[nodeCount];
        for (int r = 0; r < ends[0].length; r++) {
            projectedDegree[ends[0][r]]++;
            projectedDegree[ends[1][r]]++;
        }
        boolean[] flagged = new boolean[nodeCount];
        for (int node = 0; node < flagged.length; node++) {
            if ((node & 0xFFFF) == 0) {
                // One store read per node: on millions of nodes this takes seconds, so it honours termination.
                context.guard().check();
            }
            // the stored degree is at least the projected one, so larger nodes need no look
            flagged[node] = projectedDegree[node] <= threshold
                    && context.tx().getNodeById(neo4jId.applyAsLong(node)).getDegree() == threshold;
        }
        return flagged;
    }

    /** The node indices at the two ends of each relationship of the projection. */
    static int[][] endNodes(IncomingCsr csr, int relationshipCount) {
        int[] start = new int[relationshipCount];
        int[] end = new int[relationshipCount];
        for (int edge = 0; edge < relationshipCount; edge++) {
            int slot = csr.slotOfEdge(edge);
            start[edge] = csr.sources()[slot];
            end[edge] = csr.targetOf(slot);
        }
        return new int[][] {start, end};
    }

    /**
     * Fails, before anything is trained or written, when the layers the write configuration names do not
     * exist in a model of {@code layerCount} layers.
     */
    public static void requireLayersExist(WriteConfig write, int layerCount, String modelName) {
        if (write.attentionProperty() != null || write.selfAttentionProperty() != null) {
            attentionLayer(write.attentionLayer(), layerCount);
        }
        if (write.embeddingProperty() != null) {
            embeddingLayer(write.embeddingLayer(), layerCount, modelName);
        }
    }

    /** The attention layer a request means: -1 is the last. */
    public static int attentionLayer(int requested, int layerCount) {
        int layer = requested < 0 ? layerCount - 1 : requested;
        if (layer >= layerCount) {
            throw new IllegalArgumentException("attentionLayer " + requested + " does not exist: the model has "
                    + layerCount + " layers (0 to " + (layerCount - 1) + ")");
        }
        return layer;
    }

    /** The hidden layer a request means: -1 is the last hidden layer. */
    public static int embeddingLayer(int requested, int layerCount, String modelName) {
        if (layerCount < 2) {
            throw new IllegalArgumentException("The model '" + modelName + "' has a single layer and so no hidden "
                    + "embeddings; embeddings need layers: 2 or more");
        }
        int layer = requested < 0 ? layerCount - 2 : requested;
        if (layer >= layerCount - 1) {
            throw new IllegalArgumentException("embeddingLayer " + requested + " is not a hidden layer: the model's "
                    + "hidden layers are 0 to " + (layerCount - 2));
        }
        return layer;
    }

    private static List<PropertyWriter.Column> nodeColumns(Prediction prediction, WriteConfig write,
                                                           List<Object> classValues, String modelName) {
        List<PropertyWriter.Column> columns = new ArrayList<>();
        if (write.writeProperty() != null) {
            columns.add(PropertyWriter.column(write.writeProperty(), i -> predictedValue(prediction, i, classValues,
                    prediction.multiLabel())));
        }
        if (write.probabilityProperty() != null) {
            columns.add(PropertyWriter.column(write.probabilityProperty(), prediction::probabilities));
        }
        if (write.selfAttentionProperty() != null) {
            int layer = attentionLayer(write.attentionLayer(), prediction.layerCount());
            columns.add(PropertyWriter.column(write.selfAttentionProperty(), i -> {
                int slot = prediction.graph().selfLoopSlot(i);
                return slot < 0 ? null : attentionValue(prediction, layer, slot, write.attentionPerHead());
            }));
        }
        if (write.embeddingProperty() != null) {
            int layer = embeddingLayer(write.embeddingLayer(), prediction.layerCount(), modelName);
            int width = prediction.embeddingWidth(layer);
            float[] embeddings = prediction.embeddings(layer);
            columns.add(PropertyWriter.column(write.embeddingProperty(),
                    i -> java.util.Arrays.copyOfRange(embeddings, i * width, (i + 1) * width)));
        }
        return columns;
    }

    /** The predicted class as the user's label value; for multi-label models the array of predicted values. */
    public static Object predictedValue(Prediction prediction, int node, List<Object> classValues, boolean multiLabel) {
        if (!multiLabel) {
            return classValues.get(prediction.predictedClass(node));
        }
        int[] classes = prediction.predictedClasses(node);
        if (!classValues.isEmpty() && classValues.get(0) instanceof String) {
            String[] values = new String[classes.length];
            for (int k = 0; k < classes.length; k++) {
                values[k] = (String) classValues.get(classes[k]);
            }
            return values;
        }
        long[] values = new long[classes.length];
        for (int k = 0; k < classes.length; k++) {
            values[k] = (Long) classValues.get(classes[k]);
        }
        return values;
    }

    static List<PropertyWriter.Column> attentionColumns(IncomingCsr csr, Prediction prediction,
                                                                WriteConfig write, Orientation orientation) {
        int layer = attentionLayer(write.attentionLayer(), prediction.layerCount());
        boolean perHead = write.attentionPerHead();
        List<PropertyWriter.Column> columns = new ArrayList<>();
        if (orientation != Orientation.UNDIRECTED) {
            columns.add(PropertyWriter.column(write.attentionProperty(),
                    e -> attentionValue(prediction, layer, csr.slotOfEdge(e), perHead)));
        } else if (write.attentionMeanOfDirections()) {
            columns.add(PropertyWriter.column(write.attentionProperty(), e -> {
                int forward = csr.slotOfEdge(e);
                int backward = csr.reverseSlotOfEdge(e) < 0 ? forward : csr.reverseSlotOfEdge(e);
                return meanOfSlots(prediction, layer, forward, backward, perHead);
            }));
        } else {
            columns.add(PropertyWriter.column(write.attentionProperty(),
                    e -> attentionValue(prediction, layer, csr.slotOfEdge(e), perHead)));
            columns.add(PropertyWriter.column(write.reverseAttentionProperty(), e -> {
                int backward = csr.reverseSlotOfEdge(e) < 0 ? csr.slotOfEdge(e) : csr.reverseSlotOfEdge(e);
                return attentionValue(prediction, layer, backward, perHead);
            }));
        }
        return columns;
    }

    /** A slot's attention: heads averaged into a double, or one value per head. */
    public static Object attentionValue(Prediction prediction, int layer, int slot, boolean perHead) {
        if (!perHead) {
            return (double) prediction.meanAttention(layer, slot);
        }
        int heads = prediction.heads(layer);
        double[] values = new double[heads];
        for (int h = 0; h < heads; h++) {
            values[h] = prediction.attention(layer, slot, h);
        }
        return values;
    }

    private static Object meanOfSlots(Prediction prediction, int layer, int a, int b, boolean perHead) {
        if (!perHead) {
            return (prediction.meanAttention(layer, a) + (double) prediction.meanAttention(layer, b)) / 2;
        }
        int heads = prediction.heads(layer);
        double[] values = new double[heads];
        for (int h = 0; h < heads; h++) {
            values[h] = (prediction.attention(layer, a, h) + (double) prediction.attention(layer, b, h)) / 2;
        }
        return values;
    }
}
