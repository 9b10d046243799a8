package dev.neogat.train;

import dev.neogat.nn.MetricCounts;

import java.util.List;

/**
 * What any finished training reports, untyped or typed: its per-epoch history, the epoch whose weights were kept,
 * why it stopped, those weights' metrics on the three sets of the split, and its time.
 */
public interface TrainingOutcome {

    List<EpochStats> history();

    int bestEpoch();

    StopReason stopReason();

    MetricCounts train();

    MetricCounts validation();

    MetricCounts test();

    double trainMillis();

    default int epochsRun() {
        return history().size();
    }
}
