package dev.neogat.spec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The architecture of a GAT: {@code layers} attention layers, all but the last "hidden" (heads
 * concatenated or averaged, then ELU), the last producing one score per class (heads averaged).
 * Dropout rates are part of it because they shape training; at inference they are off.
 */
public final class GatConfig {

    private final Variant variant;
    private final int inputDim;
    private final int classCount;
    private final int[] hiddenChannels;
    private final int[] hiddenHeads;
    private final int outputHeads;
    private final boolean concatHidden;
    private final double featureDropout;
    private final double attentionDropout;
    private final double messageDropout;
    private final boolean inputDropoutPerHead;
    private final double negativeSlope;
    private final boolean residual;
    private final boolean multiLabel;
    private final boolean normalizeFeatures;
    private final int edgeDim;

    private GatConfig(Builder b) {
        this.variant = b.variant;
        this.inputDim = b.inputDim;
        this.classCount = b.classCount;
        this.hiddenChannels = b.hiddenChannels;
        this.hiddenHeads = b.hiddenHeads;
        this.outputHeads = b.outputHeads;
        this.concatHidden = b.concatHidden;
        this.featureDropout = b.featureDropout;
        this.attentionDropout = b.attentionDropout;
        this.messageDropout = b.messageDropout;
        this.inputDropoutPerHead = b.inputDropoutPerHead;
        this.negativeSlope = b.negativeSlope;
        this.residual = b.residual;
        this.multiLabel = b.multiLabel;
        this.normalizeFeatures = b.normalizeFeatures;
        this.edgeDim = b.edgeDim;
    }

    public static Builder builder(int inputDim, int classCount) {
        return new Builder(inputDim, classCount);
    }

    public Builder toBuilder() {
        return new Builder(inputDim, classCount)
                .variant(variant)
                .layers(layerCount())
                .hiddenChannels(hiddenChannels.clone())
                .hiddenHeads(hiddenHeads.clone())
                .outputHeads(outputHeads)
                .concatHidden(concatHidden)
                .featureDropout(featureDropout)
                .attentionDropout(attentionDropout)
                .messageDropout(messageDropout)
                .inputDropoutPerHead(inputDropoutPerHead)
                .negativeSlope(negativeSlope)
                .residual(residual)
                .multiLabel(multiLabel)
                .normalizeFeatures(normalizeFeatures)
                .edgeDim(edgeDim);
    }

    public Variant variant() {
        return variant;
    }

    public int inputDim() {
        return inputDim;
    }

    /** Width of the relationship features every layer's edge scores see (PyG's {@code edge_dim}); 0 for none. */
    public int edgeDim() {
        return edgeDim;
    }

    public int classCount() {
        return classCount;
    }

    public int layerCount() {
        return hiddenHeads.length + 1;
    }

    public boolean concatHidden() {
        return concatHidden;
    }

    public int outputHeads() {
        return outputHeads;
    }

    public double featureDropout() {
        return featureDropout;
    }

    public double attentionDropout() {
        return attentionDropout;
    }

    /** Dropout on the projected messages before aggregation, as the reference GAT implementation. */
    public double messageDropout() {
        return messageDropout;
    }

    /** Whether each head drops its input independently (reference GAT) instead of sharing one mask (PyG). */
    public boolean inputDropoutPerHead() {
        return inputDropoutPerHead;
    }

    /**
     * The choice {@code inputDropoutPerHead: 'auto'} (gat.train's default) makes: per head for sparse features,
     * as the GAT paper's reference implementation on bag-of-words input, where it costs one pass over the
     * non-zeros per head; one mask shared by the heads for dense features, so that every head's projection is
     * one product of the whole dense input (per-head masks take about three times as long there, issue 14).
     */
    public static boolean autoInputDropoutPerHead(boolean sparseFeatures) {
        return sparseFeatures;
    }

    public double negativeSlope() {
        return negativeSlope;
    }

    public boolean residual() {
        return residual;
    }

    public boolean multiLabel() {
        return multiLabel;
    }

    public boolean normalizeFeatures() {
        return normalizeFeatures;
    }

    public boolean isOutputLayer(int layer) {
        return layer == layerCount() - 1;
    }

    public int heads(int layer) {
        return isOutputLayer(layer) ? outputHeads : hiddenHeads[layer];
    }

    public int channels(int layer) {
        return isOutputLayer(layer) ? classCount : hiddenChannels[layer];
    }

    public boolean concat(int layer) {
        return !isOutputLayer(layer) && concatHidden;
    }

    public int inputDim(int layer) {
        return layer == 0 ? inputDim : outputDim(layer - 1);
    }

    public int outputDim(int layer) {
        return concat(layer) ? heads(layer) * channels(layer) : channels(layer);
    }

    /** Layer {@code layer} (0 = the one reading the features) as a stand-alone spec. */
    public LayerSpec layer(int layer) {
        return new LayerSpec(variant, inputDim(layer), heads(layer), channels(layer), concat(layer), residual,
                !isOutputLayer(layer), negativeSlope, featureDropout, attentionDropout, messageDropout, edgeDim);
    }

    /** Plain values (strings, numbers, booleans, lists) for JSON and for reporting to users. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("variant", variant.name().toLowerCase());
        map.put("inputDim", inputDim);
        map.put("classCount", classCount);
        map.put("layers", layerCount());
        map.put("hiddenChannels", Arrays.stream(hiddenChannels).boxed().toList());
        map.put("heads", Arrays.stream(hiddenHeads).boxed().toList());
        map.put("outputHeads", outputHeads);
        map.put("concat", concatHidden);
        map.put("dropout", featureDropout);
        map.put("attentionDropout", attentionDropout);
        map.put("messageDropout", messageDropout);
        map.put("inputDropoutPerHead", inputDropoutPerHead);
        map.put("negativeSlope", negativeSlope);
        map.put("residual", residual);
        map.put("multiLabel", multiLabel);
        map.put("normalizeFeatures", normalizeFeatures);
        if (edgeDim > 0) {
            // Only when used, so that models without relationship features keep their stored bytes.
            map.put("edgeDim", edgeDim);
        }
        return map;
    }

    /** Inverse of {@link #toMap()}; a key added after a model was stored (edgeDim) takes its default. */
    public static GatConfig fromMap(Map<String, ?> map) {
        Builder b = builder(intValue(map, "inputDim"), intValue(map, "classCount"))
                .variant(Variant.valueOf(String.valueOf(map.get("variant")).toUpperCase()))
                .layers(intValue(map, "layers"))
                .hiddenChannels(intList(map, "hiddenChannels"))
                .hiddenHeads(intList(map, "heads"))
                .outputHeads(intValue(map, "outputHeads"))
                .concatHidden((Boolean) map.get("concat"))
                .featureDropout(doubleValue(map, "dropout"))
                .attentionDropout(doubleValue(map, "attentionDropout"))
                .messageDropout(doubleValue(map, "messageDropout"))
                .inputDropoutPerHead((Boolean) map.get("inputDropoutPerHead"))
                .negativeSlope(doubleValue(map, "negativeSlope"))
                .residual((Boolean) map.get("residual"))
                .multiLabel((Boolean) map.get("multiLabel"))
                .normalizeFeatures((Boolean) map.get("normalizeFeatures"))
                .edgeDim(map.containsKey("edgeDim") ? intValue(map, "edgeDim") : 0);
        return b.build();
    }

    private static int intValue(Map<String, ?> map, String key) {
        Object value = map.get(key);
        if (!(value instanceof Number number)) {
            throw new IllegalArgumentException("Model configuration lacks the number '" + key + "'");
        }
        return number.intValue();
    }

    private static double doubleValue(Map<String, ?> map, String key) {
        Object value = map.get(key);
        if (!(value instanceof Number number)) {
            throw new IllegalArgumentException("Model configuration lacks the number '" + key + "'");
        }
        return number.doubleValue();
    }

    private static int[] intList(Map<String, ?> map, String key) {
        Object value = map.get(key);
        if (!(value instanceof java.util.List<?> list)) {
            throw new IllegalArgumentException("Model configuration lacks the list '" + key + "'");
        }
        return list.stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GatConfig other && toMap().equals(other.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }

    @Override
    public String toString() {
        return "GatConfig" + toMap();
    }

    /** Defaults are the GAT paper's Cora model: 2 layers, 8 heads of 8 channels, 1 output head, dropout 0.6. */
    public static final class Builder {
        private Variant variant = Variant.GAT;
        private final int inputDim;
        private final int classCount;
        private int layers = 2;
        private int[] hiddenChannels;
        private int[] hiddenHeads;
        private int outputHeads = 1;
        private boolean concatHidden = true;
        private double featureDropout = 0.6;
        private double attentionDropout = 0.6;
        private double messageDropout = 0;
        private boolean inputDropoutPerHead = false;
        private double negativeSlope = 0.2;
        private boolean residual = false;
        private boolean multiLabel = false;
        private boolean normalizeFeatures = false;
        private int edgeDim = 0;
        private int defaultChannels = 8;
        private int defaultHeads = 8;

        private Builder(int inputDim, int classCount) {
            this.inputDim = inputDim;
            this.classCount = classCount;
        }

        public Builder variant(Variant variant) {
            this.variant = variant;
            return this;
        }

        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        /** The same number of channels per head in every hidden layer. */
        public Builder hiddenChannels(int channels) {
            this.hiddenChannels = null;
            this.defaultChannels = channels;
            return this;
        }

        /** Channels per head for each hidden layer (layers - 1 values). */
        public Builder hiddenChannels(int... channels) {
            this.hiddenChannels = channels;
            return this;
        }

        /** The same number of heads in every hidden layer. */
        public Builder hiddenHeads(int heads) {
            this.hiddenHeads = null;
            this.defaultHeads = heads;
            return this;
        }

        /** Heads for each hidden layer (layers - 1 values). */
        public Builder hiddenHeads(int... heads) {
            this.hiddenHeads = heads;
            return this;
        }

        public Builder outputHeads(int outputHeads) {
            this.outputHeads = outputHeads;
            return this;
        }

        public Builder concatHidden(boolean concatHidden) {
            this.concatHidden = concatHidden;
            return this;
        }

        public Builder featureDropout(double featureDropout) {
            this.featureDropout = featureDropout;
            return this;
        }

        public Builder attentionDropout(double attentionDropout) {
            this.attentionDropout = attentionDropout;
            return this;
        }

        public Builder messageDropout(double messageDropout) {
            this.messageDropout = messageDropout;
            return this;
        }

        public Builder inputDropoutPerHead(boolean inputDropoutPerHead) {
            this.inputDropoutPerHead = inputDropoutPerHead;
            return this;
        }

        public Builder dropout(double both) {
            return featureDropout(both).attentionDropout(both);
        }

        public Builder negativeSlope(double negativeSlope) {
            this.negativeSlope = negativeSlope;
            return this;
        }

        public Builder residual(boolean residual) {
            this.residual = residual;
            return this;
        }

        public Builder multiLabel(boolean multiLabel) {
            this.multiLabel = multiLabel;
            return this;
        }

        public Builder normalizeFeatures(boolean normalizeFeatures) {
            this.normalizeFeatures = normalizeFeatures;
            return this;
        }

        /** Width of the relationship features per edge; 0 (the default) for none. */
        public Builder edgeDim(int edgeDim) {
            this.edgeDim = edgeDim;
            return this;
        }

        public GatConfig build() {
            requireAtLeast("inputDim", inputDim, 1);
            requireAtLeast("classCount", classCount, 1);
            requireAtLeast("layers", layers, 1);
            requireAtLeast("outputHeads", outputHeads, 1);
            requireAtLeast("edgeDim", edgeDim, 0);
            int hidden = layers - 1;
            hiddenChannels = perLayer("hiddenChannels", hiddenChannels, defaultChannels, hidden);
            hiddenHeads = perLayer("heads", hiddenHeads, defaultHeads, hidden);
            requireProbability("dropout", featureDropout);
            requireProbability("attentionDropout", attentionDropout);
            requireProbability("messageDropout", messageDropout);
            if (!(negativeSlope >= 0 && negativeSlope <= 1)) {
                throw new IllegalArgumentException("negativeSlope must be in [0, 1], got " + negativeSlope);
            }
            GatConfig config = new GatConfig(this);
            for (int l = 0; l < config.layerCount(); l++) {
                long width = (long) config.heads(l) * config.channels(l);
                if (width > 1 << 20) {
                    throw new IllegalArgumentException("Layer " + l + " would have " + width
                            + " channels over all heads; at most " + (1 << 20));
                }
            }
            return config;
        }

        private static int[] perLayer(String name, int[] values, int defaultValue, int hiddenLayers) {
            int[] result = values;
            if (result == null) {
                result = new int[hiddenLayers];
                Arrays.fill(result, defaultValue);
            }
            if (result.length != hiddenLayers) {
                throw new IllegalArgumentException(name + " lists " + result.length + " values but there are "
                        + hiddenLayers + " hidden layers");
            }
            for (int l = 0; l < result.length; l++) {
                if (result[l] < 1) {
                    throw new IllegalArgumentException(name + " must be at least 1, got " + result[l]
                            + (result.length > 1 ? " for hidden layer " + l : ""));
                }
            }
            return result.clone();
        }

        private static void requireAtLeast(String name, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
            }
        }

        private static void requireProbability(String name, double p) {
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException(name + " must be in [0, 1), got " + p);
            }
        }
    }
}
