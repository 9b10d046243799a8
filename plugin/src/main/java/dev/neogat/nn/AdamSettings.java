package dev.neogat.nn;

/**
 * Adam as in PyTorch's {@code torch.optim.Adam} (L2 weight decay added to the gradient, not AdamW):
 * {@code g += wd·p; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
 * p -= (lr / (1-β1^t)) · m / (sqrt(v) / sqrt(1-β2^t) + ε)}, with t counted from 1.
 */
public record AdamSettings(double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {

    public AdamSettings {
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("Learning rate must be a positive number, got " + learningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + " and " + beta2);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("Adam epsilon must be positive, got " + epsilon);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("Weight decay must be a non-negative number, got " + weightDecay);
        }
    }

    public static AdamSettings of(double learningRate, double weightDecay) {
        return new AdamSettings(learningRate, 0.9, 0.999, 1e-8, weightDecay);
    }

    /** lr / (1 - β1^t), the step size at step t. */
    public double stepSize(int step) {
        return learningRate / (1 - Math.pow(beta1, step));
    }

    /** sqrt(1 - β2^t). */
    public double secondMomentCorrection(int step) {
        return Math.sqrt(1 - Math.pow(beta2, step));
    }
}
