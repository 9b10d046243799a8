package dev.neogat.tune;

import dev.neogat.train.TrainingListener;

import java.util.Map;

/** Told when a trial starts and ends, and about every epoch of it and of the final training. */
public interface TuneListener {

    TuneListener NONE = new TuneListener() {
    };

    default void onTrialStart(int trial, int maxTrials, Map<String, Object> configuration) {
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
