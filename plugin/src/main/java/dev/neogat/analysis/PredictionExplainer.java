package dev.neogat.analysis;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.TrainedModel;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedPrediction;
import dev.neogat.util.Exponential;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 *
 * <p>A typed model ({@link #of(Backend, TypedTrainedModel, TypedPrediction, TypedInputs, int, int)}) is explained
 * the same way on its {@link TypedNeighbourhood}: a relationship is removed from every relation it is read by
 * (its relation and the {@code rev_} one, both directions within a label on an undirected projection), flow
 * through the typed layers as {@link TypedLocalModel} defines it, top features for the nodes of labels that have
 * features. Ids are {@link TypedIds} numbers. What differs between the two lives in {@link LocalModel}.
 */
public final class PredictionExplainer {

    /** {@code head} value that averages each layer's heads. */
    public static final int MEAN_HEADS = -1;

    /**
     * What typed inference read besides the graph: each label's features (none for a label without), each declared
     * relation's relationship features (one row per edge; empty without), and for each label with a learned input
     * per node the trained row of each of its nodes (as {@link TypedInference#run} takes them).
     */
    public record TypedInputs(Map<String, FeatureMatrix> features,
                              Map<Relation, ? extends FeatureMatrix> relationshipFeatures,
                              Map<String, int[]> embeddingRows) {
    }

    private final Backend backend;
    private final LocalModel local;
    /** The local model's neighbourhood. */
    private final LocalGraph hood;
    private final float[] logits;
    private final int predictedClass;
    private final double[][] flowWeights;

    private PredictionExplainer(Backend backend, LocalModel local, int head) {
        this.backend = backend;
        this.local = local;
        this.hood = local.neighbourhood();
        LocalModel.BaseRun base = local.base(backend, head);
        this.logits = base.logits();
        this.predictedClass = argmax(logits);
        this.flowWeights = base.flowWeights();
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
        int[] heads = new int[config.layerCount()];
        for (int l = 0; l < heads.length; l++) {
            heads[l] = config.heads(l);
        }
        requireHead(head, heads);
        Neighbourhood neighbourhood = Neighbourhood.of(graph, target, config.layerCount());
        FeatureMatrix local = neighbourhood.features(features);
        if (config.normalizeFeatures()) {
            local = local.rowNormalized();
        }
        return new PredictionExplainer(backend, new UntypedLocalModel(model, neighbourhood, local,
                relationshipFeatures), head);
    }

    /**
     * Explains a typed model's prediction for node {@code target} of its target label (index within the label) on
     * {@code wholeGraph}'s graph, whose inputs are {@code inputs}; {@code wholeGraph} is the model's run on it
     * ({@link TypedInference#run}), whose relation weights every run on the neighbourhood keeps (see {@link
     * TypedLocalModel}). Node and relationship ids of the explanation are {@link TypedIds} numbers of the graph.
     */
    public static PredictionExplainer of(Backend backend, TypedTrainedModel model, TypedPrediction wholeGraph,
                                         TypedInputs inputs, int target, int head) {
        TypedGatConfig config = model.config();
        TypedGraph graph = wholeGraph.graph();
        TypedInference.requireInput(config, graph, inputs.features());
        int count = graph.nodeCount(config.targetType());
        if (target < 0 || target >= count) {
            throw new IllegalArgumentException("Node " + target + " is outside the " + count + " nodes of the "
                    + "target label '" + config.targetType() + "'");
        }
        int[] heads = new int[config.layers()];
        for (int l = 0; l < heads.length; l++) {
            heads[l] = config.layer(l).heads();
        }
        requireHead(head, heads);
        List<Map<String, double[]>> relationWeights = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            Map<String, double[]> byType = new java.util.LinkedHashMap<>();
            for (String type : config.layer(l).outputTypes()) {
                if (!config.layer(l).relationsInto(type).isEmpty()) {
                    byType.put(type, wholeGraph.relationWeights(l, type));
                }
            }
            relationWeights.add(byType);
        }
        TypedNeighbourhood neighbourhood = TypedNeighbourhood.of(graph, config.targetType(), target,
                config.layers());
        return new PredictionExplainer(backend, new TypedLocalModel(model, neighbourhood, inputs.features(),
                inputs.relationshipFeatures(), inputs.embeddingRows(), relationWeights), head);
    }

    private static void requireHead(int head, int[] heads) {
        for (int l = 0; l < heads.length; l++) {
            if (head != MEAN_HEADS && heads[l] > 1 && (head < 0 || head >= heads[l])) {
                throw new IllegalArgumentException("Head " + head + " does not exist in layer " + l + ", which has "
                        + heads[l] + " heads (0 to " + (heads[l] - 1) + ")");
            }
        }
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
     * Probability of the originally predicted class without the relationships at the given indices of the
     * neighbourhood's relationships (the order of {@link Explanation#relationships()} of a full explanation; exact
     * forward pass on the neighbourhood).
     */
    public double probabilityWithout(int... relationshipIndices) {
        boolean[] removed = new boolean[hood.slotCount()];
        for (int r : relationshipIndices) {
            for (int k : hood.relationshipSlots(r)) {
                removed[k] = true;
            }
        }
        return probabilities(local.logitsWithout(backend, removed))[predictedClass];
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
        int n = hood.nodeCount();
        int layers = local.layerCount();
        int relationshipCount = hood.relationshipCount();
        double[] p = probabilities(logits);
        double base = p[predictedClass];
        int runnerUp = runnerUp(p, predictedClass);

        FlowSlots flow = flow();

        // Occlusion runs: relationships 0 .. R-1, then neighbour nodes 1 .. n-1 as R + v - 1.
        int runs = (occludeRelationships ? relationshipCount : 0) + (occludeNodes ? n - 1 : 0);
        float[][] without = occlusionRuns(runs, run -> {
            boolean[] removed = new boolean[hood.slotCount()];
            if (occludeRelationships && run < relationshipCount) {
                for (int k : hood.relationshipSlots(run)) {
                    removed[k] = true;
                }
            } else {
                int v = run - (occludeRelationships ? relationshipCount : 0) + 1;
                for (int k = 0; k < hood.slotCount(); k++) {
                    removed[k] = hood.slotSource(k) == v || hood.slotTarget(k) == v;
                }
            }
            return removed;
        }, concurrency, terminationFlag);

        List<Explanation.RelationshipInfluence> relationships = new ArrayList<>();
        for (int r = 0; r < relationshipCount; r++) {
            int[] slots = hood.relationshipSlots(r);
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
            int source = hood.node(hood.slotSource(first));
            int target = hood.node(hood.slotTarget(first));
            boolean reversed = hood.isReversed(first);
            float[] scores = occludeRelationships ? without[r] : null;
            relationships.add(new Explanation.RelationshipInfluence(hood.relationship(r),
                    reversed ? target : source, reversed ? source : target, layerFlow, total,
                    scores == null ? Double.NaN : probabilities(scores)[predictedClass] - base,
                    scores != null && flips(scores), slots.length));
        }

        double[][] attribution = topFeatures > 0 ? local.attribution(backend, dLogProbability(p)) : null;
        List<Explanation.NodeInfluence> nodes = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            float[] scores = v > 0 && occludeNodes
                    ? without[(occludeRelationships ? relationshipCount : 0) + v - 1] : null;
            nodes.add(new Explanation.NodeInfluence(hood.node(v), hood.distance(v),
                    flow.flow().share(0, v), scores == null ? Double.NaN : probabilities(scores)[predictedClass] - base,
                    scores != null && flips(scores), topFeatures(v, attribution, topFeatures)));
        }
        return new Explanation(hood.node(0), layers, predictedClass, base, runnerUp,
                runnerUp < 0 ? Double.NaN : p[runnerUp], logits.clone(), nodes, relationships);
    }

    /** The attention flow over the neighbourhood's slots, on a graph whose edge k is local slot k. */
    private record FlowSlots(AttentionFlow flow, IncomingCsr graph) {
        double slotFlow(int layer, int k) {
            return flow.slotFlow(layer, graph.slotOfEdge(k));
        }
    }

    private FlowSlots flow() {
        int slots = hood.slotCount();
        int[] sources = new int[slots];
        int[] targets = new int[slots];
        for (int k = 0; k < slots; k++) {
            sources[k] = hood.slotSource(k);
            targets[k] = hood.slotTarget(k);
        }
        IncomingCsr graph = new GraphBuilder(hood.nodeCount()).selfLoops(false).build(sources, targets);
        double[][] bySlot = new double[flowWeights.length][slots];
        for (int l = 0; l < flowWeights.length; l++) {
            for (int k = 0; k < slots; k++) {
                bySlot[l][graph.slotOfEdge(k)] = flowWeights[l][k];
            }
        }
        return new FlowSlots(AttentionFlow.of(graph, 0, bySlot), graph);
    }

    /** d log p(c) / d logits of the target for the predicted class c. */
    private float[] dLogProbability(double[] p) {
        int classes = local.classCount();
        float[] dLogits = new float[classes];
        if (local.multiLabel()) {
            dLogits[predictedClass] = (float) (1 - p[predictedClass]);
        } else {
            for (int c = 0; c < classes; c++) {
                dLogits[c] = (float) ((c == predictedClass ? 1 : 0) - p[c]);
            }
        }
        return dLogits;
    }

    /** The target's scores for each run's removed slots, run by run or on several threads. */
    private float[][] occlusionRuns(int runs, IntFunction<boolean[]> removedSlots, int concurrency,
                                    TerminationFlag terminationFlag) {
        float[][] scores = new float[runs][];
        int threads = Math.min(concurrency, runs);
        if (threads <= 1) {
            for (int run = 0; run < runs; run++) {
                terminationFlag.assertRunning();
                scores[run] = local.logitsWithout(backend, removedSlots.apply(run));
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
                            scores[run] = local.logitsWithout(own, removedSlots.apply(run));
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

    private List<Explanation.FeatureAttribution> topFeatures(int v, double[][] attribution, int k) {
        if (attribution == null || attribution[v].length == 0) {
            return List.of();
        }
        float[] row = local.inputRow(v);
        List<Explanation.FeatureAttribution> all = new ArrayList<>();
        for (int f = 0; f < row.length; f++) {
            if (attribution[v][f] != 0) {
                all.add(new Explanation.FeatureAttribution(f, row[f], attribution[v][f]));
            }
        }
        all.sort(Comparator.comparingDouble((Explanation.FeatureAttribution a) -> -Math.abs(a.attribution()))
                .thenComparingInt(Explanation.FeatureAttribution::feature));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    static void release(Backend backend, Tensor tensor) {
        if (tensor != null) {
            backend.release(tensor);
        }
    }

    /** One head's attention on a slot, or the mean of its heads ({@code head} {@link #MEAN_HEADS}). */
    static double headAttention(float[] values, int slot, int heads, int head) {
        if (head != MEAN_HEADS) {
            return values[slot * heads + (heads == 1 ? 0 : head)];
        }
        double a = 0;
        for (int h = 0; h < heads; h++) {
            a += values[slot * heads + h];
        }
        return a / heads;
    }

    private boolean flips(float[] without) {
        if (local.multiLabel()) {
            return without[predictedClass] <= 0;
        }
        return argmax(without) != predictedClass;
    }

    private double[] probabilities(float[] scores) {
        double[] p = new double[scores.length];
        if (local.multiLabel()) {
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

    /** The first row of the logits: the target's (local node 0, first of its label). */
    static float[] targetRow(Backend backend, Tensor logits) {
        float[] all = download(backend, logits);
        return java.util.Arrays.copyOf(all, logits.cols());
    }

    static float[] download(Backend backend, Tensor tensor) {
        float[] values = new float[Math.multiplyExact(tensor.rows(), tensor.cols())];
        backend.download(tensor, values);
        return values;
    }
}
