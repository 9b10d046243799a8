package dev.neogat.bench;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedLayerWiseInference;
import dev.neogat.train.TypedPredictionCollector;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Epoch time and peak heap of typed and untyped training on one synthetic typed graph, printed as numbers:
 * N papers (64 features) citing 5 papers each, N/2 authors (32 features) writing 2 papers per paper, N/100
 * venues (16 features) hosting each paper once, read undirected (papers also rev_write authors and
 * rev_host venues); 10 classes on the papers. Typed: the GAT paper's model (8 heads of 8, one output head)
 * per relation with sum and with semantic attention; untyped: the same model on the same nodes and edges
 * as one graph, every feature row zero-padded to 64.
 * Arguments: the number of papers, {@code aggregations=sum,attention} (which typed models, default both),
 * {@code untyped=false} (skip the untyped model), {@code warmup=2} and {@code measured=5} epochs (the median of the
 * measured ones is printed). Heap: the heap pools' summed peak (an upper bound) and the most heap live after a
 * collection (a lower bound), both above the generated graph, beside the engine's estimate of the same.
 * {@code inference=<MiB>} times inference instead (logits only, random weights): full batch ({@link TypedInference})
 * against layer by layer within that budget ({@link TypedLayerWiseInference}), with the same heap measures, the
 * chunk count and the largest difference of the logits.
 * Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.TypedBenchmark
 * -Dbench.args="100000"} (-Dbench.heap=8g for 1000000; threads: -Dbench.threads).
 */
public final class TypedBenchmark {

    private static int warmup = 2;
    private static int measured = 5;

    public static void main(String[] args) {
        String[] words = BenchArgs.words(args);
        int papers = 100_000;
        List<RelationAggregation> aggregations = List.of(RelationAggregation.SUM, RelationAggregation.ATTENTION);
        boolean untyped = true;
        long inferenceBudget = 0;
        for (String word : words) {
            if (word.startsWith("aggregations=")) {
                aggregations = Arrays.stream(word.substring("aggregations=".length()).split(","))
                        .filter(a -> !a.isEmpty()).map(RelationAggregation::parse).toList();
            } else if (word.startsWith("warmup=")) {
                warmup = Integer.parseInt(word.substring("warmup=".length()));
            } else if (word.startsWith("measured=")) {
                measured = Integer.parseInt(word.substring("measured=".length()));
            } else if (word.startsWith("inference=")) {
                inferenceBudget = Long.parseLong(word.substring("inference=".length())) << 20;
            } else if (word.startsWith("untyped=")) {
                untyped = Boolean.parseBoolean(word.substring("untyped=".length()));
            } else {
                papers = Integer.parseInt(word);
            }
        }
        int threads = BenchArgs.threads();
        System.out.printf(Locale.ROOT, "java %s, %d cores, %d threads, max heap %.1f GiB; %d papers%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), threads,
                Runtime.getRuntime().maxMemory() / (double) (1L << 30), papers);
        SplittableRandom random = new SplittableRandom(1);
        int authors = papers / 2;
        int venues = Math.max(1, papers / 100);
        int[][] cites = edges(random, papers, papers, 5L * papers);
        int[][] writes = edges(random, authors, papers, 2L * papers);
        int[] hostVenue = new int[papers];
        int[] hosted = new int[papers];
        for (int p = 0; p < papers; p++) {
            hostVenue[p] = random.nextInt(venues);
            hosted[p] = p;
        }
        Map<String, DenseMatrix> features = new LinkedHashMap<>();
        features.put("paper", noise(random, papers, 64));
        features.put("author", noise(random, authors, 32));
        features.put("venue", noise(random, venues, 16));
        int[] classOf = new int[papers];
        for (int p = 0; p < papers; p++) {
            classOf[p] = random.nextInt(10);
        }
        int[] train = new int[papers / 10];
        for (int i = 0; i < train.length; i++) {
            train[i] = i * 10;
        }
        NodeLabels labels = NodeLabels.singleLabel(classOf, 10);

        long buildStart = System.nanoTime();
        TypedGraph graph = TypedGraph.builder().nodeType("paper", papers).nodeType("author", authors)
                .nodeType("venue", venues).relation("paper", "cites", "paper", cites[0], cites[1])
                .relation("author", "writes", "paper", writes[0], writes[1])
                .relation("venue", "hosts", "paper", hostVenue, hosted).undirected().build();
        System.out.printf(Locale.ROOT, "typed graph: %d relations, %d message edges, built in %.0f ms%n",
                graph.relations().size(), graph.relations().stream().mapToLong(r -> graph.graph(r).slotCount()).sum(),
                (System.nanoTime() - buildStart) / 1e6);

        for (RelationAggregation aggregation : aggregations) {
            Map<String, Integer> widths = new LinkedHashMap<>();
            features.forEach((type, x) -> widths.put(type, x.cols()));
            TypedGatConfig config = TypedGatConfig.builder(widths, graph.relations(), "paper", 10)
                    .aggregation(aggregation).build();
            Map<String, Long> featureValues = new LinkedHashMap<>();
            features.forEach((type, matrix) -> featureValues.put(type, matrix.storedValues()));
            MemoryEstimate estimate = MemoryEstimate.typed(config, graph, featureValues, true);
            System.out.printf(Locale.ROOT, "typed %-9s engine estimate %.2f GiB%n", aggregation.key(),
                    estimate.totalBytes() / (double) (1L << 30));
            if (inferenceBudget > 0) {
                inference(config, graph, features, inferenceBudget, threads);
                continue;
            }
            long base = HeapWatch.reset();
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                Map<String, Tensor> x = new LinkedHashMap<>();
                features.forEach((type, matrix) -> x.put(type, backend.upload(matrix)));
                TypedGatNetwork network = new TypedGatNetwork(backend, config,
                        Weights.initialize(TypedGatNetwork.parameterShapes(config), 1), graph, x, false);
                Targets targets = backend.upload(labels, train);
                double median = epochs(() -> {
                    network.forward(true, 1, 1);
                    network.lossAndGradients(targets);
                    network.adamStep(AdamSettings.of(0.005, 5e-4));
                });
                System.out.printf(Locale.ROOT, "typed %-9s training epoch median %.0f ms; heap above the generated "
                                + "graph: pools' peak %.2f GiB, most live after a collection %.2f GiB (estimate %.2f "
                                + "GiB)%n", aggregation.key(), median, (HeapWatch.poolsPeak() - base) / (double) (1L << 30),
                        Math.max(0, HeapWatch.liveAfterCollection() - base) / (double) (1L << 30),
                        (estimate.totalBytes() - estimate.graphBytes() - estimate.featureBytes()) / (double) (1L << 30));
            }
        }

        if (!untyped || inferenceBudget > 0) {
            return;
        }
        int nodes = papers + authors + venues;
        float[] padded = new float[Math.multiplyExact(nodes, 64)];
        int row = 0;
        for (DenseMatrix matrix : features.values()) {
            for (int i = 0; i < matrix.rows(); i++, row++) {
                System.arraycopy(matrix.data(), i * matrix.cols(), padded, row * 64, matrix.cols());
            }
        }
        int edgeCount = cites[0].length + writes[0].length + papers;
        int[] sources = new int[edgeCount];
        int[] targets = new int[edgeCount];
        int e = 0;
        for (int k = 0; k < cites[0].length; k++, e++) {
            sources[e] = cites[0][k];
            targets[e] = cites[1][k];
        }
        for (int k = 0; k < writes[0].length; k++, e++) {
            sources[e] = papers + writes[0][k];
            targets[e] = writes[1][k];
        }
        for (int k = 0; k < papers; k++, e++) {
            sources[e] = papers + authors + hostVenue[k];
            targets[e] = k;
        }
        IncomingCsr csr = new GraphBuilder(nodes).orientation(Orientation.UNDIRECTED).build(sources, targets);
        int[] untypedClass = new int[nodes];
        java.util.Arrays.fill(untypedClass, NodeLabels.NO_LABEL);
        System.arraycopy(classOf, 0, untypedClass, 0, papers);
        GatConfig config = GatConfig.builder(64, 10).build();
        resetPeaks();
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            GatNetwork network = new GatNetwork(backend, config, Weights.initialize(config, 1), backend.upload(csr),
                    backend.upload(new DenseMatrix(nodes, 64, padded)));
            Targets t = backend.upload(NodeLabels.singleLabel(untypedClass, 10), train);
            double median = epochs(() -> {
                network.forward(true, 1, 1);
                network.lossAndGradients(t);
                network.adamStep(AdamSettings.of(0.005, 5e-4));
            });
            MemoryEstimate estimate = MemoryEstimate.of(config, nodes, csr.slotCount(), edgeCount, (long) nodes * 64,
                    false, true);
            System.out.printf(Locale.ROOT, "untyped         training epoch median %.0f ms, peak heap %.2f GiB "
                    + "(engine estimate %.2f GiB; %d message edges)%n", median, peakHeap() / (double) (1L << 30),
                    estimate.totalBytes() / (double) (1L << 30), csr.slotCount());
        }
    }

    /** Full-batch against layer-wise inference of {@code config} with random weights: time, heap, chunks, logits. */
    private static void inference(TypedGatConfig config, TypedGraph graph, Map<String, DenseMatrix> features,
                                  long budget, int threads) {
        Weights weights = Weights.initialize(TypedGatNetwork.parameterShapes(config), 1);
        TypedTrainedModel model = new TypedTrainedModel(config, weights, ModelMetadata.NONE);
        Map<String, FeatureMatrix> x = new LinkedHashMap<>(features);
        float[][] logits = new float[2][];
        TypedLayerWiseInference.Plan plan = TypedLayerWiseInference.plan(config, graph, x, budget,
                new TypedPredictionCollector(config, graph, Inference.Request.LOGITS_ONLY).keptBytes());
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            for (int way = 0; way < 2; way++) {
                boolean layerWise = way == 1;
                long base = HeapWatch.reset();
                double median = epochs(() -> logits[layerWise ? 1 : 0] = (layerWise
                        ? TypedLayerWiseInference.predict(backend, model, graph, x, Map.of(), Map.of(), budget,
                        Inference.Request.LOGITS_ONLY, TerminationFlag.RUNNING)
                        : TypedInference.run(backend, model, graph, x, Inference.Request.LOGITS_ONLY)).logits());
                System.out.printf(Locale.ROOT, "typed %-9s %-11s inference median %.0f ms; heap above the generated "
                                + "graph: pools' peak %.2f GiB, most live after a collection %.2f GiB%s%n",
                        config.aggregation().key(), layerWise ? "layer-wise" : "full batch", median,
                        (HeapWatch.poolsPeak() - base) / (double) (1L << 30),
                        Math.max(0, HeapWatch.liveAfterCollection() - base) / (double) (1L << 30),
                        layerWise ? String.format(Locale.ROOT, " (budget %s: per-node arrays %s, %d chunks)",
                                MemoryEstimate.humanReadable(budget), MemoryEstimate.humanReadable(plan.residentBytes()),
                                plan.chunkCount()) : "");
            }
        }
        double largest = 0;
        for (int i = 0; i < logits[0].length; i++) {
            largest = Math.max(largest, Math.abs(logits[0][i] - logits[1][i]));
        }
        System.out.printf(Locale.ROOT, "typed %-9s largest logit difference %.3g%n", config.aggregation().key(),
                largest);
    }

    private static double epochs(Runnable epoch) {
        double[] times = new double[measured];
        for (int i = 0; i < warmup + measured; i++) {
            long start = System.nanoTime();
            epoch.run();
            if (i >= warmup) {
                times[i - warmup] = (System.nanoTime() - start) / 1e6;
            }
        }
        return EngineBenchmark.median(times);
    }

    private static int[][] edges(SplittableRandom random, int sources, int targets, long count) {
        int n = Math.toIntExact(count);
        int[][] e = new int[2][n];
        for (int k = 0; k < n; k++) {
            e[0][k] = random.nextInt(sources);
            e[1][k] = random.nextInt(targets);
        }
        return e;
    }

    private static DenseMatrix noise(SplittableRandom random, int rows, int cols) {
        float[] values = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return new DenseMatrix(rows, cols, values);
    }

    /** Kept for {@link TypedAccuracyBenchmark}: see {@link HeapWatch#reset()}. */
    static void resetPeaks() {
        HeapWatch.reset();
    }

    /** See {@link HeapWatch#poolsPeak()}. */
    static long peakHeap() {
        return HeapWatch.poolsPeak();
    }
}
