package dev.neogat.train;

import dev.neogat.model.ModelMetadata;

/**
 * One epoch: the training loss of the step (with dropout, what Adam minimised), then loss and score
 * (accuracy, or micro-F1 for multi-label) on the training and validation nodes without dropout, and
 * the time of the step and of the evaluation.
 */
public record EpochStats(int epoch, double loss, double trainScore, double validationLoss, double validationScore,
                         double stepMillis, double evaluationMillis) {

    /** As the model's history stores it (without the evaluation time). */
    public ModelMetadata.Epoch toMetadata() {
        return new ModelMetadata.Epoch(epoch, loss, trainScore, validationLoss, validationScore, stepMillis);
    }
}
