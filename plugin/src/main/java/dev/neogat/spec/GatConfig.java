package dev.neogat.spec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.neogat.spec.ArchitectureChecks.requireAtLeast;
import static dev.neogat.spec.ArchitectureChecks.requireNegativeSlope;
import static dev.neogat.spec.ArchitectureChecks.requireProbability;

/**
 * The architecture of a GAT: {@code layers} attention layers, all but the last "hidden" (heads
 * concatenated or averaged, then ELU), the last producing one score per class (heads averaged).
 * Dropout rates are part of it because they shape training; at inference they are off.
 */
public final class GatConfig {

    // The defaults of the builder and of gat.train's keys alike: the GAT paper's Cora model, with dropout where its
    // reference implementation applies it (issue 17: one set of defaults).
    public static final Variant DEFAULT_VARIANT = Variant.GAT;
    public static final int DEFAULT_LAYERS = 2;
    public static final int DEFAULT_HIDDEN_CHANNELS = 8;
    public static final int DEFAULT_HEADS = 8;
    public static final int DEFAULT_OUTPUT_HEADS = 1;
    public static final boolean DEFAULT_CONCAT = true;
    public static final double DEFAULT_DROPOUT = 0.6;
    /** gat.train's attentionDropout and messageDropout follow its dropout; given none, both are this. */
    public static final double DEFAULT_ATTENTION_DROPOUT = DEFAULT_DROPOUT;
    public static final double DEFAULT_MESSAGE_DROPOUT = DEFAULT_DROPOUT;
    public static final double DEFAULT_NEGATIVE_SLOPE = 0.2;
    public static final boolean DEFAULT_RESIDUAL = false;
    public static final boolean DEFAULT_NORMALIZE_FEATURES = true;
    /** inputDropoutPerHead's default: decided by how the features are stored, see {@link #autoInputDropoutPerHead}. */
    public static final String AUTO = "auto";

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
        this.inputDropoutPerHead = b.inputDropoutPerHead != null ? b.inputDropoutPerHead
                : autoInputDropoutPerHead(b.sparseFeatures);
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

    /** Keys every stored model has held since the first model file: without one, the header is not a model's. */
    private static final List<String> KEYS_SINCE_FIRST_VERSION = List.of("variant", "inputDim", "classCount",
            "layers", "hiddenChannels", "heads", "outputHeads", "concat", "dropout", "attentionDropout",
            "negativeSlope", "residual", "multiLabel", "normalizeFeatures");

    /**
     * Keys added after the first model files, each with the value that gives the behaviour of the models written
     * before it existed (not today's default): a model in a user's catalog keeps loading and meaning the same when
     * a key is added. A new key goes here with that value.
     */
    private static final Map<String, Object> KEYS_ADDED_LATER = Map.of(
            // Before messageDropout, the projected messages had no dropout.
            "messageDropout", 0.0,
            // Before inputDropoutPerHead, the heads shared one input dropout mask (as PyG).
            "inputDropoutPerHead", false,
            // Before edgeDim, attention looked at no relationship features.
            "edgeDim", 0);

    /**
     * Inverse of {@link #toMap()}, for the configuration stored with a model: a key added after the model was
     * written gets its {@link #KEYS_ADDED_LATER} value; a key this version does not know (from a newer version)
     * is refused, since the model would not mean what it meant; each wrong value is one error naming its key.
     */
    public static GatConfig fromMap(Map<String, ?> map) {
        for (String key : map.keySet()) {
            if (!KEYS_SINCE_FIRST_VERSION.contains(key) && !KEYS_ADDED_LATER.containsKey(key)) {
                throw new IllegalArgumentException("the model configuration has the key '" + key + "', which this "
                        + "version does not know (the model was written by a newer version of NeoGAT; upgrade to "
                        + "use it)");
            }
        }
        StoredValues stored = new StoredValues(map, KEYS_ADDED_LATER);
        String variant = stored.string("variant");
        Variant parsed = Arrays.stream(Variant.values()).filter(v -> v.name().equalsIgnoreCase(variant)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the model configuration's 'variant' must be one of "
                        + Arrays.toString(Variant.values()).toLowerCase() + ", got '" + variant + "'"));
        return builder(stored.integer("inputDim"), stored.integer("classCount"))
                .variant(parsed)
                .layers(stored.integer("layers"))
                .hiddenChannels(stored.integers("hiddenChannels"))
                .hiddenHeads(stored.integers("heads"))
                .outputHeads(stored.integer("outputHeads"))
                .concatHidden(stored.bool("concat"))
                .featureDropout(stored.number("dropout"))
                .attentionDropout(stored.number("attentionDropout"))
                .messageDropout(stored.number("messageDropout"))
                .inputDropoutPerHead(stored.bool("inputDropoutPerHead"))
                .negativeSlope(stored.number("negativeSlope"))
                .residual(stored.bool("residual"))
                .multiLabel(stored.bool("multiLabel"))
                .normalizeFeatures(stored.bool("normalizeFeatures"))
                .edgeDim(stored.integer("edgeDim"))
                .build();
    }

    /**
     * The stored configuration's values, each checked for its type; an absent later key reads as its old value
     * ({@code addedLater}). Shared with {@link TypedGatConfig#fromMap}.
     */
    record StoredValues(Map<String, ?> map, Map<String, Object> addedLater) {

        private Object value(String key, String expected) {
            Object value = map.containsKey(key) ? map.get(key) : addedLater.get(key);
            if (value == null) {
                throw new IllegalArgumentException(map.containsKey(key)
                        ? "the model configuration's '" + key + "' must be " + expected + ", got null"
                        : "the model configuration lacks '" + key + "' (" + expected + ")");
            }
            return value;
        }

        private IllegalArgumentException wrong(String key, String expected, Object value) {
            return new IllegalArgumentException("the model configuration's '" + key + "' must be " + expected
                    + ", got " + (value instanceof String s ? "the string '" + s + "'" : String.valueOf(value)));
        }

        int integer(String key) {
            Object value = value(key, "an integer");
            if (!isInteger(value)) {
                throw wrong(key, "an integer", value);
            }
            return ((Number) value).intValue();
        }

        int[] integers(String key) {
            Object value = value(key, "a list of integers");
            if (!(value instanceof List<?> list) || !list.stream().allMatch(StoredValues::isInteger)) {
                throw wrong(key, "a list of integers", value);
            }
            return list.stream().mapToInt(v -> ((Number) v).intValue()).toArray();
        }

        double number(String key) {
            Object value = value(key, "a number");
            if (!(value instanceof Number number)) {
                throw wrong(key, "a number", value);
            }
            return number.doubleValue();
        }

        boolean bool(String key) {
            Object value = value(key, "true or false");
            if (!(value instanceof Boolean b)) {
                throw wrong(key, "true or false", value);
            }
            return b;
        }

        String string(String key) {
            Object value = value(key, "a string");
            if (!(value instanceof String s)) {
                throw wrong(key, "a string", value);
            }
            return s;
        }

        private static boolean isInteger(Object value) {
            return value instanceof Long || value instanceof Integer;
        }
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

    /** Starts from the {@code DEFAULT_*} values; inputDropoutPerHead is 'auto' until set. */
    public static final class Builder implements TunableBuilder<Builder> {
        private Variant variant = DEFAULT_VARIANT;
        private final int inputDim;
        private final int classCount;
        private int layers = DEFAULT_LAYERS;
        private int[] hiddenChannels;
        private int[] hiddenHeads;
        private int outputHeads = DEFAULT_OUTPUT_HEADS;
        private boolean concatHidden = DEFAULT_CONCAT;
        private double featureDropout = DEFAULT_DROPOUT;
        private double attentionDropout = DEFAULT_ATTENTION_DROPOUT;
        private double messageDropout = DEFAULT_MESSAGE_DROPOUT;
        /** null: 'auto', decided at build from {@link #sparseFeatures}. */
        private Boolean inputDropoutPerHead;
        private boolean sparseFeatures;
        private double negativeSlope = DEFAULT_NEGATIVE_SLOPE;
        private boolean residual = DEFAULT_RESIDUAL;
        private boolean multiLabel = false;
        private boolean normalizeFeatures = DEFAULT_NORMALIZE_FEATURES;
        private int edgeDim = 0;
        private int defaultChannels = DEFAULT_HIDDEN_CHANNELS;
        private int defaultHeads = DEFAULT_HEADS;

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

        /** How the features are stored, which decides inputDropoutPerHead while it is left at 'auto'. */
        public Builder sparseFeatures(boolean sparseFeatures) {
            this.sparseFeatures = sparseFeatures;
            return this;
        }

        /** The three dropouts at once, as gat.train's dropout when the attention and message dropouts are not given. */
        public Builder dropout(double all) {
            return featureDropout(all).attentionDropout(all).messageDropout(all);
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
            requireNegativeSlope(negativeSlope);
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
    }
}
