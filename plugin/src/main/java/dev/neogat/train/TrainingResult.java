package dev.neogat.train;

import dev.neogat.model.TrainedModel;
import dev.neogat.nn.MetricCounts;

import java.util.List;

/**
 * A trained model (the best epoch's weights) with its per-epoch history and the metrics of those
 * weights, without dropout, on the three sets of the split (empty sets give NaN scores).
 */
public record TrainingResult(TrainedModel model, List<EpochStats> history, int bestEpoch, StopReason stopReason,
                             MetricCounts train, MetricCounts validation, MetricCounts test, double trainMillis,
                             String device) implements TrainingOutcome {

    /** Median time of one training step (forward, backward and Adam), in milliseconds. */
    public double medianStepMillis() {
        double[] steps = history.stream().mapToDouble(EpochStats::stepMillis).sorted().toArray();
        return steps.length == 0 ? Double.NaN : steps[steps.length / 2];
    }
}
