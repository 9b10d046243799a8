package dev.neogat.gpu;

import dev.neogat.bench.AccuracyBenchmark;
import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.TerminationFlag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Speed and memory of the GPU backend, printed as numbers, for the side-by-side with PyG
 * (src/test/python/pyg_benchmark.py builds the same models on graphs of the same sizes):
 * <ul>
 *   <li>{@code cora}: the PyG-example model (2 layers, 8 heads x 8, dropout 0.6): median training epoch
 *       (forward + backward + Adam, the loss read back), median inference, full training to early stop;</li>
 *   <li>{@code cora-seeds N}: test accuracy over N seeds on the GPU and on the CPU;</li>
 *   <li>{@code arxiv} and {@code arxiv-wide}: an ogbn-arxiv-sized random graph (169,343 nodes, 1,166,243 edges
 *       plus their reverses, 128 dense features, 40 classes) with 8 heads x 8, or 3 heads x 250: median
 *       epoch and the device memory the backend holds.</li>
 * </ul>
 * Device: the first usable GPU, or with {@code -Dgpu.emulated=true} the CPU emulation (slow; checks that
 * the program runs). Run: {@code java -cp ... dev.neogat.gpu.GpuBenchmark cora arxiv arxiv-wide}.
 */
public final class GpuBenchmark {

    public static void main(String[] args) throws Exception {
        List<String> words = new ArrayList<>();
        for (String arg : args) {
            words.addAll(Arrays.asList(arg.trim().split("\\s+")));
        }
        words.removeIf(String::isEmpty);
        if (words.isEmpty()) {
            words = List.of("cora", "arxiv", "arxiv-wide");
        }
        Supplier<Backend> gpu = gpu();
        try (Backend probe = gpu.get()) {
            System.out.printf(Locale.ROOT, "device: %s; java %s%n", probe.description(),
                    System.getProperty("java.version"));
        }
        for (int w = 0; w < words.size(); w++) {
            switch (words.get(w)) {
                case "cora" -> cora(gpu);
                case "cora-seeds" -> coraSeeds(gpu, Integer.parseInt(words.get(++w)));
                case "arxiv" -> arxiv(gpu, 8, 8, 20);
                case "arxiv-wide" -> arxiv(gpu, 3, 250, 10);
                case "tiny" -> tiny(gpu);
                default -> throw new IllegalArgumentException("Unknown benchmark '" + words.get(w)
                        + "'; expected cora, cora-seeds N, arxiv, arxiv-wide or tiny");
            }
        }
    }

    private static Supplier<Backend> gpu() {
        if (Boolean.getBoolean("gpu.emulated")) {
            EmulatedCuda.unavailableBecause().ifPresent(why -> {
                throw new IllegalStateException("GPU emulator unavailable: " + why);
            });
            EmulatedCuda driver = EmulatedCuda.open();
            return () -> new GpuBackend(driver);
        }
        GpuProbe.Status status = GpuProbe.status();
        if (!status.usable()) {
            throw new IllegalStateException("No usable GPU: " + status.reason());
        }
        CudaDriver driver = GpuProbe.device(status.firstUsable().ordinal());
        return () -> new GpuBackend(driver);
    }

    private static Dataset cora() throws Exception {
        Path shared = SharedData.sharedDir();
        Path dir = shared == null ? null : shared.resolve("datasets/cora");
        if (dir == null || !dir.toFile().isDirectory()) {
            System.out.println("cora: skipped, the shared datasets are not present (-Dneogat.shared.dir)");
            return null;
        }
        return PlanetoidCsv.load(dir);
    }

    private static void cora(Supplier<Backend> gpu) throws Exception {
        Dataset cora = cora();
        if (cora == null) {
            return;
        }
        GatConfig config = AccuracyBenchmark.pygConfig(cora);
        try (Backend backend = gpu.get()) {
            Timings timings = epochTimes(backend, cora, config, 50, 200);
            System.out.printf(Locale.ROOT, "cora, PyG-example model: training epoch median %.3f ms [p10 %.3f, p90 %.3f],"
                            + " inference median %.3f ms, device memory held %.1f MiB%n", median(timings.steps),
                    percentile(timings.steps, 0.1), percentile(timings.steps, 0.9), median(timings.inference),
                    timings.deviceBytes / (double) (1 << 20));
        }
        try (Backend backend = gpu.get()) {
            long start = System.nanoTime();
            TrainingResult result = Trainer.train(backend, cora.trainingData(), config, TrainingConfig.defaults(),
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            System.out.printf(Locale.ROOT, "cora, full training on the GPU: %.0f ms, %d epochs (best %d), test accuracy "
                            + "%.1f%%%n", (System.nanoTime() - start) / 1e6, result.epochsRun(), result.bestEpoch(),
                    100 * result.test().score());
        }
    }

    private static void coraSeeds(Supplier<Backend> gpu, int seeds) throws Exception {
        Dataset cora = cora();
        if (cora == null) {
            return;
        }
        GatConfig config = AccuracyBenchmark.paperConfig(cora);
        double[] onGpu = new double[seeds];
        double[] onCpu = new double[seeds];
        for (int seed = 0; seed < seeds; seed++) {
            TrainingConfig training = TrainingConfig.defaults().withSeed(seed);
            try (Backend backend = gpu.get()) {
                onGpu[seed] = Trainer.train(backend, cora.trainingData(), config, training, TrainingListener.NONE,
                        TerminationFlag.RUNNING).test().score();
            }
            try (Backend backend = new CpuBackend(Runtime.getRuntime().availableProcessors(), TerminationFlag.RUNNING)) {
                onCpu[seed] = Trainer.train(backend, cora.trainingData(), config, training, TrainingListener.NONE,
                        TerminationFlag.RUNNING).test().score();
            }
            System.out.printf(Locale.ROOT, "  seed %d: GPU %.1f%%, CPU %.1f%%%n", seed, 100 * onGpu[seed],
                    100 * onCpu[seed]);
        }
        System.out.printf(Locale.ROOT, "cora, paper model, %d seeds: GPU %.2f +- %.2f %%, CPU %.2f +- %.2f %%%n", seeds,
                100 * mean(onGpu), 100 * std(onGpu), 100 * mean(onCpu), 100 * std(onCpu));
    }

    private static void arxiv(Supplier<Backend> gpu, int heads, int channels, int measured) {
        Dataset data = randomGraph(169_343, 1_166_243, 128, 40, 1);
        GatConfig config = GatConfig.builder(128, 40).layers(2).hiddenHeads(heads).hiddenChannels(channels)
                .outputHeads(1).dropout(0.6).normalizeFeatures(false).messageDropout(0).build();
        try (Backend backend = gpu.get()) {
            Timings timings = epochTimes(backend, data, config, 5, measured);
            System.out.printf(Locale.ROOT, "arxiv-sized (%d heads x %d): training epoch median %.2f ms [p10 %.2f, "
                            + "p90 %.2f], inference median %.2f ms, device memory held %.2f GiB%n", heads, channels,
                    median(timings.steps), percentile(timings.steps, 0.1), percentile(timings.steps, 0.9),
                    median(timings.inference), timings.deviceBytes / (double) (1L << 30));
        }
    }

    /** A small random graph, to check on the emulator that the program runs. */
    private static void tiny(Supplier<Backend> gpu) {
        Dataset data = randomGraph(500, 2000, 16, 4, 2);
        GatConfig config = GatConfig.builder(16, 4).hiddenHeads(2).hiddenChannels(4).messageDropout(0)
                .normalizeFeatures(false).build();
        try (Backend backend = gpu.get()) {
            Timings timings = epochTimes(backend, data, config, 1, 3);
            System.out.printf(Locale.ROOT, "tiny: training epoch median %.2f ms, inference %.2f ms, device memory "
                    + "held %.2f MiB%n", median(timings.steps), median(timings.inference),
                    timings.deviceBytes / (double) (1 << 20));
        }
    }

    /** Uniform random edges (no self loops), N(0, 1) features, random labels, half the nodes for training. */
    static Dataset randomGraph(int nodes, int edges, int features, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] sources = new int[edges];
        int[] targets = new int[edges];
        for (int e = 0; e < edges; e++) {
            sources[e] = random.nextInt(nodes);
            int target = random.nextInt(nodes - 1);
            targets[e] = target >= sources[e] ? target + 1 : target;
        }
        float[] x = new float[nodes * features];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) gaussian(random);
        }
        int[] classOf = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            classOf[i] = random.nextInt(classes);
        }
        int[] train = new int[nodes / 2];
        int[] validation = new int[nodes / 4];
        int[] test = new int[nodes - train.length - validation.length];
        for (int i = 0; i < nodes; i++) {
            if (i < train.length) {
                train[i] = i;
            } else if (i < train.length + validation.length) {
                validation[i - train.length] = i;
            } else {
                test[i - train.length - validation.length] = i;
            }
        }
        return new Dataset("random", nodes, sources, targets, new DenseMatrix(nodes, features, x),
                NodeLabels.singleLabel(classOf, classes), new NodeSplit(train, validation, test), List.of());
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private record Timings(double[] steps, double[] inference, long deviceBytes) {
    }

    /** Steps end when the device has finished Adam; inference ends with the logits downloaded. */
    private static Timings epochTimes(Backend backend, Dataset data, GatConfig config, int warmup, int measured) {
        GatNetwork network = new GatNetwork(backend, config, Weights.initialize(config, 1),
                backend.upload(data.undirectedGraph()),
                backend.upload(config.normalizeFeatures() ? data.features().rowNormalized() : data.features()));
        Targets train = backend.upload(data.labels(), data.split().train());
        AdamSettings adam = AdamSettings.of(0.005, 5e-4);
        double[] steps = new double[measured];
        double[] inference = new double[measured];
        float[] logits = new float[data.nodeCount() * config.classCount()];
        for (int epoch = 1; epoch <= warmup + measured; epoch++) {
            long t0 = System.nanoTime();
            network.forward(true, 1, epoch);
            network.lossAndGradients(train);
            network.adamStep(adam);
            if (backend instanceof GpuBackend gpu) {
                gpu.synchronize();
            }
            long t1 = System.nanoTime();
            backend.download(network.forward(), logits);
            long t2 = System.nanoTime();
            if (epoch > warmup) {
                steps[epoch - warmup - 1] = (t1 - t0) / 1e6;
                inference[epoch - warmup - 1] = (t2 - t1) / 1e6;
            }
        }
        long held = backend instanceof GpuBackend gpu ? gpu.allocatedBytes() : 0;
        return new Timings(steps, inference, held);
    }

    private static double median(double[] values) {
        return percentile(values, 0.5);
    }

    private static double percentile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    private static double std(double[] values) {
        double mean = mean(values);
        return Math.sqrt(Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / Math.max(1, values.length - 1));
    }
}
