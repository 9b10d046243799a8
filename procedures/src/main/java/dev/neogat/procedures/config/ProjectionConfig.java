package dev.neogat.procedures.config;

import dev.neogat.graph.Orientation;
import dev.neogat.model.ModelMetadata;

import java.util.List;

/**
 * Which part of the store becomes the attention graph: node labels and relationship types (empty: all),
 * how relationships become message edges, self loops, duplicates, and the node feature properties.
 */
public record ProjectionConfig(List<String> nodeLabels, List<String> relationshipTypes, Orientation orientation,
                               boolean selfLoops, boolean dropDuplicates, List<String> featureProperties,
                               boolean zeroMissingFeatures, RelationshipFeatureConfig relationshipFeatures) {

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
        if (featuresRequired && features.isEmpty()) {
            throw ConfigMap.missing(TrainKeys.FEATURE_PROPERTIES.name(), TrainKeys.FEATURE_PROPERTIES.description());
        }
        boolean zeroMissing = "zero".equals(defaults == null ? TrainKeys.MISSING_FEATURES.read(config)
                : TrainKeys.MISSING_FEATURES.read(config, defaults.zeroMissingFeatures() ? "zero" : "error"));
        RelationshipFeatureConfig relationshipFeatures = RelationshipFeatureConfig.read(config,
                defaults == null ? null : defaults.relationshipFeatures(), types, defaults == null);
        return new ProjectionConfig(labels, types, orientation, selfLoops, dropDuplicates, features, zeroMissing,
                relationshipFeatures);
    }

    /** The same projection, reading {@code features} from relationships (e.g. with their statistics). */
    public ProjectionConfig withRelationshipFeatures(RelationshipFeatureConfig features) {
        return new ProjectionConfig(nodeLabels, relationshipTypes, orientation, selfLoops, dropDuplicates,
                featureProperties, zeroMissingFeatures, features);
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
