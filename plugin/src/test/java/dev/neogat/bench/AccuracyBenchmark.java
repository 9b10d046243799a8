package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.TypedCsv;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.EpochStats;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Test accuracy over seeds on the Planetoid citation datasets (or {@code dense}: issue 14's dense
 * synthetic shape) with the GAT paper's setup: 2 layers, 8 heads × 8 hidden, ELU, 1 output head, dropout
 * 0.6 on each head's input, on messages and on attention, lr 0.005, L2 5e-4, early stopping (patience
 * 100), row-normalised features. {@code per-head} or {@code shared} overrides the input-dropout masks;
 * {@code key=value} words vary the configuration (see {@link #configure} and {@link #training}); a dataset is
 * any folder of {@code ../shared/datasets} (typed ones, such as acm, with all relations as one graph);
 * {@code firstSeed=K} starts the seeds at K; {@code history=N} prints every N-th epoch.
 * Prints mean ± std per dataset.
 *
 * <p>Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.AccuracyBenchmark
 * -Dbench.args="cora citeseer 10"}
 */
public final class AccuracyBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        int seeds = 10;
        int firstSeed = 0;
        int historyEvery = 0;
        Boolean perHead = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        List<String> datasets = new ArrayList<>();
        for (String word : words) {
            if (word.matches("\\d+")) {
                seeds = Integer.parseInt(word);
            } else if (word.equals("per-head") || word.equals("shared")) {
                perHead = word.equals("per-head");
            } else if (word.startsWith("history=")) {
                historyEvery = Integer.parseInt(word.substring("history=".length()));
            } else if (word.startsWith("firstSeed=")) {
                firstSeed = Integer.parseInt(word.substring("firstSeed=".length()));
            } else if (word.contains("=")) {
                overrides.put(word.substring(0, word.indexOf('=')), word.substring(word.indexOf('=') + 1));
            } else {
                datasets.add(word);
            }
        }
        if (perHead != null) {
            overrides.put("inputDropoutPerHead", perHead.toString());
        }
        if (datasets.isEmpty()) {
            datasets = List.of("cora", "citeseer");
        }
        int threads = BenchArgs.threads();
        for (String name : datasets) {
            Dataset dataset = name.equals("dense") ? SyntheticGraphs.generate(SyntheticGraphs.Spec.denseWords(1))
                    : TypedCsv.loadAny(SharedData.sharedDir().resolve("datasets").resolve(name));
            GatConfig config = configure(paperConfig(dataset), overrides);
            TrainingConfig training = training(TrainingConfig.defaults(), overrides);
            System.out.printf(Locale.ROOT, "%s: %s%n  %s%n", name, config.toMap(), training);
            double[] accuracies = new double[seeds];
            for (int k = 0; k < seeds; k++) {
                int seed = firstSeed + k;
                TrainingResult result = train(dataset, config, training.withSeed(seed), threads);
                accuracies[k] = result.test().score();
                System.out.printf(Locale.ROOT, "%s seed %d: test %.2f%% val %.2f%% train %.2f%% epochs %d best %d "
                                + "(%.0f ms, %.2f ms/step median, %.1f ms/epoch)%n", name, seed,
                        100 * result.test().score(), 100 * result.validation().score(), 100 * result.train().score(),
                        result.epochsRun(), result.bestEpoch(), result.trainMillis(), result.medianStepMillis(),
                        result.trainMillis() / result.epochsRun());
                for (EpochStats epoch : result.history()) {
                    if (historyEvery > 0 && epoch.epoch() % historyEvery == 0) {
                        System.out.printf(Locale.ROOT, "  epoch %d: step loss %.4f train %.2f%% val %.2f%% "
                                        + "val loss %.4f%n", epoch.epoch(), epoch.loss(), 100 * epoch.trainScore(),
                                100 * epoch.validationScore(), epoch.validationLoss());
                    }
                }
            }
            double mean = Arrays.stream(accuracies).average().orElse(Double.NaN);
            double std = Math.sqrt(Arrays.stream(accuracies).map(a -> (a - mean) * (a - mean)).sum()
                    / Math.max(1, seeds - 1));
            System.out.printf(Locale.ROOT, "%s %s: test accuracy %.2f ± %.2f %% over %d seeds (%d threads)%n", name,
                    overrides, 100 * mean, 100 * std, seeds, threads);
        }
    }

    /**
     * The configuration with {@code key=value} overrides: GatConfig's {@code dropout} (input),
     * {@code attentionDropout}, {@code messageDropout}, {@code inputDropoutPerHead}, {@code normalizeFeatures},
     * {@code hiddenChannels}, {@code heads}.
     */
    static GatConfig configure(GatConfig base, Map<String, String> overrides) {
        GatConfig.Builder builder = base.toBuilder();
        overrides.forEach((key, value) -> {
            switch (key) {
                case "dropout" -> builder.featureDropout(Double.parseDouble(value));
                case "attentionDropout" -> builder.attentionDropout(Double.parseDouble(value));
                case "messageDropout" -> builder.messageDropout(Double.parseDouble(value));
                case "inputDropoutPerHead" -> builder.inputDropoutPerHead(Boolean.parseBoolean(value));
                case "normalizeFeatures" -> builder.normalizeFeatures(Boolean.parseBoolean(value));
                case "hiddenChannels" -> builder.hiddenChannels(Integer.parseInt(value));
                case "heads" -> builder.hiddenHeads(Integer.parseInt(value));
                case "learningRate", "weightDecay", "epochs", "patience" -> {
                }
                default -> throw new IllegalArgumentException("Unknown override '" + key + "'");
            }
        });
        return builder.build();
    }

    /** The training settings with {@code learningRate}, {@code weightDecay}, {@code epochs}, {@code patience}. */
    static TrainingConfig training(TrainingConfig base, Map<String, String> overrides) {
        String lr = overrides.get("learningRate");
        String wd = overrides.get("weightDecay");
        String epochs = overrides.get("epochs");
        String patience = overrides.get("patience");
        return new TrainingConfig(epochs == null ? base.epochs() : Integer.parseInt(epochs),
                lr == null ? base.learningRate() : Double.parseDouble(lr),
                wd == null ? base.weightDecay() : Double.parseDouble(wd),
                patience == null ? base.patience() : Integer.parseInt(patience), base.seed());
    }

    static TrainingResult train(Dataset dataset, GatConfig config, TrainingConfig training, int threads) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            return Trainer.train(backend, dataset.trainingData(), config, training, TrainingListener.NONE,
                    TerminationFlag.RUNNING);
        }
    }

    static TrainingResult train(Dataset dataset, GatConfig config, long seed, int threads) {
        return train(dataset, config, TrainingConfig.defaults().withSeed(seed), threads);
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
