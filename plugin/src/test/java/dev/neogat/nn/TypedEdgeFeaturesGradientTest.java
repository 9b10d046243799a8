package dev.neogat.nn;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.testing.RandomGraphs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.neogat.nn.FiniteDifferences.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Typed networks with relationship features in attention against finite differences of the training
 * loss: every parameter (the relations' lin_edge and att_edge included), every node type's features and
 * the relationship features of each relation that has them, in training mode with dropout. Relationship
 * features sit on a relation between two types ({@code writes}: author → paper, no self loops) and on one
 * within a type ({@code cites}: paper → paper, whose added self loops get the mean of the node's incoming
 * features), for GAT and GATv2. The graph is {@link TypedModelGradientTest#graph()}'s.
 */
class TypedEdgeFeaturesGradientTest {

    private static final Relation CITES = new Relation("paper", "cites", "paper");
    private static final Relation WRITES = new Relation("author", "writes", "paper");

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("GAT, features on writes and cites", base(Variant.GAT, RelationAggregation.SUM)
                        .edgeDim(WRITES, 2).edgeDim(CITES, 1).build()),
                Arguments.of("GATv2, features on cites and writes, semantic attention", base(Variant.GATV2,
                        RelationAggregation.ATTENTION).edgeDim(CITES, 3).edgeDim(WRITES, 1).messageDropout(0.2)
                        .build()));
    }

    private static TypedGatConfig.Builder base(Variant variant, RelationAggregation aggregation) {
        return TypedGatConfig.builder(TypedModelGradientTest.widths(), TypedModelGradientTest.graph().relations(),
                        "paper", 3).variant(variant).aggregation(aggregation).semanticDim(4).layers(2)
                .hiddenChannels(3).hiddenHeads(2).outputHeads(1).featureDropout(0.3).attentionDropout(0.25);
    }

    private static Map<Relation, DenseMatrix> edgeFeatures(TypedGatConfig config, TypedGraph graph,
                                                           SplittableRandom random) {
        Map<Relation, DenseMatrix> features = new LinkedHashMap<>();
        for (Relation r : graph.relations()) {
            int d = config.edgeDim(r);
            if (d > 0) {
                int edges = graph.graph(r).originalEdgeCount();
                float[] values = new float[edges * d];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextDouble() * 4 - 2);
                }
                features.put(r, new DenseMatrix(edges, d, values));
            }
        }
        return features;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void gradientsMatchFiniteDifferences(String name, TypedGatConfig config) {
        FiniteDifferences.requireFloat64();
        TypedGraph graph = TypedModelGradientTest.graph();
        SplittableRandom random = new SplittableRandom(23);
        checkGradients(name, config, graph, edgeFeatures(config, graph, random), random);
    }

    /**
     * On an undirected graph the added relation rev_writes (paper → author) reads the features given for
     * writes, so their gradient sums both relations' parts.
     */
    @Test
    void reverseRelationReadsTheDeclaredRelationsFeatures() {
        FiniteDifferences.requireFloat64();
        int[][] cites = RandomGraphs.edges(6, 14, 3, false);
        SplittableRandom random = new SplittableRandom(31);
        int[][] writes = new int[2][18];
        for (int e = 0; e < 18; e++) {
            writes[0][e] = random.nextInt(4);
            writes[1][e] = random.nextInt(6);
        }
        TypedGraph graph = TypedGraph.builder().nodeType("paper", 6).nodeType("author", 4)
                .relation(CITES, cites[0], cites[1]).relation(WRITES, writes[0], writes[1]).undirected().build();
        Relation reverse = WRITES.reversed();
        assertEquals(WRITES, graph.reversedFrom(reverse));
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 3);
        widths.put("author", 2);
        TypedGatConfig config = TypedGatConfig.builder(widths, graph.relations(), "paper", 2).variant(Variant.GAT)
                .layers(2).hiddenChannels(2).hiddenHeads(2).featureDropout(0.2).attentionDropout(0.2)
                .edgeDim(WRITES, 2).edgeDim(reverse, 2).edgeDim(CITES, 1).build();
        Map<Relation, DenseMatrix> given = edgeFeatures(config, graph, random);
        given.remove(reverse);
        checkGradients("undirected GAT", config, graph, given, random);
    }

    private static void checkGradients(String name, TypedGatConfig config, TypedGraph graph,
                                       Map<Relation, DenseMatrix> edges, SplittableRandom random) {
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
            TypedGatNetwork network = new TypedGatNetwork(backend, config,
                    TypedModelGradientTest.genericWeights(config, random), graph, features, edges, true);
            String edgeWeight = config.variant() == Variant.GAT ? "att_edge" : "lin_edge.weight";
            for (Relation r : edges.keySet()) {
                assertTrue(network.parameterNames().contains("layers.0." + r.key() + "." + edgeWeight),
                        () -> r + " attends over its relationship features: " + network.parameterNames());
            }
            int[] classOf = new int[graph.nodeCount("paper")];
            for (int i = 0; i < classOf.length; i++) {
                classOf[i] = random.nextInt(config.classCount());
            }
            Targets targets = backend.upload(NodeLabels.singleLabel(classOf, config.classCount()),
                    IntStream.range(0, classOf.length).filter(i -> i % 3 != 2).toArray());
            network.forward(true, 99, 4);
            network.lossAndGradients(targets);
            DoubleSupplier loss = () -> {
                network.forward(true, 99, 4);
                return backend.loss(network.logits(), targets, null);
            };
            for (String parameter : network.parameterNames()) {
                check(name + " d/d" + parameter, ((CpuTensor) network.parameter(parameter)).data(),
                        ((CpuTensor) network.gradient(parameter)).data(), loss);
            }
            for (String type : graph.nodeTypes()) {
                check(name + " d/dx " + type, ((CpuTensor) features.get(type)).data(),
                        ((CpuTensor) network.inputGradient(type)).data(), loss);
            }
            Weights weights = network.weights();
            for (Map.Entry<Relation, DenseMatrix> e : edges.entrySet()) {
                // The network holds its features per slot; each perturbation builds the slots anew.
                DoubleSupplier edgeLoss = () -> {
                    TypedGatNetwork again = new TypedGatNetwork(backend, config, weights, graph, features, edges,
                            false);
                    again.forward(true, 99, 4);
                    double value = backend.loss(again.logits(), targets, null);
                    again.release();
                    return value;
                };
                check(name + " d/d relationship features of " + e.getKey(), e.getValue().data(),
                        network.edgeFeatureGradient(e.getKey()).data(), edgeLoss);
            }
        }
    }

    /** Without features for a relation that attends over them, or with the wrong width, the network names the relation. */
    @Test
    void missingOrMisshapenFeaturesNameTheRelation() {
        TypedGatConfig config = base(Variant.GAT, RelationAggregation.SUM).edgeDim(WRITES, 2).build();
        TypedGraph graph = TypedModelGradientTest.graph();
        SplittableRandom random = new SplittableRandom(5);
        try (CpuBackend backend = new CpuBackend(1, () -> false)) {
            Map<String, Tensor> features = new LinkedHashMap<>();
            for (String type : graph.nodeTypes()) {
                int rows = graph.nodeCount(type);
                int cols = config.inputWidths().get(type);
                features.put(type, backend.upload(new float[rows * cols], rows, cols));
            }
            Weights weights = Weights.initialize(TypedGatNetwork.parameterShapes(config), 1);
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> new TypedGatNetwork(backend, config, weights, graph, features, false));
            assertTrue(missing.getMessage().contains(WRITES.toString()) && missing.getMessage().contains("none were given"),
                    missing.getMessage());
            Map<Relation, DenseMatrix> wrong = edgeFeatures(base(Variant.GAT, RelationAggregation.SUM)
                    .edgeDim(WRITES, 3).build(), graph, random);
            IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                    () -> new TypedGatNetwork(backend, config, weights, graph, features, wrong, false));
            assertTrue(width.getMessage().contains("have 3"), width.getMessage());
            Map<Relation, DenseMatrix> extra = edgeFeatures(base(Variant.GAT, RelationAggregation.SUM)
                    .edgeDim(WRITES, 2).edgeDim(CITES, 1).build(), graph, random);
            IllegalArgumentException unused = assertThrows(IllegalArgumentException.class,
                    () -> new TypedGatNetwork(backend, config, weights, graph, features, extra, false));
            assertTrue(unused.getMessage().contains(CITES.toString()), unused.getMessage());
            assertEquals(0, config.edgeDim(CITES));
        }
    }
}
