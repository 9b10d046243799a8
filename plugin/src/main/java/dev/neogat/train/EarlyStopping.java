package dev.neogat.train;

/**
 * Early stopping on the validation nodes. The weights are kept as "best" when validation score and loss are
 * both at least as good as the best seen so far (the GAT paper's rule; the first epoch is always kept). An
 * epoch is progress when its score reaches the best or its loss the lowest, and training stops after
 * {@code patience} epochs without progress; the {@link StoppingRule#GAT_PAPER_BOUNDED} rule also stops after
 * {@link StoppingRule#KEPT_WEIGHTS_PATIENCE_FACTOR} × {@code patience} epochs without new kept weights.
 */
final class EarlyStopping {

    private final int patience;
    private final StoppingRule rule;
    private double bestScore = Double.NEGATIVE_INFINITY;
    private double lowestLoss = Double.POSITIVE_INFINITY;
    private int epochsWithoutProgress;
    private int epochsSinceBest;
    private int bestEpoch;

    EarlyStopping(int patience, StoppingRule rule) {
        this.patience = patience;
        this.rule = rule;
    }

    /** Records an epoch; returns true when its weights should become the best ones. */
    boolean record(int epoch, double validationScore, double validationLoss) {
        boolean scoreProgress = validationScore >= bestScore;
        boolean lossProgress = validationLoss <= lowestLoss;
        boolean best = bestEpoch == 0 || (scoreProgress && lossProgress);
        bestScore = Math.max(bestScore, validationScore);
        lowestLoss = Math.min(lowestLoss, validationLoss);
        epochsWithoutProgress = scoreProgress || lossProgress ? 0 : epochsWithoutProgress + 1;
        epochsSinceBest = best ? 0 : epochsSinceBest + 1;
        if (best) {
            bestEpoch = epoch;
        }
        return best;
    }

    boolean shouldStop() {
        if (patience == 0) {
            return false;
        }
        return epochsWithoutProgress >= patience || (rule == StoppingRule.GAT_PAPER_BOUNDED
                && epochsSinceBest >= StoppingRule.KEPT_WEIGHTS_PATIENCE_FACTOR * patience);
    }

    int bestEpoch() {
        return bestEpoch;
    }
}
