package dev.neogat.tune;

import dev.neogat.data.NodeSplit;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingData;
import dev.neogat.train.TrainingDivergedException;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random search: the trial configurations are drawn up front from the seed (the first is the
 * unsearched defaults when they lie in the space), each trial trains on the training nodes and is scored
 * on the validation nodes of data whose test nodes have neither split membership nor labels, and the best
 * by validation is then trained again on the full data (same seed: the same weights) and returned.
 */
public final class AutoTuner {

    /** Why the search stopped drawing trials. */
    public enum EndReason { MAX_TRIALS, TIME_BUDGET }

    /** The trials in order, the chosen one, and why the search ended. */
    public record Search(List<Trial> trials, Trial chosen, EndReason endReason) {

        public Search {
            trials = List.copyOf(trials);
        }
    }

    /** A search and the training of its chosen configuration on the full data. */
    public record Result(Search search, GatConfig config, TrainingConfig training, TrainingResult result) {
    }

    private AutoTuner() {
    }

    public static Result tuneAndTrain(Backend backend, TrainingData data, GatConfig base, TrainingConfig training,
                                      TuneSettings settings, TuneListener listener, TerminationFlag termination) {
        Search search = search(backend, data, base, training, settings, listener, termination);
        termination.assertRunning();
        listener.onFinalTraining(search.chosen());
        GatConfig chosenConfig = TrialConfiguration.model(base, search.chosen().configuration());
        TrainingConfig chosenTraining = TrialConfiguration.training(training, search.chosen().configuration());
        TrainingResult trained = Trainer.train(backend, data, chosenConfig, chosenTraining, listener.epochs(),
                termination);
        TrainedModel model = trained.model().withMetadata(trained.model().metadata()
                .withAutoTune(metadata(settings, search)));
        TrainingResult withMetadata = new TrainingResult(model, trained.history(), trained.bestEpoch(),
                trained.stopReason(), trained.train(), trained.validation(), trained.test(), trained.trainMillis(),
                trained.device());
        return new Result(search, chosenConfig, chosenTraining, withMetadata);
    }

    /** Runs the trials on {@code data} without its test nodes; chooses by validation score, then loss. */
    public static Search search(Backend backend, TrainingData data, GatConfig base, TrainingConfig training,
                                TuneSettings settings, TuneListener listener, TerminationFlag termination) {
        TrainingData validationOnly = withoutTestNodes(data);
        if (validationOnly.split().validation().length == 0) {
            throw new IllegalArgumentException("autoTune scores each trial on the validation nodes, but there are "
                    + "none: give valFraction above 0, or 'val' nodes in the splitProperty");
        }
        List<Map<String, Object>> configurations = draw(settings, base, training);
        long start = System.nanoTime();
        long budgetNanos = settings.timeBudgetMillis() * 1_000_000L;
        List<Trial> trials = new ArrayList<>();
        EndReason endReason = EndReason.MAX_TRIALS;
        for (int i = 0; i < configurations.size(); i++) {
            termination.assertRunning();
            boolean budgeted = budgetNanos > 0 && i > 0;
            if (budgeted && System.nanoTime() - start >= budgetNanos) {
                endReason = EndReason.TIME_BUDGET;
                break;
            }
            Map<String, Object> values = configurations.get(i);
            listener.onTrialStart(i + 1, configurations.size(), values);
            TerminationFlag trialFlag = budgeted
                    ? () -> termination.terminated() || System.nanoTime() - start >= budgetNanos
                    : termination;
            Trial trial;
            try {
                TrainingResult result = Trainer.train(backend, validationOnly, TrialConfiguration.model(base, values),
                        TrialConfiguration.training(training, values), listener.epochs(), trialFlag);
                trial = new Trial(i + 1, values, result.validation().score(), result.validation().loss(),
                        result.train().score(), result.epochsRun(), result.bestEpoch(), result.stopReason().name(),
                        result.trainMillis());
            } catch (TrainingDivergedException e) {
                trial = new Trial(i + 1, values, Double.NaN, Double.NaN, Double.NaN, 0, 0, "DIVERGED", Double.NaN);
            } catch (TerminatedException e) {
                if (termination.terminated()) {
                    throw e;
                }
                // The budget ran out inside this trial: a cut-short trial is not comparable, so it is dropped.
                endReason = EndReason.TIME_BUDGET;
                break;
            }
            trials.add(trial);
            listener.onTrialEnd(trial, configurations.size());
        }
        Trial chosen = null;
        for (Trial trial : trials) {
            if (!Double.isNaN(trial.validationScore()) && (chosen == null || trial.betterThan(chosen))) {
                chosen = trial;
            }
        }
        if (chosen == null) {
            throw new TrainingDivergedException("Every autoTune trial diverged (" + trials.size() + " trials); "
                    + "lower the learningRate range in autoTune.space");
        }
        return new Search(trials, chosen, endReason);
    }

    /** The same graph and features; the test nodes leave the split and lose their labels. */
    static TrainingData withoutTestNodes(TrainingData data) {
        NodeSplit split = data.split();
        return new TrainingData(data.graph(), data.features(), data.labels().withoutLabels(split.test()),
                new NodeSplit(split.train(), split.validation(), new int[0]));
    }

    /** All trial configurations, from the seed alone: the defaults first when inside the space, then draws. */
    static List<Map<String, Object>> draw(TuneSettings settings, GatConfig base, TrainingConfig training) {
        SearchSpace space = settings.space();
        SplittableRandom random = new SplittableRandom(settings.seed());
        List<Map<String, Object>> configurations = new ArrayList<>();
        Map<String, Object> defaults = space.baseValues(base, training);
        if (defaults != null) {
            configurations.add(defaults);
        }
        while (configurations.size() < settings.maxTrials()) {
            Map<String, Object> drawn = space.sample(random);
            // A small discrete space repeats itself; a few redraws avoid training the same thing twice.
            for (int attempt = 0; attempt < 100 && configurations.contains(drawn); attempt++) {
                drawn = space.sample(random);
            }
            configurations.add(drawn);
        }
        return configurations;
    }

    static ModelMetadata.AutoTune metadata(TuneSettings settings, Search search) {
        return new ModelMetadata.AutoTune(settings.maxTrials(), settings.timeBudgetMillis(), settings.seed(),
                settings.space().toMap(), search.endReason().name(), search.chosen().number(),
                new LinkedHashMap<>(search.chosen().configuration()),
                search.trials().stream().map(Trial::summary).toList());
    }
}
