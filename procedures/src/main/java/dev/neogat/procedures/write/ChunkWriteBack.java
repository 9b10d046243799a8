package dev.neogat.procedures.write;

import dev.neogat.graph.Orientation;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.load.LoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.spec.GatConfig;
import dev.neogat.train.LayerWiseInference;
import dev.neogat.train.Prediction;
import dev.neogat.train.PredictionCollector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The write-back of a {@link LayerWiseInference} run, done as it computes: each chunk's node properties (predicted
 * class and probabilities from the last layer, the embedding of its hidden layer, the self-loop attention of its
 * layer) are committed as soon as the chunk is done, the same values {@link WriteBack} writes. Relationship attention
 * needs both directions of an undirected relationship, which lie in different chunks, and is written in cells of
 * disjoint end nodes to avoid deadlocks; so the one layer it comes from is kept ([slots, heads]) and written after the
 * last chunk.
 */
public final class ChunkWriteBack implements LayerWiseInference.Consumer {

    private final ProcedureContext context;
    private final String modelName;
    private final LoadedGraph graph;
    private final GatConfig config;
    private final WriteConfig write;
    private final Orientation orientation;
    private final int concurrency;
    private final Jobs.Job job;
    private final int attentionLayer;
    private final int embeddingLayer;
    private final List<PropertyWriter.Column> predictionColumns = new ArrayList<>();
    private final List<PropertyWriter.Column> embeddingColumns = new ArrayList<>();
    private final List<PropertyWriter.Column> selfAttentionColumns = new ArrayList<>();
    private final PredictionCollector relationshipAttention;
    private final WriteTally tally = new WriteTally();
    private long writeNanos;

    /** The chunk being written: its first node, and its rows (node properties read them by index in the chunk). */
    private int chunkFirst;
    private Prediction chunkLogits;
    private float[] chunkRows;
    private int chunkFirstSlot;

    public ChunkWriteBack(ProcedureContext context, String modelName, LoadedGraph graph, GatConfig config,
                          WriteConfig write, List<Object> classValues, Orientation orientation, int concurrency,
                          Jobs.Job job) {
        WriteBack.requireLayersExist(write, config.layerCount(), modelName);
        this.context = context;
        this.modelName = modelName;
        this.graph = graph;
        this.config = config;
        this.write = write;
        this.orientation = orientation;
        this.concurrency = concurrency;
        this.job = job;
        boolean attention = write.attentionProperty() != null || write.selfAttentionProperty() != null;
        this.attentionLayer = attention ? WriteBack.attentionLayer(write.attentionLayer(), config.layerCount()) : -1;
        this.embeddingLayer = write.embeddingProperty() == null ? -1
                : WriteBack.embeddingLayer(write.embeddingLayer(), config.layerCount(), modelName);
        if (write.writeProperty() != null) {
            predictionColumns.add(PropertyWriter.column(write.writeProperty(), i -> WriteBack.predictedValue(
                    chunkLogits, i, classValues, config.multiLabel())));
        }
        if (write.probabilityProperty() != null) {
            predictionColumns.add(PropertyWriter.column(write.probabilityProperty(), i -> chunkLogits.probabilities(i)));
        }
        if (write.embeddingProperty() != null) {
            int width = config.outputDim(embeddingLayer);
            embeddingColumns.add(PropertyWriter.column(write.embeddingProperty(),
                    i -> Arrays.copyOfRange(chunkRows, i * width, (i + 1) * width)));
        }
        if (write.selfAttentionProperty() != null) {
            selfAttentionColumns.add(PropertyWriter.column(write.selfAttentionProperty(), this::selfAttention));
        }
        boolean[] keep = new boolean[config.layerCount()];
        if (write.attentionProperty() != null) {
            keep[attentionLayer] = true;
        }
        relationshipAttention = write.attentionProperty() == null ? null
                : new PredictionCollector(config, graph.graph(), keep, new boolean[config.layerCount()]);
        tally.expect("nodes", predictionColumns);
        tally.expect("nodes", embeddingColumns);
        tally.expect("nodes", selfAttentionColumns);
    }

    /** Whether the run must hand over attention, embeddings: a {@link dev.neogat.train.Inference.Request}. */
    public boolean needsAttention() {
        return attentionLayer >= 0;
    }

    public boolean needsEmbeddings() {
        return embeddingLayer >= 0;
    }

    @Override
    public void logits(int first, int end, float[] values) {
        chunkLogits = Prediction.ofLogits(config, values);
        writeNodes(first, end, predictionColumns);
        chunkLogits = null;
    }

    @Override
    public void embeddings(int layer, int first, int end, float[] values) {
        if (layer == embeddingLayer) {
            chunkRows = values;
            writeNodes(first, end, embeddingColumns);
            chunkRows = null;
        }
    }

    @Override
    public void attention(int layer, int first, int end, int firstSlot, float[] values) {
        if (layer != attentionLayer) {
            return;
        }
        if (relationshipAttention != null) {
            relationshipAttention.attention(layer, first, end, firstSlot, values);
        }
        chunkRows = values;
        chunkFirstSlot = firstSlot;
        writeNodes(first, end, selfAttentionColumns);
        chunkRows = null;
    }

    @Override
    public void progress(long chunksDone, long chunkTotal) {
        job.progress(chunksDone, chunkTotal);
    }

    /** Writes the relationship attention kept from the run; returns what the whole write-back did. */
    public WriteBack.Summary finish() {
        if (relationshipAttention != null) {
            long start = System.nanoTime();
            List<PropertyWriter.Column> columns = WriteBack.attentionColumns(graph.graph(),
                    relationshipAttention.prediction(), write, orientation);
            tally.expect("relationships", columns);
            WriteBack.writeRelationships(context, modelName, graph, columns, write, concurrency, job, tally);
            writeNanos += System.nanoTime() - start;
        }
        return WriteBack.summary(context, modelName, tally);
    }

    /** Time spent writing, in milliseconds. */
    public long writeMillis() {
        return writeNanos / 1_000_000;
    }

    /** The self-loop attention of node {@code chunkFirst + index} from the chunk's attention rows. */
    private Object selfAttention(int index) {
        int slot = graph.graph().selfLoopSlot(chunkFirst + index);
        if (slot < 0) {
            return null;
        }
        int heads = config.heads(attentionLayer);
        int row = slot - chunkFirstSlot;
        if (!write.attentionPerHead()) {
            return (double) Prediction.meanAttention(chunkRows, row, heads);
        }
        double[] values = new double[heads];
        for (int h = 0; h < heads; h++) {
            values[h] = chunkRows[row * heads + h];
        }
        return values;
    }

    @SuppressWarnings("deprecation")
    private void writeNodes(int first, int end, List<PropertyWriter.Column> columns) {
        if (columns.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        chunkFirst = first;
        PropertyWriter.writeNodes(context.db(), end - first,
                (tx, index) -> tx.getNodeById(graph.nodes().toNeo4j(first + index)), columns, write.batchSize(),
                concurrency, context.guard(), tally, retriesOnly());
        writeNanos += System.nanoTime() - start;
    }

    /** Progress here counts chunks; a write only reports its retries. */
    private PropertyWriter.Listener retriesOnly() {
        PropertyWriter.Listener full = WriteBack.progress(job, "predicting and writing layer by layer", 1,
                context.log(), modelName);
        return new PropertyWriter.Listener() {
            @Override
            public void written(long propertiesSoFar) {
            }

            @Override
            public void retried(long retriesSoFar, RuntimeException cause) {
                full.retried(retriesSoFar, cause);
            }
        };
    }
}
