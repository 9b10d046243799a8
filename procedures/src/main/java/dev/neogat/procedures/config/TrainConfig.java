package dev.neogat.procedures.config;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.TrainingConfig;
import dev.neogat.tune.TuneSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code gat.train} reads from its configuration map: the projection, labels and split, the
 * model, the optimiser, where it runs, and what it writes. Defaults are the GAT paper's Cora settings,
 * with dropout where its reference implementation applies it.
 */
public record TrainConfig(ProjectionConfig projection, String labelProperty, String splitProperty,
                          double trainFraction, double validationFraction, ModelShape model,
                          TrainingConfig training, TuneSettings autoTune, int concurrency, String device,
                          WriteConfig write, Batching batching, Map<String, Object> used) {

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
            boolean perHead = inputDropoutPerHead != null ? inputDropoutPerHead
                    : GatConfig.autoInputDropoutPerHead(sparseFeatures);
            return GatConfig.builder(inputDim, classCount).variant(variant).layers(layers)
                    .hiddenChannels(perHiddenLayer("hiddenChannels", hiddenChannels))
                    .hiddenHeads(perHiddenLayer("heads", heads)).outputHeads(outputHeads).concatHidden(concat)
                    .featureDropout(dropout).attentionDropout(attentionDropout).messageDropout(messageDropout)
                    .inputDropoutPerHead(perHead).negativeSlope(negativeSlope).residual(residual)
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

    public static final List<String> KEYS;

    static {
        List<String> keys = new ArrayList<>(ProjectionConfig.KEYS);
        keys.addAll(WriteConfig.KEYS);
        keys.addAll(List.of("labelProperty", "splitProperty", "trainFraction", "valFraction", "variant", "layers",
                "hiddenChannels", "heads", "outputHeads", "concat", "dropout", "attentionDropout", "messageDropout",
                "inputDropoutPerHead", "negativeSlope", "residual", "normalizeFeatures", "learningRate",
                "weightDecay", "epochs", "patience", "seed", "autoTune", "concurrency", "device", "mode", "batchSize",
                "fanouts", "memoryBudget"));
        KEYS = List.copyOf(keys);
    }

    public static TrainConfig read(Map<String, Object> raw) {
        ConfigMap config = new ConfigMap(raw, KEYS);
        ProjectionConfig projection = ProjectionConfig.read(config, null, true);
        String labelProperty = config.requiredString("labelProperty", "the node property holding each node's class "
                + "(an integer, a string, or a list of them for multi-label nodes)");
        boolean fractions = config.has("trainFraction") || config.has("valFraction");
        if (config.has("splitProperty") && fractions) {
            throw new IllegalArgumentException("Give either 'splitProperty' or 'trainFraction'/'valFraction', not both");
        }
        String splitProperty = config.string("splitProperty", null);
        double trainFraction = Double.NaN;
        double validationFraction = Double.NaN;
        if (splitProperty == null) {
            trainFraction = config.number("trainFraction", 0.6, 0, 1, false);
            validationFraction = config.number("valFraction", 0.2, 0, 1, false);
            if (trainFraction <= 0) {
                throw new IllegalArgumentException("Configuration 'trainFraction' must be above 0, got " + trainFraction);
            }
            if (trainFraction + validationFraction > 1) {
                throw new IllegalArgumentException("Configuration 'trainFraction' + 'valFraction' must be at most 1, got "
                        + trainFraction + " + " + validationFraction + " = " + (trainFraction + validationFraction));
            }
        }
        Variant variant = Variant.valueOf(config.choice("variant", "GAT", List.of("GAT", "GATV2")));
        int layers = config.integer("layers", 2, 1, 16);
        List<Integer> hiddenChannels = config.integers("hiddenChannels", 8, 1, 4096);
        List<Integer> heads = config.integers("heads", 8, 1, 1024);
        int outputHeads = config.integer("outputHeads", 1, 1, 1024);
        boolean concat = config.bool("concat", true);
        double dropout = config.number("dropout", 0.6, 0, 1, true);
        double attentionDropout = config.number("attentionDropout", dropout, 0, 1, true);
        double messageDropout = config.number("messageDropout", dropout, 0, 1, true);
        Boolean perHead = inputDropoutPerHead(config, raw);
        double negativeSlope = config.number("negativeSlope", 0.2, 0, 1, false);
        boolean residual = config.bool("residual", false);
        boolean normalizeFeatures = config.bool("normalizeFeatures", true);
        ModelShape model = new ModelShape(variant, layers, hiddenChannels, heads, outputHeads, concat, dropout,
                attentionDropout, messageDropout, perHead, negativeSlope, residual, normalizeFeatures);
        double learningRate = config.positiveNumber("learningRate", TrainingConfig.DEFAULT_LEARNING_RATE, 10);
        double weightDecay = config.number("weightDecay", TrainingConfig.DEFAULT_WEIGHT_DECAY, 0, 10, false);
        int epochs = config.integer("epochs", TrainingConfig.DEFAULT_EPOCHS, 1, 1_000_000);
        int patience = config.integer("patience", TrainingConfig.DEFAULT_PATIENCE, 0, 1_000_000);
        long seed = config.longValue("seed", TrainingConfig.DEFAULT_SEED);
        TuneSettings autoTune = AutoTuneConfig.read(config, config.rawValue("autoTune"), layers, seed);
        if (autoTune != null && splitProperty == null && validationFraction == 0) {
            throw new IllegalArgumentException("autoTune scores each trial on the validation nodes, but 'valFraction' "
                    + "is 0; give it a value above 0");
        }
        int concurrency = config.concurrency();
        String device = config.device();
        WriteConfig write = WriteConfig.read(config);
        Batching batching = batching(config, layers);
        if (autoTune != null && batching.mode().equals(MINI_BATCH)) {
            throw new IllegalArgumentException("autoTune trains its trials full-batch; give 'mode' 'fullBatch' or "
                    + "'auto', or leave out autoTune, not mode 'miniBatch'");
        }
        new RunProperties().inputs("featureProperties", projection.featureProperties())
                .input("labelProperty", labelProperty).input("splitProperty", splitProperty)
                .outputs(write.outputs(projection.orientation())).requireOutputsApart();
        TrainingConfig training = new TrainingConfig(epochs, learningRate, weightDecay, patience, seed);
        return new TrainConfig(projection, labelProperty, splitProperty, trainFraction, validationFraction, model,
                training, autoTune, concurrency, device, write, batching, config.used());
    }

    private static Batching batching(ConfigMap config, int layers) {
        String mode = config.choice("mode", AUTO, List.of(AUTO, FULL_BATCH, MINI_BATCH));
        int batchSize = config.integer("batchSize", MiniBatchConfig.DEFAULT_BATCH_SIZE, 1, Integer.MAX_VALUE);
        List<Integer> fanouts = fanouts(config, layers);
        Long memoryBudget = config.has("memoryBudget") ? config.byteSize("memoryBudget") : null;
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
        List<Integer> given = config.integers("fanouts", MiniBatchConfig.DEFAULT_FANOUT, -1, Integer.MAX_VALUE);
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
    private static Boolean inputDropoutPerHead(ConfigMap config, Map<String, Object> raw) {
        Object value = raw == null ? null : raw.get("inputDropoutPerHead");
        if (value instanceof Boolean) {
            return config.bool("inputDropoutPerHead", true);
        }
        if (value == null || value instanceof String s && s.equalsIgnoreCase("auto")) {
            config.record("inputDropoutPerHead", "auto");
            return null;
        }
        throw new IllegalArgumentException("Configuration 'inputDropoutPerHead' must be true, false or 'auto', got "
                + (value instanceof String ? "'" + value + "'" : value));
    }

}
