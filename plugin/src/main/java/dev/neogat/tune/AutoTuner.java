package dev.neogat.tune;

import dev.neogat.data.NodeSplit;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingData;
import dev.neogat.train.TrainingDivergedException;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingOutcome;
import dev.neogat.train.TrainingResult;
import dev.neogat.train.TypedTrainer;
import dev.neogat.train.TypedTrainingData;
import dev.neogat.train.TypedTrainingResult;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Seeded random search: the trial configurations are drawn up front from the seed (the first is the
 * unsearched defaults when they lie in the space), each trial trains on the training nodes, once per seed of
 * {@link TuneSettings#seedsPerTrial()}, and is scored by its runs' mean on the validation nodes of data whose test
 * nodes have neither split membership nor labels; the best by validation is then trained again on the full data
 * with the seed of its best run (the same seed: the same weights) and returned. The same search serves untyped
 * and typed models ({@link ModelTraining}: what differs between them).
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

    /**
     * A search over a typed model and the training of its chosen configuration on the full data; {@link #model()}
     * is the trained model with the search in its metadata.
     */
    public record TypedResult(Search search, TypedGatConfig config, TrainingConfig training,
                              TypedTrainingResult result, ModelMetadata.AutoTune autoTune) {

        public TypedTrainedModel model() {
            TypedTrainedModel trained = result.model();
            return trained.withMetadata(trained.metadata().withAutoTune(autoTune));
        }
    }

    /**
     * One kind of model as the search trains it: {@code D} its data, {@code R} a training's result. The trials and the
     * final training differ only in the data they are given.
     */
    private interface ModelTraining<D, R extends TrainingOutcome> {

        /** The base configuration's value of a tunable key; null when it has no single value. */
        Object baseValue(String key);

        /** The base configuration with {@code values} applied, trained on {@code data} with {@code seed}. */
        R train(D data, Map<String, Object> values, long seed, TrainingListener epochs, TerminationFlag termination);

        /** The training seed, the first of each trial's seeds. */
        long seed();
    }

    private record Untyped(Backend backend, GatConfig base, TrainingConfig training)
            implements ModelTraining<TrainingData, TrainingResult> {

        @Override
        public Object baseValue(String key) {
            return TrialConfiguration.baseValues(base, training).apply(key);
        }

        @Override
        public TrainingResult train(TrainingData data, Map<String, Object> values, long seed,
                                    TrainingListener epochs, TerminationFlag termination) {
            return Trainer.train(backend, data, TrialConfiguration.model(base, values),
                    TrialConfiguration.training(training, values).withSeed(seed), epochs, termination);
        }

        @Override
        public long seed() {
            return training.seed();
        }
    }

    private record Typed(Backend backend, TypedGatConfig base, TrainingConfig training)
            implements ModelTraining<TypedTrainingData, TypedTrainingResult> {

        @Override
        public Object baseValue(String key) {
            return TrialConfiguration.baseValues(base, training).apply(key);
        }

        @Override
        public TypedTrainingResult train(TypedTrainingData data, Map<String, Object> values, long seed,
                                         TrainingListener epochs, TerminationFlag termination) {
            return TypedTrainer.train(backend, data, TrialConfiguration.model(base, values),
                    TrialConfiguration.training(training, values).withSeed(seed), epochs, termination);
        }

        @Override
        public long seed() {
            return training.seed();
        }
    }

    private AutoTuner() {
    }

    public static Result tuneAndTrain(Backend backend, TrainingData data, GatConfig base, TrainingConfig training,
                                      TuneSettings settings, TuneListener listener, TerminationFlag termination) {
        Untyped model = new Untyped(backend, base, training);
        Search search = search(model, withoutTestNodes(data), settings, listener, termination);
        TrainingResult trained = trainChosen(model, data, search, listener, termination);
        TrainedModel stored = trained.model().withMetadata(trained.model().metadata()
                .withAutoTune(metadata(settings, search)));
        TrainingResult withMetadata = new TrainingResult(stored, trained.history(), trained.bestEpoch(),
                trained.stopReason(), trained.train(), trained.validation(), trained.test(), trained.trainMillis(),
                trained.device());
        return new Result(search, TrialConfiguration.model(base, search.chosen().configuration()),
                chosenTraining(training, search), withMetadata);
    }

    /** As the untyped {@link #tuneAndTrain}, full-batch, for a typed model. */
    public static TypedResult tuneAndTrain(Backend backend, TypedTrainingData data, TypedGatConfig base,
                                           TrainingConfig training, TuneSettings settings, TuneListener listener,
                                           TerminationFlag termination) {
        Typed model = new Typed(backend, base, training);
        Search search = search(model, withoutTestNodes(data), settings, listener, termination);
        TypedTrainingResult trained = trainChosen(model, data, search, listener, termination);
        return new TypedResult(search, TrialConfiguration.model(base, search.chosen().configuration()),
                chosenTraining(training, search), trained, metadata(settings, search));
    }

    /** Runs the trials on {@code data} without its test nodes; chooses by validation score, then loss. */
    public static Search search(Backend backend, TrainingData data, GatConfig base, TrainingConfig training,
                                TuneSettings settings, TuneListener listener, TerminationFlag termination) {
        return search(new Untyped(backend, base, training), withoutTestNodes(data), settings, listener, termination);
    }

    /** As the untyped {@link #search}, for a typed model. */
    public static Search search(Backend backend, TypedTrainingData data, TypedGatConfig base, TrainingConfig training,
                                TuneSettings settings, TuneListener listener, TerminationFlag termination) {
        return search(new Typed(backend, base, training), withoutTestNodes(data), settings, listener, termination);
    }

    private static <D, R extends TrainingOutcome> R trainChosen(ModelTraining<D, R> model, D data, Search search,
                                                                TuneListener listener, TerminationFlag termination) {
        termination.assertRunning();
        listener.onFinalTraining(search.chosen());
        return model.train(data, search.chosen().configuration(), search.chosen().bestRun().seed(),
                listener.epochs(), termination);
    }

    /** The training settings the chosen configuration is trained again with: its values, its best run's seed. */
    private static TrainingConfig chosenTraining(TrainingConfig training, Search search) {
        return TrialConfiguration.training(training, search.chosen().configuration())
                .withSeed(search.chosen().bestRun().seed());
    }

    /** The trials in order on {@code validationOnly} (data without test nodes), within maxTrials and the budget. */
    private static <D, R extends TrainingOutcome> Search search(ModelTraining<D, R> model, D validationOnly,
                                                                TuneSettings settings, TuneListener listener,
                                                                TerminationFlag termination) {
        List<Map<String, Object>> configurations = draw(settings, model::baseValue);
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
            List<Trial.Run> runs = new ArrayList<>();
            Trial trial;
            try {
                for (int r = 0; r < settings.seedsPerTrial(); r++) {
                    long seed = model.seed() + r;
                    listener.onRunStart(i + 1, r + 1, settings.seedsPerTrial(), seed);
                    runs.add(Trial.Run.of(seed, model.train(validationOnly, values, seed, listener.epochs(),
                            trialFlag)));
                }
                trial = Trial.of(i + 1, values, runs);
            } catch (TrainingDivergedException e) {
                trial = Trial.diverged(i + 1, values, runs);
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
        return new TrainingData(data.graph(), data.features(), data.labels().withoutLabels(data.split().test()),
                trialSplit(data.split()), data.relationshipFeatures());
    }

    /** The same typed graph and features; the target type's test nodes leave the split and lose their labels. */
    static TypedTrainingData withoutTestNodes(TypedTrainingData data) {
        return new TypedTrainingData(data.graph(), data.features(), data.targetType(),
                data.labels().withoutLabels(data.split().test()), trialSplit(data.split()),
                data.relationshipFeatures());
    }

    /** The training and validation nodes; there must be validation nodes to score the trials on. */
    private static NodeSplit trialSplit(NodeSplit split) {
        if (split.validation().length == 0) {
            throw new IllegalArgumentException("autoTune scores each trial on the validation nodes, but there are "
                    + "none: give valFraction above 0, or 'val' nodes in the splitProperty");
        }
        return new NodeSplit(split.train(), split.validation(), new int[0]);
    }

    /** All trial configurations, from the seed alone: the defaults first when inside the space, then draws. */
    static List<Map<String, Object>> draw(TuneSettings settings, Function<String, Object> baseValue) {
        SearchSpace space = settings.space();
        SplittableRandom random = new SplittableRandom(settings.seed());
        List<Map<String, Object>> configurations = new ArrayList<>();
        Map<String, Object> defaults = space.baseValues(baseValue);
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
                search.trials().stream().map(Trial::summary).toList(), settings.seedsPerTrial(),
                search.chosen().bestRun().seed());
    }
}
