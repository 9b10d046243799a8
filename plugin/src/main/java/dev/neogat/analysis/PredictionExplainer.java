package dev.neogat.analysis;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.train.Inference;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.util.Exponential;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Explains one node's prediction by a trained model, computing only on the node's L-hop in-neighbourhood
 * (L = the model's layers; see {@link Neighbourhood}), where the model gives the node exactly its output
 * on the whole graph.
 *
 * <ul>
 *   <li><b>Prediction</b>: the class with the highest score, its probability (softmax, or the sigmoid of a
 *       multi-label model) and the runner-up (the class with the next highest probability).</li>
 *   <li><b>Attention flow</b> ({@link AttentionFlow}): per node the share of the prediction reaching its
 *       input features; per relationship, per layer, the flow through its message edges (both directions
 *       on an undirected projection), and their sum over layers.</li>
 *   <li><b>Occlusion</b>: for each stored relationship of the neighbourhood, p'(c) - p(c) for the predicted
 *       class c, where p' comes from an exact forward pass on the neighbourhood without that relationship:
 *       on an undirected projection a relationship is both its message edges, so both go. For each neighbour
 *       node, the same with every message edge from or to it removed. A relationship dropped as a duplicate
 *       has no message edge of its own and is not listed; added self loops are not relationships.</li>
 *   <li><b>Features</b>: gradient × input of log p(c) with respect to the input features the model saw (after
 *       its row normalisation), per node of the neighbourhood: the largest by absolute value.</li>
 * </ul>
 * Removing relationships does not change which nodes are computed on, so every occlusion run is exact. A model
 * that attends over relationship features gets them on every run: each kept message edge its relationship's, an
 * added self loop the mean of its node's kept incoming ones, as on the whole graph without the removed ones.
 */
public final class PredictionExplainer {

    /** {@code head} value that averages each layer's heads. */
    public static final int MEAN_HEADS = -1;

    private final Backend backend;
    private final GatConfig config;
    private final TrainedModel model;
    private final Neighbourhood neighbourhood;
    private final FeatureMatrix features;
    private final float[] logits;
    private final int predictedClass;
    private final double[][] attention;
    /** The whole graph's relationship features, one row per edge; null for a model without. */
    private final DenseMatrix relationshipFeatures;

    private PredictionExplainer(Backend backend, TrainedModel model, Neighbourhood neighbourhood,
                                FeatureMatrix features, DenseMatrix relationshipFeatures, float[] logits,
                                double[][] attention) {
        this.relationshipFeatures = relationshipFeatures;
        this.backend = backend;
        this.config = model.config();
        this.model = model;
        this.neighbourhood = neighbourhood;
        this.features = features;
        this.logits = logits;
        this.predictedClass = argmax(logits);
        this.attention = attention;
    }

    /**
     * Extracts {@code target}'s neighbourhood from {@code graph} and runs the model on it once.
     *
     * @param features the whole graph's input features, as given to inference (before normalisation)
     * @param head     {@link #MEAN_HEADS}, or the head whose attention flows in every layer with several heads
     */
    public static PredictionExplainer of(Backend backend, TrainedModel model, IncomingCsr graph,
                                         FeatureMatrix features, int target, int head) {
        return of(backend, model, graph, features, null, target, head);
    }

    /**
     * As {@link #of(Backend, TrainedModel, IncomingCsr, FeatureMatrix, int, int)} for a model that attends over
     * relationship features: {@code relationshipFeatures} has one row per edge given to the graph builder (null for
     * none); every run on the neighbourhood carries the rows of the slots it keeps.
     */
    public static PredictionExplainer of(Backend backend, TrainedModel model, IncomingCsr graph,
                                         FeatureMatrix features, DenseMatrix relationshipFeatures, int target,
                                         int head) {
        GatConfig config = model.config();
        Inference.requireInput(config, graph, features);
        EdgeFeatures.requireFits(config.edgeDim(), graph, relationshipFeatures);
        for (int l = 0; l < config.layerCount(); l++) {
            if (head != MEAN_HEADS && config.heads(l) > 1 && (head < 0 || head >= config.heads(l))) {
                throw new IllegalArgumentException("Head " + head + " does not exist in layer " + l + ", which has "
                        + config.heads(l) + " heads (0 to " + (config.heads(l) - 1) + ")");
            }
        }
        Neighbourhood neighbourhood = Neighbourhood.of(graph, target, config.layerCount());
        FeatureMatrix local = neighbourhood.features(features);
        if (config.normalizeFeatures()) {
            local = local.rowNormalized();
        }
        IncomingCsr subgraph = neighbourhood.build(null);
        DenseMatrix slotFeatures = relationshipFeatures == null ? null
                : neighbourhood.slotFeatures(relationshipFeatures, null);
        Tensor featureTensor = backend.upload(local);
        GraphTensor graphTensor = backend.upload(subgraph);
        Tensor edgeTensor = EdgeFeatures.upload(backend, subgraph, slotFeatures);
        GatNetwork network = null;
        try {
            network = new GatNetwork(backend, config, model.weights(), graphTensor, featureTensor, edgeTensor, false);
            network.forward();
            float[] logits = targetRow(backend, network.logits());
            double[][] attention = new double[config.layerCount()][neighbourhood.slotCount()];
            for (int l = 0; l < config.layerCount(); l++) {
                int heads = config.heads(l);
                float[] values = download(backend, network.attention(l));
                for (int k = 0; k < neighbourhood.slotCount(); k++) {
                    int slot = subgraph.slotOfEdge(k);
                    double a;
                    if (head == MEAN_HEADS) {
                        a = 0;
                        for (int h = 0; h < heads; h++) {
                            a += values[slot * heads + h];
                        }
                        a /= heads;
                    } else {
                        a = values[slot * heads + (heads == 1 ? 0 : head)];
                    }
                    attention[l][k] = a;
                }
            }
            return new PredictionExplainer(backend, model, neighbourhood, local, relationshipFeatures, logits,
                    attention);
        } finally {
            if (network != null) {
                network.release();
            }
            release(backend, edgeTensor);
            backend.release(graphTensor);
            backend.release(featureTensor);
        }
    }

    public Neighbourhood neighbourhood() {
        return neighbourhood;
    }

    public int predictedClass() {
        return predictedClass;
    }

    /** The target's scores on its neighbourhood. */
    public float[] logits() {
        return logits.clone();
    }

    /** Probability of the predicted class. */
    public double probability() {
        return probabilities(logits)[predictedClass];
    }

    /**
     * Probability of the originally predicted class without the relationships at the given indices of
     * {@link Neighbourhood#relationship(int)} (exact forward pass on the neighbourhood).
     */
    public double probabilityWithout(int... relationshipIndices) {
        boolean[] removed = new boolean[neighbourhood.slotCount()];
        for (int r : relationshipIndices) {
            for (int k : neighbourhood.relationshipSlots(r)) {
                removed[k] = true;
            }
        }
        return probabilities(logitsWithout(backend, removed))[predictedClass];
    }

    /** The full explanation: flow, occlusion of every relationship and neighbour, top features; one thread. */
    public Explanation explain(int topFeatures, TerminationFlag terminationFlag) {
        return explain(topFeatures, 1, terminationFlag);
    }

    /**
     * The full explanation, with the occlusion forward passes spread over {@code concurrency} threads (each on
     * a CPU backend of its own; with 1, on this explainer's backend). Every number is the same at any count.
     */
    public Explanation explain(int topFeatures, int concurrency, TerminationFlag terminationFlag) {
        if (topFeatures < 0) {
            throw new IllegalArgumentException("The number of top features must not be negative, got " + topFeatures);
        }
        return build(topFeatures, true, true, concurrency, terminationFlag);
    }

    /**
     * The k most influential relationships only: by flow no forward pass is needed, by occlusion one per
     * relationship (none per neighbour node); their other scores are NaN where not computed.
     */
    public List<Explanation.RelationshipInfluence> topRelationships(int k, Explanation.Ranking ranking,
                                                                    int concurrency, TerminationFlag terminationFlag) {
        return build(0, ranking == Explanation.Ranking.OCCLUSION, false, concurrency, terminationFlag)
                .topRelationships(k, ranking);
    }

    private Explanation build(int topFeatures, boolean occludeRelationships, boolean occludeNodes, int concurrency,
                              TerminationFlag terminationFlag) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("Concurrency must be at least 1, got " + concurrency);
        }
        int n = neighbourhood.nodeCount();
        int layers = config.layerCount();
        int relationshipCount = neighbourhood.relationshipCount();
        double[] p = probabilities(logits);
        double base = p[predictedClass];
        int runnerUp = runnerUp(p, predictedClass);

        AttentionFlow flow = AttentionFlow.of(neighbourhood.build(null), 0, attention);
        // build(null) keeps slot k at index k, so the flow's slots are the neighbourhood's.

        // Occlusion runs: relationships 0 .. R-1, then neighbour nodes 1 .. n-1 as R + v - 1.
        int runs = (occludeRelationships ? relationshipCount : 0) + (occludeNodes ? n - 1 : 0);
        float[][] without = occlusionRuns(runs, run -> {
            boolean[] removed = new boolean[neighbourhood.slotCount()];
            if (occludeRelationships && run < relationshipCount) {
                for (int k : neighbourhood.relationshipSlots(run)) {
                    removed[k] = true;
                }
            } else {
                int v = run - (occludeRelationships ? relationshipCount : 0) + 1;
                for (int k = 0; k < neighbourhood.slotCount(); k++) {
                    removed[k] = neighbourhood.slotSource(k) == v || neighbourhood.slotTarget(k) == v;
                }
            }
            return removed;
        }, concurrency, terminationFlag);

        List<Explanation.RelationshipInfluence> relationships = new ArrayList<>();
        for (int r = 0; r < relationshipCount; r++) {
            int[] slots = neighbourhood.relationshipSlots(r);
            double[] layerFlow = new double[layers];
            double total = 0;
            for (int k : slots) {
                for (int l = 0; l < layers; l++) {
                    layerFlow[l] += flow.slotFlow(l, k);
                }
            }
            for (double f : layerFlow) {
                total += f;
            }
            int first = slots[0];
            int source = neighbourhood.node(neighbourhood.slotSource(first));
            int target = neighbourhood.node(neighbourhood.slotTarget(first));
            boolean reversed = neighbourhood.isReversed(first);
            float[] scores = occludeRelationships ? without[r] : null;
            relationships.add(new Explanation.RelationshipInfluence(neighbourhood.relationship(r),
                    reversed ? target : source, reversed ? source : target, layerFlow, total,
                    scores == null ? Double.NaN : probabilities(scores)[predictedClass] - base,
                    scores != null && flips(scores), slots.length));
        }

        double[][] attribution = topFeatures > 0 ? featureAttribution(p) : null;
        List<Explanation.NodeInfluence> nodes = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            float[] scores = v > 0 && occludeNodes
                    ? without[(occludeRelationships ? relationshipCount : 0) + v - 1] : null;
            nodes.add(new Explanation.NodeInfluence(neighbourhood.node(v), neighbourhood.distance(v),
                    flow.share(0, v), scores == null ? Double.NaN : probabilities(scores)[predictedClass] - base,
                    scores != null && flips(scores), topFeatures(v, attribution, topFeatures)));
        }
        return new Explanation(neighbourhood.node(0), layers, predictedClass, base, runnerUp,
                runnerUp < 0 ? Double.NaN : p[runnerUp], logits.clone(), nodes, relationships);
    }

    /** The target's scores for each run's removed slots, run by run or on several threads. */
    private float[][] occlusionRuns(int runs, IntFunction<boolean[]> removedSlots, int concurrency,
                                    TerminationFlag terminationFlag) {
        float[][] scores = new float[runs][];
        int threads = Math.min(concurrency, runs);
        if (threads <= 1) {
            for (int run = 0; run < runs; run++) {
                terminationFlag.assertRunning();
                scores[run] = logitsWithout(backend, removedSlots.apply(run));
            }
            return scores;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "neogat-explain");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                workers.add(pool.submit(() -> {
                    try (CpuBackend own = CpuBackend.sequential()) {
                        for (int run = first; run < runs; run += threads) {
                            terminationFlag.assertRunning();
                            scores[run] = logitsWithout(own, removedSlots.apply(run));
                        }
                    }
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TerminatedException("Interrupted while explaining");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return scores;
    }

    /** Gradient × input of log p(c) for every node and feature of the neighbourhood, [node][feature]. */
    private double[][] featureAttribution(double[] p) {
        int n = neighbourhood.nodeCount();
        int cols = features.cols();
        float[] dense = features instanceof SparseMatrix sparse ? sparse.toDense() : ((DenseMatrix) features).data();
        int classes = config.classCount();
        float[] dLogits = new float[n * classes];
        if (config.multiLabel()) {
            dLogits[predictedClass] = (float) (1 - p[predictedClass]);
        } else {
            for (int c = 0; c < classes; c++) {
                dLogits[c] = (float) ((c == predictedClass ? 1 : 0) - p[c]);
            }
        }
        Tensor featureTensor = backend.upload(dense, n, cols);
        IncomingCsr subgraph = neighbourhood.build(null);
        GraphTensor graphTensor = backend.upload(subgraph);
        Tensor edgeTensor = EdgeFeatures.upload(backend, subgraph, keptRows(null));
        Tensor dLogitsTensor = backend.upload(dLogits, n, classes);
        GatNetwork network = null;
        try {
            network = new GatNetwork(backend, config, model.weights(), graphTensor, featureTensor, edgeTensor, true);
            network.forward();
            network.backward(dLogitsTensor);
            float[] gradient = download(backend, network.inputGradient());
            double[][] attribution = new double[n][cols];
            for (int v = 0; v < n; v++) {
                for (int f = 0; f < cols; f++) {
                    attribution[v][f] = (double) gradient[v * cols + f] * dense[v * cols + f];
                }
            }
            return attribution;
        } finally {
            if (network != null) {
                network.release();
            }
            backend.release(dLogitsTensor);
            release(backend, edgeTensor);
            backend.release(graphTensor);
            backend.release(featureTensor);
        }
    }

    private List<Explanation.FeatureAttribution> topFeatures(int v, double[][] attribution, int k) {
        if (attribution == null) {
            return List.of();
        }
        int cols = features.cols();
        float[] row = rowOf(v);
        List<Explanation.FeatureAttribution> all = new ArrayList<>();
        for (int f = 0; f < cols; f++) {
            if (attribution[v][f] != 0) {
                all.add(new Explanation.FeatureAttribution(f, row[f], attribution[v][f]));
            }
        }
        all.sort(Comparator.comparingDouble((Explanation.FeatureAttribution a) -> -Math.abs(a.attribution()))
                .thenComparingInt(Explanation.FeatureAttribution::feature));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    private float[] rowOf(int v) {
        int cols = features.cols();
        if (features instanceof DenseMatrix dense) {
            return dense.row(v);
        }
        SparseMatrix sparse = (SparseMatrix) features;
        float[] row = new float[cols];
        for (int e = sparse.rowOffsets()[v]; e < sparse.rowOffsets()[v + 1]; e++) {
            row[sparse.columns()[e]] = sparse.values()[e];
        }
        return row;
    }

    private float[] logitsWithout(Backend runner, boolean[] removed) {
        Tensor featureTensor = runner.upload(features);
        IncomingCsr subgraph = neighbourhood.build(removed);
        GraphTensor graphTensor = runner.upload(subgraph);
        Tensor edgeTensor = EdgeFeatures.upload(runner, subgraph, keptRows(removed));
        GatNetwork network = null;
        try {
            network = new GatNetwork(runner, config, model.weights(), graphTensor, featureTensor, edgeTensor, false);
            network.forward();
            return targetRow(runner, network.logits());
        } finally {
            if (network != null) {
                network.release();
            }
            release(runner, edgeTensor);
            runner.release(graphTensor);
            runner.release(featureTensor);
        }
    }

    /** The relationship features of the edges of the neighbourhood without {@code removed}; null without. */
    private DenseMatrix keptRows(boolean[] removed) {
        return relationshipFeatures == null ? null : neighbourhood.slotFeatures(relationshipFeatures, removed);
    }

    private static void release(Backend backend, Tensor tensor) {
        if (tensor != null) {
            backend.release(tensor);
        }
    }

    private boolean flips(float[] without) {
        if (config.multiLabel()) {
            return without[predictedClass] <= 0;
        }
        return argmax(without) != predictedClass;
    }

    private double[] probabilities(float[] scores) {
        double[] p = new double[scores.length];
        if (config.multiLabel()) {
            for (int c = 0; c < scores.length; c++) {
                p[c] = 1 / (1 + Exponential.exp(-(double) scores[c]));
            }
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < scores.length; c++) {
            p[c] = Exponential.exp(scores[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < scores.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    private static int runnerUp(double[] p, int best) {
        int second = -1;
        for (int c = 0; c < p.length; c++) {
            if (c != best && (second < 0 || p[c] > p[second])) {
                second = c;
            }
        }
        return second;
    }

    private static int argmax(float[] scores) {
        int best = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[best]) {
                best = c;
            }
        }
        return best;
    }

    private static float[] targetRow(Backend backend, Tensor logits) {
        float[] all = download(backend, logits);
        return java.util.Arrays.copyOf(all, logits.cols());
    }

    private static float[] download(Backend backend, Tensor tensor) {
        float[] values = new float[Math.multiplyExact(tensor.rows(), tensor.cols())];
        backend.download(tensor, values);
        return values;
    }
}
