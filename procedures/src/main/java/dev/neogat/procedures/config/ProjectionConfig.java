package dev.neogat.procedures.config;

import dev.neogat.graph.Orientation;
import dev.neogat.model.ModelMetadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Which part of the store becomes the attention graph: node labels and relationship types (empty: all),
 * how relationships become message edges, self loops, duplicates, and the node feature properties.
 */
public record ProjectionConfig(List<String> nodeLabels, List<String> relationshipTypes, Orientation orientation,
                               boolean selfLoops, boolean dropDuplicates, List<String> featureProperties,
                               boolean zeroMissingFeatures, RelationshipFeatureConfig relationshipFeatures,
                               Map<String, List<String>> featurePropertiesByLabel) {

    /** With featureProperties as a property or a list (the same for every label). */
    public ProjectionConfig(List<String> nodeLabels, List<String> relationshipTypes, Orientation orientation,
                            boolean selfLoops, boolean dropDuplicates, List<String> featureProperties,
                            boolean zeroMissingFeatures, RelationshipFeatureConfig relationshipFeatures) {
        this(nodeLabels, relationshipTypes, orientation, selfLoops, dropDuplicates, featureProperties,
                zeroMissingFeatures, relationshipFeatures, null);
    }

    /** Without relationship features. */
    public ProjectionConfig(List<String> nodeLabels, List<String> relationshipTypes, Orientation orientation,
                            boolean selfLoops, boolean dropDuplicates, List<String> featureProperties,
                            boolean zeroMissingFeatures) {
        this(nodeLabels, relationshipTypes, orientation, selfLoops, dropDuplicates, featureProperties,
                zeroMissingFeatures, null);
    }

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
        String featureKey = TrainKeys.FEATURE_PROPERTIES.name();
        Map<String, List<String>> byLabel = config.has(featureKey) ? featureMap(config.rawValue(featureKey))
                : defaults == null ? null : defaults.featurePropertiesByLabel();
        if (featuresRequired && features.isEmpty() && byLabel == null) {
            throw ConfigMap.missing(TrainKeys.FEATURE_PROPERTIES.name(), TrainKeys.FEATURE_PROPERTIES.description());
        }
        boolean zeroMissing = "zero".equals(defaults == null ? TrainKeys.MISSING_FEATURES.read(config)
                : TrainKeys.MISSING_FEATURES.read(config, defaults.zeroMissingFeatures() ? "zero" : "error"));
        RelationshipFeatureConfig relationshipFeatures = RelationshipFeatureConfig.read(config,
                defaults == null ? null : defaults.relationshipFeatures(), types, defaults == null);
        return new ProjectionConfig(labels, types, orientation, selfLoops, dropDuplicates, features, zeroMissing,
                relationshipFeatures, byLabel);
    }

    /**
     * The reader of featureProperties: a property or a list as {@link ConfigMap#strings}; a map from label to a
     * property, a list or null gives every property it names (each once) and is shown as given.
     */
    static List<String> readFeatureProperties(ConfigMap config, String key, List<String> defaultValue) {
        Object value = config.rawValue(key);
        if (!(value instanceof Map<?, ?>)) {
            return config.strings(key, defaultValue);
        }
        Map<String, List<String>> byLabel = featureMap(value);
        LinkedHashSet<String> all = new LinkedHashSet<>();
        byLabel.values().forEach(all::addAll);
        Map<String, Object> shown = new LinkedHashMap<>();
        byLabel.forEach((label, properties) -> shown.put(label, properties.isEmpty() ? null : properties));
        config.record(key, shown);
        return List.copyOf(all);
    }

    /**
     * featureProperties given as a map: each label's properties (empty: the label has no features); null for a
     * property or a list.
     */
    public static Map<String, List<String>> featureMap(Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            return null;
        }
        String key = TrainKeys.FEATURE_PROPERTIES.name();
        String expected = "a property, a list of properties, or a map from label to a property, a list of "
                + "properties or null";
        Map<String, List<String>> byLabel = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String label = String.valueOf(entry.getKey());
            Object properties = entry.getValue();
            List<String> names = new ArrayList<>();
            if (properties instanceof String s) {
                names.add(s);
            } else if (properties instanceof List<?> list) {
                for (Object item : list) {
                    if (!(item instanceof String s)) {
                        throw ConfigMap.wrongType(key + "." + label, "a property, a list of properties or null",
                                properties);
                    }
                    names.add(s);
                }
            } else if (properties != null) {
                throw ConfigMap.wrongType(key + "." + label, "a property, a list of properties or null", properties);
            }
            if (names.stream().anyMatch(String::isBlank) || label.isBlank()) {
                throw new IllegalArgumentException("Configuration '" + key + "' must not contain blank names, got "
                        + map);
            }
            byLabel.put(label, List.copyOf(names));
        }
        if (byLabel.isEmpty()) {
            throw ConfigMap.wrongType(key, expected, value);
        }
        return Collections.unmodifiableMap(byLabel);
    }

    /** The feature properties of the nodes of {@code label}: its map entry (null when it has none), else all. */
    public List<String> featurePropertiesOf(String label) {
        return featurePropertiesByLabel == null ? featureProperties : featurePropertiesByLabel.get(label);
    }

    /** The same projection, reading {@code features} from relationships (e.g. with their statistics). */
    public ProjectionConfig withRelationshipFeatures(RelationshipFeatureConfig features) {
        return new ProjectionConfig(nodeLabels, relationshipTypes, orientation, selfLoops, dropDuplicates,
                featureProperties, zeroMissingFeatures, features, featurePropertiesByLabel);
    }

    /** As the model's metadata stores it. */
    public ModelMetadata.Projection toMetadata() {
        return new ModelMetadata.Projection(nodeLabels, relationshipTypes, orientation.name(), selfLoops,
                dropDuplicates, featureProperties, zeroMissingFeatures ? "zero" : "error",
                relationshipFeatures == null ? null : relationshipFeatures.toMetadata());
    }

    /** The projection stored with a model; a key absent from an older model file takes its declared default. */
    public static ProjectionConfig of(ModelMetadata.Projection stored) {
        ModelMetadata.Projection p = stored != null ? stored
                : new ModelMetadata.Projection(null, null, null, null, null, null, null);
        return new ProjectionConfig(orDefault(p.nodeLabels(), TrainKeys.NODE_LABELS),
                orDefault(p.relationshipTypes(), TrainKeys.RELATIONSHIP_TYPES),
                Orientation.valueOf(orDefault(p.orientation(), TrainKeys.ORIENTATION)),
                orDefault(p.selfLoops(), TrainKeys.SELF_LOOPS),
                orDefault(p.dropDuplicates(), TrainKeys.DROP_DUPLICATES),
                orDefault(p.featureProperties(), TrainKeys.FEATURE_PROPERTIES),
                "zero".equals(orDefault(p.missingFeatures(), TrainKeys.MISSING_FEATURES)),
                RelationshipFeatureConfig.of(p.relationshipFeatures()));
    }

    private static <T> T orDefault(T stored, ConfigKey<T> key) {
        return stored != null ? stored : key.defaultValue();
    }
}
