package dev.neogat.procedures.config;

import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.RelationAggregation;

import java.util.List;
import java.util.Locale;

/**
 * The typed-graph keys of {@code gat.train}: whether to train a typed model ({@code typed}: true, false, or
 * {@link #AUTO}: typed when the projection names more than one label or relationship type), the target label(s)
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

    /** Whether {@code projection} trains a typed model: as asked, or under 'auto' when it names several labels or types. */
    public boolean typedFor(ProjectionConfig projection) {
        if (typed != null) {
            return typed;
        }
        return projection.nodeLabels().size() > 1 || projection.relationshipTypes().size() > 1;
    }
}
