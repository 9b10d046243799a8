package dev.neogat.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.neogat.spec.ArchitectureChecks.requireAtLeast;
import static dev.neogat.spec.ArchitectureChecks.requireProbability;

/**
 * The architecture of a typed GAT: {@code layers} typed layers ({@link TypedLayerSpec}) over the node types
 * (with their input feature widths) and relations of a typed graph, the last producing one score per class
 * for the nodes of {@code targetType} (heads averaged), the others an output for every node type (heads
 * concatenated or averaged, then ELU). Each relation is a GAT or GATv2 ({@code variant}); the relations
 * into a type are combined by {@code aggregation}. Dropout rates, slope, residual and multi-label mean what
 * they mean in {@link GatConfig}. {@code edgeDims}: the width of each relation's relationship features, which
 * every layer's scores of that relation see (a relation it does not name has none). {@code featureless}: the
 * node types without features, whose input is learned ({@link FeaturelessInput}); their input width is the
 * learned vector's. {@code normalizeFeatures}: each node type's feature rows are scaled to sum to 1 before the
 * first layer, in training and in every later run of the model, as {@link GatConfig#normalizeFeatures()}.
 */
public record TypedGatConfig(Map<String, Integer> inputWidths, List<Relation> relations, String targetType,
                             int classCount, Variant variant, int layers, int hiddenChannels, int hiddenHeads,
                             int outputHeads, boolean concatHidden, double featureDropout, double attentionDropout,
                             double messageDropout, double negativeSlope, boolean residual, boolean multiLabel,
                             RelationAggregation aggregation, int semanticDim, Map<Relation, Integer> edgeDims,
                             Map<String, FeaturelessInput> featureless, boolean normalizeFeatures) {

    /** HAN's semantic attention vector size. */
    public static final int DEFAULT_SEMANTIC_DIM = 128;

    /** The width of a featureless type's learned input vector unless given. */
    public static final int DEFAULT_FEATURELESS_WIDTH = 64;

    public TypedGatConfig {
        inputWidths = Collections.unmodifiableMap(new LinkedHashMap<>(inputWidths));
        relations = List.copyOf(relations);
        edgeDims = Collections.unmodifiableMap(new LinkedHashMap<>(edgeDims));
        featureless = Collections.unmodifiableMap(new LinkedHashMap<>(featureless));
        if (inputWidths.isEmpty()) {
            throw new IllegalArgumentException("A typed model needs at least one node type");
        }
        for (Map.Entry<String, FeaturelessInput> e : featureless.entrySet()) {
            TypedLayerSpec.requireType(inputWidths, e.getKey(), "featureless node type");
            if (inputWidths.get(e.getKey()) != e.getValue().width()) {
                throw new IllegalArgumentException("The featureless node type '" + e.getKey() + "' learns inputs of "
                        + e.getValue().width() + " values but its input width is " + inputWidths.get(e.getKey()));
            }
        }
        TypedLayerSpec.requireType(inputWidths, targetType, "target type");
        requireAtLeast("classCount", classCount, 1);
        requireAtLeast("layers", layers, 1);
        requireAtLeast("hiddenChannels", hiddenChannels, 1);
        requireAtLeast("heads", hiddenHeads, 1);
        requireAtLeast("outputHeads", outputHeads, 1);
        requireProbability("dropout", featureDropout);
        requireProbability("attentionDropout", attentionDropout);
        requireProbability("messageDropout", messageDropout);
        if (aggregation == null) {
            throw new IllegalArgumentException("relationAggregation must be given");
        }
        if (variant == null) {
            throw new IllegalArgumentException("The attention variant must be given");
        }
        // The fields are assigned after this block; check every layer's spec from the arguments.
        for (int l = 0; l < layers; l++) {
            layerSpec(inputWidths, relations, targetType, classCount, variant, layers, hiddenChannels, hiddenHeads,
                    outputHeads, concatHidden, featureDropout, attentionDropout, messageDropout, negativeSlope,
                    residual, aggregation, semanticDim, edgeDims, l);
        }
    }

    /** A model that reads its features as given. */
    public TypedGatConfig(Map<String, Integer> inputWidths, List<Relation> relations, String targetType,
                          int classCount, Variant variant, int layers, int hiddenChannels, int hiddenHeads,
                          int outputHeads, boolean concatHidden, double featureDropout, double attentionDropout,
                          double messageDropout, double negativeSlope, boolean residual, boolean multiLabel,
                          RelationAggregation aggregation, int semanticDim, Map<Relation, Integer> edgeDims,
                          Map<String, FeaturelessInput> featureless) {
        this(inputWidths, relations, targetType, classCount, variant, layers, hiddenChannels, hiddenHeads,
                outputHeads, concatHidden, featureDropout, attentionDropout, messageDropout, negativeSlope, residual,
                multiLabel, aggregation, semanticDim, edgeDims, featureless, false);
    }

    /** A model whose node types all have features. */
    public TypedGatConfig(Map<String, Integer> inputWidths, List<Relation> relations, String targetType,
                          int classCount, Variant variant, int layers, int hiddenChannels, int hiddenHeads,
                          int outputHeads, boolean concatHidden, double featureDropout, double attentionDropout,
                          double messageDropout, double negativeSlope, boolean residual, boolean multiLabel,
                          RelationAggregation aggregation, int semanticDim, Map<Relation, Integer> edgeDims) {
        this(inputWidths, relations, targetType, classCount, variant, layers, hiddenChannels, hiddenHeads,
                outputHeads, concatHidden, featureDropout, attentionDropout, messageDropout, negativeSlope, residual,
                multiLabel, aggregation, semanticDim, edgeDims, Map.of());
    }

    /** A model whose relations have no relationship features. */
    public TypedGatConfig(Map<String, Integer> inputWidths, List<Relation> relations, String targetType,
                          int classCount, Variant variant, int layers, int hiddenChannels, int hiddenHeads,
                          int outputHeads, boolean concatHidden, double featureDropout, double attentionDropout,
                          double messageDropout, double negativeSlope, boolean residual, boolean multiLabel,
                          RelationAggregation aggregation, int semanticDim) {
        this(inputWidths, relations, targetType, classCount, variant, layers, hiddenChannels, hiddenHeads,
                outputHeads, concatHidden, featureDropout, attentionDropout, messageDropout, negativeSlope, residual,
                multiLabel, aggregation, semanticDim, Map.of());
    }

    /** A builder holding every value of this configuration. */
    public Builder toBuilder() {
        Builder builder = new Builder(inputWidths, relations, targetType, classCount);
        edgeDims.forEach(builder::edgeDim);
        featureless.forEach(builder::featureless);
        return builder.variant(variant).layers(layers).hiddenChannels(hiddenChannels).hiddenHeads(hiddenHeads)
                .outputHeads(outputHeads).concatHidden(concatHidden).featureDropout(featureDropout)
                .attentionDropout(attentionDropout).messageDropout(messageDropout).negativeSlope(negativeSlope)
                .residual(residual).multiLabel(multiLabel).aggregation(aggregation).semanticDim(semanticDim)
                .normalizeFeatures(normalizeFeatures);
    }

    /** The width of a relation's relationship features; 0 for none. */
    public int edgeDim(Relation relation) {
        return edgeDims.getOrDefault(relation, 0);
    }

    public static Builder builder(Map<String, Integer> inputWidths, List<Relation> relations, String targetType,
                                  int classCount) {
        return new Builder(inputWidths, relations, targetType, classCount);
    }

    public List<String> nodeTypes() {
        return List.copyOf(inputWidths.keySet());
    }

    public boolean isOutputLayer(int layer) {
        return layer == layers - 1;
    }

    /** Layer {@code layer} (0 reads the features): every node type's output, the last only the target type's. */
    public TypedLayerSpec layer(int layer) {
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("Layer " + layer + " outside [0, " + layers + ")");
        }
        return layerSpec(inputWidths, relations, targetType, classCount, variant, layers, hiddenChannels, hiddenHeads,
                outputHeads, concatHidden, featureDropout, attentionDropout, messageDropout, negativeSlope, residual,
                aggregation, semanticDim, edgeDims, layer);
    }

    private static TypedLayerSpec layerSpec(Map<String, Integer> inputWidths, List<Relation> relations,
                                            String targetType, int classCount, Variant variant, int layers,
                                            int hiddenChannels, int hiddenHeads, int outputHeads,
                                            boolean concatHidden, double featureDropout, double attentionDropout,
                                            double messageDropout, double negativeSlope, boolean residual,
                                            RelationAggregation aggregation, int semanticDim,
                                            Map<Relation, Integer> edgeDims, int layer) {
        boolean last = layer == layers - 1;
        int hiddenOutputDim = concatHidden ? hiddenHeads * hiddenChannels : hiddenChannels;
        Map<String, Integer> widths = new LinkedHashMap<>();
        for (String type : inputWidths.keySet()) {
            widths.put(type, layer == 0 ? inputWidths.get(type) : hiddenOutputDim);
        }
        List<String> outputs = last ? List.of(targetType) : List.copyOf(inputWidths.keySet());
        return new TypedLayerSpec(variant, widths, relations, outputs, last ? outputHeads : hiddenHeads,
                last ? classCount : hiddenChannels, !last && concatHidden, residual, !last, negativeSlope,
                featureDropout, attentionDropout, messageDropout, aggregation, semanticDim, edgeDims);
    }

    /** Name prefix of layer {@code l}'s parameters, as in the untyped model. */
    public static String layerPrefix(int layer) {
        return ParameterShape.layerPrefix(layer);
    }

    /**
     * The configuration as plain values (for the model file's header): node types with their input widths in
     * order, relations as {source, name, target} in order, and the scalar settings as {@link GatConfig#toMap()}
     * names them.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("variant", variant.name().toLowerCase(java.util.Locale.ROOT));
        map.put("nodeTypes", new LinkedHashMap<>(inputWidths));
        List<Map<String, Object>> relationList = new ArrayList<>();
        for (Relation r : relations) {
            Map<String, Object> relation = new LinkedHashMap<>();
            relation.put("source", r.sourceType());
            relation.put("name", r.name());
            relation.put("target", r.targetType());
            relationList.add(relation);
        }
        map.put("relations", relationList);
        map.put("targetType", targetType);
        map.put("classCount", classCount);
        map.put("layers", layers);
        map.put("hiddenChannels", hiddenChannels);
        map.put("heads", hiddenHeads);
        map.put("outputHeads", outputHeads);
        map.put("concat", concatHidden);
        map.put("dropout", featureDropout);
        map.put("attentionDropout", attentionDropout);
        map.put("messageDropout", messageDropout);
        map.put("negativeSlope", negativeSlope);
        map.put("residual", residual);
        map.put("multiLabel", multiLabel);
        map.put("relationAggregation", aggregation.key());
        map.put("semanticDim", semanticDim);
        if (edgeDims.values().stream().anyMatch(d -> d > 0)) {
            Map<String, Object> widths = new LinkedHashMap<>();
            edgeDims.forEach((relation, width) -> widths.put(relation.key(), width));
            map.put("edgeDims", widths);
        }
        if (!featureless.isEmpty()) {
            Map<String, Object> inputs = new LinkedHashMap<>();
            featureless.forEach((type, input) -> {
                Map<String, Object> stored = new LinkedHashMap<>();
                stored.put("mode", input.mode().key());
                stored.put("width", input.width());
                stored.put("nodeCount", input.nodeCount());
                inputs.put(type, stored);
            });
            map.put("featureless", inputs);
        }
        // Written only when set, so a model that reads its features as given keeps the file older versions read.
        if (normalizeFeatures) {
            map.put("normalizeFeatures", true);
        }
        return map;
    }

    /** Keys every stored typed model has held since typed models were first stored. */
    private static final List<String> KEYS_SINCE_FIRST_VERSION = List.of("variant", "nodeTypes", "relations",
            "targetType", "classCount", "layers", "hiddenChannels", "heads", "outputHeads", "concat", "dropout",
            "attentionDropout", "messageDropout", "negativeSlope", "residual", "multiLabel", "relationAggregation",
            "semanticDim");

    /**
     * Keys added after the first typed model files, each with the value that gives the behaviour of the models
     * written before it (as {@link GatConfig}'s). A new key goes here with that value.
     */
    private static final Map<String, Object> KEYS_ADDED_LATER = Map.of(
            // Without edgeDims (written only when a relation has relationship features), no relation has any.
            "edgeDims", Map.of(),
            // Without featureless (written only when a node type learns its input), every type has features.
            "featureless", Map.of(),
            // Typed models read their features as given before normalizeFeatures applied to them.
            "normalizeFeatures", false);

    /**
     * Inverse of {@link #toMap()}, with {@link GatConfig#fromMap}'s rules: a key added after the model was written
     * gets its old behaviour's value, a key this version does not know is refused, each wrong value is one error
     * naming its key.
     */
    public static TypedGatConfig fromMap(Map<String, ?> map) {
        for (String key : map.keySet()) {
            if (!KEYS_SINCE_FIRST_VERSION.contains(key) && !KEYS_ADDED_LATER.containsKey(key)) {
                throw new IllegalArgumentException("the typed model configuration has the key '" + key + "', which "
                        + "this version does not know (the model was written by a newer version of NeoGAT; upgrade "
                        + "to use it)");
            }
        }
        GatConfig.StoredValues stored = new GatConfig.StoredValues(map, KEYS_ADDED_LATER);
        String variant = stored.string("variant");
        Variant parsed = java.util.Arrays.stream(Variant.values()).filter(v -> v.name().equalsIgnoreCase(variant))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("the model configuration's 'variant' "
                        + "must be one of " + java.util.Arrays.toString(Variant.values()).toLowerCase(
                        java.util.Locale.ROOT) + ", got '" + variant + "'"));
        List<Relation> relations = relations(map.get("relations"));
        Builder builder = builder(nodeTypes(map.get("nodeTypes")), relations, stored.string("targetType"),
                stored.integer("classCount"));
        edgeDims(map.get("edgeDims"), relations).forEach(builder::edgeDim);
        featureless(map.get("featureless")).forEach(builder::featureless);
        return builder
                .variant(parsed)
                .layers(stored.integer("layers"))
                .hiddenChannels(stored.integer("hiddenChannels"))
                .hiddenHeads(stored.integer("heads"))
                .outputHeads(stored.integer("outputHeads"))
                .concatHidden(stored.bool("concat"))
                .featureDropout(stored.number("dropout"))
                .attentionDropout(stored.number("attentionDropout"))
                .messageDropout(stored.number("messageDropout"))
                .negativeSlope(stored.number("negativeSlope"))
                .residual(stored.bool("residual"))
                .multiLabel(stored.bool("multiLabel"))
                .aggregation(RelationAggregation.parse(stored.string("relationAggregation")))
                .semanticDim(stored.integer("semanticDim"))
                .normalizeFeatures(stored.bool("normalizeFeatures"))
                .build();
    }

    /** The stored relationship-feature widths by relation key, for relations of this model only. */
    private static Map<Relation, Integer> edgeDims(Object value, List<Relation> relations) {
        Map<Relation, Integer> widths = new LinkedHashMap<>();
        if (value == null) {
            return widths;
        }
        if (!(value instanceof Map<?, ?> given)) {
            throw new IllegalArgumentException("the model configuration's 'edgeDims' must be a map from relation to "
                    + "width, got " + value);
        }
        given.forEach((key, width) -> {
            Relation relation = relations.stream().filter(r -> r.key().equals(key)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the model configuration's 'edgeDims' names '"
                            + key + "', which is none of its relations"));
            if (!(width instanceof Long || width instanceof Integer)) {
                throw new IllegalArgumentException("the model configuration's 'edgeDims." + key + "' must be an "
                        + "integer width, got " + width);
            }
            widths.put(relation, ((Number) width).intValue());
        });
        return widths;
    }

    /** The stored learned inputs by node type. */
    private static Map<String, FeaturelessInput> featureless(Object value) {
        Map<String, FeaturelessInput> inputs = new LinkedHashMap<>();
        if (value == null) {
            return inputs;
        }
        if (!(value instanceof Map<?, ?> given)) {
            throw new IllegalArgumentException("the model configuration's 'featureless' must be a map from node type "
                    + "to {mode, width, nodeCount}, got " + value);
        }
        given.forEach((type, stored) -> {
            if (!(stored instanceof Map<?, ?> input)
                    || !(input.get("mode") instanceof String mode)
                    || !(input.get("width") instanceof Long || input.get("width") instanceof Integer)
                    || !(input.get("nodeCount") instanceof Long || input.get("nodeCount") instanceof Integer)
                    || input.size() != 3) {
                throw new IllegalArgumentException("the model configuration's 'featureless." + type + "' must be "
                        + "{mode, width, nodeCount}, got " + stored);
            }
            FeaturelessInput.Mode parsed = java.util.Arrays.stream(FeaturelessInput.Mode.values())
                    .filter(m -> m.key().equals(mode)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the model configuration's 'featureless." + type
                            + ".mode' must be 'label' or 'node', got '" + mode + "'"));
            inputs.put(String.valueOf(type), new FeaturelessInput(parsed, ((Number) input.get("width")).intValue(),
                    ((Number) input.get("nodeCount")).intValue()));
        });
        return inputs;
    }

    private static Map<String, Integer> nodeTypes(Object value) {
        if (!(value instanceof Map<?, ?> types) || types.isEmpty()) {
            throw new IllegalArgumentException("the model configuration's 'nodeTypes' must be a map from node type to "
                    + "input width, got " + value);
        }
        Map<String, Integer> widths = new LinkedHashMap<>();
        types.forEach((type, width) -> {
            if (!(width instanceof Long || width instanceof Integer)) {
                throw new IllegalArgumentException("the model configuration's 'nodeTypes." + type + "' must be an "
                        + "integer width, got " + width);
            }
            widths.put(String.valueOf(type), ((Number) width).intValue());
        });
        return widths;
    }

    private static List<Relation> relations(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("the model configuration's 'relations' must be a list of {source, "
                    + "name, target}, got " + value);
        }
        List<Relation> relations = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> relation)
                    || !(relation.get("source") instanceof String source)
                    || !(relation.get("name") instanceof String name)
                    || !(relation.get("target") instanceof String target)
                    || relation.size() != 3) {
                throw new IllegalArgumentException("the model configuration's 'relations[" + i + "]' must be "
                        + "{source, name, target} of strings, got " + list.get(i));
            }
            relations.add(new Relation(source, name, target));
        }
        return relations;
    }

    /**
     * Defaults as {@link GatConfig.Builder}'s: 2 layers, 8 heads of 8 channels, dropout 0.6, sum over relations;
     * except that features are read as given unless {@link #normalizeFeatures} says otherwise (gat.train sets it
     * from its key, whose default normalises).
     */
    public static final class Builder implements TunableBuilder<Builder> {
        private final Map<String, Integer> inputWidths;
        private final List<Relation> relations;
        private final String targetType;
        private final int classCount;
        private Variant variant = Variant.GAT;
        private int layers = 2;
        private int hiddenChannels = 8;
        private int hiddenHeads = 8;
        private int outputHeads = 1;
        private boolean concatHidden = true;
        private double featureDropout = 0.6;
        private double attentionDropout = 0.6;
        private double messageDropout = 0;
        private double negativeSlope = 0.2;
        private boolean residual = false;
        private boolean multiLabel = false;
        private RelationAggregation aggregation = RelationAggregation.SUM;
        private int semanticDim = DEFAULT_SEMANTIC_DIM;
        private final Map<Relation, Integer> edgeDims = new LinkedHashMap<>();
        private boolean normalizeFeatures = false;

        private final Map<String, FeaturelessInput> featureless = new LinkedHashMap<>();

        private Builder(Map<String, Integer> inputWidths, List<Relation> relations, String targetType,
                        int classCount) {
            this.inputWidths = new LinkedHashMap<>(inputWidths);
            this.relations = relations;
            this.targetType = targetType;
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

        public Builder hiddenChannels(int hiddenChannels) {
            this.hiddenChannels = hiddenChannels;
            return this;
        }

        public Builder hiddenHeads(int hiddenHeads) {
            this.hiddenHeads = hiddenHeads;
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

        /** Sets feature and attention dropout alike. */
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

        public Builder aggregation(RelationAggregation aggregation) {
            this.aggregation = aggregation;
            return this;
        }

        public Builder semanticDim(int semanticDim) {
            this.semanticDim = semanticDim;
            return this;
        }

        /** Scale each node type's feature rows to sum to 1 before the first layer. */
        public Builder normalizeFeatures(boolean normalizeFeatures) {
            this.normalizeFeatures = normalizeFeatures;
            return this;
        }

        /** Relationship features of {@code edgeDim} values per edge of {@code relation} (0: none). */
        public Builder edgeDim(Relation relation, int edgeDim) {
            edgeDims.put(relation, edgeDim);
            return this;
        }

        /**
         * Node type {@code type} has no features and learns its input: its input width becomes the learned
         * vector's (the type is added to the input widths when they lack it; a different width given there is an
         * error).
         */
        public Builder featureless(String type, FeaturelessInput input) {
            Integer given = inputWidths.get(type);
            if (given != null && given != input.width()) {
                throw new IllegalArgumentException("The featureless node type '" + type + "' learns inputs of "
                        + input.width() + " values but its input width is given as " + given);
            }
            inputWidths.put(type, input.width());
            featureless.put(type, input);
            return this;
        }

        public TypedGatConfig build() {
            return new TypedGatConfig(inputWidths, relations, targetType, classCount, variant, layers, hiddenChannels,
                    hiddenHeads, outputHeads, concatHidden, featureDropout, attentionDropout, messageDropout,
                    negativeSlope, residual, multiLabel, aggregation, semanticDim, edgeDims, featureless,
                    normalizeFeatures);
        }
    }
}
