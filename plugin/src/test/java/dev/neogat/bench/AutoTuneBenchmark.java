package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.TypedCsv;
import dev.neogat.datasets.TypedDataset;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingResult;
import dev.neogat.tune.AutoTuner;
import dev.neogat.tune.SearchSpace;
import dev.neogat.tune.Trial;
import dev.neogat.tune.TrialConfiguration;
import dev.neogat.tune.TuneListener;
import dev.neogat.tune.TuneSettings;
import dev.neogat.util.TerminationFlag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Time per trial and in total of {@code autoTune} over the default space, from gat.train's defaults (the GAT
 * paper's model and training, 1000 epochs with patience 100), and the test accuracy of the chosen model.
 *
 * <p>Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.AutoTuneBenchmark
 * -Dbench.args="cora 20"} (dataset, maxTrials, optionally the seed; AccuracyBenchmark's key=value variations of
 * the starting configuration; seedsPerTrial=3 trains each trial with three seeds, from the seed on, and scores their
 * mean; retrainSeeds=10 trains the chosen configuration again over seeds 0..9). The word
 * {@code typed} searches a typed model of a typed-layout dataset instead ({@code acm typed 20}: gat.train's typed
 * defaults, relations summed, as TypedAccuracyBenchmark builds it; retrainSeeds does not apply).
 */
public final class AutoTuneBenchmark {

    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        Map<String, String> overrides = new LinkedHashMap<>();
        int retrainSeeds = 0;
        int seedsPerTrial = TuneSettings.DEFAULT_SEEDS_PER_TRIAL;
        boolean typed = false;
        for (String word : BenchArgs.words(args)) {
            if (word.equals("typed")) {
                typed = true;
            } else if (word.startsWith("retrainSeeds=")) {
                retrainSeeds = Integer.parseInt(word.substring("retrainSeeds=".length()));
            } else if (word.startsWith("seedsPerTrial=")) {
                seedsPerTrial = Integer.parseInt(word.substring("seedsPerTrial=".length()));
            } else if (word.contains("=")) {
                overrides.put(word.substring(0, word.indexOf('=')), word.substring(word.indexOf('=') + 1));
            } else {
                positional.add(word);
            }
        }
        String name = positional.size() > 0 ? positional.get(0) : "cora";
        int maxTrials = positional.size() > 1 ? Integer.parseInt(positional.get(1)) : TuneSettings.DEFAULT_MAX_TRIALS;
        long seed = positional.size() > 2 ? Long.parseLong(positional.get(2)) : TrainingConfig.DEFAULT_SEED;
        int threads = BenchArgs.threads();
        Path dir = SharedData.sharedDir().resolve("datasets").resolve(name);
        TrainingConfig training = AccuracyBenchmark.training(TrainingConfig.defaults(), overrides).withSeed(seed);
        TuneSettings settings = new TuneSettings(maxTrials, 0, seed,
                SearchSpace.of(Map.of(), Map.of(), Set.of(), true), seedsPerTrial);
        TuneListener print = new TuneListener() {
            @Override
            public void onTrialEnd(Trial trial, int trials) {
                StringBuilder runs = new StringBuilder();
                if (trial.runs().size() > 1) {
                    for (Trial.Run run : trial.runs()) {
                        runs.append(String.format(Locale.ROOT, " seed %d: val %.2f%% loss %.4f, %d epochs;",
                                run.seed(), 100 * run.validationScore(), run.validationLoss(), run.epochsRun()));
                    }
                }
                System.out.printf(Locale.ROOT, "%s trial %d/%d: val %.2f%% loss %.4f, %d epochs (%s), %.1f s,%s %s%n",
                        name, trial.number(), trials, 100 * trial.validationScore(), trial.validationLoss(),
                        trial.epochsRun(), trial.stopReason(), trial.millis() / 1000, runs, trial.configuration());
            }
        };
        if (typed) {
            tuneTyped(name, TypedCsv.loadTyped(dir), overrides, training, settings, print, threads);
            return;
        }
        Dataset dataset = TypedCsv.loadAny(dir);
        GatConfig base = AccuracyBenchmark.configure(AccuracyBenchmark.paperConfig(dataset), overrides);
        long start = System.nanoTime();
        AutoTuner.Result result;
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            result = AutoTuner.tuneAndTrain(backend, dataset.trainingData(), base, training, settings, print, TerminationFlag.RUNNING);
        }
        double totalSeconds = (System.nanoTime() - start) / 1e9;
        double trialSeconds = result.search().trials().stream().mapToDouble(Trial::millis).sum() / 1000;
        int trials = result.search().trials().size();
        System.out.printf(Locale.ROOT, "%s: %d trials in %.1f s (%.1f s per trial), chosen trial %d, retrained in "
                        + "%.1f s; total %.1f s (%d threads)%n", name, trials, trialSeconds, trialSeconds / trials,
                result.search().chosen().number(), result.result().trainMillis() / 1000, totalSeconds, threads);
        System.out.printf(Locale.ROOT, "%s: chosen %s, seed %d, validation %.2f%%, test %.2f%%%n", name,
                result.search().chosen().configuration(), result.training().seed(),
                100 * result.result().validation().score(),
                100 * result.result().test().score());
    
        if (retrainSeeds > 0) {
            // The search ran once with the tuning seed; its choice is trained again over seeds 0..retrainSeeds-1.
            double[] accuracies = new double[retrainSeeds];
            for (int k = 0; k < retrainSeeds; k++) {
                TrainingResult retrained = AccuracyBenchmark.train(dataset, result.config(), result.training().withSeed(k),
                        threads);
                accuracies[k] = retrained.test().score();
                System.out.printf(Locale.ROOT, "%s chosen, seed %d: test %.2f%% val %.2f%% epochs %d best %d%n", name, k,
                        100 * retrained.test().score(), 100 * retrained.validation().score(), retrained.epochsRun(),
                        retrained.bestEpoch());
            }
            double mean = Arrays.stream(accuracies).average().orElse(Double.NaN);
            double std = Math.sqrt(Arrays.stream(accuracies).map(a -> (a - mean) * (a - mean)).sum()
                    / Math.max(1, retrainSeeds - 1));
            System.out.printf(Locale.ROOT, "%s: chosen configuration retrained, test accuracy %.2f ± %.2f %% over %d "
                    + "seeds%n", name, 100 * mean, 100 * std, retrainSeeds);
        }
    }

    /** The typed search: gat.train's typed defaults (8 heads of 8, dropout 0.6 everywhere, rows normalised, sum). */
    private static void tuneTyped(String name, TypedDataset dataset, Map<String, String> overrides,
                                  TrainingConfig training, TuneSettings settings, TuneListener print, int threads) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        dataset.features().forEach((type, x) -> widths.put(type, x.cols()));
        TypedGatConfig defaults = TypedGatConfig.builder(widths, dataset.graph().relations(), dataset.targetType(),
                        dataset.labels().classCount()).hiddenHeads(8).hiddenChannels(8).dropout(0.6)
                .messageDropout(GatConfig.DEFAULT_MESSAGE_DROPOUT).normalizeFeatures(true)
                .aggregation(RelationAggregation.SUM).build();
        Map<String, Object> variations = new LinkedHashMap<>();
        overrides.forEach((key, value) -> {
            switch (key) {
                case "dropout", "attentionDropout", "messageDropout" -> variations.put(key, Double.parseDouble(value));
                case "hiddenChannels", "heads" -> variations.put(key, Integer.parseInt(value));
                case "normalizeFeatures" -> variations.put(key, Boolean.parseBoolean(value));
                default -> { }
            }
        });
        TypedGatConfig base = TrialConfiguration.model(defaults, variations);
        long start = System.nanoTime();
        AutoTuner.TypedResult result;
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            result = AutoTuner.tuneAndTrain(backend, dataset.trainingData(), base, training, settings, print,
                    TerminationFlag.RUNNING);
        }
        double totalSeconds = (System.nanoTime() - start) / 1e9;
        double trialSeconds = result.search().trials().stream().mapToDouble(Trial::millis).sum() / 1000;
        int trials = result.search().trials().size();
        System.out.printf(Locale.ROOT, "%s typed: %d trials in %.1f s (%.1f s per trial), chosen trial %d, retrained "
                        + "in %.1f s; total %.1f s (%d threads)%n", name, trials, trialSeconds, trialSeconds / trials,
                result.search().chosen().number(), result.result().trainMillis() / 1000, totalSeconds, threads);
        System.out.printf(Locale.ROOT, "%s typed: chosen %s, validation %.2f%%, test %.2f%%%n", name,
                result.search().chosen().configuration(), 100 * result.result().validation().score(),
                100 * result.result().test().score());
    }
}
