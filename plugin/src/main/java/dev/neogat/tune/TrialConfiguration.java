package dev.neogat.tune;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.TunableBuilder;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.TrainingConfig;

import java.util.Map;
import java.util.function.Function;

/**
 * Applies a trial's values (tunable key to value) to the model and training settings they replace, for an
 * untyped or a typed model alike, and reads a base configuration's values of the tunable keys.
 */
public final class TrialConfiguration {

    private TrialConfiguration() {
    }

    public static GatConfig model(GatConfig base, Map<String, Object> values) {
        return apply(base.toBuilder(), values).build();
    }

    public static TypedGatConfig model(TypedGatConfig base, Map<String, Object> values) {
        return apply(base.toBuilder(), values).build();
    }

    private static <B extends TunableBuilder<B>> B apply(B builder, Map<String, Object> values) {
        values.forEach((key, value) -> {
            switch (key) {
                case "dropout" -> builder.featureDropout(((Number) value).doubleValue());
                case "attentionDropout" -> builder.attentionDropout(((Number) value).doubleValue());
                case "messageDropout" -> builder.messageDropout(((Number) value).doubleValue());
                case "hiddenChannels" -> builder.hiddenChannels(((Number) value).intValue());
                case "heads" -> builder.hiddenHeads(((Number) value).intValue());
                case "normalizeFeatures" -> builder.normalizeFeatures((Boolean) value);
                case "learningRate", "weightDecay" -> { }
                default -> throw new IllegalArgumentException("Not a tunable key: '" + key + "'");
            }
        });
        return builder;
    }

    public static TrainingConfig training(TrainingConfig base, Map<String, Object> values) {
        double learningRate = values.containsKey("learningRate")
                ? ((Number) values.get("learningRate")).doubleValue() : base.learningRate();
        double weightDecay = values.containsKey("weightDecay")
                ? ((Number) values.get("weightDecay")).doubleValue() : base.weightDecay();
        return new TrainingConfig(base.epochs(), learningRate, weightDecay, base.patience(), base.seed(),
                base.stoppingRule());
    }

    /** Each tunable key's value in the given settings, or null when it has no single value (per-layer lists). */
    static Function<String, Object> baseValues(GatConfig model, TrainingConfig training) {
        ModelValues values = new ModelValues(model.featureDropout(), model.attentionDropout(),
                model.messageDropout(), sameInEveryHiddenLayer(model, false), sameInEveryHiddenLayer(model, true),
                model.normalizeFeatures());
        return key -> valueOf(key, values, training);
    }

    /** Each tunable key's value in the given settings (a typed model's hidden layers share heads and channels). */
    static Function<String, Object> baseValues(TypedGatConfig model, TrainingConfig training) {
        boolean hidden = model.layers() > 1;
        ModelValues values = new ModelValues(model.featureDropout(), model.attentionDropout(),
                model.messageDropout(), hidden ? model.hiddenChannels() : null, hidden ? model.hiddenHeads() : null,
                model.normalizeFeatures());
        return key -> valueOf(key, values, training);
    }

    /** A model's values of the tunable model keys; hiddenChannels and heads null without one value for all. */
    private record ModelValues(double dropout, double attentionDropout, double messageDropout,
                               Integer hiddenChannels, Integer heads, boolean normalizeFeatures) {
    }

    private static Object valueOf(String key, ModelValues model, TrainingConfig training) {
        return switch (key) {
            case "dropout" -> model.dropout();
            case "attentionDropout" -> model.attentionDropout();
            case "messageDropout" -> model.messageDropout();
            case "learningRate" -> training.learningRate();
            case "weightDecay" -> training.weightDecay();
            case "hiddenChannels" -> model.hiddenChannels();
            case "heads" -> model.heads();
            case "normalizeFeatures" -> model.normalizeFeatures();
            default -> null;
        };
    }

    private static Integer sameInEveryHiddenLayer(GatConfig model, boolean heads) {
        if (model.layerCount() < 2) {
            return null;
        }
        int first = heads ? model.heads(0) : model.channels(0);
        for (int l = 1; l < model.layerCount() - 1; l++) {
            if ((heads ? model.heads(l) : model.channels(l)) != first) {
                return null;
            }
        }
        return first;
    }
}
