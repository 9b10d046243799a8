package dev.neogat.train;

import java.util.List;

/**
 * Replays a stopping rule over a recorded validation history: where it would have stopped and which epoch's
 * weights it would have kept. Training is deterministic and the rule only reads the history, so a run under a
 * rule that stops later answers for any rule that stops earlier (AccuracyBenchmark uses it to compare rules).
 */
public final class StoppingReplay {

    /** {@code stoppedEarly}: the rule stopped before the history ran out. */
    public record Outcome(int epochsRun, int bestEpoch, boolean stoppedEarly) {
    }

    private StoppingReplay() {
    }

    public static Outcome replay(List<EpochStats> history, int patience, StoppingRule rule) {
        EarlyStopping stopping = new EarlyStopping(patience, rule);
        for (EpochStats epoch : history) {
            stopping.record(epoch.epoch(), epoch.validationScore(), epoch.validationLoss());
            if (stopping.shouldStop()) {
                return new Outcome(epoch.epoch(), stopping.bestEpoch(), true);
            }
        }
        return new Outcome(history.size(), stopping.bestEpoch(), false);
    }
}
