package dev.neogat.bench;

import dev.neogat.data.NodeLabels;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.TypedCsv;
import dev.neogat.datasets.TypedDataset;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.testing.SharedData;
import dev.neogat.train.EpochStats;
import dev.neogat.train.Inference;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.Prediction;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedPrediction;
import dev.neogat.train.TypedTrainer;
import dev.neogat.train.TypedTrainingData;
import dev.neogat.train.TypedTrainingResult;
import dev.neogat.util.TerminationFlag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * Test accuracy and macro-F1 of the typed model (relation aggregation 'attention' and 'sum') beside the untyped
 * model on a dataset of the typed layout (default {@code ../shared/datasets/acm}), per seed, with the median
 * training-step time and the peak heap of each run. Accuracy and macro-F1 are computed from the predictions of the
 * kept (best-validation) weights on the test nodes. Both models: 2 layers, 8 heads of 8 hidden channels, one output
 * head, dropout 0.6 (input and attention), features row-normalised; Adam lr 0.005, weight decay 0.001, at most
 * {@code epochs} epochs with patience 100 (HAN's settings; semantic attention vector 128 as HAN's). The typed
 * model's settings can be varied by the arguments {@code patience=}, {@code lr=}, {@code wd=}, {@code dropout=}
 * (input and attention), {@code messageDropout=} (default 0),
 * {@code heads=}, {@code hidden=}, {@code outputHeads=}, {@code layers=}, {@code residual=true|false} and
 * {@code normalize=true|false} (row-normalised features; the untyped model keeps its own architecture and features);
 * {@code batchSize=} (with {@code fanouts=}, e.g. {@code 10,10}; default 10 per layer) trains the typed models on
 * sampled mini-batches of target nodes ({@link MiniBatchConfig}) instead of full batch.
 * Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.TypedAccuracyBenchmark
 * -Dbench.args="acm seeds=0,1 epochs=200 models=attention,sum,untyped"}; typed mini-batch:
 * {@code -Dbench.args="acm seeds=0 epochs=200 models=sum batchSize=128 fanouts=10,10"}.
 */
public final class TypedAccuracyBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        String datasetName = "acm";
        List<Long> seeds = List.of(0L);
        int epochs = 200;
        List<String> models = List.of("attention", "sum", "untyped");
        int patience = 100;
        double learningRate = 0.005;
        double weightDecay = 0.001;
        double dropout = 0.6;
        double messageDropout = 0;
        int heads = 8;
        int hidden = 8;
        int layers = 2;
        int outputHeads = 1;
        boolean residual = false;
        boolean normalize = true;
        Integer batchSize = null;
        int[] fanouts = null;
        for (String word : words) {
            String value = word.substring(word.indexOf('=') + 1);
            if (word.startsWith("patience=")) {
                patience = Integer.parseInt(value);
            } else if (word.startsWith("lr=")) {
                learningRate = Double.parseDouble(value);
            } else if (word.startsWith("wd=")) {
                weightDecay = Double.parseDouble(value);
            } else if (word.startsWith("messageDropout=")) {
                messageDropout = Double.parseDouble(value);
            } else if (word.startsWith("dropout=")) {
                dropout = Double.parseDouble(value);
            } else if (word.startsWith("heads=")) {
                heads = Integer.parseInt(value);
            } else if (word.startsWith("hidden=")) {
                hidden = Integer.parseInt(value);
            } else if (word.startsWith("outputHeads=")) {
                outputHeads = Integer.parseInt(value);
            } else if (word.startsWith("layers=")) {
                layers = Integer.parseInt(value);
            } else if (word.startsWith("residual=")) {
                residual = Boolean.parseBoolean(value);
            } else if (word.startsWith("normalize=")) {
                normalize = Boolean.parseBoolean(value);
            } else if (word.startsWith("batchSize=")) {
                batchSize = Integer.parseInt(value);
            } else if (word.startsWith("fanouts=")) {
                fanouts = java.util.Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
            } else if (word.startsWith("seeds=")) {
                seeds = java.util.Arrays.stream(word.substring(6).split(",")).map(Long::parseLong).toList();
            } else if (word.startsWith("epochs=")) {
                epochs = Integer.parseInt(word.substring(7));
            } else if (word.startsWith("models=")) {
                models = List.of(word.substring(7).split(","));
            } else {
                datasetName = word;
            }
        }
        int threads = BenchArgs.threads();
        if (fanouts != null && batchSize == null) {
            throw new IllegalArgumentException("fanouts= needs batchSize= (typed mini-batch training)");
        }
        MiniBatchConfig miniBatch = batchSize == null ? null : new MiniBatchConfig(batchSize,
                fanouts != null ? fanouts : MiniBatchConfig.defaultFanouts(layers));
        System.out.printf(Locale.ROOT, "typed models train %s%n", miniBatch == null ? "full-batch"
                : "on mini-batches: batchSize " + miniBatch.batchSize() + ", fanouts "
                + java.util.Arrays.toString(miniBatch.fanouts()));
        Path directory = SharedData.sharedDir().resolve("datasets").resolve(datasetName);
        System.out.printf(Locale.ROOT, "java %s, %d cores, %d threads, max heap %.1f GiB; %s, seeds %s, at most %d "
                        + "epochs, patience %d, lr %s, weight decay %s, %d layers, %d heads x %d, %d output heads, "
                        + "dropout %s, message dropout %s, residual %b, features row-normalised %b%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), threads,
                Runtime.getRuntime().maxMemory() / (double) (1L << 30), datasetName, seeds, epochs, patience,
                learningRate, weightDecay, layers, heads, hidden, outputHeads, dropout, messageDropout, residual,
                normalize);
        TypedDataset typed = TypedCsv.loadTyped(directory);
        Dataset untyped = models.contains("untyped") ? TypedCsv.loadUntyped(directory) : null;
        Map<String, FeatureMatrix> normalized = new LinkedHashMap<>();
        boolean rowNormalize = normalize;
        typed.features().forEach((type, x) -> normalized.put(type, rowNormalize ? x.rowNormalized() : x));
        TypedTrainingData data = new TypedTrainingData(typed.graph(), normalized, typed.targetType(), typed.labels(),
                typed.split());
        Map<String, Integer> widths = new LinkedHashMap<>();
        normalized.forEach((type, x) -> widths.put(type, x.cols()));
        System.out.printf(Locale.ROOT, "typed graph: %s %d nodes, relations %s, %d message slots%n",
                typed.targetType(), typed.graph().nodeCount(typed.targetType()), typed.graph().relations(),
                typed.graph().relations().stream().mapToLong(r -> typed.graph().graph(r).slotCount()).sum());

        Map<String, List<double[]>> scores = new LinkedHashMap<>();
        for (long seed : seeds) {
            TrainingConfig training = new TrainingConfig(epochs, learningRate, weightDecay, patience, seed);
            for (String model : models) {
                TypedBenchmark.resetPeaks();
                long start = System.nanoTime();
                double[] score;
                double validation;
                List<EpochStats> history;
                int bestEpoch;
                try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                    if (model.equals("untyped")) {
                        GatConfig config = AccuracyBenchmark.pygConfig(untyped);
                        TrainingResult result = Trainer.train(backend, untyped.trainingData(), config, training,
                                TrainingListener.NONE, TerminationFlag.RUNNING);
                        Prediction prediction = Inference.run(backend, result.model(), untyped.undirectedGraph(),
                                untyped.features(), Inference.Request.LOGITS_ONLY);
                        score = score(untyped.labels(), untyped.split().test(), prediction::predictedClass,
                                untyped.labels().classCount());
                        history = result.history();
                        bestEpoch = result.bestEpoch();
                        validation = result.validation().score();
                    } else {
                        TypedGatConfig config = TypedGatConfig.builder(widths, typed.graph().relations(),
                                        typed.targetType(), typed.labels().classCount())
                                .layers(layers).hiddenHeads(heads).hiddenChannels(hidden).outputHeads(outputHeads)
                                .dropout(dropout).messageDropout(messageDropout).residual(residual)
                                .aggregation(RelationAggregation.parse(model)).build();
                        TypedTrainingResult result = TypedTrainer.train(backend, data, config, training,
                                miniBatch, threads, TrainingListener.NONE, TerminationFlag.RUNNING);
                        TypedPrediction prediction = TypedInference.run(backend, config, result.weights(),
                                typed.graph(), normalized, Inference.Request.LOGITS_ONLY);
                        score = score(typed.labels(), typed.split().test(), prediction::predictedClass,
                                typed.labels().classCount());
                        history = result.history();
                        bestEpoch = result.bestEpoch();
                        validation = result.validation().score();
                        if (model.equals("attention")) {
                            System.out.printf(Locale.ROOT, "  relation weights (beta) per layer: %s%n",
                                    result.relationWeights());
                        }
                    }
                }
                double[] steps = history.stream().mapToDouble(EpochStats::stepMillis).toArray();
                System.out.printf(Locale.ROOT, "%-9s seed %d: test accuracy %.2f %%, macro-F1 %.2f %%; validation "
                                + "accuracy %.2f %%; best epoch %d of %d run; training step median %.0f ms; run %.0f s; "
                                + "peak heap %.2f GiB%n", model, seed,
                        100 * score[0], 100 * score[1], 100 * validation, bestEpoch, history.size(),
                        EngineBenchmark.median(steps),
                        (System.nanoTime() - start) / 1e9, TypedBenchmark.peakHeap() / (double) (1L << 30));
                scores.computeIfAbsent(model, m -> new ArrayList<>()).add(score);
            }
        }
        scores.forEach((model, runs) -> {
            double accuracy = runs.stream().mapToDouble(s -> s[0]).average().orElse(Double.NaN);
            double f1 = runs.stream().mapToDouble(s -> s[1]).average().orElse(Double.NaN);
            double sd = Math.sqrt(runs.stream().mapToDouble(s -> (s[0] - accuracy) * (s[0] - accuracy)).sum()
                    / Math.max(1, runs.size() - 1));
            System.out.printf(Locale.ROOT, "%-9s over %d seeds: test accuracy %.2f %% (sd %.2f), macro-F1 %.2f %%%n",
                    model, runs.size(), 100 * accuracy, 100 * sd, 100 * f1);
        });
    }

    /** Accuracy and macro-F1 (mean over classes of per-class F1, 0 for a class never predicted nor present). */
    static double[] score(NodeLabels labels, int[] nodes, IntUnaryOperator predicted, int classCount) {
        long[] truePositive = new long[classCount];
        long[] predictedCount = new long[classCount];
        long[] actualCount = new long[classCount];
        long correct = 0;
        for (int node : nodes) {
            int actual = labels.classOf(node);
            int guess = predicted.applyAsInt(node);
            predictedCount[guess]++;
            actualCount[actual]++;
            if (guess == actual) {
                truePositive[actual]++;
                correct++;
            }
        }
        double f1Sum = 0;
        for (int c = 0; c < classCount; c++) {
            long denominator = predictedCount[c] + actualCount[c];
            f1Sum += denominator == 0 ? 0 : 2.0 * truePositive[c] / denominator;
        }
        return new double[]{(double) correct / nodes.length, f1Sum / classCount};
    }
}
