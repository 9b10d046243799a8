package dev.neogat.tune;

import dev.neogat.train.TrainingListener;

import java.util.Map;

/**
 * Told when a trial and each of its runs (one per seed) start, when it ends, and about every epoch of it and of the
 * final training.
 */
public interface TuneListener {

    TuneListener NONE = new TuneListener() {
    };

    default void onTrialStart(int trial, int maxTrials, Map<String, Object> configuration) {
    }

    /** Before each of a trial's runs: run {@code run} of {@code runs}, trained with {@code seed}. */
    default void onRunStart(int trial, int run, int runs, long seed) {
    }

    default void onTrialEnd(Trial trial, int maxTrials) {
    }

    /** Called before the chosen configuration is trained on the full split. */
    default void onFinalTraining(Trial chosen) {
    }

    default TrainingListener epochs() {
        return TrainingListener.NONE;
    }
}
