package dev.neogat.procedures.config;

import dev.neogat.model.ModelMetadata;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The numeric relationship properties attention reads (PyG's {@code edge_dim}): the same {@code properties} for
 * every relationship type, or a list per type ({@code byType}; exactly one of the two is not null), concatenated in
 * the order given; a missing property fails the run or reads as zeros; with {@code standardize}, each column is
 * shifted and scaled by the {@code mean} and {@code standardDeviation} of the relationships trained on (null until
 * training computed them; stored with the model and applied again whenever it runs).
 */
public record RelationshipFeatureConfig(List<String> properties, Map<String, List<String>> byType,
                                        boolean zeroMissing, boolean standardize, List<Double> mean,
                                        List<Double> standardDeviation) {

    /** The properties of a relationship of {@code type}, or null when the map gives none for it. */
    public List<String> propertiesOf(String type) {
        return byType == null ? properties : byType.get(type);
    }

    /** Every property named, each once. */
    public List<String> allProperties() {
        if (byType == null) {
            return properties;
        }
        LinkedHashSet<String> all = new LinkedHashSet<>();
        byType.values().forEach(all::addAll);
        return List.copyOf(all);
    }

    /** The same, with the statistics of the training relationships. */
    public RelationshipFeatureConfig withStatistics(double[] columnMean, double[] columnDeviation) {
        return new RelationshipFeatureConfig(properties, byType, zeroMissing, standardize, boxed(columnMean),
                boxed(columnDeviation));
    }

    /** The key's value as the configuration output shows it. */
    public Object given() {
        return byType != null ? byType : properties;
    }

    /**
     * Reads relationshipFeatures, missingRelationshipFeatures and, when {@code training},
     * standardizeRelationshipFeatures (a stored model keeps its own); absent keys take {@code stored}'s values
     * (null: none). Null when there are no relationship features.
     */
    static RelationshipFeatureConfig read(ConfigMap config, RelationshipFeatureConfig stored,
                                          List<String> relationshipTypes, boolean training) {
        String key = TrainKeys.RELATIONSHIP_FEATURES.name();
        Object value = config.rawValue(key);
        String missingKey = TrainKeys.MISSING_RELATIONSHIP_FEATURES.name();
        String standardizeKey = TrainKeys.STANDARDIZE_RELATIONSHIP_FEATURES.name();
        // Read (and type-checked) first, so that the configuration output shows them with or without features.
        boolean zeroMissing = "zero".equals(TrainKeys.MISSING_RELATIONSHIP_FEATURES.read(config,
                stored == null ? TrainKeys.MISSING_RELATIONSHIP_FEATURES.defaultValue()
                        : stored.zeroMissing() ? "zero" : "error"));
        boolean standardize = training ? TrainKeys.STANDARDIZE_RELATIONSHIP_FEATURES.read(config)
                : stored != null && stored.standardize();
        if (value == null && stored == null) {
            for (String dependent : training ? List.of(missingKey, standardizeKey) : List.of(missingKey)) {
                if (config.has(dependent)) {
                    throw new IllegalArgumentException("Configuration '" + dependent + "' applies to relationship "
                            + "features, but 'relationshipFeatures' is not given"
                            + (training ? "" : " and the model has none"));
                }
            }
            return null;
        }
        List<String> properties = null;
        Map<String, List<String>> byType = null;
        if (value == null) {
            properties = stored.properties();
            byType = stored.byType();
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                throw new IllegalArgumentException("Configuration '" + key + "' is an empty map; give each "
                        + "relationship type a property or a list of properties");
            }
            byType = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String type = String.valueOf(entry.getKey());
                byType.put(type, names(key + "." + type, entry.getValue()));
            }
            if (!relationshipTypes.isEmpty()) {
                for (String type : byType.keySet()) {
                    if (!relationshipTypes.contains(type)) {
                        throw new IllegalArgumentException("Configuration '" + key + "' gives properties for the "
                                + "relationship type '" + type + "', which is not projected (relationshipTypes "
                                + relationshipTypes + ")");
                    }
                }
                for (String type : relationshipTypes) {
                    if (!byType.containsKey(type)) {
                        throw new IllegalArgumentException("Configuration '" + key + "' gives no properties for the "
                                + "projected relationship type '" + type + "'; give every type of relationshipTypes "
                                + relationshipTypes + " an entry");
                    }
                }
            }
            byType = java.util.Collections.unmodifiableMap(byType);
        } else {
            properties = names(key, value);
        }
        config.record(key, byType != null ? byType : properties);
        if (training || stored == null) {
            return new RelationshipFeatureConfig(properties, byType, zeroMissing, standardize, null, null);
        }
        return new RelationshipFeatureConfig(properties, byType, zeroMissing, standardize, stored.mean(),
                stored.standardDeviation());
    }

    /** A property name or a non-empty list of them. */
    private static List<String> names(String where, Object value) {
        List<String> names = new ArrayList<>();
        if (value instanceof String s) {
            names.add(s);
        } else if (value instanceof List<?> list && !list.isEmpty()) {
            for (Object item : list) {
                if (!(item instanceof String s)) {
                    throw new IllegalArgumentException("Configuration '" + where + "' must be a property name or a "
                            + "list of them, got " + ConfigMap.describe(value));
                }
                names.add(s);
            }
        } else {
            throw new IllegalArgumentException("Configuration '" + where + "' must be a property name, a list of "
                    + "them, or a map from relationship type to either, got "
                    + (value == null ? "null" : ConfigMap.describe(value)));
        }
        for (String name : names) {
            if (name.isBlank()) {
                throw new IllegalArgumentException("Configuration '" + where + "' must not contain blank names");
            }
        }
        return List.copyOf(names);
    }

    /** As the model's metadata stores it. */
    public ModelMetadata.RelationshipFeatures toMetadata() {
        return new ModelMetadata.RelationshipFeatures(properties, byType, zeroMissing ? "zero" : "error",
                standardize ? mean : null, standardize ? standardDeviation : null);
    }

    /** As stored with a model; null when it has none. */
    public static RelationshipFeatureConfig of(ModelMetadata.RelationshipFeatures stored) {
        if (stored == null) {
            return null;
        }
        return new RelationshipFeatureConfig(stored.properties(), stored.byType(), "zero".equals(stored.missing()),
                stored.mean() != null, stored.mean(), stored.standardDeviation());
    }

    private static List<Double> boxed(double[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return List.copyOf(list);
    }
}
