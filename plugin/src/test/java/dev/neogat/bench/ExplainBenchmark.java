package dev.neogat.bench;

import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedPrediction;
import dev.neogat.train.TypedSignalGraph;
import dev.neogat.train.TypedTrainingData;
import dev.neogat.analysis.Explanation;
import dev.neogat.analysis.PredictionExplainer;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.TerminationFlag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * How faithful and how fast {@link PredictionExplainer} is.
 *
 * <p>{@code cora [nodes]}: trains the GAT paper's model on Cora, explains {@code nodes} (default 100) test nodes
 * (every 10th of the test split) and reports the fidelity: the mean drop of the predicted class's probability
 * when the 5 relationships ranked highest by flow, by occlusion (largest single drop first), or 5 random ones of
 * the same neighbourhood are removed together. A node whose neighbourhood has at most 5 relationships loses
 * all of them under every ranking, so the three agree there; the means are given over all nodes and over those
 * with more than 5. Also: how often the top relationship by flow is the top one by occlusion, and the latency of
 * one full explanation (flow, occlusion of every relationship and neighbour, top 5 features), on one thread and
 * on -Dbench.threads (default all cores); and the time to rank the top 5 relationships of every node, as
 * gat.explain.write does.
 *
 * <p>{@code scale N [runs]}: latency of one explanation, over {@code runs} random nodes (default 20), on a
 * generated N-node graph (average degree 10, 64 dense features) with an untrained model of the paper's shape:
 * the work depends on the neighbourhood, not on the weights nor on N.
 *
 * <p>{@code typed N [runs]}: the same for a typed model, on issue 17's generated typed graph ({@link
 * TypedSignalGraph}, N items with users, shops and tags, a relationship property on ratings) with an untrained model
 * of 2 layers, 4 heads of 8 channels and semantic attention: one whole-graph inference (the relation weights every
 * explanation keeps), then one full explanation of {@code runs} random items each.
 *
 * <p>Run: {@code mvn -q -B -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.ExplainBenchmark
 * -Dbench.args="cora 100 scale 1000000 20" -Dbench.heap=4g}
 */
public final class ExplainBenchmark {

    private static final int REMOVED = 5;

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        if (words.length == 0) {
            words = new String[]{"cora"};
        }
        System.out.printf(Locale.ROOT, "java %s, %d cores (shared machine: timings are noisy)%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
        for (int w = 0; w < words.length; w++) {
            switch (words[w]) {
                case "cora" -> {
                    int nodes = w + 1 < words.length && words[w + 1].matches("\\d+") ? Integer.parseInt(words[++w])
                            : 100;
                    cora(nodes);
                }
                case "scale" -> {
                    int nodes = Integer.parseInt(words[++w]);
                    int runs = w + 1 < words.length && words[w + 1].matches("\\d+") ? Integer.parseInt(words[++w])
                            : 20;
                    scale(nodes, runs);
                }
                case "typed" -> {
                    int items = Integer.parseInt(words[++w]);
                    int runs = w + 1 < words.length && words[w + 1].matches("\\d+") ? Integer.parseInt(words[++w])
                            : 20;
                    typed(items, runs);
                }
                default -> throw new IllegalArgumentException("Unknown benchmark '" + words[w]
                        + "'; expected cora [nodes], scale N [runs] or typed N [runs]");
            }
        }
    }

    private static void cora(int count) throws Exception {
        Path dir = SharedData.sharedDir() == null ? null : SharedData.sharedDir().resolve("datasets/cora");
        if (dir == null || !dir.toFile().isDirectory()) {
            System.out.println("cora: skipped, ../shared/datasets/cora is not present");
            return;
        }
        Dataset cora = PlanetoidCsv.load(dir);
        long trainStart = System.nanoTime();
        TrainingResult trained = AccuracyBenchmark.train(cora, AccuracyBenchmark.paperConfig(cora), 0, BenchArgs.threads());
        TrainedModel model = trained.model();
        System.out.printf(Locale.ROOT, "cora: trained the paper's GAT (seed 0) in %.1f s, test accuracy %.2f%%%n",
                (System.nanoTime() - trainStart) / 1e9, 100 * trained.test().score());
        IncomingCsr graph = cora.undirectedGraph();
        int[] test = cora.trainingData().split().test();
        int stride = Math.max(1, test.length / count);
        int[] nodes = IntStream.range(0, Math.min(count, test.length)).map(i -> test[i * stride]).toArray();

        SplittableRandom random = new SplittableRandom(42);
        double[] latency = new double[nodes.length];
        List<double[]> drops = new ArrayList<>();
        int[] relationships = new int[nodes.length];
        int agree = 0;
        int larger = 0;
        try (CpuBackend backend = CpuBackend.sequential()) {
            for (int i = 0; i < Math.min(10, nodes.length); i++) {
                PredictionExplainer.of(backend, model, graph, cora.features(), nodes[i], PredictionExplainer.MEAN_HEADS)
                        .explain(5, TerminationFlag.RUNNING);
            }
            for (int i = 0; i < nodes.length; i++) {
                long start = System.nanoTime();
                PredictionExplainer explainer = PredictionExplainer.of(backend, model, graph, cora.features(), nodes[i],
                        PredictionExplainer.MEAN_HEADS);
                Explanation e = explainer.explain(5, TerminationFlag.RUNNING);
                latency[i] = (System.nanoTime() - start) / 1e6;

                List<Explanation.RelationshipInfluence> rels = e.relationships();
                relationships[i] = rels.size();
                int[] byFlow = ranked(rels, Comparator.comparingDouble(r -> -r.flow()));
                int[] byOcclusion = ranked(rels, Comparator.comparingDouble(Explanation.RelationshipInfluence::occlusionDelta));
                int[] shuffled = IntStream.range(0, rels.size()).toArray();
                for (int j = shuffled.length - 1; j > 0; j--) {
                    int k = random.nextInt(j + 1);
                    int t = shuffled[j];
                    shuffled[j] = shuffled[k];
                    shuffled[k] = t;
                }
                if (rels.isEmpty()) {
                    drops.add(new double[]{0, 0, 0});
                    continue;
                }
                if (byFlow[0] == byOcclusion[0]) {
                    agree++;
                }
                if (rels.size() > REMOVED) {
                    larger++;
                }
                double p = e.probability();
                drops.add(new double[]{
                        p - explainer.probabilityWithout(first(byFlow)),
                        p - explainer.probabilityWithout(first(byOcclusion)),
                        p - explainer.probabilityWithout(first(shuffled))});
            }
        }
        int withRelationships = (int) Arrays.stream(relationships).filter(r -> r > 0).count();
        System.out.printf(Locale.ROOT, "cora: %d test nodes, %d with relationships in their 2-hop neighbourhood, "
                        + "%d with more than %d; relationships per neighbourhood median %.0f, max %d%n", nodes.length,
                withRelationships, larger, REMOVED, EngineBenchmark.median(Arrays.stream(relationships)
                        .asDoubleStream().toArray()), Arrays.stream(relationships).max().orElse(0));
        String[] names = {"top-5 by flow", "top-5 by occlusion", "5 random"};
        for (int m = 0; m < 3; m++) {
            int column = m;
            double all = drops.stream().mapToDouble(d -> d[column]).average().orElse(Double.NaN);
            double many = IntStream.range(0, nodes.length).filter(i -> relationships[i] > REMOVED)
                    .mapToDouble(i -> drops.get(i)[column]).average().orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "  fidelity (mean drop of p(predicted class)), %-19s all nodes %.4f, "
                    + "nodes with > %d relationships %.4f%n", names[m] + ":", all, REMOVED, many);
        }
        System.out.printf(Locale.ROOT, "  top relationship by flow = top by occlusion: %d of %d nodes (%.0f%%)%n",
                agree, withRelationships, 100.0 * agree / Math.max(1, withRelationships));
        System.out.printf(Locale.ROOT, "  latency of one explanation (1 thread): median %.2f ms, p99 %.2f ms, "
                        + "max %.2f ms%n", EngineBenchmark.median(latency), EngineBenchmark.percentile(latency, 0.99),
                Arrays.stream(latency).max().orElse(0));
        int threads = BenchArgs.threads();
        // What gat.explain.write does for every node: the top 5 relationships, by occlusion and by flow.
        for (Explanation.Ranking ranking : Explanation.Ranking.values()) {
            long start = System.nanoTime();
            try (CpuBackend backend = CpuBackend.sequential()) {
                for (int node = 0; node < cora.nodeCount(); node++) {
                    PredictionExplainer.of(backend, model, graph, cora.features(), node, PredictionExplainer.MEAN_HEADS)
                            .topRelationships(REMOVED, ranking, threads, TerminationFlag.RUNNING);
                }
            }
            System.out.printf(Locale.ROOT, "  top-%d relationships of all %d nodes by %s (%d threads): %.1f s%n",
                    REMOVED, cora.nodeCount(), ranking.name().toLowerCase(Locale.ROOT), threads,
                    (System.nanoTime() - start) / 1e9);
        }
        if (threads > 1) {
            double[] parallel = new double[nodes.length];
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                for (int i = 0; i < nodes.length; i++) {
                    long start = System.nanoTime();
                    PredictionExplainer.of(backend, model, graph, cora.features(), nodes[i],
                            PredictionExplainer.MEAN_HEADS).explain(5, threads, TerminationFlag.RUNNING);
                    parallel[i] = (System.nanoTime() - start) / 1e6;
                }
            }
            System.out.printf(Locale.ROOT, "  latency of one explanation (%d threads): median %.2f ms, p99 %.2f ms%n",
                    threads, EngineBenchmark.median(parallel), EngineBenchmark.percentile(parallel, 0.99));
        }
    }

    private static void scale(int n, int runs) {
        long start = System.nanoTime();
        Dataset data = SyntheticGraphs.generate(SyntheticGraphs.Spec.scaling(n, 1));
        IncomingCsr graph = data.undirectedGraph();
        System.out.printf(Locale.ROOT, "scale %d nodes, %d relationships: generated and built in %.1f s%n", n,
                data.edgeCount(), (System.nanoTime() - start) / 1e9);
        GatConfig config = AccuracyBenchmark.paperConfig(data);
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 1), ModelMetadata.NONE);
        SplittableRandom random = new SplittableRandom(7);
        double[] latency = new double[runs];
        int[] sizes = new int[runs];
        try (CpuBackend backend = CpuBackend.sequential()) {
            for (int i = 0; i < 3; i++) {
                PredictionExplainer.of(backend, model, graph, data.features(), random.nextInt(n),
                        PredictionExplainer.MEAN_HEADS).explain(5, TerminationFlag.RUNNING);
            }
            for (int i = 0; i < runs; i++) {
                int node = random.nextInt(n);
                long t = System.nanoTime();
                PredictionExplainer explainer = PredictionExplainer.of(backend, model, graph, data.features(), node,
                        PredictionExplainer.MEAN_HEADS);
                Explanation explanation = explainer.explain(5, TerminationFlag.RUNNING);
                latency[i] = (System.nanoTime() - t) / 1e6;
                sizes[i] = explanation.relationships().size();
            }
        }
        System.out.printf(Locale.ROOT, "  %d random nodes, relationships per neighbourhood median %.0f, max %d; "
                        + "latency (1 thread) median %.2f ms, p99 %.2f ms%n", runs,
                EngineBenchmark.median(Arrays.stream(sizes).asDoubleStream().toArray()),
                Arrays.stream(sizes).max().orElse(0), EngineBenchmark.median(latency),
                EngineBenchmark.percentile(latency, 0.99));
    }

    private static void typed(int items, int runs) {
        long start = System.nanoTime();
        TypedSignalGraph signal = new TypedSignalGraph(items, 1);
        TypedTrainingData data = signal.typed();
        TypedGatConfig config = signal.config(true, 4).aggregation(RelationAggregation.ATTENTION).build();
        TypedTrainedModel model = new TypedTrainedModel(config,
                Weights.initialize(TypedGatNetwork.parameterShapes(config), 1), ModelMetadata.NONE);
        System.out.printf(Locale.ROOT, "typed %d items (%s), relations %s: generated in %.1f s%n", items,
                data.graph().nodeTypes().stream().map(t -> t + " " + data.graph().nodeCount(t)).toList(),
                data.graph().relations(), (System.nanoTime() - start) / 1e9);
        PredictionExplainer.TypedInputs inputs = new PredictionExplainer.TypedInputs(data.features(),
                data.relationshipFeatures(), Map.of());
        SplittableRandom random = new SplittableRandom(7);
        double[] latency = new double[runs];
        int[] sizes = new int[runs];
        try (CpuBackend backend = CpuBackend.sequential()) {
            start = System.nanoTime();
            TypedPrediction whole = TypedInference.run(backend, model, data.graph(), data.features(),
                    data.relationshipFeatures(), Map.of(), Inference.Request.LOGITS_ONLY);
            System.out.printf(Locale.ROOT, "  whole-graph inference (1 thread) %.1f ms%n",
                    (System.nanoTime() - start) / 1e6);
            for (int i = 0; i < 3; i++) {
                PredictionExplainer.of(backend, model, whole, inputs, random.nextInt(items),
                        PredictionExplainer.MEAN_HEADS).explain(5, TerminationFlag.RUNNING);
            }
            for (int i = 0; i < runs; i++) {
                int item = random.nextInt(items);
                long t = System.nanoTime();
                Explanation explanation = PredictionExplainer.of(backend, model, whole, inputs, item,
                        PredictionExplainer.MEAN_HEADS).explain(5, TerminationFlag.RUNNING);
                latency[i] = (System.nanoTime() - t) / 1e6;
                sizes[i] = explanation.relationships().size();
            }
        }
        System.out.printf(Locale.ROOT, "  %d random items, relationships per neighbourhood median %.0f, max %d; "
                        + "latency (1 thread) median %.2f ms, p99 %.2f ms%n", runs,
                EngineBenchmark.median(Arrays.stream(sizes).asDoubleStream().toArray()),
                Arrays.stream(sizes).max().orElse(0), EngineBenchmark.median(latency),
                EngineBenchmark.percentile(latency, 0.99));
    }

    private static int[] ranked(List<Explanation.RelationshipInfluence> rels,
                                Comparator<Explanation.RelationshipInfluence> order) {
        return IntStream.range(0, rels.size()).boxed()
                .sorted((a, b) -> order.compare(rels.get(a), rels.get(b))).mapToInt(Integer::intValue).toArray();
    }

    private static int[] first(int[] ranking) {
        return Arrays.copyOf(ranking, Math.min(REMOVED, ranking.length));
    }
}
