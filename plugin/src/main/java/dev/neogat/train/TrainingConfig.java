package dev.neogat.train;

/**
 * How to train: epochs, Adam's learning rate and L2 weight decay, early stopping patience (epochs
 * without progress on the validation set, as the {@link StoppingRule} counts it; 0 disables it) and the seed
 * behind initial weights and dropout masks. Defaults are the GAT paper's Cora settings; the stopping rule is not
 * the paper's (see {@link StoppingRule}).
 */
public record TrainingConfig(int epochs, double learningRate, double weightDecay, int patience, long seed,
                             StoppingRule stoppingRule) {

    public static final int DEFAULT_EPOCHS = 1000;
    public static final double DEFAULT_LEARNING_RATE = 0.005;
    public static final double DEFAULT_WEIGHT_DECAY = 5e-4;
    public static final int DEFAULT_PATIENCE = 100;
    public static final long DEFAULT_SEED = 42;

    public TrainingConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be a positive number, got " + learningRate);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be a non-negative number, got " + weightDecay);
        }
        if (patience < 0) {
            throw new IllegalArgumentException("patience must not be negative, got " + patience);
        }
        if (stoppingRule == null) {
            throw new IllegalArgumentException("stoppingRule must be given");
        }
    }

    /** With the default stopping rule. */
    public TrainingConfig(int epochs, double learningRate, double weightDecay, int patience, long seed) {
        this(epochs, learningRate, weightDecay, patience, seed, StoppingRule.DEFAULT);
    }

    public static TrainingConfig defaults() {
        return new TrainingConfig(DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE, DEFAULT_WEIGHT_DECAY, DEFAULT_PATIENCE,
                DEFAULT_SEED);
    }

    public TrainingConfig withSeed(long newSeed) {
        return new TrainingConfig(epochs, learningRate, weightDecay, patience, newSeed, stoppingRule);
    }

    public TrainingConfig withEpochs(int newEpochs) {
        return new TrainingConfig(newEpochs, learningRate, weightDecay, patience, seed, stoppingRule);
    }

    public TrainingConfig withPatience(int newPatience) {
        return new TrainingConfig(epochs, learningRate, weightDecay, newPatience, seed, stoppingRule);
    }

    public TrainingConfig withStoppingRule(StoppingRule newRule) {
        return new TrainingConfig(epochs, learningRate, weightDecay, patience, seed, newRule);
    }
}
