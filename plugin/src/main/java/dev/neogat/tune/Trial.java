package dev.neogat.tune;

import dev.neogat.model.ModelMetadata;
import dev.neogat.train.TrainingOutcome;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One finished trial: the values it drew and its training runs, one per seed (see
 * {@link TuneSettings#seedsPerTrial()}). Its validation score, loss and training score are the means over the runs
 * (with one run, that run's); its epochs, best epoch and stop reason are those of its {@link #bestRun()}, the run the
 * search trains again when it chooses this trial; its time is the runs' total. No test figure exists here.
 */
public record Trial(int number, Map<String, Object> configuration, double validationScore, double validationLoss,
                    double trainScore, int epochsRun, int bestEpoch, String stopReason, double millis,
                    List<Run> runs) {

    /**
     * One training of a trial's configuration with one seed: what the validation nodes said of its best epoch
     * (score: accuracy, or micro-F1 for multi-label; loss), the training score beside it.
     */
    public record Run(long seed, double validationScore, double validationLoss, double trainScore, int epochsRun,
                      int bestEpoch, String stopReason, double millis) {

        static Run of(long seed, TrainingOutcome outcome) {
            return new Run(seed, outcome.validation().score(), outcome.validation().loss(), outcome.train().score(),
                    outcome.epochsRun(), outcome.bestEpoch(), outcome.stopReason().name(), outcome.trainMillis());
        }

        /** Higher validation score wins, then lower validation loss; on a tie the earlier run stays. */
        boolean betterThan(Run other) {
            if (validationScore != other.validationScore) {
                return validationScore > other.validationScore;
            }
            return validationLoss < other.validationLoss;
        }

        ModelMetadata.TrialRun summary() {
            return new ModelMetadata.TrialRun(seed, validationScore, validationLoss, trainScore, epochsRun, bestEpoch,
                    stopReason, millis);
        }
    }

    public Trial {
        configuration = Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
        runs = List.copyOf(runs);
    }

    /** A trial from its runs, in seed order (at least one). */
    static Trial of(int number, Map<String, Object> configuration, List<Run> runs) {
        Run best = best(runs);
        double score = 0;
        double loss = 0;
        double train = 0;
        double millis = 0;
        for (Run run : runs) {
            score += run.validationScore();
            loss += run.validationLoss();
            train += run.trainScore();
            millis += run.millis();
        }
        int n = runs.size();
        return new Trial(number, configuration, score / n, loss / n, train / n, best.epochsRun(), best.bestEpoch(),
                best.stopReason(), millis, runs);
    }

    /**
     * A trial one of whose runs diverged: it has no score and cannot be chosen; its time is unknown (NaN), as the
     * diverged run's is. The runs before it are kept.
     */
    static Trial diverged(int number, Map<String, Object> configuration, List<Run> runsBefore) {
        return new Trial(number, configuration, Double.NaN, Double.NaN, Double.NaN, 0, 0, "DIVERGED", Double.NaN,
                runsBefore);
    }

    /** The run with the best validation score (then loss; then the earliest): the one the chosen trial repeats. */
    public Run bestRun() {
        return best(runs);
    }

    private static Run best(List<Run> runs) {
        Run best = runs.get(0);
        for (Run run : runs) {
            best = run.betterThan(best) ? run : best;
        }
        return best;
    }

    /** Higher validation score wins, then lower validation loss, then the earlier trial. */
    boolean betterThan(Trial other) {
        if (validationScore != other.validationScore) {
            return validationScore > other.validationScore;
        }
        if (validationLoss != other.validationLoss) {
            return validationLoss < other.validationLoss;
        }
        return number < other.number;
    }

    /** As the model's autoTune metadata stores it; the runs are listed when there are several. */
    public ModelMetadata.TrialSummary summary() {
        List<ModelMetadata.TrialRun> perSeed = runs.size() > 1 ? runs.stream().map(Run::summary).toList() : null;
        return new ModelMetadata.TrialSummary(number, new LinkedHashMap<>(configuration), validationScore,
                validationLoss, trainScore, epochsRun, bestEpoch, stopReason, millis, perSeed);
    }
}
