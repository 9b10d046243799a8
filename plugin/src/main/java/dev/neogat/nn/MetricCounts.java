package dev.neogat.nn;

/**
 * Counts behind accuracy (single-label: correct of total) and micro-F1 (multi-label: true and false
 * positives and false negatives over all node-class pairs), with the mean loss over the same nodes.
 */
public record MetricCounts(double loss, long correct, long total, long truePositives, long falsePositives,
                           long falseNegatives, boolean multiLabel) {

    /** Accuracy for single-label targets, micro-F1 for multi-label targets; NaN for an empty set. */
    public double score() {
        if (total == 0) {
            return Double.NaN;
        }
        if (!multiLabel) {
            return (double) correct / total;
        }
        long denominator = 2 * truePositives + falsePositives + falseNegatives;
        return denominator == 0 ? 1.0 : 2.0 * truePositives / denominator;
    }
}
