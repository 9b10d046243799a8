package dev.neogat.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One typed attention layer, as PyG's {@code HeteroConv({relation: GATConv or GATv2Conv}, aggr)}: the
 * input width of each node type, the relations of the graph, the node types whose outputs the layer
 * computes, heads × channels per relation (the same for all, so that the relations into a type can be
 * combined), heads concatenated or averaged, the relation aggregation, an optional residual projection
 * per output type, ELU after it or not, and the dropout rates of {@link LayerSpec}.
 *
 * <p>{@code edgeDims} holds the width of each relation's relationship features (PyG's {@code edge_dim});
 * a relation it does not name has none.
 *
 * <p>A relation takes part when its target is an output type. An output type that no relation points
 * into gets a skip projection (a linear map of its input with a bias) instead, so that it has an output.
 */
public record TypedLayerSpec(Variant variant, Map<String, Integer> inputWidths, List<Relation> relations,
                             List<String> outputTypes, int heads, int channels, boolean concat, boolean residual,
                             boolean elu, double negativeSlope, double featureDropout, double attentionDropout,
                             double messageDropout, RelationAggregation aggregation, int semanticDim,
                             Map<Relation, Integer> edgeDims) {

    public TypedLayerSpec {
        inputWidths = Collections.unmodifiableMap(new LinkedHashMap<>(inputWidths));
        edgeDims = Collections.unmodifiableMap(new LinkedHashMap<>(edgeDims));
        relations = List.copyOf(relations);
        outputTypes = List.copyOf(outputTypes);
        if (heads < 1 || channels < 1) {
            throw new IllegalArgumentException("A typed layer needs positive heads and channels, got " + heads + " and "
                    + channels);
        }
        if (aggregation == RelationAggregation.ATTENTION && semanticDim < 1) {
            throw new IllegalArgumentException("Semantic attention needs a positive hidden width, got " + semanticDim);
        }
        inputWidths.forEach((type, width) -> {
            if (width == null || width < 1) {
                throw new IllegalArgumentException("Node type '" + type + "' needs a positive input width, got " + width);
            }
        });
        for (String type : outputTypes) {
            requireType(inputWidths, type, "output type");
        }
        for (Relation r : relations) {
            requireType(inputWidths, r.sourceType(), "source type of relation " + r);
            requireType(inputWidths, r.targetType(), "target type of relation " + r);
        }
        if (relations.stream().distinct().count() != relations.size()) {
            throw new IllegalArgumentException("A relation is listed twice in " + relations);
        }
        for (Map.Entry<Relation, Integer> e : edgeDims.entrySet()) {
            if (!relations.contains(e.getKey())) {
                throw new IllegalArgumentException("Relationship features are given for " + e.getKey()
                        + ", which is not a relation of the layer; its relations are " + relations);
            }
            if (e.getValue() == null || e.getValue() < 0) {
                throw new IllegalArgumentException("Relation " + e.getKey() + " needs an edgeDim of at least 0, got "
                        + e.getValue());
            }
        }
        // LayerSpec checks the slope and forms the per-relation specs.
        new LayerSpec(variant, 1, heads, channels, concat, false, elu, negativeSlope, featureDropout,
                attentionDropout, messageDropout);
    }

    /** A layer whose relations have no relationship features. */
    public TypedLayerSpec(Variant variant, Map<String, Integer> inputWidths, List<Relation> relations,
                          List<String> outputTypes, int heads, int channels, boolean concat, boolean residual,
                          boolean elu, double negativeSlope, double featureDropout, double attentionDropout,
                          double messageDropout, RelationAggregation aggregation, int semanticDim) {
        this(variant, inputWidths, relations, outputTypes, heads, channels, concat, residual, elu, negativeSlope,
                featureDropout, attentionDropout, messageDropout, aggregation, semanticDim, Map.of());
    }

    /** The width of a relation's relationship features; 0 for none. */
    public int edgeDim(Relation relation) {
        return edgeDims.getOrDefault(relation, 0);
    }

    static void requireType(Map<String, Integer> widths, String type, String role) {
        if (!widths.containsKey(type)) {
            throw new IllegalArgumentException("The " + role + " '" + type + "' is not a node type; the node types are "
                    + widths.keySet());
        }
    }

    /** heads · channels, the width of each relation's projection. */
    public int width() {
        return heads * channels;
    }

    public int outputDim() {
        return concat ? heads * channels : channels;
    }

    public int inputWidth(String type) {
        Integer width = inputWidths.get(type);
        if (width == null) {
            requireType(inputWidths, type, "node type");
        }
        return width;
    }

    /** The relations this layer computes: those into an output type, in the graph's relation order. */
    public List<Relation> activeRelations() {
        List<Relation> active = new ArrayList<>();
        for (Relation r : relations) {
            if (outputTypes.contains(r.targetType())) {
                active.add(r);
            }
        }
        return active;
    }

    /** The relations into {@code type}, in the graph's relation order. */
    public List<Relation> relationsInto(String type) {
        List<Relation> into = new ArrayList<>();
        for (Relation r : relations) {
            if (r.targetType().equals(type)) {
                into.add(r);
            }
        }
        return into;
    }

    /**
     * The untyped layer spec of one relation: the source type's input width; a bipartite relation's target
     * side reads {@link #inputWidth(String)} of its target type. The residual belongs to the target type.
     */
    public LayerSpec relationSpec(Relation relation) {
        return new LayerSpec(variant, inputWidth(relation.sourceType()), heads, channels, concat, false, elu,
                negativeSlope, featureDropout, attentionDropout, messageDropout, edgeDim(relation));
    }

    /**
     * Whether {@code type}'s relations are weighted by semantic attention: with 'attention' and at least
     * two relations into it (over one relation β is 1, and the attention would have nothing to learn).
     */
    public boolean usesSemanticAttention(String type) {
        return aggregation == RelationAggregation.ATTENTION && relationsInto(type).size() > 1;
    }

    /** Name prefix of a relation's parameters within a layer: {@code source__name__target.}. */
    public static String relationPrefix(String layerPrefix, Relation relation) {
        return layerPrefix + relation.key() + ".";
    }

    /** Name prefix of a node type's own parameters (residual, skip, semantic attention) within a layer. */
    public static String typePrefix(String layerPrefix, String type) {
        return layerPrefix + type + ".";
    }
}
