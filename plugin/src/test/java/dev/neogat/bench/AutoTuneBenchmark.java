package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.TrainingConfig;
import dev.neogat.tune.AutoTuner;
import dev.neogat.tune.SearchSpace;
import dev.neogat.tune.Trial;
import dev.neogat.tune.TuneListener;
import dev.neogat.tune.TuneSettings;
import dev.neogat.util.TerminationFlag;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Time per trial and in total of {@code autoTune} over the default space, from gat.train's defaults (the GAT
 * paper's model and training, 1000 epochs with patience 100), and the test accuracy of the chosen model.
 *
 * <p>Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.AutoTuneBenchmark
 * -Dbench.args="cora 20"} (dataset, maxTrials, optionally the seed)
 */
public final class AutoTuneBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        String name = words.length > 0 ? words[0] : "cora";
        int maxTrials = words.length > 1 ? Integer.parseInt(words[1]) : TuneSettings.DEFAULT_MAX_TRIALS;
        long seed = words.length > 2 ? Long.parseLong(words[2]) : TrainingConfig.DEFAULT_SEED;
        int threads = BenchArgs.threads();
        Path dir = SharedData.sharedDir().resolve("datasets").resolve(name);
        Dataset dataset = PlanetoidCsv.load(dir);
        TrainingConfig training = TrainingConfig.defaults().withSeed(seed);
        TuneSettings settings = new TuneSettings(maxTrials, 0, seed,
                SearchSpace.of(Map.of(), Map.of(), Set.of(), true));
        TuneListener print = new TuneListener() {
            @Override
            public void onTrialEnd(Trial trial, int trials) {
                System.out.printf(Locale.ROOT, "%s trial %d/%d: val %.2f%% loss %.4f, %d epochs (%s), %.1f s, %s%n",
                        name, trial.number(), trials, 100 * trial.validationScore(), trial.validationLoss(),
                        trial.epochsRun(), trial.stopReason(), trial.millis() / 1000, trial.configuration());
            }
        };
        long start = System.nanoTime();
        AutoTuner.Result result;
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            result = AutoTuner.tuneAndTrain(backend, dataset.trainingData(), AccuracyBenchmark.paperConfig(dataset),
                    training, settings, print, TerminationFlag.RUNNING);
        }
        double totalSeconds = (System.nanoTime() - start) / 1e9;
        double trialSeconds = result.search().trials().stream().mapToDouble(Trial::millis).sum() / 1000;
        int trials = result.search().trials().size();
        System.out.printf(Locale.ROOT, "%s: %d trials in %.1f s (%.1f s per trial), chosen trial %d, retrained in "
                        + "%.1f s; total %.1f s (%d threads)%n", name, trials, trialSeconds, trialSeconds / trials,
                result.search().chosen().number(), result.result().trainMillis() / 1000, totalSeconds, threads);
        System.out.printf(Locale.ROOT, "%s: chosen %s, validation %.2f%%, test %.2f%%%n", name,
                result.search().chosen().configuration(), 100 * result.result().validation().score(),
                100 * result.result().test().score());
    }
}
