package dev.neogat.train;

import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.ParameterizedNetwork;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The epoch loop every trainer shares (full batch, mini-batch, store-backed, typed): one training step, an
 * evaluation of the weights it left, early stopping by the configured rule with a snapshot of the best weights, the
 * history and the listener; at the end the best epoch's weights are put back. The trainers differ only in how
 * they step and evaluate.
 */
final class EpochLoop {

    /** Trains one epoch (1-based) and returns its training loss. */
    @FunctionalInterface
    interface Step {
        double train(int epoch);
    }

    /** Scores the current weights: training metrics, and validation metrics or null without a validation split. */
    @FunctionalInterface
    interface Evaluation {
        Scores evaluate();
    }

    record Scores(MetricCounts train, MetricCounts validation) {
    }

    record Outcome(List<EpochStats> history, int bestEpoch, StopReason stopReason) {
    }

    private EpochLoop() {
    }

    static Outcome run(Backend backend, ParameterizedNetwork network, TrainingConfig training, boolean canStopEarly,
                       TrainingListener listener, TerminationFlag termination, Step step, Evaluation evaluation) {
        EarlyStopping stopping = new EarlyStopping(canStopEarly ? training.patience() : 0, training.stoppingRule());
        Map<String, Tensor> best = null;
        List<EpochStats> history = new ArrayList<>();
        StopReason stopReason = StopReason.MAX_EPOCHS;
        try {
            for (int epoch = 1; epoch <= training.epochs(); epoch++) {
                termination.assertRunning();
                long stepStart = System.nanoTime();
                double loss = step.train(epoch);
                double stepMillis = (System.nanoTime() - stepStart) / 1e6;
                long evaluationStart = System.nanoTime();
                Scores scores = evaluation.evaluate();
                double evaluationMillis = (System.nanoTime() - evaluationStart) / 1e6;
                MetricCounts validation = canStopEarly ? scores.validation() : null;
                EpochStats stats = new EpochStats(epoch, loss, scores.train().score(),
                        validation == null ? Double.NaN : validation.loss(),
                        validation == null ? Double.NaN : validation.score(), stepMillis, evaluationMillis);
                history.add(stats);
                if (validation != null && stopping.record(epoch, validation.score(), validation.loss())) {
                    best = network.snapshot(best);
                }
                listener.onEpoch(stats, training.epochs());
                if (stopping.shouldStop()) {
                    stopReason = StopReason.EARLY_STOPPING;
                    break;
                }
            }
            if (best != null) {
                network.restore(best);
            }
        } finally {
            if (best != null) {
                best.values().forEach(backend::release);
            }
        }
        int bestEpoch = best != null ? stopping.bestEpoch() : history.size();
        return new Outcome(List.copyOf(history), bestEpoch, stopReason);
    }

    /**
     * One full-batch epoch: a training forward pass with the epoch's dropout masks, the loss and its gradients on
     * the training targets, one Adam step.
     */
    static double fullBatchStep(ParameterizedNetwork network, Targets train, AdamSettings adam,
                                TrainingConfig training, int epoch) {
        network.forward(true, training.seed(), epoch);
        double loss = requireFinite(network.lossAndGradients(train), epoch, training);
        network.adamStep(adam);
        return loss;
    }

    /** One inference pass scored on the training targets and on the validation targets when given. */
    static Scores fullBatchScores(Backend backend, ParameterizedNetwork network, Targets train, Targets validation) {
        Tensor logits = network.forward();
        return new Scores(backend.evaluate(logits, train), validation == null ? null
                : backend.evaluate(logits, validation));
    }

    /** The full-batch step's guard: a loss that is not finite ends training with advice. */
    static double requireFinite(double loss, int epoch, TrainingConfig training) {
        if (!Double.isFinite(loss)) {
            throw new TrainingDivergedException("Training diverged at epoch " + epoch + ": the loss is " + loss
                    + "; try a lower learningRate (now " + training.learningRate() + ")");
        }
        return loss;
    }
}
