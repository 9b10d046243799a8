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

    public static final List<String> KEYS = List.of("nodeLabels", "relationshipTypes", "orientation", "selfLoops",
            "dropDuplicates", "featureProperties", "missingFeatures");

    /** Reads the keys of {@link #KEYS}; absent keys take the values of {@code defaults} (null: built-ins). */
    public static ProjectionConfig read(ConfigMap config, ProjectionConfig defaults, boolean featuresRequired) {
        List<String> labels = config.strings("nodeLabels", defaults == null ? List.of() : defaults.nodeLabels());
        List<String> types = config.strings("relationshipTypes",
                defaults == null ? List.of() : defaults.relationshipTypes());
        Orientation orientation = Orientation.valueOf(config.choice("orientation",
                defaults == null ? "UNDIRECTED" : defaults.orientation().name(),
                List.of("NATURAL", "REVERSE", "UNDIRECTED")));
        boolean selfLoops = config.bool("selfLoops", defaults == null || defaults.selfLoops());
        boolean dropDuplicates = config.bool("dropDuplicates", defaults != null && defaults.dropDuplicates());
        List<String> features = config.strings("featureProperties",
                defaults == null ? List.of() : defaults.featureProperties());
        if (featuresRequired && features.isEmpty()) {
            throw ConfigMap.missing("featureProperties", "the node property holding a numeric array, or several "
                    + "numeric properties to concatenate");
        }
        boolean zeroMissing = "zero".equals(config.choice("missingFeatures",
                defaults != null && defaults.zeroMissingFeatures() ? "zero" : "error", List.of("error", "zero")));
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
