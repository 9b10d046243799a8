package dev.neogat.tune;

import dev.neogat.data.NodeLabels;
import dev.neogat.model.ModelFile;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TypedSignalGraph;
import dev.neogat.train.TypedTrainingData;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * autoTune over a typed model, the same search as {@link AutoTuneTest}'s untyped one: on a small generated typed
 * graph (four node types, one without features, a relationship property) the trials are the same for a seed, never
 * depend on the test labels, the chosen trial trained again is the model returned (its search in the metadata, kept
 * by the model file), and the budget and termination end the search as they end the untyped one.
 */
class TypedAutoTuneTest {

    private static final TypedSignalGraph GRAPH = new TypedSignalGraph(120, 4);

    private static final TypedGatConfig BASE = GRAPH.config(true, 2).hiddenChannels(4).normalizeFeatures(true)
            .messageDropout(0).build();

    private static final TrainingConfig TRAINING = new TrainingConfig(12, 0.01, 5e-4, 6, 3);

    /** Small widths keep each trial short; every other tunable key keeps its default range. */
    private static final SearchSpace SPACE = SearchSpace.of(Map.of("hiddenChannels", List.of(4, 6),
            "heads", List.of(1, 2)), Map.of(), Set.of(), true);

    private static AutoTuner.Search search(TypedTrainingData data, int threads, TuneSettings settings,
                                           TuneListener listener, TerminationFlag flag) {
        try (CpuBackend backend = new CpuBackend(threads, flag)) {
            return AutoTuner.search(backend, data, BASE, TRAINING, settings, listener, flag);
        }
    }

    @Test
    void theSameSeedGivesTheSameTrialsStartingFromTheTypedDefaults() {
        TuneSettings settings = new TuneSettings(3, 0, 9, SPACE);
        AutoTuner.Search one = search(GRAPH.typed(), 1, settings, TuneListener.NONE, TerminationFlag.RUNNING);
        AutoTuner.Search two = search(GRAPH.typed(), 2, settings, TuneListener.NONE, TerminationFlag.RUNNING);
        assertThat(TuneListeners.withoutTimes(two)).isEqualTo(TuneListeners.withoutTimes(one));
        assertEquals(one.chosen().number(), two.chosen().number());
        assertThat(one.trials()).hasSize(3);

        Map<String, Object> first = one.trials().get(0).configuration();
        assertEquals(BASE.featureDropout(), first.get("dropout"));
        assertEquals(BASE.hiddenChannels(), first.get("hiddenChannels"));
        assertEquals(BASE.hiddenHeads(), first.get("heads"));
        assertEquals(true, first.get("normalizeFeatures"));
        assertEquals(TRAINING.learningRate(), first.get("learningRate"));
        assertThat(AutoTuner.draw(new TuneSettings(3, 0, 10, SPACE), TrialConfiguration.baseValues(BASE, TRAINING)))
                .isNotEqualTo(AutoTuner.draw(settings, TrialConfiguration.baseValues(BASE, TRAINING)));
    }

    @Test
    void scramblingTheTestLabelsChangesNoTrialAndNotTheChoice() {
        TuneSettings settings = new TuneSettings(4, 0, 5, SPACE);
        TypedTrainingData data = GRAPH.typed();
        AutoTuner.Search original = search(data, 2, settings, TuneListener.NONE, TerminationFlag.RUNNING);

        int[] classOf = data.labels().classes().clone();
        int[] test = data.split().test();
        int first = classOf[test[0]];
        // Rotating the test labels by one moves every label to another test node.
        for (int i = 0; i < test.length - 1; i++) {
            classOf[test[i]] = classOf[test[i + 1]];
        }
        classOf[test[test.length - 1]] = first;
        int changed = 0;
        for (int node : test) {
            changed += classOf[node] != data.labels().classOf(node) ? 1 : 0;
        }
        assertThat(changed).as("test labels actually changed").isGreaterThan(test.length / 2);
        TypedTrainingData scrambled = new TypedTrainingData(data.graph(), data.features(), data.targetType(),
                NodeLabels.singleLabel(classOf, data.labels().classCount()), data.split(),
                data.relationshipFeatures());
        AutoTuner.Search again = search(scrambled, 2, settings, TuneListener.NONE, TerminationFlag.RUNNING);

        assertThat(TuneListeners.withoutTimes(again)).isEqualTo(TuneListeners.withoutTimes(original));
        assertEquals(original.chosen().number(), again.chosen().number());
        assertThat(original.trials().stream().map(Trial::validationScore).distinct().count())
                .as("the trials differ, so the choice means something").isGreaterThan(1);
    }

    @Test
    void theTrialsNeverSeeTestNodesOrTheirLabels() {
        TypedTrainingData data = AutoTuner.withoutTestNodes(GRAPH.typed());
        assertThat(data.split().test()).isEmpty();
        for (int node : GRAPH.typed().split().test()) {
            assertThat(data.labels().hasLabel(node)).isFalse();
        }
        for (int node : GRAPH.typed().split().validation()) {
            assertEquals(GRAPH.typed().labels().classOf(node), data.labels().classOf(node));
        }
        assertEquals(GRAPH.typed().relationshipFeatures(), data.relationshipFeatures());
    }

    @Test
    void theChosenTrialTrainedAgainIsTheModelReturnedWithItsSearchStored() throws Exception {
        List<String> events = new ArrayList<>();
        TuneListener listener = TuneListeners.recording(events);
        AutoTuner.TypedResult result;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            result = AutoTuner.tuneAndTrain(backend, GRAPH.typed(), BASE, TRAINING, new TuneSettings(3, 0, 4, SPACE),
                    listener, TerminationFlag.RUNNING);
        }
        Trial chosen = result.search().chosen();
        assertThat(events).containsExactly("start 1/3", "end 1", "start 2/3", "end 2", "start 3/3", "end 3",
                "final " + chosen.number());
        assertEquals(chosen.validationScore(), result.result().validation().score(), 0.0);
        assertEquals(chosen.validationLoss(), result.result().validation().loss(), 0.0);
        TypedGatConfig expected = TrialConfiguration.model(BASE, chosen.configuration());
        assertEquals(expected, result.config());
        assertEquals(((Number) chosen.configuration().get("hiddenChannels")).intValue(), expected.hiddenChannels());
        assertEquals(result.config(), result.model().config());
        assertEquals(TrialConfiguration.training(TRAINING, chosen.configuration()), result.training());
        assertThat(result.result().test().total()).isEqualTo(GRAPH.typed().split().test().length);
        for (Trial trial : result.search().trials()) {
            assertThat(trial.validationScore()).isLessThanOrEqualTo(chosen.validationScore());
        }

        ModelMetadata.AutoTune stored = result.model().metadata().autoTune();
        assertThat(stored.trials()).hasSize(3);
        assertEquals(chosen.number(), stored.chosenTrial());
        assertThat(result.model().metadata().relationWeights()).as("the typed metadata is kept beside the search")
                .isNotNull();
        TypedTrainedModel read = assertInstanceOf(TypedTrainedModel.class,
                ModelFile.decodeAny(ModelFile.encode(result.model()), "tuned.gatm"));
        assertEquals(result.model().config(), read.config());
        assertEquals(stored.chosenTrial(), read.metadata().autoTune().chosenTrial());
        assertThat(read.metadata().autoTune().trials()).hasSize(3);
    }

    @Test
    void withSeveralSeedsTheBestRunIsTrainedAgainAndTheModelFileKeepsEveryRun() throws Exception {
        AutoTuner.TypedResult result;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            result = AutoTuner.tuneAndTrain(backend, GRAPH.typed(), BASE, TRAINING,
                    new TuneSettings(2, 0, 4, SPACE, 2), TuneListener.NONE, TerminationFlag.RUNNING);
        }
        Trial chosen = result.search().chosen();
        for (Trial trial : result.search().trials()) {
            assertThat(trial.runs()).extracting(Trial.Run::seed).containsExactly(TRAINING.seed(), TRAINING.seed() + 1);
        }
        assertEquals(chosen.bestRun().seed(), result.training().seed());
        assertEquals(chosen.bestRun().validationLoss(), result.result().validation().loss(), 0.0);
        assertEquals(chosen.bestRun().validationScore(), result.result().validation().score(), 0.0);

        TypedTrainedModel read = assertInstanceOf(TypedTrainedModel.class,
                ModelFile.decodeAny(ModelFile.encode(result.model()), "tuned.gatm"));
        ModelMetadata.AutoTune stored = read.metadata().autoTune();
        assertEquals(2, stored.seedsPerTrial());
        assertEquals(chosen.bestRun().seed(), stored.chosenSeed());
        for (int i = 0; i < 2; i++) {
            assertEquals(result.model().metadata().autoTune().trials().get(i).runs(), stored.trials().get(i).runs());
        }
        assertThat(stored.trials().get(0).runs()).extracting(ModelMetadata.TrialRun::seed)
                .containsExactly(TRAINING.seed(), TRAINING.seed() + 1);
    }

    @Test
    void aSpentTimeBudgetStopsAfterTheFirstTrial() {
        AutoTuner.Search search = search(GRAPH.typed(), 1, new TuneSettings(5, 1, 5, SPACE), TuneListener.NONE,
                TerminationFlag.RUNNING);
        assertThat(search.trials()).hasSize(1);
        assertEquals(AutoTuner.EndReason.TIME_BUDGET, search.endReason());
    }

    @Test
    void terminationStopsTheSearchBetweenAndInsideTrials() {
        TuneListeners.assertTerminatesBetweenAndInsideTrials((listener, flag) -> search(GRAPH.typed(), 1,
                new TuneSettings(3, 0, 5, SPACE), listener, flag));
    }

    @Test
    void withoutValidationNodesThereIsNothingToScore() {
        TypedTrainingData data = GRAPH.typed();
        TypedTrainingData noValidation = new TypedTrainingData(data.graph(), data.features(), data.targetType(),
                data.labels(), new dev.neogat.data.NodeSplit(data.split().train(), new int[0], data.split().test()),
                data.relationshipFeatures());
        assertThatThrownBy(() -> search(noValidation, 1, new TuneSettings(2, 0, 5, SPACE), TuneListener.NONE,
                TerminationFlag.RUNNING)).hasMessageContaining("validation nodes");
    }

    @Test
    void theWidestTrialBoundsTheTypedMemoryEstimate() {
        TypedGatConfig largest = SPACE.largest(BASE);
        assertEquals(6, largest.hiddenChannels());
        assertEquals(2, largest.hiddenHeads());
        assertEquals(BASE.toBuilder().hiddenChannels(6).build(), largest);
        assertEquals(BASE, BASE.toBuilder().build());
    }
}
