package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.TerminationFlag;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Speed and memory of the CPU engine, printed as numbers:
 * <ul>
 *   <li>{@code cora}: median training-epoch time (forward + backward + Adam), median inference time
 *       (forward without dropout), and a full training with early stopping, for the GAT paper's model;</li>
 *   <li>{@code dense}: median training-epoch and inference time on issue 14's dense shape
 *       ({@link SyntheticGraphs.Spec#denseWords}: 3000 nodes, degree 32, 745 features a third non-zero, 8 classes)
 *       for the GAT paper's model, with per-head and with shared input-dropout masks, the features stored
 *       dense (as loaded) and sparse;</li>
 *   <li>{@code scale N}: a synthetic graph of N nodes, average degree 10, 64 dense features, 10 classes,
 *       the same model: build time, median epoch time and peak heap.</li>
 * </ul>
 * Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.args="cora"}, {@code -Dbench.args="dense"} or
 * {@code -Dbench.args="scale 1000000" -Dbench.heap=4g}. Threads: -Dbench.threads (default all cores).
 */
public final class EngineBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        if (words.length == 0) {
            words = new String[]{"cora"};
        }
        int threads = BenchArgs.threads();
        System.out.printf(Locale.ROOT, "java %s, %d cores, %d threads, max heap %.1f GiB%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), threads,
                Runtime.getRuntime().maxMemory() / (double) (1L << 30));
        for (int w = 0; w < words.length; w++) {
            switch (words[w]) {
                case "cora" -> cora(threads);
                case "dense" -> dense(threads);
                case "scale" -> scale(Integer.parseInt(words[++w]), threads);
                default -> throw new IllegalArgumentException("Unknown benchmark '" + words[w]
                        + "'; expected cora, dense or scale N");
            }
        }
    }

    private static void cora(int threads) throws Exception {
        Path dir = SharedData.sharedDir() == null ? null : SharedData.sharedDir().resolve("datasets/cora");
        if (dir == null || !dir.toFile().isDirectory()) {
            System.out.println("cora: skipped, ../shared/datasets/cora is not present");
            return;
        }
        Dataset cora = PlanetoidCsv.load(dir);
        for (boolean paper : new boolean[]{false, true}) {
            GatConfig config = paper ? AccuracyBenchmark.paperConfig(cora) : AccuracyBenchmark.pygConfig(cora);
            String name = paper ? "cora, reference-GAT dropout (per-head input, messages, attention)"
                    : "cora, PyG-equivalent model (shared input dropout, attention dropout)";
            double[][] stepAndInference = epochTimes(cora, config, threads, 100, 300);
            System.out.printf(Locale.ROOT, "%s:%n  training epoch (forward+backward+Adam) median %.2f ms "
                            + "[p10 %.2f, p90 %.2f] (CPU time of all threads %.2f ms) over %d epochs after %d warm-up%n",
                    name, median(stepAndInference[0]), percentile(stepAndInference[0], 0.1),
                    percentile(stepAndInference[0], 0.9), median(stepAndInference[2]), stepAndInference[0].length,
                    100);
            System.out.printf(Locale.ROOT, "  inference (full forward, no dropout) median %.2f ms%n",
                    median(stepAndInference[1]));
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                long start = System.nanoTime();
                TrainingResult result = Trainer.train(backend, cora.trainingData(), config, TrainingConfig.defaults(),
                        TrainingListener.NONE, TerminationFlag.RUNNING);
                double millis = (System.nanoTime() - start) / 1e6;
                double perEpoch = result.history().stream().mapToDouble(h -> h.stepMillis() + h.evaluationMillis())
                        .average().orElse(Double.NaN);
                System.out.printf(Locale.ROOT, "  full training %.0f ms, %d epochs (%s, best %d), %.2f ms per epoch "
                                + "incl. evaluation, test accuracy %.1f%%%n", millis, result.epochsRun(),
                        result.stopReason(), result.bestEpoch(), perEpoch, 100 * result.test().score());
            }
        }
    }

    private static void dense(int threads) {
        Dataset data = SyntheticGraphs.generate(SyntheticGraphs.Spec.denseWords(1));
        System.out.printf(Locale.ROOT, "dense: %d nodes, %d edges, %d features (%.1f%% non-zero, stored %s), "
                        + "%d classes%n", data.nodeCount(), data.edgeCount(), data.features().cols(),
                100.0 * nonZeros(data) / ((double) data.nodeCount() * data.features().cols()),
                data.features() instanceof SparseMatrix ? "sparse" : "dense", data.labels().classCount());
        GatConfig paper = AccuracyBenchmark.paperConfig(data);
        System.out.printf(Locale.ROOT, "  the default ('auto') input dropout here: %s%n",
                paper.inputDropoutPerHead() ? "per head" : "shared by the heads");
        DenseMatrix dense = (DenseMatrix) data.features();
        Dataset sparse = new Dataset(data.name(), data.nodeCount(), data.sources(), data.targets(),
                SparseMatrix.fromDense(dense.rows(), dense.cols(), dense.data()), data.labels(), data.split(),
                data.classNames());
        for (Dataset stored : new Dataset[]{data, sparse}) {
            for (boolean perHead : new boolean[]{true, false}) {
                GatConfig config = paper.toBuilder().inputDropoutPerHead(perHead).build();
                double[][] times = epochTimes(stored, config, threads, 10, 30);
                System.out.printf(Locale.ROOT, "  stored %s, %s input dropout: training epoch median %.1f ms "
                                + "[p10 %.1f, p90 %.1f] (CPU time of all threads %.1f ms), inference %.1f ms%n",
                        stored.features() instanceof SparseMatrix ? "sparse" : "dense ", perHead ? "per-head" : "shared  ",
                        median(times[0]), percentile(times[0], 0.1), percentile(times[0], 0.9), median(times[2]),
                        median(times[1]));
            }
        }
    }

    private static long nonZeros(Dataset data) {
        if (data.features() instanceof DenseMatrix dense) {
            long count = 0;
            for (float v : dense.data()) {
                count += v != 0f ? 1 : 0;
            }
            return count;
        }
        return data.features().storedValues();
    }

    private static void scale(int nodes, int threads) {
        HeapWatch.reset();
        long start = System.nanoTime();
        Dataset data = SyntheticGraphs.generate(SyntheticGraphs.Spec.scaling(nodes, 1));
        double generateMillis = (System.nanoTime() - start) / 1e6;
        GatConfig config = GatConfig.builder(data.features().cols(), data.labels().classCount())
                .hiddenChannels(8).hiddenHeads(8).outputHeads(1).dropout(0.6).messageDropout(0)
                        .normalizeFeatures(false).build();
        double[][] times = epochTimes(data, config, threads, 3, 10);
        long slots = 2L * data.edgeCount() + nodes;
        MemoryEstimate estimate = MemoryEstimate.of(config, nodes, slots, data.edgeCount(),
                data.features().storedValues(), false, true);
        System.out.printf(Locale.ROOT, "scale %d nodes, %d edges (+ reverse and self loops): generated in %.0f ms, "
                        + "training epoch median %.0f ms, inference %.0f ms, peak heap %.2f GiB "
                        + "(engine estimate %.2f GiB, plus the generator's edge arrays)%n", nodes, data.edgeCount(),
                generateMillis, median(times[0]), median(times[1]), HeapWatch.poolsPeak() / (double) (1L << 30),
                estimate.totalBytes() / (double) (1L << 30));
    }

    /**
     * CPU time of all this process's threads: on a shared machine it shows the work done, which wall time
     * (waiting for a core) does not.
     */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** [step times, inference times, step CPU times of all threads] in ms for {@code measured} epochs after {@code warmup}. */
    private static double[][] epochTimes(Dataset data, GatConfig config, int threads, int warmup, int measured) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            long buildStart = System.nanoTime();
            IncomingCsr graph = data.undirectedGraph();
            double buildMillis = (System.nanoTime() - buildStart) / 1e6;
            if (data.nodeCount() > 100_000) {
                System.out.printf(Locale.ROOT, "  CSR: %d slots built in %.0f ms%n", graph.slotCount(), buildMillis);
            }
            GatNetwork network = new GatNetwork(backend, config, Weights.initialize(config, 1), backend.upload(graph),
                    backend.upload(config.normalizeFeatures() ? data.features().rowNormalized() : data.features()));
            Targets train = backend.upload(data.labels(), data.split().train());
            AdamSettings adam = AdamSettings.of(0.005, 5e-4);
            double[] steps = new double[measured];
            double[] inference = new double[measured];
            double[] stepCpu = new double[measured];
            for (int epoch = 1; epoch <= warmup + measured; epoch++) {
                long cpu0 = processCpuNanos();
                long t0 = System.nanoTime();
                network.forward(true, 1, epoch);
                network.lossAndGradients(train);
                network.adamStep(adam);
                long t1 = System.nanoTime();
                long cpu1 = processCpuNanos();
                network.forward();
                long t2 = System.nanoTime();
                if (epoch > warmup) {
                    steps[epoch - warmup - 1] = (t1 - t0) / 1e6;
                    inference[epoch - warmup - 1] = (t2 - t1) / 1e6;
                    stepCpu[epoch - warmup - 1] = (cpu1 - cpu0) / 1e6;
                }
            }
            return new double[][]{steps, inference, stepCpu};
        }
    }

    static double median(double[] values) {
        return percentile(values, 0.5);
    }

    static double percentile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }
}
