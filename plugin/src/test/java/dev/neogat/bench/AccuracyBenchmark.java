package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.TerminationFlag;

import java.util.Arrays;
import java.util.Locale;

/**
 * Test accuracy over seeds on the Planetoid citation datasets (or {@code dense}: issue 14's dense
 * synthetic shape) with the GAT paper's setup: 2 layers, 8 heads × 8 hidden, ELU, 1 output head, dropout
 * 0.6 on each head's input, on messages and on attention, lr 0.005, L2 5e-4, early stopping (patience
 * 100), row-normalised features. {@code per-head} or {@code shared} overrides the input-dropout masks.
 * Prints mean ± std per dataset.
 *
 * <p>Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.AccuracyBenchmark
 * -Dbench.args="cora citeseer 10"}
 */
public final class AccuracyBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        int seeds = 10;
        Boolean perHead = null;
        java.util.List<String> datasets = new java.util.ArrayList<>();
        for (String word : words) {
            if (word.matches("\\d+")) {
                seeds = Integer.parseInt(word);
            } else if (word.equals("per-head") || word.equals("shared")) {
                perHead = word.equals("per-head");
            } else {
                datasets.add(word);
            }
        }
        if (datasets.isEmpty()) {
            datasets = java.util.List.of("cora", "citeseer");
        }
        int threads = BenchArgs.threads();
        for (String name : datasets) {
            Dataset dataset = name.equals("dense") ? SyntheticGraphs.generate(SyntheticGraphs.Spec.denseWords(1))
                    : PlanetoidCsv.load(SharedData.sharedDir().resolve("datasets").resolve(name));
            GatConfig config = perHead == null ? paperConfig(dataset)
                    : paperConfig(dataset).toBuilder().inputDropoutPerHead(perHead).build();
            System.out.printf(Locale.ROOT, "%s: input dropout %s%n", name,
                    config.inputDropoutPerHead() ? "per head" : "shared by the heads");
            double[] accuracies = new double[seeds];
            for (int seed = 0; seed < seeds; seed++) {
                TrainingResult result = train(dataset, config, seed, threads);
                accuracies[seed] = result.test().score();
                System.out.printf(Locale.ROOT, "%s seed %d: test %.2f%% val %.2f%% epochs %d best %d (%.0f ms, %.2f ms/step median)%n",
                        name, seed, 100 * result.test().score(), 100 * result.validation().score(), result.epochsRun(),
                        result.bestEpoch(), result.trainMillis(), result.medianStepMillis());
            }
            double mean = Arrays.stream(accuracies).average().orElse(Double.NaN);
            double std = Math.sqrt(Arrays.stream(accuracies).map(a -> (a - mean) * (a - mean)).sum()
                    / Math.max(1, seeds - 1));
            System.out.printf(Locale.ROOT, "%s: test accuracy %.2f ± %.2f %% over %d seeds (%d threads)%n", name,
                    100 * mean, 100 * std, seeds, threads);
        }
    }

    static TrainingResult train(Dataset dataset, GatConfig config, long seed, int threads) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            return Trainer.train(backend, dataset.trainingData(), config, TrainingConfig.defaults().withSeed(seed),
                    TrainingListener.NONE, TerminationFlag.RUNNING);
        }
    }

    /**
     * The GAT paper's transductive model for Cora and CiteSeer (gat.train's defaults), with dropout 0.6 where
     * its reference implementation applies it: each head's input (an independent mask per head for sparse
     * features; one shared mask for dense ones, as inputDropoutPerHead 'auto'), the attention coefficients
     * and the projected messages.
     */
    public static GatConfig paperConfig(Dataset dataset) {
        boolean perHead = GatConfig.autoInputDropoutPerHead(dataset.features() instanceof SparseMatrix);
        return pygConfig(dataset).toBuilder().messageDropout(0.6).inputDropoutPerHead(perHead).build();
    }

    /** The same model as PyG's GAT example: one input-dropout mask shared by the heads, no message dropout. */
    public static GatConfig pygConfig(Dataset dataset) {
        return GatConfig.builder(dataset.features().cols(), dataset.labels().classCount())
                .layers(2).hiddenChannels(8).hiddenHeads(8).outputHeads(1).dropout(0.6).normalizeFeatures(true)
                .messageDropout(0).build();
    }
}
