package dev.neogat.procedures.config;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.TrainingConfig;

import java.util.List;

/**
 * Every key of {@code gat.train}, declared once: name, default, allowed values and meaning. Reading
 * ({@link TrainConfig}, {@link ProjectionConfig}, {@link WriteConfig}) takes type, range and default from here,
 * unknown keys are checked against {@link #ALL}, and ProcedureSignatureTest holds the README's key table to it. The
 * model's defaults are the engine's ({@link GatConfig}{@code .DEFAULT_*}, {@link TrainingConfig}{@code .DEFAULT_*}).
 */
public final class TrainKeys {

    // The projection.
    public static final ConfigKey<List<String>> NODE_LABELS = ConfigKey.strings("nodeLabels", "all nodes",
            "nodes of the projection (a label or a list)");
    public static final ConfigKey<List<String>> RELATIONSHIP_TYPES = ConfigKey.strings("relationshipTypes",
            "all types", "relationships of the projection");
    public static final ConfigKey<String> ORIENTATION = ConfigKey.choice("orientation", "UNDIRECTED",
            List.of("NATURAL", "REVERSE", "UNDIRECTED"), "which way messages flow along a relationship");
    public static final ConfigKey<Boolean> SELF_LOOPS = ConfigKey.bool("selfLoops", true,
            "each node also attends to itself");
    public static final ConfigKey<Boolean> DROP_DUPLICATES = ConfigKey.bool("dropDuplicates", false,
            "merge parallel relationships into one edge");
    /** A property, a list, or a map from label to either (or null); the map is read by {@link ProjectionConfig}. */
    public static final ConfigKey<List<String>> FEATURE_PROPERTIES = new ConfigKey<>("featureProperties", List.of(),
            "required", "the node property holding a numeric array, or several numeric properties to concatenate, "
            + "or a map from label to either (or null: featureless)", ProjectionConfig::readFeatureProperties);
    public static final ConfigKey<String> MISSING_FEATURES = ConfigKey.choice("missingFeatures", "error",
            List.of("error", "zero"), "'zero' fills missing feature properties with zeros instead of failing");
    /** A property, a list, or a map from relationship type to either; read by {@link RelationshipFeatureConfig}. */
    public static final ConfigKey<Object> RELATIONSHIP_FEATURES = ConfigKey.raw("relationshipFeatures", null,
            "numeric relationship properties (scalars or arrays) attention reads: a property, a list, or a map from "
                    + "relationship type to either (the same width for every type)").shownAs("none");
    public static final ConfigKey<String> MISSING_RELATIONSHIP_FEATURES = ConfigKey.choice(
            "missingRelationshipFeatures", "error", List.of("error", "zero"),
            "'zero' reads a missing relationship feature property as zeros instead of failing");
    public static final ConfigKey<Boolean> STANDARDIZE_RELATIONSHIP_FEATURES = ConfigKey.bool(
            "standardizeRelationshipFeatures", false, "shift and scale each relationship feature column by its mean "
                    + "and standard deviation over the training projection (stored with the model)");

    // Typed graphs (several labels or relationship types); read by TypedSettings.
    /** true, false or 'auto'; read by {@link TypedSettings}. */
    public static final ConfigKey<Object> TYPED = ConfigKey.raw("typed", TypedSettings.AUTO,
            "true: one projection and attention per label and relation; false: one untyped graph; 'auto': typed "
                    + "when nodeLabels or relationshipTypes lists more than one name");
    public static final ConfigKey<List<String>> TARGET_LABELS = ConfigKey.strings("targetLabels",
            "the labels whose nodes carry labelProperty", "the label whose nodes the loss, split, metrics and "
                    + "predictions are about (typed models take one)");
    public static final ConfigKey<String> RELATION_AGGREGATION = ConfigKey.choice("relationAggregation", "sum",
            List.of("sum", "mean", "attention"), "how a typed layer combines the relations into a label");
    public static final ConfigKey<String> FEATURELESS_NODES = ConfigKey.choice("featurelessNodes", "label",
            List.of("label", "node"), "a label without features learns one input per label or one per node");
    public static final ConfigKey<Integer> FEATURELESS_DIMENSION = ConfigKey.integer("featurelessDimension",
            dev.neogat.spec.TypedGatConfig.DEFAULT_FEATURELESS_WIDTH, 1, 4096,
            "width of a featureless label's learned input");

    // Labels and split.
    public static final ConfigKey<String> LABEL_PROPERTY = ConfigKey.required("labelProperty", "the node property "
            + "holding each node's class (an integer, a string, or a list of them for multi-label nodes)");
    public static final ConfigKey<String> SPLIT_PROPERTY = ConfigKey.string("splitProperty",
            "'train', 'val' (or 'validation'), 'test' or 'none' per node");
    public static final ConfigKey<Double> TRAIN_FRACTION = ConfigKey.number("trainFraction", 0.6, 0, 1, false,
            "share of the labelled nodes drawn for training, when there is no splitProperty");
    public static final ConfigKey<Double> VAL_FRACTION = ConfigKey.number("valFraction", 0.2, 0, 1, false,
            "share of the labelled nodes drawn for validation, when there is no splitProperty");

    // The model.
    public static final ConfigKey<String> VARIANT = ConfigKey.choice("variant", GatConfig.DEFAULT_VARIANT.name(),
            java.util.Arrays.stream(Variant.values()).map(Variant::name).toList(), "'gat' or 'gatv2'");
    public static final ConfigKey<Integer> LAYERS = ConfigKey.integer("layers", GatConfig.DEFAULT_LAYERS, 1, 16,
            "attention layers; all but the last are hidden");
    public static final ConfigKey<List<Integer>> HIDDEN_CHANNELS = ConfigKey.integers("hiddenChannels",
            GatConfig.DEFAULT_HIDDEN_CHANNELS, 1, 4096, "channels per head of each hidden layer");
    public static final ConfigKey<List<Integer>> HEADS = ConfigKey.integers("heads", GatConfig.DEFAULT_HEADS, 1,
            1024, "heads of each hidden layer");
    public static final ConfigKey<Integer> OUTPUT_HEADS = ConfigKey.integer("outputHeads",
            GatConfig.DEFAULT_OUTPUT_HEADS, 1, 1024, "heads of the last layer (averaged)");
    public static final ConfigKey<Boolean> CONCAT = ConfigKey.bool("concat", GatConfig.DEFAULT_CONCAT,
            "hidden heads concatenated (else averaged)");
    public static final ConfigKey<Double> DROPOUT = ConfigKey.number("dropout", GatConfig.DEFAULT_DROPOUT, 0, 1, true,
            "dropout on each layer's input");
    public static final ConfigKey<Double> ATTENTION_DROPOUT = ConfigKey.number("attentionDropout",
            GatConfig.DEFAULT_ATTENTION_DROPOUT, 0, 1, true, "dropout on the attention coefficients")
            .shownAs("= `dropout`");
    public static final ConfigKey<Double> MESSAGE_DROPOUT = ConfigKey.number("messageDropout",
            GatConfig.DEFAULT_MESSAGE_DROPOUT, 0, 1, true, "dropout on the projected messages")
            .shownAs("= `dropout`");
    /** true, false or 'auto'; read by {@link TrainConfig}, which resolves 'auto' when the features are loaded. */
    public static final ConfigKey<Object> INPUT_DROPOUT_PER_HEAD = ConfigKey.raw("inputDropoutPerHead",
            GatConfig.AUTO, "true: each head drops its input independently; false: one mask shared by the heads; "
                    + "'auto': per head when the features are stored sparse");
    public static final ConfigKey<Double> NEGATIVE_SLOPE = ConfigKey.number("negativeSlope",
            GatConfig.DEFAULT_NEGATIVE_SLOPE, 0, 1, false, "LeakyReLU slope");
    public static final ConfigKey<Boolean> RESIDUAL = ConfigKey.bool("residual", GatConfig.DEFAULT_RESIDUAL,
            "add a linear projection of the layer input");
    public static final ConfigKey<Boolean> NORMALIZE_FEATURES = ConfigKey.bool("normalizeFeatures",
            GatConfig.DEFAULT_NORMALIZE_FEATURES, "scale each node's features to sum to 1");

    // Training.
    public static final ConfigKey<Double> LEARNING_RATE = ConfigKey.positive("learningRate",
            TrainingConfig.DEFAULT_LEARNING_RATE, 10, "Adam's learning rate");
    public static final ConfigKey<Double> WEIGHT_DECAY = ConfigKey.number("weightDecay",
            TrainingConfig.DEFAULT_WEIGHT_DECAY, 0, 10, false, "L2 weight decay");
    public static final ConfigKey<Integer> EPOCHS = ConfigKey.integer("epochs", TrainingConfig.DEFAULT_EPOCHS, 1,
            1_000_000, "at most this many epochs");
    public static final ConfigKey<Integer> PATIENCE = ConfigKey.integer("patience", TrainingConfig.DEFAULT_PATIENCE, 0,
            1_000_000, "epochs without improvement on the validation nodes before stopping (0: never stop early)");
    public static final ConfigKey<Long> SEED = ConfigKey.longValue("seed", TrainingConfig.DEFAULT_SEED,
            "initial weights and dropout");
    /** true, false or a map; read by {@link AutoTuneConfig}. */
    public static final ConfigKey<Object> AUTO_TUNE = ConfigKey.raw("autoTune", false,
            "true, or a map of maxTrials, timeBudget and space: search the keys left unset");

    // Where it runs.
    public static final ConfigKey<Integer> CONCURRENCY = new ConfigKey<Integer>("concurrency", null, "all cores",
            "threads for training and writing", (config, key, given) -> config.integer(key,
            given != null ? given : Runtime.getRuntime().availableProcessors(), 1, 1024));
    public static final ConfigKey<String> DEVICE = ConfigKey.choice("device", "auto", List.of("auto", "cpu", "gpu"),
            "where to train");

    // How it batches (see TrainConfig.batching for the reading of fanouts, which depends on layers).
    public static final ConfigKey<String> MODE = ConfigKey.choice("mode", TrainConfig.AUTO,
            List.of(TrainConfig.AUTO, TrainConfig.FULL_BATCH, TrainConfig.MINI_BATCH),
            "'fullBatch', 'miniBatch', or 'auto': full-batch when its estimate fits memoryBudget; mini-batch "
                    + "training reads its batches from the store when the projection does not fit it");
    public static final ConfigKey<Integer> BATCH_SIZE = ConfigKey.integer("batchSize",
            MiniBatchConfig.DEFAULT_BATCH_SIZE, 1, Integer.MAX_VALUE, "training nodes per mini-batch");
    public static final ConfigKey<List<Integer>> FANOUTS = ConfigKey.integers("fanouts",
            MiniBatchConfig.DEFAULT_FANOUT, -1, Integer.MAX_VALUE,
            "incoming neighbours each node draws, per layer; -1: all").shownAs("`10` per layer");
    public static final ConfigKey<Long> MEMORY_BUDGET = new ConfigKey<Long>(MemoryBudget.KEY, null, "the free heap",
            "the memory 'auto' lets full-batch training, and 'auto' or 'miniBatch' let mini-batch training with the "
                    + "projection in the heap use", (config, key, given) -> config.has(key)
            ? MemoryBudget.read(config) : given);

    // What it writes.
    public static final ConfigKey<String> WRITE_PROPERTY = ConfigKey.string("writeProperty",
            "node property for the predicted class");
    public static final ConfigKey<String> PROBABILITY_PROPERTY = ConfigKey.string("probabilityProperty",
            "node property for the class probabilities");
    public static final ConfigKey<String> ATTENTION_PROPERTY = ConfigKey.string("attentionProperty",
            "relationship property for attention");
    public static final ConfigKey<String> SELF_ATTENTION_PROPERTY = ConfigKey.string("selfAttentionProperty",
            "node property for the attention a node gives itself");
    public static final ConfigKey<String> EMBEDDING_PROPERTY = ConfigKey.string("embeddingProperty",
            "node property for the hidden embedding");
    public static final ConfigKey<Integer> ATTENTION_LAYER = ConfigKey.integer("attentionLayer", -1, -1, 63,
            "which layer's attention to write (0-based; -1: the last)").shownAs("last");
    public static final ConfigKey<String> ATTENTION_HEADS = ConfigKey.choice("attentionHeads", "mean",
            List.of("mean", "all"), "'mean': a float averaged over heads; 'all': a float[] per head");
    public static final ConfigKey<String> ATTENTION_DIRECTIONS = ConfigKey.choice("attentionDirections", "separate",
            List.of("separate", "mean"), "on UNDIRECTED projections, one property per direction or their mean");
    public static final ConfigKey<Integer> EMBEDDING_LAYER = ConfigKey.integer("embeddingLayer", -1, -1, 63,
            "which hidden layer's output to write (0-based; -1: the last)").shownAs("last hidden");
    public static final ConfigKey<Integer> WRITE_BATCH_SIZE = ConfigKey.integer("writeBatchSize", 10_000, 1,
            1_000_000, "entities per write transaction");

    public static final List<ConfigKey<?>> PROJECTION = List.of(NODE_LABELS, RELATIONSHIP_TYPES, ORIENTATION,
            SELF_LOOPS, DROP_DUPLICATES, FEATURE_PROPERTIES, MISSING_FEATURES, RELATIONSHIP_FEATURES,
            MISSING_RELATIONSHIP_FEATURES);

    public static final List<ConfigKey<?>> WRITE = List.of(WRITE_PROPERTY, PROBABILITY_PROPERTY, ATTENTION_PROPERTY,
            SELF_ATTENTION_PROPERTY, EMBEDDING_PROPERTY, ATTENTION_LAYER, ATTENTION_HEADS, ATTENTION_DIRECTIONS,
            EMBEDDING_LAYER, WRITE_BATCH_SIZE);

    /** Every gat.train key, in the README's order. */
    public static final List<ConfigKey<?>> ALL = List.of(NODE_LABELS, RELATIONSHIP_TYPES, ORIENTATION, SELF_LOOPS,
            DROP_DUPLICATES, FEATURE_PROPERTIES, MISSING_FEATURES, RELATIONSHIP_FEATURES,
            MISSING_RELATIONSHIP_FEATURES, STANDARDIZE_RELATIONSHIP_FEATURES, TYPED, TARGET_LABELS,
            RELATION_AGGREGATION, FEATURELESS_NODES, FEATURELESS_DIMENSION, LABEL_PROPERTY, SPLIT_PROPERTY,
            TRAIN_FRACTION, VAL_FRACTION, VARIANT, LAYERS, HIDDEN_CHANNELS, HEADS, OUTPUT_HEADS, CONCAT, DROPOUT,
            ATTENTION_DROPOUT, MESSAGE_DROPOUT, INPUT_DROPOUT_PER_HEAD, NEGATIVE_SLOPE, RESIDUAL, NORMALIZE_FEATURES,
            LEARNING_RATE, WEIGHT_DECAY, EPOCHS, PATIENCE, SEED, AUTO_TUNE, CONCURRENCY, DEVICE, MODE, BATCH_SIZE,
            FANOUTS, MEMORY_BUDGET, WRITE_PROPERTY,
            PROBABILITY_PROPERTY, ATTENTION_PROPERTY, SELF_ATTENTION_PROPERTY, EMBEDDING_PROPERTY, ATTENTION_LAYER,
            ATTENTION_HEADS, ATTENTION_DIRECTIONS, EMBEDDING_LAYER, WRITE_BATCH_SIZE);

    private TrainKeys() {
    }

    public static List<String> names(List<ConfigKey<?>> keys) {
        return keys.stream().map(ConfigKey::name).toList();
    }
}
