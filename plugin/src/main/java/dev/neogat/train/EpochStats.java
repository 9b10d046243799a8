package dev.neogat.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One epoch: the training loss of the step (with dropout, what Adam minimised), then loss and score
 * (accuracy, or micro-F1 for multi-label) on the training and validation nodes without dropout, and
 * the time of the step and of the evaluation.
 */
public record EpochStats(int epoch, double loss, double trainScore, double validationLoss, double validationScore,
                         double stepMillis, double evaluationMillis) {

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("epoch", epoch);
        map.put("loss", loss);
        map.put("trainScore", trainScore);
        map.put("validationLoss", validationLoss);
        map.put("validationScore", validationScore);
        map.put("stepMillis", stepMillis);
        return map;
    }
}
