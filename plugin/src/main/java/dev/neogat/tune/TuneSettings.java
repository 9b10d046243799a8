package dev.neogat.tune;

/**
 * How long to search: at most {@code maxTrials} trials, and no new trial (nor the rest of a running one)
 * after {@code timeBudgetMillis} (0: no budget; the first trial always runs to its end). {@code seed}
 * draws the trial configurations; each trial trains {@code seedsPerTrial} times, with the training seed and the
 * seeds after it (training seed + 1, + 2, ...), and is scored by the mean over those runs.
 */
public record TuneSettings(int maxTrials, long timeBudgetMillis, long seed, SearchSpace space, int seedsPerTrial) {

    public static final int DEFAULT_MAX_TRIALS = 20;
    public static final int MAX_TRIALS_LIMIT = 1000;
    public static final int DEFAULT_SEEDS_PER_TRIAL = 1;
    public static final int SEEDS_PER_TRIAL_LIMIT = 10;

    public TuneSettings {
        if (maxTrials < 1 || maxTrials > MAX_TRIALS_LIMIT) {
            throw new IllegalArgumentException("autoTune.maxTrials must be between 1 and " + MAX_TRIALS_LIMIT
                    + ", got " + maxTrials);
        }
        if (timeBudgetMillis < 0) {
            throw new IllegalArgumentException("autoTune.timeBudget must not be negative, got " + timeBudgetMillis
                    + " ms");
        }
        if (seedsPerTrial < 1 || seedsPerTrial > SEEDS_PER_TRIAL_LIMIT) {
            throw new IllegalArgumentException("autoTune.seedsPerTrial must be between 1 and "
                    + SEEDS_PER_TRIAL_LIMIT + ", got " + seedsPerTrial);
        }
        if (space == null || space.dimensions().isEmpty()) {
            throw new IllegalArgumentException("autoTune has nothing to search: every tunable key ("
                    + String.join(", ", SearchSpace.KEYS) + ") is set in the configuration; leave one unset or "
                    + "drop autoTune");
        }
    }

    /** One training run per trial. */
    public TuneSettings(int maxTrials, long timeBudgetMillis, long seed, SearchSpace space) {
        this(maxTrials, timeBudgetMillis, seed, space, DEFAULT_SEEDS_PER_TRIAL);
    }
}
