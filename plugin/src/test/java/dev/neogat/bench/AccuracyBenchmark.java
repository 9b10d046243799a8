package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.TypedCsv;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.EpochStats;
import dev.neogat.train.StoppingReplay;
import dev.neogat.train.StoppingRule;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.TerminationFlag;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
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
 * Prints mean ± std of the test accuracy, the mean epochs run and best epoch per dataset. With
 * {@code stoppingRule=GAT_PAPER} it also replays {@link StoppingRule#GAT_PAPER_BOUNDED} over each run's history
 * (where it would have stopped and which weights it would have kept), so one run compares both rules.
 *
 * <p>Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.AccuracyBenchmark
 * -Dbench.args="cora citeseer 10"}
 *
 * <p>{@code minibatch} (with optional {@code batch=512}, {@code fanouts=10,10} and {@code from=0}, the first
 * seed) trains each seed full-batch and on sampled mini-batches and prints both accuracies, their difference,
 * the median epoch time (training step plus validation) and the peak heap of each run:
 * {@code -Dbench.args="minibatch cora citeseer 10"}.
 */
public final class AccuracyBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        int seeds = 10;
        int firstSeed = 0;
        int historyEvery = 0;
        Boolean perHead = null;
        boolean miniBatch = false;
        int batchSize = MiniBatchConfig.DEFAULT_BATCH_SIZE;
        int[] fanouts = MiniBatchConfig.defaultFanouts(2);
        Map<String, String> overrides = new LinkedHashMap<>();
        List<String> datasets = new ArrayList<>();
        for (String word : words) {
            if (word.equals("minibatch")) {
                miniBatch = true;
            } else if (word.startsWith("from=")) {
                firstSeed = Integer.parseInt(word.substring("from=".length()));
            } else if (word.startsWith("batch=")) {
                batchSize = Integer.parseInt(word.substring("batch=".length()));
            } else if (word.startsWith("fanouts=")) {
                fanouts = Arrays.stream(word.substring("fanouts=".length()).split(",")).mapToInt(Integer::parseInt)
                        .toArray();
            } else if (word.matches("\\d+")) {
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
            if (miniBatch) {
                compareMiniBatch(name, dataset, config, new MiniBatchConfig(batchSize, fanouts), firstSeed, seeds,
                        threads);
                continue;
            }
            double[] accuracies = new double[seeds];
            double[] epochsRun = new double[seeds];
            double[] bestEpochs = new double[seeds];
            double[] minutes = new double[seeds];
            // A run under the paper's rule, which stops last, also answers for the bounded rule.
            boolean replay = training.stoppingRule() == StoppingRule.GAT_PAPER && training.patience() > 0;
            double[] replayedEpochs = new double[seeds];
            double[] replayedBest = new double[seeds];
            double[] replayedAccuracies = new double[seeds];
            boolean replayComplete = true;
            for (int k = 0; k < seeds; k++) {
                int seed = firstSeed + k;
                TrainingResult result = train(dataset, config, training.withSeed(seed), threads);
                accuracies[k] = result.test().score();
                epochsRun[k] = result.epochsRun();
                bestEpochs[k] = result.bestEpoch();
                minutes[k] = result.trainMillis() / 60_000;
                System.out.printf(Locale.ROOT, "%s seed %d: test %.2f%% val %.2f%% train %.2f%% epochs %d best %d "
                                + "(%.0f ms, %.2f ms/step median, %.1f ms/epoch)%n", name, seed,
                        100 * result.test().score(), 100 * result.validation().score(), 100 * result.train().score(),
                        result.epochsRun(), result.bestEpoch(), result.trainMillis(), result.medianStepMillis(),
                        result.trainMillis() / result.epochsRun());
                if (replay) {
                    StoppingReplay.Outcome bounded = StoppingReplay.replay(result.history(), training.patience(),
                            StoppingRule.GAT_PAPER_BOUNDED);
                    boolean sameWeights = bounded.bestEpoch() == result.bestEpoch();
                    replayComplete &= sameWeights;
                    replayedEpochs[k] = bounded.epochsRun();
                    replayedBest[k] = bounded.bestEpoch();
                    replayedAccuracies[k] = sameWeights ? accuracies[k] : Double.NaN;
                    System.out.printf(Locale.ROOT,
                            "%s seed %d replayed under GAT_PAPER_BOUNDED: epochs %d best %d (%s)%n", name, seed,
                            bounded.epochsRun(), bounded.bestEpoch(), sameWeights
                                    ? "the same weights, so the same test accuracy"
                                    : "other weights: run with stoppingRule=GAT_PAPER_BOUNDED for its accuracy");
                }
                for (EpochStats epoch : result.history()) {
                    if (historyEvery > 0 && epoch.epoch() % historyEvery == 0) {
                        System.out.printf(Locale.ROOT, "  epoch %d: step loss %.4f train %.2f%% val %.2f%% "
                                        + "val loss %.10f%n", epoch.epoch(), epoch.loss(), 100 * epoch.trainScore(),
                                100 * epoch.validationScore(), epoch.validationLoss());
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s %s %s: test accuracy %.2f ± %.2f %% over %d seeds, epochs run %.1f, "
                            + "best epoch %.1f, %.1f min per seed (%d threads)%n", name, overrides,
                    training.stoppingRule(), 100 * mean(accuracies), 100 * std(accuracies), seeds, mean(epochsRun),
                    mean(bestEpochs), mean(minutes), threads);
            if (replay) {
                System.out.printf(Locale.ROOT, "%s %s GAT_PAPER_BOUNDED replayed: test accuracy %s over %d seeds, "
                                + "epochs run %.1f, best epoch %.1f%n", name, overrides, replayComplete
                                ? String.format(Locale.ROOT, "%.2f ± %.2f %%", 100 * mean(replayedAccuracies),
                                100 * std(replayedAccuracies)) : "not known (other weights in some seed)",
                        seeds, mean(replayedEpochs), mean(replayedBest));
            }
        }
    }

    /**
     * The configuration with {@code key=value} overrides: GatConfig's {@code dropout} (input),
     * {@code attentionDropout}, {@code messageDropout}, {@code inputDropoutPerHead}, {@code normalizeFeatures},
     * {@code hiddenChannels}, {@code heads}, {@code residual}.
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
                case "residual" -> builder.residual(Boolean.parseBoolean(value));
                case "learningRate", "weightDecay", "epochs", "patience", "stoppingRule" -> {
                }
                default -> throw new IllegalArgumentException("Unknown override '" + key + "'");
            }
        });
        return builder.build();
    }

    /**
     * The training settings with {@code learningRate}, {@code weightDecay}, {@code epochs}, {@code patience} and
     * {@code stoppingRule} ({@link StoppingRule}'s names).
     */
    static TrainingConfig training(TrainingConfig base, Map<String, String> overrides) {
        String lr = overrides.get("learningRate");
        String wd = overrides.get("weightDecay");
        String epochs = overrides.get("epochs");
        String patience = overrides.get("patience");
        String rule = overrides.get("stoppingRule");
        return new TrainingConfig(epochs == null ? base.epochs() : Integer.parseInt(epochs),
                lr == null ? base.learningRate() : Double.parseDouble(lr),
                wd == null ? base.weightDecay() : Double.parseDouble(wd),
                patience == null ? base.patience() : Integer.parseInt(patience), base.seed(),
                rule == null ? base.stoppingRule() : StoppingRule.valueOf(rule));
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

    static TrainingResult train(Dataset dataset, GatConfig config, MiniBatchConfig miniBatch, long seed,
                                int threads) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            return Trainer.train(backend, dataset.trainingData(), config, TrainingConfig.defaults().withSeed(seed),
                    miniBatch, TrainingListener.NONE, TerminationFlag.RUNNING);
        }
    }

    /** Per seed: full-batch and mini-batch test accuracy, median epoch time and peak heap; then the means. */
    private static void compareMiniBatch(String name, Dataset dataset, GatConfig config, MiniBatchConfig miniBatch,
                                         int firstSeed, int seeds, int threads) {
        double[][] accuracy = new double[2][seeds];
        double[][] epochMillis = new double[2][seeds];
        long[][] peakHeap = new long[2][seeds];
        String[] modes = {"full-batch", "mini-batch " + miniBatch};
        for (int seed = 0; seed < seeds; seed++) {
            for (int m = 0; m < 2; m++) {
                resetHeapPeaks();
                TrainingResult result = train(dataset, config, m == 0 ? null : miniBatch, firstSeed + seed, threads);
                peakHeap[m][seed] = heapPeak();
                accuracy[m][seed] = result.test().score();
                epochMillis[m][seed] = median(result.history().stream()
                        .mapToDouble(e -> e.stepMillis() + e.evaluationMillis()).toArray());
                System.out.printf(Locale.ROOT, "%s seed %d %s: test %.2f%% epochs %d best %d, %.1f ms/epoch median, "
                                + "peak heap %.0f MiB%n", name, firstSeed + seed, modes[m], 100 * accuracy[m][seed],
                        result.epochsRun(), result.bestEpoch(), epochMillis[m][seed], peakHeap[m][seed] / 1048576.0);
            }
        }
        for (int m = 0; m < 2; m++) {
            System.out.printf(Locale.ROOT, "%s %s: test accuracy %.2f ± %.2f %% over %d seeds, %.1f ms/epoch median, "
                            + "peak heap %.0f MiB max (%d threads)%n", name, modes[m], 100 * mean(accuracy[m]),
                    100 * std(accuracy[m]), seeds, median(epochMillis[m]),
                    Arrays.stream(peakHeap[m]).max().orElse(0) / 1048576.0, threads);
        }
        System.out.printf(Locale.ROOT, "%s: mini-batch minus full-batch %+.2f points%n", name,
                100 * (mean(accuracy[1]) - mean(accuracy[0])));
    }

    private static void resetHeapPeaks() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Sum of the heap pools' peaks since the reset (an upper bound of the live peak: garbage counts too). */
    private static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    private static double std(double[] values) {
        double mean = mean(values);
        return Math.sqrt(Arrays.stream(values).map(a -> (a - mean) * (a - mean)).sum() / Math.max(1, values.length - 1));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length == 0 ? Double.NaN : sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
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
