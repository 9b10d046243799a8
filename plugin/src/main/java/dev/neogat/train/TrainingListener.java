package dev.neogat.train;

/** Told about each finished epoch, e.g. to log progress or show it in a progress table. */
@FunctionalInterface
public interface TrainingListener {

    TrainingListener NONE = (stats, maxEpochs) -> { };

    void onEpoch(EpochStats stats, int maxEpochs);
}
