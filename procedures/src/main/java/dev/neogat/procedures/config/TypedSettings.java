package dev.neogat.procedures.config;

import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.RelationAggregation;

import java.util.List;
import java.util.Locale;

/**
 * The typed-graph keys of {@code gat.train}: whether to train a typed model ({@code typed}: true, false, or
 * {@link #AUTO}, see {@link #typedFor}), the target label(s)
 * (empty: the labels whose nodes carry labelProperty), how relations into a label are combined, and the learned
 * input of labels without features.
 */
public record TypedSettings(Boolean typed, List<String> targetLabels, RelationAggregation aggregation,
                            FeaturelessInput.Mode featurelessMode, int featurelessDimension) {

    public static final String AUTO = "auto";

    static TypedSettings read(ConfigMap config) {
        String key = TrainKeys.TYPED.name();
        Object value = TrainKeys.TYPED.read(config);
        Boolean typed;
        if (value instanceof Boolean given) {
            typed = given;
        } else if (value instanceof String s && s.equalsIgnoreCase(AUTO)) {
            typed = null;
        } else {
            throw ConfigMap.wrongType(key, "true, false or 'auto'", value);
        }
        config.record(key, typed == null ? AUTO : typed);
        List<String> targetLabels = TrainKeys.TARGET_LABELS.read(config);
        RelationAggregation aggregation = RelationAggregation.parse(TrainKeys.RELATION_AGGREGATION.read(config));
        FeaturelessInput.Mode mode = FeaturelessInput.Mode.valueOf(
                TrainKeys.FEATURELESS_NODES.read(config).toUpperCase(Locale.ROOT));
        int dimension = TrainKeys.FEATURELESS_DIMENSION.read(config);
        return new TypedSettings(typed, targetLabels, aggregation, mode, dimension);
    }

    /**
     * Whether {@code config} trains a typed model: as asked, or under 'auto' when its projection names more than one
     * label or relationship type (or featureProperties is a map by label), autoTune or not.
     */
    public boolean typedFor(TrainConfig config) {
        if (typed != null) {
            return typed;
        }
        ProjectionConfig projection = config.projection();
        boolean several = projection.nodeLabels().size() > 1 || projection.relationshipTypes().size() > 1
                || projection.featurePropertiesByLabel() != null;
        // With relationshipFeatures, 'auto' stays untyped, as such runs trained before typed models existed (an
        // untyped model also attends over them); typed: true trains a typed one.
        return several && projection.relationshipFeatures() == null;
    }
}
