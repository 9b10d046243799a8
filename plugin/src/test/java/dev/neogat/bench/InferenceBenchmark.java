package dev.neogat.bench;

import dev.neogat.model.ModelMetadata;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.LayerWiseInference;
import dev.neogat.train.Prediction;
import dev.neogat.util.TerminationFlag;

import java.util.Arrays;
import java.util.Locale;

/**
 * Full-batch against layer-wise inference on a synthetic graph ({@link SyntheticGraphs.Spec#scaling}: N nodes,
 * average degree 10, 64 dense features, 10 classes; undirected, so 10·N message edges plus self loops) for the GAT
 * paper's model (2 layers, 8 heads × 8, one output head), logits only: median time, and the heap above what the
 * graph and features take, two ways: the heap pools' peak since a reset after a collection (garbage included, an
 * upper bound of the live peak) and the most heap in use right after any collection during the runs (live data at
 * that moment, a lower bound).
 *
 * <p>Arguments: {@code N [budgetMiB] [runs] [full|layerwise|both]}: the budget of the layer-wise run (default 256),
 * measured runs after one warm-up (default 3), which to run (default both; run one per JVM with a capped
 * {@code -Dbench.heap} to see which fits). E.g. {@code mvn -q -pl plugin -Pbench verify
 * -Dbench.main=dev.neogat.bench.InferenceBenchmark -Dbench.args="1000000 256 3" -Dbench.heap=6g}.
 */
public final class InferenceBenchmark {

    public static void main(String[] args) {
        String[] words = BenchArgs.words(args);
        int nodes = words.length > 0 ? Integer.parseInt(words[0]) : 100_000;
        long budget = (words.length > 1 ? Long.parseLong(words[1]) : 256) << 20;
        int runs = words.length > 2 ? Integer.parseInt(words[2]) : 3;
        String which = words.length > 3 ? words[3] : "both";
        int threads = BenchArgs.threads();
        System.out.printf(Locale.ROOT, "java %s, %d cores, %d threads, max heap %.1f GiB%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), threads,
                Runtime.getRuntime().maxMemory() / (double) (1L << 30));
        Dataset data = SyntheticGraphs.generate(SyntheticGraphs.Spec.scaling(nodes, 1));
        IncomingCsr graph = data.undirectedGraph();
        GatConfig config = GatConfig.builder(data.features().cols(), data.labels().classCount())
                .hiddenChannels(8).hiddenHeads(8).outputHeads(1).build();
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 1), ModelMetadata.NONE);
        MemoryEstimate estimate = MemoryEstimate.of(config, nodes, graph.slotCount(), data.edgeCount(),
                data.features().storedValues(), false, false);
        System.out.printf(Locale.ROOT, "%d nodes, %d relationships, %d message edges, %d features; full-batch "
                        + "estimate %s (activations %s)%n", nodes, data.edgeCount(), graph.slotCount(),
                data.features().cols(), MemoryEstimate.humanReadable(estimate.totalBytes()),
                MemoryEstimate.humanReadable(estimate.activationBytes()));
        long graphAndFeatures = HeapWatch.reset();
        System.out.printf(Locale.ROOT, "heap in use with the graph and features loaded: %s%n",
                MemoryEstimate.humanReadable(graphAndFeatures));
        float[] fullLogits = null;
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            if (!which.equals("layerwise")) {
                double[] times = new double[runs];
                long[] peak = new long[1];
                long live = 0;
                for (int r = -1; r < runs; r++) {
                    long base = HeapWatch.reset();
                    long t0 = System.nanoTime();
                    Prediction p = Inference.run(backend, model, graph, data.features(), Inference.Request.LOGITS_ONLY);
                    if (r >= 0) {
                        times[r] = (System.nanoTime() - t0) / 1e6;
                    }
                    peak[0] = Math.max(peak[0], HeapWatch.poolsPeak() - base);
                    live = Math.max(live, HeapWatch.liveAfterCollection() - base);
                    fullLogits = p.logits();
                }
                System.out.printf(Locale.ROOT, "full batch:  median %.0f ms over %d runs, heap above the graph: pools' "
                        + "peak %s, most live after a collection %s%n", EngineBenchmark.median(times), runs,
                        MemoryEstimate.humanReadable(peak[0]), MemoryEstimate.humanReadable(Math.max(0, live)));
            }
            if (!which.equals("full")) {
                LayerWiseInference.Plan plan = LayerWiseInference.plan(config, graph, data.features(), budget);
                double[] times = new double[runs];
                long peak = 0;
                long live = 0;
                float[] logits = null;
                for (int r = -1; r < runs; r++) {
                    long base = HeapWatch.reset();
                    long t0 = System.nanoTime();
                    Prediction p = LayerWiseInference.predict(backend, model, graph, data.features(), budget,
                            Inference.Request.LOGITS_ONLY, TerminationFlag.RUNNING);
                    if (r >= 0) {
                        times[r] = (System.nanoTime() - t0) / 1e6;
                    }
                    peak = Math.max(peak, HeapWatch.poolsPeak() - base);
                    live = Math.max(live, HeapWatch.liveAfterCollection() - base);
                    logits = p.logits();
                }
                System.out.printf(Locale.ROOT, "layer-wise:  median %.0f ms over %d runs, heap above the graph: pools' "
                                + "peak %s, most live after a collection %s (budget %s: per-node arrays %s, %d chunks)%s%n",
                        EngineBenchmark.median(times), runs, MemoryEstimate.humanReadable(peak),
                        MemoryEstimate.humanReadable(Math.max(0, live)), MemoryEstimate.humanReadable(budget),
                        MemoryEstimate.humanReadable(plan.residentBytes()), plan.chunkCount(),
                        fullLogits == null ? "" : Arrays.equals(fullLogits, logits)
                                ? "; logits identical to full batch" : "; LOGITS DIFFER from full batch");
            }
        }
    }
}
