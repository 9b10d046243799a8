package dev.neogat.train;

import dev.neogat.graph.TypedGraph;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.TypedLayerSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assembles the chunks of a {@link TypedLayerWiseInference} run into a {@link TypedPrediction}, as
 * {@link TypedInference#run} gives it: the target type's logits, each layer's relation weights, and the attention of
 * every relation and the hidden outputs of every type when asked for.
 */
public final class TypedPredictionCollector implements TypedLayerWiseInference.Consumer {

    private final TypedGatConfig config;
    private final TypedGraph graph;
    private final float[] logits;
    private final List<Map<Relation, float[]>> attention = new ArrayList<>();
    private final List<Map<String, float[]>> embeddings = new ArrayList<>();
    private final List<Map<String, double[]>> relationWeights = new ArrayList<>();
    private final long keptBytes;
    private final ProgressListener progress;

    /** Where a collector passes each chunk's progress on (gat.progress()). */
    @FunctionalInterface
    public interface ProgressListener {
        void progress(long chunksDone, long chunkTotal);
    }

    public TypedPredictionCollector(TypedGatConfig config, TypedGraph graph, Inference.Request request) {
        this(config, graph, request, (done, total) -> {
        });
    }

    /** Keeps what {@code request} asks for and passes each chunk's progress to {@code progress}. */
    public TypedPredictionCollector(TypedGatConfig config, TypedGraph graph, Inference.Request request,
                                    ProgressListener progress) {
        this.progress = progress;
        this.config = config;
        this.graph = graph;
        this.logits = new float[Math.multiplyExact(graph.nodeCount(config.targetType()), config.classCount())];
        long kept = 4L * logits.length;
        for (int l = 0; l < config.layers(); l++) {
            TypedLayerSpec spec = config.layer(l);
            relationWeights.add(new LinkedHashMap<>());
            if (request.attention()) {
                Map<Relation, float[]> byRelation = new LinkedHashMap<>();
                for (Relation r : spec.activeRelations()) {
                    byRelation.put(r, new float[Math.multiplyExact(graph.graph(r).slotCount(), spec.heads())]);
                    kept += 4L * byRelation.get(r).length;
                }
                attention.add(byRelation);
            }
            if (request.embeddings() && !config.isOutputLayer(l)) {
                Map<String, float[]> byType = new LinkedHashMap<>();
                for (String type : spec.outputTypes()) {
                    byType.put(type, new float[Math.multiplyExact(graph.nodeCount(type), spec.outputDim())]);
                    kept += 4L * byType.get(type).length;
                }
                embeddings.add(byType);
            }
        }
        this.keptBytes = kept;
    }

    /** Bytes of the arrays this collector holds: a layer-wise run counts them in its budget. */
    public long keptBytes() {
        return keptBytes;
    }

    @Override
    public void logits(int first, int end, float[] values) {
        System.arraycopy(values, 0, logits, first * config.classCount(), values.length);
    }

    @Override
    public void embeddings(int layer, String type, int first, int end, float[] values) {
        System.arraycopy(values, 0, embeddings.get(layer).get(type), first * config.layer(layer).outputDim(),
                values.length);
    }

    @Override
    public void attention(int layer, Relation relation, int first, int end, int firstSlot, float[] values) {
        System.arraycopy(values, 0, attention.get(layer).get(relation), firstSlot * config.layer(layer).heads(),
                values.length);
    }

    @Override
    public void relationWeights(int layer, String type, double[] weights) {
        relationWeights.get(layer).put(type, weights);
    }

    @Override
    public void progress(long chunksDone, long chunkTotal) {
        progress.progress(chunksDone, chunkTotal);
    }

    public TypedPrediction prediction() {
        return new TypedPrediction(config, graph, logits, attention, embeddings, relationWeights);
    }
}
