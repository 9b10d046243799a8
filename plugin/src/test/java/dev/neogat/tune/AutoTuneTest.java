package dev.neogat.tune;

import dev.neogat.model.ModelMetadata;
import dev.neogat.data.NodeLabels;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.train.StoppingRule;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingData;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

class AutoTuneTest {

    private static final Dataset SMALL = SyntheticGraphs.generate(
            new SyntheticGraphs.Spec(400, 4, 4, 200, true, 10, 0.8, 0.6, 80, 160, 11));

    private static final GatConfig BASE = GatConfig.builder(SMALL.features().cols(), SMALL.labels().classCount())
            .hiddenHeads(4).hiddenChannels(4).normalizeFeatures(true).messageDropout(0).build();

    private static final TrainingConfig TRAINING = new TrainingConfig(25, 0.01, 5e-4, 8, 3);

    private static SearchSpace space(Map<String, ?> entries, Map<String, ?> set) {
        return SearchSpace.of(entries, set, Set.of(), true);
    }

    /** Small widths keep the test fast; every other tunable key keeps its default range. */
    private static final SearchSpace SPACE = space(Map.of("hiddenChannels", List.of(4, 6), "heads", List.of(2, 4)),
            Map.of());

    private static AutoTuner.Search search(TrainingData data, int threads, TuneSettings settings,
                                           TuneListener listener, TerminationFlag flag) {
        try (CpuBackend backend = new CpuBackend(threads, flag)) {
            return AutoTuner.search(backend, data, BASE, TRAINING, settings, listener, flag);
        }
    }

    private static List<Map<String, Object>> draw(TuneSettings settings, GatConfig base, TrainingConfig training) {
        return AutoTuner.draw(settings, TrialConfiguration.baseValues(base, training));
    }

    @Test
    void scramblingTheTestLabelsChangesNoTrialAndNotTheChoice() {
        // Two seeds per trial: no run of any trial reads a test label.
        TuneSettings settings = new TuneSettings(4, 0, 5, SPACE, 2);
        AutoTuner.Search original = search(SMALL.trainingData(), 2, settings, TuneListener.NONE,
                TerminationFlag.RUNNING);

        int[] classOf = SMALL.labels().classes().clone();
        int[] test = SMALL.split().test();
        int changed = 0;
        // Rotating the test labels by one moves every label to another test node.
        int first = classOf[test[0]];
        for (int i = 0; i < test.length - 1; i++) {
            classOf[test[i]] = classOf[test[i + 1]];
        }
        classOf[test[test.length - 1]] = first;
        for (int node : test) {
            changed += classOf[node] != SMALL.labels().classOf(node) ? 1 : 0;
        }
        assertThat(changed).as("test labels actually changed").isGreaterThan(test.length / 2);
        TrainingData scrambled = new TrainingData(SMALL.undirectedGraph(), SMALL.features(),
                NodeLabels.singleLabel(classOf, SMALL.labels().classCount()), SMALL.split());
        AutoTuner.Search again = search(scrambled, 2, settings, TuneListener.NONE, TerminationFlag.RUNNING);

        assertThat(TuneListeners.withoutTimes(again)).isEqualTo(TuneListeners.withoutTimes(original));
        assertEquals(original.chosen().number(), again.chosen().number());
        assertEquals(original.chosen().configuration(), again.chosen().configuration());
        assertThat(original.trials()).hasSize(4);
        assertThat(original.trials().stream().map(Trial::validationScore).distinct().count())
                .as("the trials differ, so the choice means something").isGreaterThan(1);
    }

    @Test
    void theTrialsNeverSeeTestNodesOrTheirLabels() {
        TrainingData data = AutoTuner.withoutTestNodes(SMALL.trainingData());
        assertThat(data.split().test()).isEmpty();
        for (int node : SMALL.split().test()) {
            assertThat(data.labels().hasLabel(node)).isFalse();
        }
        for (int node : SMALL.split().validation()) {
            assertEquals(SMALL.labels().classOf(node), data.labels().classOf(node));
        }
    }

    @Test
    void theSameSeedGivesTheSameTrialsAndChoiceAtAnyConcurrency() {
        TuneSettings settings = new TuneSettings(3, 0, 9, SPACE);
        AutoTuner.Search one = search(SMALL.trainingData(), 1, settings, TuneListener.NONE, TerminationFlag.RUNNING);
        AutoTuner.Search two = search(SMALL.trainingData(), 2, settings, TuneListener.NONE, TerminationFlag.RUNNING);
        assertThat(TuneListeners.withoutTimes(two)).isEqualTo(TuneListeners.withoutTimes(one));
        assertEquals(one.chosen().number(), two.chosen().number());

        List<Map<String, Object>> drawn = draw(settings, BASE, TRAINING);
        assertEquals(drawn, draw(settings, BASE, TRAINING));
        assertThat(draw(new TuneSettings(3, 0, 10, SPACE), BASE, TRAINING)).isNotEqualTo(drawn);
    }

    @Test
    void theDefaultsAreTheFirstTrialWhenTheyLieInTheSpace() {
        List<Map<String, Object>> drawn = draw(new TuneSettings(5, 0, 1, SPACE), BASE, TRAINING);
        assertEquals(5, drawn.size());
        assertEquals(BASE.featureDropout(), drawn.get(0).get("dropout"));
        assertEquals(TRAINING.learningRate(), drawn.get(0).get("learningRate"));
        assertEquals(4, drawn.get(0).get("hiddenChannels"));
        assertThat(drawn.stream().distinct().count()).isEqualTo(5);

        SearchSpace narrow = space(Map.of("dropout", List.of(0.1, 0.2), "hiddenChannels", List.of(4),
                "heads", List.of(2)), Map.of());
        List<Map<String, Object>> noDefaults = draw(new TuneSettings(3, 0, 1, narrow), BASE, TRAINING);
        for (Map<String, Object> values : noDefaults) {
            assertThat((Double) values.get("dropout")).isBetween(0.1, 0.2);
        }
    }

    @Test
    void aKeyTheUserSetIsNeverSearched() {
        SearchSpace space = space(Map.of("hiddenChannels", List.of(4)),
                Map.of("dropout", 0.3, "learningRate", 0.02, "heads", 2));
        assertThat(space.dimensions()).extracting(SearchDimension::key)
                .doesNotContain("dropout", "learningRate", "heads")
                .contains("attentionDropout", "weightDecay", "hiddenChannels");
        GatConfig base = BASE.toBuilder().featureDropout(0.3).hiddenHeads(2).build();
        TrainingConfig training = new TrainingConfig(25, 0.02, 5e-4, 8, 3);
        for (Map<String, Object> values : draw(new TuneSettings(6, 0, 2, space), base, training)) {
            assertThat(values).doesNotContainKeys("dropout", "learningRate", "heads");
            GatConfig model = TrialConfiguration.model(base, values);
            assertEquals(0.3, model.featureDropout());
            assertEquals(2, model.heads(0));
            assertEquals(0.02, TrialConfiguration.training(training, values).learningRate());
            assertEquals(StoppingRule.GAT_PAPER, TrialConfiguration.training(
                    training.withStoppingRule(StoppingRule.GAT_PAPER), values).stoppingRule());
        }
        SearchSpace following = SearchSpace.of(Map.of(), Map.of("dropout", 0.3), Set.of("attentionDropout"), true);
        assertThat(following.dimensions()).extracting(SearchDimension::key)
                .doesNotContain("dropout", "attentionDropout").contains("messageDropout");
        SearchSpace oneLayer = SearchSpace.of(Map.of(), Map.of(), Set.of(), false);
        assertThat(oneLayer.dimensions()).extracting(SearchDimension::key).doesNotContain("hiddenChannels", "heads");
    }

    @Test
    void badSpacesAreRefusedNamingTheKeyAndValue() {
        assertThatThrownBy(() -> space(Map.of("dropout", List.of(0.2, 0.5)), Map.of("dropout", 0.4)))
                .hasMessageContaining("autoTune.space.dropout").hasMessageContaining("sets 'dropout' to 0.4");
        assertThatThrownBy(() -> space(Map.of("dropout", List.of(0.2, 1.5)), Map.of()))
                .hasMessageContaining("autoTune.space.dropout").hasMessageContaining("[0.2, 1.5]");
        assertThatThrownBy(() -> space(Map.of("learningRate", List.of(0.01, 0.001)), Map.of()))
                .hasMessageContaining("autoTune.space.learningRate").hasMessageContaining("min first");
        assertThatThrownBy(() -> space(Map.of("weightDecay", List.of(0, 0.01)), Map.of()))
                .hasMessageContaining("autoTune.space.weightDecay").hasMessageContaining("above 0");
        assertThatThrownBy(() -> space(Map.of("heads", List.of(4, 0)), Map.of()))
                .hasMessageContaining("autoTune.space.heads").hasMessageContaining("[4, 0]");
        assertThatThrownBy(() -> space(Map.of("normalizeFeatures", List.of("yes")), Map.of()))
                .hasMessageContaining("autoTune.space.normalizeFeatures");
        assertThatThrownBy(() -> space(Map.of("epochs", List.of(10, 20)), Map.of()))
                .hasMessageContaining("cannot search 'epochs'");
        assertThatThrownBy(() -> SearchSpace.of(Map.of("heads", List.of(2)), Map.of(), Set.of(), false))
                .hasMessageContaining("no hidden layer");
        assertThatThrownBy(() -> new TuneSettings(0, 0, 1, SPACE)).hasMessageContaining("autoTune.maxTrials")
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> new TuneSettings(3, 0, 1, SPACE, 0)).hasMessageContaining("autoTune.seedsPerTrial")
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> new TuneSettings(3, 0, 1, SPACE, 11)).hasMessageContaining("autoTune.seedsPerTrial")
                .hasMessageContaining("between 1 and 10").hasMessageContaining("got 11");
        SearchSpace empty = SearchSpace.of(Map.of(), Map.of("x", 1), Set.copyOf(SearchSpace.KEYS), true);
        assertThatThrownBy(() -> new TuneSettings(3, 0, 1, empty)).hasMessageContaining("nothing to search");
    }

    @Test
    void theChosenConfigurationIsTrainedAgainWithTheSameValidationScoreAndStored() {
        List<String> events = new ArrayList<>();
        TuneListener listener = TuneListeners.recording(events);
        AutoTuner.Result result;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            result = AutoTuner.tuneAndTrain(backend, SMALL.trainingData(), BASE, TRAINING,
                    new TuneSettings(3, 0, 4, SPACE), listener, TerminationFlag.RUNNING);
        }
        Trial chosen = result.search().chosen();
        assertThat(events).containsExactly("start 1/3", "end 1", "start 2/3", "end 2", "start 3/3", "end 3",
                "final " + chosen.number());
        assertEquals(chosen.validationScore(), result.result().validation().score(), 0.0);
        assertEquals(chosen.validationLoss(), result.result().validation().loss(), 0.0);
        assertEquals(TrialConfiguration.model(BASE, chosen.configuration()), result.config());
        assertEquals(result.config(), result.result().model().config());
        assertThat(result.result().test().total()).isEqualTo(SMALL.split().test().length);
        ModelMetadata.AutoTune stored = result.result().model().metadata().autoTune();
        assertThat(stored.trials()).hasSize(3);
        assertEquals(chosen.number(), stored.chosenTrial());
        for (Trial trial : result.search().trials()) {
            assertThat(trial.validationScore()).isLessThanOrEqualTo(chosen.validationScore());
        }
    }

    @Test
    void severalSeedsPerTrialAreScoredByTheirMeanAndTheBestRunIsTrainedAgain() {
        List<String> events = new ArrayList<>();
        AutoTuner.Result result;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            result = AutoTuner.tuneAndTrain(backend, SMALL.trainingData(), BASE, TRAINING,
                    new TuneSettings(3, 0, 4, SPACE, 3), TuneListeners.recording(events), TerminationFlag.RUNNING);
        }
        long seed = TRAINING.seed();
        assertThat(events).startsWith("start 1/3", "seed 1.1/3 " + seed, "seed 1.2/3 " + (seed + 1),
                "seed 1.3/3 " + (seed + 2), "end 1", "start 2/3");
        boolean seedsDiffer = false;
        for (Trial trial : result.search().trials()) {
            assertThat(trial.runs()).extracting(Trial.Run::seed).containsExactly(seed, seed + 1, seed + 2);
            assertEquals(trial.runs().stream().mapToDouble(Trial.Run::validationScore).average().orElseThrow(),
                    trial.validationScore(), 1e-12);
            assertEquals(trial.runs().stream().mapToDouble(Trial.Run::validationLoss).average().orElseThrow(),
                    trial.validationLoss(), 1e-12);
            for (Trial.Run run : trial.runs()) {
                assertThat(run.validationScore()).isLessThanOrEqualTo(trial.bestRun().validationScore());
            }
            assertEquals(trial.bestRun().epochsRun(), trial.epochsRun());
            seedsDiffer |= trial.runs().stream().map(Trial.Run::validationLoss).distinct().count() > 1;
        }
        assertThat(seedsDiffer).as("the seeds train different models, so their mean says more than one").isTrue();

        // A trial's first run is the one-seed search's trial: the runs are independent trainings.
        AutoTuner.Search oneSeed = search(SMALL.trainingData(), 2, new TuneSettings(3, 0, 4, SPACE),
                TuneListener.NONE, TerminationFlag.RUNNING);
        for (int i = 0; i < 3; i++) {
            Trial.Run first = result.search().trials().get(i).runs().get(0);
            assertEquals(oneSeed.trials().get(i).validationLoss(), first.validationLoss(), 0.0);
            assertEquals(oneSeed.trials().get(i).epochsRun(), first.epochsRun());
        }

        // The chosen configuration is trained again with its best run's seed: that run's weights come back.
        Trial chosen = result.search().chosen();
        Trial.Run best = chosen.bestRun();
        assertEquals(best.seed(), result.training().seed());
        assertEquals(best.validationScore(), result.result().validation().score(), 0.0);
        assertEquals(best.validationLoss(), result.result().validation().loss(), 0.0);
        assertEquals(best.epochsRun(), result.result().epochsRun());
        ModelMetadata.AutoTune stored = result.result().model().metadata().autoTune();
        assertEquals(3, stored.seedsPerTrial());
        assertEquals(best.seed(), stored.chosenSeed());
        assertThat(stored.trials()).allSatisfy(t -> assertThat(t.runs()).hasSize(3));
        assertThat(oneSeed.trials().get(0).summary().runs()).as("one seed: no runs listed").isNull();
    }

    @Test
    void aSpentTimeBudgetStopsAfterTheFirstTrial() {
        AutoTuner.Search search = search(SMALL.trainingData(), 1, new TuneSettings(5, 1, 5, SPACE),
                TuneListener.NONE, TerminationFlag.RUNNING);
        assertThat(search.trials()).hasSize(1);
        assertEquals(AutoTuner.EndReason.TIME_BUDGET, search.endReason());
    }

    @Test
    void terminationStopsTheSearchBetweenAndInsideTrials() {
        TuneListeners.assertTerminatesBetweenAndInsideTrials((listener, flag) -> search(SMALL.trainingData(), 1,
                new TuneSettings(3, 0, 5, SPACE), listener, flag));
    }

    @Test
    void theTrialsAttendOverTheRelationshipFeatures() {
        dev.neogat.train.TypedSignalGraph graph = new dev.neogat.train.TypedSignalGraph(60, 1);
        TrainingData data = graph.untyped();
        assertThat(AutoTuner.withoutTestNodes(data).relationshipFeatures()).isSameAs(data.relationshipFeatures())
                .isNotNull();
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            AutoTuner.Search search = AutoTuner.search(backend, data, graph.untypedConfig(2),
                    new TrainingConfig(3, 0.01, 5e-4, 3, 1), new TuneSettings(1, 0, 1, SPACE), TuneListener.NONE,
                    TerminationFlag.RUNNING);
            assertThat(search.trials()).hasSize(1);
        }
    }

    @Test
    void withoutValidationNodesThereIsNothingToScore() {
        TrainingData data = SMALL.trainingData();
        TrainingData noValidation = new TrainingData(data.graph(), data.features(), data.labels(),
                new dev.neogat.data.NodeSplit(data.split().train(), new int[0], data.split().test()));
        assertThatThrownBy(() -> search(noValidation, 1, new TuneSettings(2, 0, 5, SPACE), TuneListener.NONE,
                TerminationFlag.RUNNING)).hasMessageContaining("validation nodes");
        assertThat(Arrays.stream(data.split().validation()).count()).isPositive();
    }
}
