package dev.neogat.nn;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.testing.RandomGraphs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;

import static dev.neogat.nn.FiniteDifferences.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole typed networks against finite differences of the training loss: every parameter and every node
 * type's features, in training mode with dropout, for each relation aggregation (semantic attention
 * included), GAT and GATv2 relations, residual projections, and a node type that no relation points into
 * (its skip projection), and node types without features whose learned input (one vector per label, or
 * one per node) is a parameter like the others. The graph: papers (width 4) cite papers, authors (width 3)
 * write papers and papers rev_write authors, venues (width 2) host papers and receive nothing.
 */
class TypedModelGradientTest {

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("GAT sum", base(Variant.GAT, RelationAggregation.SUM).build()),
                Arguments.of("GAT mean, residual", base(Variant.GAT, RelationAggregation.MEAN).residual(true).build()),
                Arguments.of("GAT semantic attention", base(Variant.GAT, RelationAggregation.ATTENTION).build()),
                Arguments.of("GATv2 sum, message dropout", base(Variant.GATV2, RelationAggregation.SUM)
                        .messageDropout(0.3).build()),
                Arguments.of("GATv2 semantic attention, residual, mean heads", base(Variant.GATV2,
                        RelationAggregation.ATTENTION).residual(true).concatHidden(false).build()),
                Arguments.of("GAT semantic attention, 3 layers, 2 output heads", base(Variant.GAT,
                        RelationAggregation.ATTENTION).layers(3).outputHeads(2).messageDropout(0.2).build()),
                Arguments.of("GAT sum, authors learn one input, venues one per node", base(Variant.GAT,
                        RelationAggregation.SUM).featureless("author", FeaturelessInput.perLabel(3))
                        .featureless("venue", FeaturelessInput.perNode(2, 4)).build()),
                // Venues receive nothing, so a shared venue input would give every venue the same hidden state
                // and GATv2's lin_r of hosts (scores into papers) a gradient of exactly zero: venues learn per node.
                Arguments.of("GATv2 semantic attention, residual, authors learn one input, venues one per node",
                        base(Variant.GATV2, RelationAggregation.ATTENTION).residual(true)
                                .featureless("author", FeaturelessInput.perLabel(3))
                                .featureless("venue", FeaturelessInput.perNode(2, 4)).build()));
    }

    static TypedGraph graph() {
        int papers = 8;
        int authors = 5;
        int venues = 4;
        int[][] cites = RandomGraphs.edges(papers, 24, 5, false);
        int[][] writes = bipartiteEdges(authors, papers, 30, 11);
        int[][] hosts = bipartiteEdges(venues, papers, 32, 13);
        return TypedGraph.builder().nodeType("paper", papers).nodeType("author", authors).nodeType("venue", venues)
                .relation("paper", "cites", "paper", cites[0], cites[1])
                .relation("author", "writes", "paper", writes[0], writes[1])
                .relation("paper", "rev_writes", "author", writes[1], writes[0])
                .relation("venue", "hosts", "paper", hosts[0], hosts[1])
                .build();
    }

    private static int[][] bipartiteEdges(int sources, int targets, int edges, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] e = new int[2][edges];
        for (int k = 0; k < edges; k++) {
            e[0][k] = random.nextInt(sources);
            e[1][k] = random.nextInt(targets);
        }
        return e;
    }

    static Map<String, Integer> widths() {
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 4);
        widths.put("author", 3);
        widths.put("venue", 2);
        return widths;
    }

    private static TypedGatConfig.Builder base(Variant variant, RelationAggregation aggregation) {
        return TypedGatConfig.builder(widths(), graph().relations(), "paper", 3).variant(variant)
                .aggregation(aggregation).semanticDim(4).layers(2).hiddenChannels(3).hiddenHeads(2).outputHeads(1)
                .featureDropout(0.3).attentionDropout(0.25);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void gradientsMatchFiniteDifferences(String name, TypedGatConfig config) {
        FiniteDifferences.requireFloat64();
        TypedGraph graph = graph();
        assertEquals(List.of(new Relation("paper", "cites", "paper"), new Relation("author", "writes", "paper"),
                new Relation("paper", "rev_writes", "author"), new Relation("venue", "hosts", "paper")),
                graph.relations());
        SplittableRandom random = new SplittableRandom(17);
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            Map<String, Tensor> features = new LinkedHashMap<>();
            for (String type : graph.nodeTypes()) {
                if (config.featureless().containsKey(type)) {
                    continue;
                }
                int rows = graph.nodeCount(type);
                int cols = config.inputWidths().get(type);
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (random.nextDouble() * 4 - 2);
                }
                features.put(type, backend.upload(x, rows, cols));
            }
            TypedGatNetwork network = new TypedGatNetwork(backend, config, genericWeights(config, random), graph,
                    features, true);
            int[] classOf = new int[graph.nodeCount("paper")];
            for (int i = 0; i < classOf.length; i++) {
                classOf[i] = random.nextInt(config.classCount());
            }
            Targets targets = backend.upload(NodeLabels.singleLabel(classOf, config.classCount()),
                    new int[]{0, 2, 3, 5, 6});
            network.forward(true, 99, 4);
            network.lossAndGradients(targets);
            DoubleSupplier loss = () -> {
                network.forward(true, 99, 4);
                return backend.loss(network.logits(), targets, null);
            };
            for (String type : config.featureless().keySet()) {
                assertTrue(network.parameterNames().contains(TypedGatNetwork.embeddingName(type)),
                        () -> "the learned input of " + type + " is a parameter: " + network.parameterNames());
            }
            for (String parameter : network.parameterNames()) {
                check(name + " d/d" + parameter, ((CpuTensor) network.parameter(parameter)).data(),
                        ((CpuTensor) network.gradient(parameter)).data(), loss);
            }
            for (String type : features.keySet()) {
                check(name + " d/dx " + type, ((CpuTensor) features.get(type)).data(),
                        ((CpuTensor) network.inputGradient(type)).data(), loss);
            }
            if (config.aggregation() == RelationAggregation.ATTENTION) {
                Map<Relation, Double> beta = network.relationWeights(0, "paper");
                assertEquals(3, beta.size(), "three relations point into papers");
                assertEquals(1.0, beta.values().stream().mapToDouble(Double::doubleValue).sum(), 1e-6);
                assertTrue(beta.values().stream().allMatch(b -> b > 0 && b < 1), () -> "β " + beta);
            }
        }
    }

    /**
     * Semantic attention with β held (as an explanation runs a neighbourhood with the whole graph's β): holding the
     * network's own β gives its logits, and with other β every gradient matches finite differences of the loss with
     * β constant (the semantic parameters' is zero).
     */
    @org.junit.jupiter.api.Test
    void heldRelationWeightsGradientsMatchFiniteDifferences() {
        FiniteDifferences.requireFloat64();
        TypedGatConfig config = base(Variant.GAT, RelationAggregation.ATTENTION).residual(true).build();
        TypedGraph graph = graph();
        SplittableRandom random = new SplittableRandom(31);
        Weights weights = genericWeights(config, random);
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            Map<String, Tensor> features = new LinkedHashMap<>();
            for (String type : graph.nodeTypes()) {
                int rows = graph.nodeCount(type);
                int cols = config.inputWidths().get(type);
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (random.nextDouble() * 4 - 2);
                }
                features.put(type, backend.upload(x, rows, cols));
            }
            TypedGatNetwork free = new TypedGatNetwork(backend, config, weights, graph, features, false);
            float[] freeLogits = Precision.download(backend, free.forward());
            TypedGatNetwork held = new TypedGatNetwork(backend, config, weights, graph, features, true);
            for (int l = 0; l < config.layers(); l++) {
                for (String type : config.layer(l).outputTypes()) {
                    if (!config.layer(l).relationsInto(type).isEmpty()) {
                        held.layer(l).holdRelationWeights(type, free.layer(l).relationWeights(type));
                    }
                }
            }
            Precision.assertClose(Precision.widen(freeLogits), Precision.download(backend, held.forward()), 0,
                    "the network's own β gives its logits");
            for (int l = 0; l < config.layers(); l++) {
                for (String type : config.layer(l).outputTypes()) {
                    int count = config.layer(l).relationsInto(type).size();
                    if (count > 0) {
                        double[] beta = new double[count];
                        double sum = 0;
                        for (int r = 0; r < count; r++) {
                            beta[r] = 0.2 + random.nextDouble();
                            sum += beta[r];
                        }
                        for (int r = 0; r < count; r++) {
                            beta[r] /= sum;
                        }
                        held.layer(l).holdRelationWeights(type, beta);
                    }
                }
            }
            int[] classOf = new int[graph.nodeCount("paper")];
            for (int i = 0; i < classOf.length; i++) {
                classOf[i] = random.nextInt(config.classCount());
            }
            Targets targets = backend.upload(NodeLabels.singleLabel(classOf, config.classCount()),
                    new int[]{0, 1, 4, 6, 7});
            held.forward(true, 7, 2);
            held.lossAndGradients(targets);
            DoubleSupplier loss = () -> {
                held.forward(true, 7, 2);
                return backend.loss(held.logits(), targets, null);
            };
            for (String parameter : held.parameterNames()) {
                if (parameter.contains(".semantic.")) {
                    for (float g : ((CpuTensor) held.gradient(parameter)).data()) {
                        assertEquals(0f, g, "held β: " + parameter + " does not reach the loss");
                    }
                    continue;
                }
                check("held β d/d" + parameter, ((CpuTensor) held.parameter(parameter)).data(),
                        ((CpuTensor) held.gradient(parameter)).data(), loss);
            }
            for (String type : features.keySet()) {
                check("held β d/dx " + type, ((CpuTensor) features.get(type)).data(),
                        ((CpuTensor) held.inputGradient(type)).data(), loss);
            }
        }
    }

    /** Sparse features of one type give the dense features' logits and parameter gradients (no input gradient). */
    @org.junit.jupiter.api.Test
    void sparseFeaturesOfOneTypeMatchDenseOnes() {
        TypedGatConfig config = base(Variant.GAT, RelationAggregation.ATTENTION).residual(true).build();
        TypedGraph graph = graph();
        SplittableRandom random = new SplittableRandom(29);
        Weights weights = genericWeights(config, random);
        int[] classOf = new int[graph.nodeCount("paper")];
        for (int i = 0; i < classOf.length; i++) {
            classOf[i] = random.nextInt(config.classCount());
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String type : graph.nodeTypes()) {
            float[] x = new float[graph.nodeCount(type) * config.inputWidths().get(type)];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextDouble() < 0.5 ? 0f : (float) (random.nextDouble() * 2 - 1);
            }
            values.put(type, x);
        }
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            Map<String, Tensor> dense = new LinkedHashMap<>();
            Map<String, Tensor> sparse = new LinkedHashMap<>();
            for (String type : graph.nodeTypes()) {
                int rows = graph.nodeCount(type);
                int cols = config.inputWidths().get(type);
                dense.put(type, backend.upload(values.get(type).clone(), rows, cols));
                sparse.put(type, type.equals("author") ? backend.upload(SparseMatrix.fromDense(rows, cols,
                        values.get(type))) : backend.upload(values.get(type).clone(), rows, cols));
            }
            Targets targets = backend.upload(NodeLabels.singleLabel(classOf, config.classCount()), new int[]{1, 2, 4, 7});
            TypedGatNetwork onDense = new TypedGatNetwork(backend, config, weights, graph, dense, false);
            TypedGatNetwork onSparse = new TypedGatNetwork(backend, config, weights, graph, sparse, true);
            onDense.forward(true, 5, 1);
            onSparse.forward(true, 5, 1);
            Precision.assertClose(Precision.widen(Precision.download(backend, onDense.logits())),
                    Precision.download(backend, onSparse.logits()), Precision.GOLDEN_TOLERANCE, "logits");
            onDense.lossAndGradients(targets);
            onSparse.lossAndGradients(targets);
            for (String name : onDense.parameterNames()) {
                Precision.assertClose(Precision.widen(Precision.download(backend, onDense.gradient(name))),
                        Precision.download(backend, onSparse.gradient(name)), Precision.GOLDEN_TOLERANCE, "d/d" + name);
            }
            assertEquals(null, onSparse.inputGradient("author"), "sparse features have no gradient");
            assertTrue(onSparse.inputGradient("paper") != null);
        }
    }

    /**
     * Initial weights plus noise on every entry, biases included, so no score sits at LeakyReLU's corner.
     * GAT's source attention vectors are tripled: a target's own score shifts all its edges' scores alike
     * and cancels out of its softmax unless its edges' scores straddle LeakyReLU's corner, so with source
     * scores spread narrower than the target's, att_dst's gradient would be exactly zero and prove nothing.
     */
    static Weights genericWeights(TypedGatConfig config, SplittableRandom random) {
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>();
        Weights.initialize(TypedGatNetwork.parameterShapes(config), 3).asMap().forEach((name, tensor) -> {
            float[] values = tensor.data().clone();
            float scale = name.endsWith("att_src") ? 3f : 1f;
            for (int i = 0; i < values.length; i++) {
                values[i] = scale * values[i] + (float) (0.2 * random.nextDouble() - 0.1);
            }
            tensors.put(name, new DenseMatrix(tensor.rows(), tensor.cols(), values));
        });
        return new Weights(tensors);
    }
}
