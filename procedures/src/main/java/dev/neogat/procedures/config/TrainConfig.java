package dev.neogat.procedures.config;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.TrainingConfig;
import dev.neogat.tune.TuneSettings;

import java.util.List;
import java.util.Map;

/**
 * Everything {@code gat.train} reads from its configuration map: the projection, labels and split, the
 * model, the optimiser, where it runs, and what it writes. Each key's type, range and default are declared in
 * {@link TrainKeys}; {@link #used()} is the {@code configuration} output, every key read with its value.
 */
public record TrainConfig(ProjectionConfig projection, String labelProperty, String splitProperty,
                          double trainFraction, double validationFraction, ModelShape model,
                          TrainingConfig training, TuneSettings autoTune, int concurrency, String device,
                          WriteConfig write, Batching batching, TypedSettings typed, Map<String, Object> used) {

    /** Training modes of the 'mode' key; 'auto' trains full-batch when its estimate fits the memory budget. */
    public static final String AUTO = "auto";
    public static final String FULL_BATCH = "fullBatch";
    public static final String MINI_BATCH = "miniBatch";

    /**
     * How to batch: {@code mode} 'auto', 'fullBatch' or 'miniBatch'; the sampling for mini-batches; and the
     * memory 'auto' may use, in bytes (null: the heap free when training starts).
     */
    public record Batching(String mode, MiniBatchConfig miniBatch, Long memoryBudget) {
    }

    /** Architecture settings; input and class counts come from the data. */
    public record ModelShape(Variant variant, int layers, List<Integer> hiddenChannels, List<Integer> heads,
                             int outputHeads, boolean concat, double dropout, double attentionDropout,
                             double messageDropout, Boolean inputDropoutPerHead, double negativeSlope,
                             boolean residual, boolean normalizeFeatures) {

        /** {@code sparseFeatures}: how the loader stored the features, which decides inputDropoutPerHead 'auto'. */
        public GatConfig toConfig(int inputDim, int classCount, boolean multiLabel, boolean sparseFeatures) {
            GatConfig.Builder builder = GatConfig.builder(inputDim, classCount).sparseFeatures(sparseFeatures);
            if (inputDropoutPerHead != null) {
                builder.inputDropoutPerHead(inputDropoutPerHead);
            }
            return builder.variant(variant).layers(layers)
                    .hiddenChannels(perHiddenLayer("hiddenChannels", hiddenChannels))
                    .hiddenHeads(perHiddenLayer("heads", heads)).outputHeads(outputHeads).concatHidden(concat)
                    .featureDropout(dropout).attentionDropout(attentionDropout).messageDropout(messageDropout)
                    .negativeSlope(negativeSlope).residual(residual)
                    .multiLabel(multiLabel).normalizeFeatures(normalizeFeatures).build();
        }

        private int[] perHiddenLayer(String key, List<Integer> values) {
            int hidden = layers - 1;
            if (values.size() == 1) {
                int[] same = new int[hidden];
                java.util.Arrays.fill(same, values.get(0));
                return same;
            }
            if (values.size() != hidden) {
                throw new IllegalArgumentException("Configuration '" + key + "' lists " + values.size()
                        + " values but there " + (hidden == 1 ? "is 1 hidden layer" : "are " + hidden + " hidden layers")
                        + " (layers - 1); give one value or one per hidden layer");
            }
            return values.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The model the memory check must allow for: with autoTune, the widest a trial can draw. */
    public GatConfig largestModel(GatConfig base) {
        return autoTune == null ? base : autoTune.space().largest(base);
    }

    /** As {@link #largestModel(GatConfig)}, for a typed model. */
    public TypedGatConfig largestModel(TypedGatConfig base) {
        return autoTune == null ? base : autoTune.space().largest(base);
    }

    public static TrainConfig read(Map<String, Object> raw) {
        ConfigMap config = new ConfigMap(raw, TrainKeys.names(TrainKeys.ALL));
        ProjectionConfig projection = ProjectionConfig.read(config, null, true);
        TypedSettings typed = TypedSettings.read(config);
        String labelProperty = TrainKeys.LABEL_PROPERTY.read(config);
        boolean fractions = config.has(TrainKeys.TRAIN_FRACTION.name()) || config.has(TrainKeys.VAL_FRACTION.name());
        if (config.has(TrainKeys.SPLIT_PROPERTY.name()) && fractions) {
            throw new IllegalArgumentException("Give either 'splitProperty' or 'trainFraction'/'valFraction', not both");
        }
        String splitProperty = TrainKeys.SPLIT_PROPERTY.read(config);
        double trainFraction = Double.NaN;
        double validationFraction = Double.NaN;
        if (splitProperty == null) {
            trainFraction = TrainKeys.TRAIN_FRACTION.read(config);
            validationFraction = TrainKeys.VAL_FRACTION.read(config);
            if (trainFraction <= 0) {
                throw new IllegalArgumentException("Configuration 'trainFraction' must be above 0, got " + trainFraction);
            }
            if (trainFraction + validationFraction > 1) {
                throw new IllegalArgumentException("Configuration 'trainFraction' + 'valFraction' must be at most 1, got "
                        + trainFraction + " + " + validationFraction + " = " + (trainFraction + validationFraction));
            }
        }
        Variant variant = Variant.valueOf(TrainKeys.VARIANT.read(config));
        int layers = TrainKeys.LAYERS.read(config);
        List<Integer> hiddenChannels = TrainKeys.HIDDEN_CHANNELS.read(config);
        List<Integer> heads = TrainKeys.HEADS.read(config);
        int outputHeads = TrainKeys.OUTPUT_HEADS.read(config);
        boolean concat = TrainKeys.CONCAT.read(config);
        double dropout = TrainKeys.DROPOUT.read(config);
        // Both follow the dropout given, as the reference GAT implementation uses one rate for all three.
        double attentionDropout = TrainKeys.ATTENTION_DROPOUT.read(config, dropout);
        double messageDropout = TrainKeys.MESSAGE_DROPOUT.read(config, dropout);
        Boolean perHead = inputDropoutPerHead(config);
        double negativeSlope = TrainKeys.NEGATIVE_SLOPE.read(config);
        boolean residual = TrainKeys.RESIDUAL.read(config);
        boolean normalizeFeatures = TrainKeys.NORMALIZE_FEATURES.read(config);
        ModelShape model = new ModelShape(variant, layers, hiddenChannels, heads, outputHeads, concat, dropout,
                attentionDropout, messageDropout, perHead, negativeSlope, residual, normalizeFeatures);
        double learningRate = TrainKeys.LEARNING_RATE.read(config);
        double weightDecay = TrainKeys.WEIGHT_DECAY.read(config);
        int epochs = TrainKeys.EPOCHS.read(config);
        int patience = TrainKeys.PATIENCE.read(config);
        long seed = TrainKeys.SEED.read(config);
        TuneSettings autoTune = AutoTuneConfig.read(config, config.rawValue(TrainKeys.AUTO_TUNE.name()), layers, seed);
        if (autoTune != null && splitProperty == null && validationFraction == 0) {
            throw new IllegalArgumentException("autoTune scores each trial on the validation nodes, but 'valFraction' "
                    + "is 0; give it a value above 0");
        }
        int concurrency = TrainKeys.CONCURRENCY.read(config);
        String device = TrainKeys.DEVICE.read(config);
        WriteConfig write = WriteConfig.read(config);
        Batching batching = batching(config, layers);
        if (autoTune != null && batching.mode().equals(MINI_BATCH)) {
            throw new IllegalArgumentException("autoTune trains its trials full-batch; give 'mode' 'fullBatch' or "
                    + "'auto', or leave out autoTune, not mode 'miniBatch'");
        }
        new RunProperties().inputs("featureProperties", projection.featureProperties())
                .inputs("relationshipFeatures", projection.relationshipFeatures() == null ? List.of()
                        : projection.relationshipFeatures().allProperties())
                .input("labelProperty", labelProperty).input("splitProperty", splitProperty)
                .outputs(write.outputs(projection.orientation())).requireOutputsApart();
        TrainingConfig training = new TrainingConfig(epochs, learningRate, weightDecay, patience, seed);
        return new TrainConfig(projection, labelProperty, splitProperty, trainFraction, validationFraction, model,
                training, autoTune, concurrency, device, write, batching, typed, config.used());
    }

    private static Batching batching(ConfigMap config, int layers) {
        String mode = TrainKeys.MODE.read(config);
        int batchSize = TrainKeys.BATCH_SIZE.read(config);
        List<Integer> fanouts = fanouts(config, layers);
        Long memoryBudget = TrainKeys.MEMORY_BUDGET.read(config);
        return new Batching(mode, new MiniBatchConfig(batchSize, fanouts.stream().mapToInt(Integer::intValue)
                .toArray()), memoryBudget);
    }

    /** One fanout per layer, each at least 1 or -1 for all neighbours; one value alone serves every layer. */
    private static List<Integer> fanouts(ConfigMap config, int layers) {
        Object raw = config.rawValue("fanouts");
        if (raw == null) {
            List<Integer> defaults = java.util.Arrays.stream(MiniBatchConfig.defaultFanouts(layers)).boxed().toList();
            config.record("fanouts", defaults);
            return defaults;
        }
        List<?> items = raw instanceof List<?> list ? list : List.of(raw);
        for (int h = 0; h < items.size(); h++) {
            if ((items.get(h) instanceof Long || items.get(h) instanceof Integer)
                    && ((Number) items.get(h)).longValue() < 1 && ((Number) items.get(h)).longValue() != -1) {
                throw new IllegalArgumentException("Configuration 'fanouts' has " + items.get(h) + " at position " + h
                        + " in " + raw + "; each fanout must be at least 1, or -1 for all neighbours");
            }
        }
        List<Integer> given = TrainKeys.FANOUTS.read(config);
        if (!(raw instanceof List<?>)) {
            List<Integer> same = java.util.Collections.nCopies(layers, given.get(0));
            config.record("fanouts", same);
            return same;
        }
        if (given.size() != layers) {
            throw new IllegalArgumentException("Configuration 'fanouts' lists " + given.size() + " values " + raw
                    + " but 'layers' is " + layers + "; give one fanout per layer, the first for the batch nodes' "
                    + "own neighbours");
        }
        return given;
    }

    /** true, false or 'auto' (the default; null here): per head for sparse features, shared for dense ones. */
    private static Boolean inputDropoutPerHead(ConfigMap config) {
        Object value = TrainKeys.INPUT_DROPOUT_PER_HEAD.read(config);
        if (value instanceof Boolean perHead) {
            config.record(TrainKeys.INPUT_DROPOUT_PER_HEAD.name(), perHead);
            return perHead;
        }
        if (value instanceof String s && s.equalsIgnoreCase(GatConfig.AUTO)) {
            config.record(TrainKeys.INPUT_DROPOUT_PER_HEAD.name(), GatConfig.AUTO);
            return null;
        }
        throw new IllegalArgumentException("Configuration 'inputDropoutPerHead' must be true, false or 'auto', got "
                + (value instanceof String ? "'" + value + "'" : value));
    }

}
