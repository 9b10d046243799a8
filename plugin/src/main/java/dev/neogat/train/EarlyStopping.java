package dev.neogat.train;

/**
 * The GAT paper's rule: an epoch counts as progress when validation score or validation loss is at
 * least as good as the best seen so far, and resets the patience counter; the weights are kept as "best"
 * only when both are at least as good (score ties broken by loss). Training stops after
 * {@code patience} epochs without progress.
 */
final class EarlyStopping {

    private final int patience;
    private double bestScore = Double.NEGATIVE_INFINITY;
    private double lowestLoss = Double.POSITIVE_INFINITY;
    private int epochsWithoutProgress;
    private int bestEpoch;

    EarlyStopping(int patience) {
        this.patience = patience;
    }

    /** Records an epoch; returns true when its weights should become the best ones. */
    boolean record(int epoch, double validationScore, double validationLoss) {
        boolean scoreProgress = validationScore >= bestScore;
        boolean lossProgress = validationLoss <= lowestLoss;
        boolean best = bestEpoch == 0 || (scoreProgress && lossProgress);
        if (scoreProgress || lossProgress) {
            bestScore = Math.max(bestScore, validationScore);
            lowestLoss = Math.min(lowestLoss, validationLoss);
            epochsWithoutProgress = 0;
        } else {
            epochsWithoutProgress++;
        }
        if (best) {
            bestEpoch = epoch;
        }
        return best;
    }

    boolean shouldStop() {
        return patience > 0 && epochsWithoutProgress >= patience;
    }

    int bestEpoch() {
        return bestEpoch;
    }
}
