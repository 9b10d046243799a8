package dev.neogat.tune;

import dev.neogat.spec.GatConfig;
import dev.neogat.train.TrainingConfig;

import java.util.Map;

/** Applies a trial's values (tunable key to value) to the model and training settings they replace. */
public final class TrialConfiguration {

    private TrialConfiguration() {
    }

    public static GatConfig model(GatConfig base, Map<String, Object> values) {
        GatConfig.Builder builder = base.toBuilder();
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
        return builder.build();
    }

    public static TrainingConfig training(TrainingConfig base, Map<String, Object> values) {
        double learningRate = values.containsKey("learningRate")
                ? ((Number) values.get("learningRate")).doubleValue() : base.learningRate();
        double weightDecay = values.containsKey("weightDecay")
                ? ((Number) values.get("weightDecay")).doubleValue() : base.weightDecay();
        return new TrainingConfig(base.epochs(), learningRate, weightDecay, base.patience(), base.seed());
    }

    /** The value {@code key} has in the given settings, or null when it has none single value (per-layer lists). */
    static Object valueOf(String key, GatConfig model, TrainingConfig training) {
        return switch (key) {
            case "dropout" -> model.featureDropout();
            case "attentionDropout" -> model.attentionDropout();
            case "messageDropout" -> model.messageDropout();
            case "learningRate" -> training.learningRate();
            case "weightDecay" -> training.weightDecay();
            case "hiddenChannels" -> sameInEveryHiddenLayer(model, false);
            case "heads" -> sameInEveryHiddenLayer(model, true);
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
