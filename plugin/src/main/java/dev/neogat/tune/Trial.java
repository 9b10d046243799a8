package dev.neogat.tune;

import dev.neogat.model.ModelMetadata;
import dev.neogat.train.TrainingOutcome;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One finished trial: the values it drew, and what the validation nodes said of its best epoch (score:
 * accuracy, or micro-F1 for multi-label; loss) with the training score beside it. No test figure exists here.
 */
public record Trial(int number, Map<String, Object> configuration, double validationScore, double validationLoss,
                    double trainScore, int epochsRun, int bestEpoch, String stopReason, double millis) {

    public Trial {
        configuration = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
    }

    /** A trial from its training's outcome (the best epoch's weights on the training and validation nodes). */
    static Trial of(int number, Map<String, Object> configuration, TrainingOutcome outcome) {
        return new Trial(number, configuration, outcome.validation().score(), outcome.validation().loss(),
                outcome.train().score(), outcome.epochsRun(), outcome.bestEpoch(), outcome.stopReason().name(),
                outcome.trainMillis());
    }

    /** Higher validation score wins, then lower validation loss, then the earlier trial. */
    boolean betterThan(Trial other) {
        if (validationScore != other.validationScore) {
            return validationScore > other.validationScore;
        }
        if (validationLoss != other.validationLoss) {
            return validationLoss < other.validationLoss;
        }
        return number < other.number;
    }

    /** As the model's autoTune metadata stores it. */
    public ModelMetadata.TrialSummary summary() {
        return new ModelMetadata.TrialSummary(number, new LinkedHashMap<>(configuration), validationScore,
                validationLoss, trainScore, epochsRun, bestEpoch, stopReason, millis);
    }
}
