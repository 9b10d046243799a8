package dev.neogat.procedures.config;

import dev.neogat.graph.Orientation;

import java.util.ArrayList;
import java.util.List;

/**
 * What to write back and how: node properties for the predicted class and the class probabilities,
 * relationship properties for attention (one layer, heads averaged into a float or kept as a float[];
 * on an undirected projection either one property per direction or their mean), the self-loop
 * attention as a node property, hidden embeddings as a node property, and the batch size and
 * concurrency of the writing transactions.
 */
public record WriteConfig(String writeProperty, String probabilityProperty, String attentionProperty,
                          String selfAttentionProperty, String embeddingProperty, int attentionLayer,
                          boolean attentionPerHead, boolean attentionMeanOfDirections, int embeddingLayer,
                          int batchSize) {

    public static final List<String> KEYS = TrainKeys.names(TrainKeys.WRITE);

    /** Layers are 0-based; -1 (the default) means the last attention layer or the last hidden layer. */
    public static WriteConfig read(ConfigMap config) {
        String write = TrainKeys.WRITE_PROPERTY.read(config);
        String probability = TrainKeys.PROBABILITY_PROPERTY.read(config);
        String attention = TrainKeys.ATTENTION_PROPERTY.read(config);
        String selfAttention = TrainKeys.SELF_ATTENTION_PROPERTY.read(config);
        String embedding = TrainKeys.EMBEDDING_PROPERTY.read(config);
        int attentionLayer = TrainKeys.ATTENTION_LAYER.read(config);
        boolean perHead = attentionPerHead(config, TrainKeys.ATTENTION_HEADS.defaultValue());
        boolean meanOfDirections = "mean".equals(TrainKeys.ATTENTION_DIRECTIONS.read(config));
        int embeddingLayer = TrainKeys.EMBEDDING_LAYER.read(config);
        int batchSize = batchSize(config);
        return new WriteConfig(write, probability, attention, selfAttention, embedding, attentionLayer, perHead,
                meanOfDirections, embeddingLayer, batchSize);
    }

    /** {@code attentionHeads}: true for 'all' (a value per head), false for 'mean' (heads averaged). */
    public static boolean attentionPerHead(ConfigMap config, String defaultHeads) {
        return "all".equals(TrainKeys.ATTENTION_HEADS.read(config, defaultHeads));
    }

    /** {@code writeBatchSize}: properties written per transaction. */
    public static int batchSize(ConfigMap config) {
        return TrainKeys.WRITE_BATCH_SIZE.read(config);
    }

    public boolean writesAnything() {
        return writeProperty != null || probabilityProperty != null || attentionProperty != null
                || selfAttentionProperty != null || embeddingProperty != null;
    }

    /**
     * Every property this configuration writes, with its key: on a projection of {@code orientation}, the
     * attention's {@code Reverse} twin is written when both directions are kept apart.
     */
    public List<RunProperties.Named> outputs(Orientation orientation) {
        List<RunProperties.Named> outputs = new ArrayList<>();
        add(outputs, "writeProperty", writeProperty);
        add(outputs, "probabilityProperty", probabilityProperty);
        add(outputs, "selfAttentionProperty", selfAttentionProperty);
        add(outputs, "embeddingProperty", embeddingProperty);
        add(outputs, "attentionProperty", attentionProperty);
        if (attentionProperty != null && orientation == Orientation.UNDIRECTED && !attentionMeanOfDirections) {
            add(outputs, "attentionProperty + Reverse", reverseAttentionProperty());
        }
        return outputs;
    }

    private static void add(List<RunProperties.Named> outputs, String key, String property) {
        if (property != null) {
            outputs.add(new RunProperties.Named(key, property));
        }
    }

    /** Property for the attention a stored relationship's source gives its target (undirected, separate). */
    public String reverseAttentionProperty() {
        return attentionProperty + "Reverse";
    }
}
