package dev.neogat.procedures.write;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.procedures.ProcedureContext;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.load.LoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.train.Prediction;

import java.util.ArrayList;
import java.util.List;

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

    @SuppressWarnings("deprecation")
    public static long write(ProcedureContext context, String modelName, LoadedGraph graph, Prediction prediction,
                             WriteConfig write, List<Object> classValues, Orientation orientation, int concurrency,
                             Jobs.Job job) {
        requireLayersExist(write, prediction.layerCount(), modelName);
        long written = 0;
        List<PropertyWriter.Column> nodeColumns = nodeColumns(prediction, write, classValues, modelName);
        if (!nodeColumns.isEmpty()) {
            job.phase("writing node properties");
            long total = (long) graph.nodeCount() * nodeColumns.size();
            written += PropertyWriter.write(context.db(), graph.nodeCount(),
                    (tx, index) -> tx.getNodeById(graph.nodes().toNeo4j(index)), nodeColumns, write.batchSize(),
                    concurrency, context.guard(), done -> job.progress(done, total));
        }
        if (write.attentionProperty() != null) {
            job.phase("writing relationship properties");
            List<PropertyWriter.Column> columns = attentionColumns(graph.graph(), prediction, write, orientation);
            long total = (long) graph.relationshipCount() * columns.size();
            written += PropertyWriter.write(context.db(), graph.relationshipCount(),
                    (tx, index) -> tx.getRelationshipById(graph.relationshipIds()[index]), columns,
                    write.batchSize(), concurrency, context.guard(), done -> job.progress(done, total));
        }
        return written;
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

    private static List<PropertyWriter.Column> attentionColumns(IncomingCsr csr, Prediction prediction,
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
