package dev.neogat.procedures.config;

import dev.neogat.graph.Orientation;

import java.util.List;
import java.util.Map;

/**
 * Which part of the store becomes the attention graph: node labels and relationship types (empty: all),
 * how relationships become message edges, self loops, duplicates, and the node feature properties.
 */
public record ProjectionConfig(List<String> nodeLabels, List<String> relationshipTypes, Orientation orientation,
                               boolean selfLoops, boolean dropDuplicates, List<String> featureProperties,
                               boolean zeroMissingFeatures) {

    public static final List<String> KEYS = TrainKeys.names(TrainKeys.PROJECTION);

    /** Reads the keys of {@link #KEYS}; absent keys take the values of {@code defaults} (null: the declared ones). */
    public static ProjectionConfig read(ConfigMap config, ProjectionConfig defaults, boolean featuresRequired) {
        List<String> labels = defaults == null ? TrainKeys.NODE_LABELS.read(config)
                : TrainKeys.NODE_LABELS.read(config, defaults.nodeLabels());
        List<String> types = defaults == null ? TrainKeys.RELATIONSHIP_TYPES.read(config)
                : TrainKeys.RELATIONSHIP_TYPES.read(config, defaults.relationshipTypes());
        Orientation orientation = Orientation.valueOf(defaults == null ? TrainKeys.ORIENTATION.read(config)
                : TrainKeys.ORIENTATION.read(config, defaults.orientation().name()));
        boolean selfLoops = defaults == null ? TrainKeys.SELF_LOOPS.read(config)
                : TrainKeys.SELF_LOOPS.read(config, defaults.selfLoops());
        boolean dropDuplicates = defaults == null ? TrainKeys.DROP_DUPLICATES.read(config)
                : TrainKeys.DROP_DUPLICATES.read(config, defaults.dropDuplicates());
        List<String> features = defaults == null ? TrainKeys.FEATURE_PROPERTIES.read(config)
                : TrainKeys.FEATURE_PROPERTIES.read(config, defaults.featureProperties());
        if (featuresRequired && features.isEmpty()) {
            throw ConfigMap.missing(TrainKeys.FEATURE_PROPERTIES.name(), TrainKeys.FEATURE_PROPERTIES.description());
        }
        boolean zeroMissing = "zero".equals(defaults == null ? TrainKeys.MISSING_FEATURES.read(config)
                : TrainKeys.MISSING_FEATURES.read(config, defaults.zeroMissingFeatures() ? "zero" : "error"));
        return new ProjectionConfig(labels, types, orientation, selfLoops, dropDuplicates, features, zeroMissing);
    }

    public Map<String, Object> toMap() {
        return Map.of("nodeLabels", nodeLabels, "relationshipTypes", relationshipTypes, "orientation",
                orientation.name(), "selfLoops", selfLoops, "dropDuplicates", dropDuplicates, "featureProperties",
                featureProperties, "missingFeatures", zeroMissingFeatures ? "zero" : "error");
    }

    @SuppressWarnings("unchecked")
    public static ProjectionConfig fromMap(Map<String, Object> map) {
        return new ProjectionConfig((List<String>) map.get("nodeLabels"), (List<String>) map.get("relationshipTypes"),
                Orientation.valueOf((String) map.get("orientation")), (Boolean) map.get("selfLoops"),
                (Boolean) map.get("dropDuplicates"), (List<String>) map.get("featureProperties"),
                "zero".equals(map.get("missingFeatures")));
    }
}
