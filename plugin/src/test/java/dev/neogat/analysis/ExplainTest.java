package dev.neogat.analysis;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.spec.Variant;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.RandomGraphs;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link PredictionExplainer} on hand-made graphs, where flow and occlusion follow from the equations,
 * and on random graphs and models, where every number is checked against a run on the whole graph.
 *
 * <p>The hand-made model: 2 layers of one head, identity weights, zero biases, non-negative features. ELU
 * is then the identity, so a node's output is the attention-weighted mean of its sources' inputs, and
 * with zero attention vectors the attention is uniform over each node's incoming edges (self loop
 * included): the logits are exactly Σ_j share_0(j) x_j.
 */
class ExplainTest {

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    @Test
    void chainFlowAndOcclusionByHand() {
        // 0 -> 1 -> 2, target 2; x0 = (1,0), x1 = x2 = (0,1).
        IncomingCsr graph = new GraphBuilder(3).build(new int[]{0, 1}, new int[]{1, 2});
        FeatureMatrix x = DenseMatrix.fromRows(new float[][]{{1, 0}, {0, 1}, {0, 1}});
        Explanation e = explain(identityModel(0), graph, x, 2);

        // Uniform attention 1/2 per edge: shares 1/4, 1/2, 1/4; logits (1/4, 3/4).
        assertThat(e.predictedClass()).isEqualTo(1);
        assertThat(e.probability()).isCloseTo(sigmoid(0.5), within(1e-6));
        assertThat(e.runnerUpClass()).isZero();
        assertThat(e.runnerUpProbability()).isCloseTo(1 - sigmoid(0.5), within(1e-6));
        assertThat(e.nodes()).extracting(Explanation.NodeInfluence::node).containsExactly(2, 1, 0);
        assertThat(e.nodes()).extracting(Explanation.NodeInfluence::distance).containsExactly(0, 1, 2);
        assertThat(flowOfNode(e, 2)).isCloseTo(0.25, within(1e-6));
        assertThat(flowOfNode(e, 1)).isCloseTo(0.5, within(1e-6));
        assertThat(flowOfNode(e, 0)).isCloseTo(0.25, within(1e-6));

        Explanation.RelationshipInfluence near = relationship(e, 1);
        Explanation.RelationshipInfluence far = relationship(e, 0);
        assertThat(near.startNode()).isEqualTo(1);
        assertThat(near.endNode()).isEqualTo(2);
        assertThat(near.layerFlow()).containsExactly(new double[]{0.25, 0.5}, within(1e-6));
        assertThat(near.flow()).isCloseTo(0.75, within(1e-6));
        assertThat(far.layerFlow()).containsExactly(new double[]{0.25, 0}, within(1e-6));
        // Without 0 -> 1 node 1 keeps only (0,1): logits (0, 1). Without 1 -> 2 node 2 sees only itself: (0, 1).
        assertThat(far.occlusionDelta()).isCloseTo(sigmoid(1) - sigmoid(0.5), within(1e-6));
        assertThat(near.occlusionDelta()).isCloseTo(sigmoid(1) - sigmoid(0.5), within(1e-6));
        assertThat(near.flips()).isFalse();
        assertThat(near.messageEdges()).isEqualTo(1);
        assertThat(e.nodes().get(0).occlusionDelta()).as("the target is not occluded").isNaN();
    }

    @Test
    void starFlowAndOcclusionByHand() {
        // Leaves 1, 2, 3 -> 0; x0 = (0.5, 0), x1 = x2 = (1, 0), x3 = (0, 1).
        IncomingCsr graph = new GraphBuilder(4).build(new int[]{1, 2, 3}, new int[]{0, 0, 0});
        FeatureMatrix x = DenseMatrix.fromRows(new float[][]{{0.5f, 0}, {1, 0}, {1, 0}, {0, 1}});
        Explanation e = explain(identityModel(0), graph, x, 0);

        // Target attention 1/4 per edge, leaves only their self loop: leaf share 1/4 + 1/16, target 1/16.
        for (int leaf = 1; leaf <= 3; leaf++) {
            assertThat(flowOfNode(e, leaf)).isCloseTo(5.0 / 16, within(1e-6));
            assertThat(relationship(e, leaf - 1).layerFlow()).containsExactly(new double[]{1.0 / 16, 0.25},
                    within(1e-6));
        }
        assertThat(flowOfNode(e, 0)).isCloseTo(1.0 / 16, within(1e-6));
        // logits = (x1 + x2 + x3 + h0) / 4 with h0 = (x0 + x1 + x2 + x3) / 4 = (0.625, 0.25): (0.65625, 0.3125).
        double p = sigmoid(0.65625 - 0.3125);
        assertThat(e.predictedClass()).isZero();
        assertThat(e.probability()).isCloseTo(p, within(1e-6));
        // Without 1 -> 0: h0 = (1.5, 1) / 3, logits = ((1, 1) + h0) / 3 = (0.5, 4/9).
        assertThat(relationship(e, 0).occlusionDelta()).isCloseTo(sigmoid(0.5 - 4.0 / 9) - p, within(1e-6));
        assertThat(relationship(e, 1).occlusionDelta()).as("symmetric leaf")
                .isCloseTo(relationship(e, 0).occlusionDelta(), within(1e-7));
        // Without 3 -> 0: h0 = (2.5, 0) / 3, logits = ((2, 0) + h0) / 3.
        assertThat(relationship(e, 2).occlusionDelta()).isCloseTo(sigmoid((2 + 2.5 / 3) / 3) - p, within(1e-6));
        // A leaf's only relationship is the star edge: removing the node is removing that edge.
        for (int leaf = 1; leaf <= 3; leaf++) {
            assertThat(nodeOf(e, leaf).occlusionDelta()).isCloseTo(relationship(e, leaf - 1).occlusionDelta(),
                    within(1e-7));
        }
    }

    @Test
    void topKeepsTheMostInfluentialAndTheirEndNodes() {
        // Star as above: leaf 3 is the one whose removal changes the probability most; by flow all leaves tie.
        IncomingCsr graph = new GraphBuilder(4).build(new int[]{1, 2, 3}, new int[]{0, 0, 0});
        FeatureMatrix x = DenseMatrix.fromRows(new float[][]{{0.5f, 0}, {1, 0}, {1, 0}, {0, 1}});
        Explanation e = explain(identityModel(0), graph, x, 0);
        Explanation byOcclusion = e.top(1, Explanation.Ranking.OCCLUSION);
        assertThat(byOcclusion.relationships()).extracting(Explanation.RelationshipInfluence::relationship)
                .containsExactly(2);
        assertThat(byOcclusion.nodes()).extracting(Explanation.NodeInfluence::node).containsExactly(0, 3);
        Explanation byFlow = e.top(2, Explanation.Ranking.FLOW);
        assertThat(byFlow.relationships()).extracting(Explanation.RelationshipInfluence::relationship)
                .as("ties by id").containsExactly(0, 1);
        assertThat(byFlow.nodes()).extracting(Explanation.NodeInfluence::node).containsExactly(0, 1, 2);
        assertThat(byFlow.probability()).isEqualTo(e.probability());
        assertThrows(IllegalArgumentException.class, () -> e.top(0, Explanation.Ranking.FLOW));
    }

    @Test
    void twoPathsOfDifferentWeight() {
        // 3 -> 1 -> 0 and 4 -> 2 -> 0. Attention favours sources with a large first feature, so the path
        // through 1 (x = (1, 0)) weighs more than the one through 2 (x = (0, 0.5)).
        IncomingCsr graph = new GraphBuilder(5).build(new int[]{3, 1, 4, 2}, new int[]{1, 0, 2, 0});
        float[][] rows = {{0.2f, 0.2f}, {1, 0}, {0, 0.5f}, {0.6f, 0.1f}, {0.1f, 0.6f}};
        TrainedModel model = identityModel(1.5f);
        Explanation e = explain(model, graph, DenseMatrix.fromRows(rows), 0);

        Reference reference = new Reference(rows, 1.5);
        int[][] edges = {{3, 1}, {1, 0}, {4, 2}, {2, 0}};
        double[][] a0 = reference.attention(reference.x, edges, -1);
        double[][] h1 = reference.layer(reference.x, edges, -1);
        double[][] a1 = reference.attention(h1, edges, -1);
        // Rollout by hand: flow through 1 -> 0 = a0(0<-1) a1(0<-0) + a1(0<-1); through 3 -> 1 = a0(1<-3) a1(0<-1).
        assertThat(relationship(e, 1).flow()).isCloseTo(a0[0][1] * a1[0][0] + a1[0][1], within(1e-6));
        assertThat(relationship(e, 0).flow()).isCloseTo(a0[1][3] * a1[0][1], within(1e-6));
        assertThat(relationship(e, 3).flow()).isCloseTo(a0[0][2] * a1[0][0] + a1[0][2], within(1e-6));
        assertThat(relationship(e, 1).flow()).as("heavy path").isGreaterThan(relationship(e, 3).flow());
        assertThat(relationship(e, 0).flow()).isGreaterThan(relationship(e, 2).flow());
        double shares = e.nodes().stream().mapToDouble(Explanation.NodeInfluence::flow).sum();
        assertThat(shares).as("shares sum to 1").isCloseTo(1, within(1e-6));

        double p = reference.probability(edges, -1, e.predictedClass());
        assertThat(e.probability()).isCloseTo(p, within(1e-6));
        for (int r = 0; r < edges.length; r++) {
            assertThat(relationship(e, r).occlusionDelta()).as("edge " + r)
                    .isCloseTo(reference.probability(edges, r, e.predictedClass()) - p, within(1e-6));
        }
        // The heavy path pulls to class 0, so removing it lowers that class more than removing the light one.
        assertThat(e.predictedClass()).isZero();
        assertThat(relationship(e, 1).occlusionDelta()).isLessThan(relationship(e, 3).occlusionDelta());
    }

    @Test
    void onlyTheNeighbourhoodIsRead() {
        // 0 -> 1 -> 2 -> 3 -> 4: a 2-layer model for node 4 reads 4, 3 and 2 and the edges 2 -> 3 -> 4.
        IncomingCsr graph = new GraphBuilder(5).build(new int[]{0, 1, 2, 3}, new int[]{1, 2, 3, 4});
        Neighbourhood n = Neighbourhood.of(graph, 4, 2);
        assertThat(n.nodeCount()).isEqualTo(3);
        assertThat(new int[]{n.node(0), n.node(1), n.node(2)}).containsExactly(4, 3, 2);
        assertThat(n.relationshipCount()).isEqualTo(2);
        assertThat(new int[]{n.relationship(0), n.relationship(1)}).containsExactlyInAnyOrder(2, 3);
        assertThat(n.slotCount()).as("two edges and the self loops of 4 and 3").isEqualTo(4);
        assertThrows(IllegalArgumentException.class, () -> Neighbourhood.of(graph, 5, 2));
    }

    @Test
    void undirectedRelationshipIsRemovedInBothDirections() {
        // Stored 1 -> 0 and 0 -> 2, undirected: removing 0 -> 2 also cuts 2's message to 0.
        int[] sources = {1, 0};
        int[] targets = {0, 2};
        IncomingCsr graph = new GraphBuilder(3).orientation(Orientation.UNDIRECTED).build(sources, targets);
        TrainedModel model = randomModel(GatConfig.builder(3, 3).hiddenChannels(4).hiddenHeads(2).messageDropout(0)
                .normalizeFeatures(false).build(), 3);
        FeatureMatrix x = randomDense(3, 3, 5);
        Explanation e = explain(model, graph, x, 0);
        Explanation.RelationshipInfluence r = relationship(e, 1);
        assertThat(r.messageEdges()).isEqualTo(2);
        assertThat(r.startNode()).isZero();
        assertThat(r.endNode()).isEqualTo(2);
        IncomingCsr without = new GraphBuilder(3).orientation(Orientation.UNDIRECTED).build(new int[]{1},
                new int[]{0});
        double expected = probability(model, without, x, 0, e.predictedClass()) - e.probability();
        assertThat(r.occlusionDelta()).isCloseTo(expected, within(1e-6));
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("GAT 2 layers, dense", GatConfig.builder(6, 3).hiddenChannels(4).hiddenHeads(3)
                        .messageDropout(0).normalizeFeatures(false).build(),
                        Orientation.NATURAL, false),
                Arguments.of("GAT 3 layers, sparse, normalised, undirected", GatConfig.builder(6, 3).layers(3)
                        .hiddenChannels(3, 2).hiddenHeads(2, 2).normalizeFeatures(true).messageDropout(0).build(),
                        Orientation.UNDIRECTED, true),
                Arguments.of("GATv2 residual, 2 output heads, reversed", GatConfig.builder(6, 4).variant(Variant.GATV2)
                        .residual(true).hiddenChannels(4).hiddenHeads(2).outputHeads(2).messageDropout(0)
                                .normalizeFeatures(false).build(), Orientation.REVERSE,
                        false),
                Arguments.of("GAT multi-label, sparse", GatConfig.builder(6, 4).multiLabel(true).hiddenChannels(4)
                        .hiddenHeads(2).messageDropout(0).normalizeFeatures(false)
                                .build(), Orientation.UNDIRECTED, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void matchesRunsOnTheWholeGraph(String name, GatConfig config, Orientation orientation, boolean sparse) {
        int nodes = 30;
        int[][] edges = RandomGraphs.edges(nodes, 45, 11, false);
        IncomingCsr graph = new GraphBuilder(nodes).orientation(orientation).build(edges[0], edges[1]);
        TrainedModel model = randomModel(config, 7);
        FeatureMatrix x = sparse ? sparseFeatures(nodes, config.inputDim(), 13) : randomDense(nodes, config.inputDim(), 13);
        float[] full;
        try (CpuBackend backend = CpuBackend.sequential()) {
            full = Inference.run(backend, model, graph, x, Inference.Request.LOGITS_ONLY).logits();
        }
        int classes = config.classCount();
        for (int target : new int[]{0, 7, 19, 29}) {
            Explanation e = explain(model, graph, x, target);
            float[] expected = Arrays.copyOfRange(full, target * classes, (target + 1) * classes);
            assertThat(e.logits()).as(name + " node " + target).containsExactly(expected, within(1e-6f));
            double shares = e.nodes().stream().mapToDouble(Explanation.NodeInfluence::flow).sum();
            assertThat(shares).isCloseTo(1, within(1e-6));
            // Occlusion of up to three relationships against the whole graph without each.
            for (int r = 0; r < Math.min(3, e.relationships().size()); r++) {
                Explanation.RelationshipInfluence rel = e.relationships().get(r);
                IncomingCsr without = withoutEdge(nodes, edges, orientation, rel.relationship());
                double p = probability(model, without, x, target, e.predictedClass());
                assertThat(rel.occlusionDelta()).as(name + " node " + target + " edge " + rel.relationship())
                        .isCloseTo(p - e.probability(), within(1e-6));
                assertThat(rel.flips()).isEqualTo(config.multiLabel() ? p <= 0.5
                        : predictedClass(model, without, x, target) != e.predictedClass());
            }
        }
    }

    /**
     * A model that attends over relationship features: the explainer's logits are the whole graph's, and removing a
     * relationship (with its features, the added self loops' means following) matches the whole graph without it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("orientations")
    void withRelationshipFeaturesMatchesRunsOnTheWholeGraph(Orientation orientation) {
        int nodes = 30;
        int[][] edges = RandomGraphs.edges(nodes, 45, 17, false);
        IncomingCsr graph = new GraphBuilder(nodes).orientation(orientation).build(edges[0], edges[1]);
        for (Variant variant : Variant.values()) {
            GatConfig config = GatConfig.builder(4, 3).variant(variant).hiddenChannels(3).hiddenHeads(2)
                    .messageDropout(0).normalizeFeatures(false).edgeDim(2).build();
            TrainedModel model = randomModel(config, 9);
            FeatureMatrix x = randomDense(nodes, 4, 5);
            DenseMatrix relationshipFeatures = randomDense(edges[0].length, 2, 6);
            float[] full;
            try (CpuBackend backend = CpuBackend.sequential()) {
                full = Inference.run(backend, model, graph, x, relationshipFeatures, Inference.Request.LOGITS_ONLY)
                        .logits();
            }
            for (int target : new int[]{0, 11, 29}) {
                Explanation e;
                try (CpuBackend backend = CpuBackend.sequential()) {
                    e = PredictionExplainer.of(backend, model, graph, x, relationshipFeatures, target,
                            PredictionExplainer.MEAN_HEADS).explain(3, 2, TerminationFlag.RUNNING);
                }
                float[] expected = Arrays.copyOfRange(full, target * 3, (target + 1) * 3);
                assertThat(e.logits()).as(variant + " node " + target).containsExactly(expected, within(1e-6f));
                for (int r = 0; r < Math.min(3, e.relationships().size()); r++) {
                    int edge = e.relationships().get(r).relationship();
                    int m = edges[0].length;
                    int[] s = new int[m - 1];
                    int[] t = new int[m - 1];
                    float[] rows = new float[(m - 1) * 2];
                    for (int i = 0, k = 0; i < m; i++) {
                        if (i != edge) {
                            s[k] = edges[0][i];
                            t[k] = edges[1][i];
                            rows[2 * k] = relationshipFeatures.data()[2 * i];
                            rows[2 * k++ + 1] = relationshipFeatures.data()[2 * i + 1];
                        }
                    }
                    IncomingCsr without = new GraphBuilder(nodes).orientation(orientation).build(s, t);
                    double p;
                    try (CpuBackend backend = CpuBackend.sequential()) {
                        p = Inference.run(backend, model, without, x, new DenseMatrix(m - 1, 2, rows),
                                Inference.Request.LOGITS_ONLY).probabilities(target)[e.predictedClass()];
                    }
                    assertThat(e.relationships().get(r).occlusionDelta()).as(variant + " node " + target + " edge "
                            + edge).isCloseTo(p - e.probability(), within(1e-6));
                }
            }
        }
    }

    static Stream<Orientation> orientations() {
        return Stream.of(Orientation.NATURAL, Orientation.UNDIRECTED);
    }

    @Test
    void sameNumbersOnSeveralThreadsAndForTheTopRelationshipsAlone() {
        int nodes = 40;
        int[][] edges = RandomGraphs.edges(nodes, 90, 21, false);
        IncomingCsr graph = new GraphBuilder(nodes).orientation(Orientation.UNDIRECTED).build(edges[0], edges[1]);
        TrainedModel model = randomModel(GatConfig.builder(5, 3).hiddenChannels(3).hiddenHeads(2).messageDropout(0)
                .normalizeFeatures(false).build(), 4);
        FeatureMatrix x = sparseFeatures(nodes, 5, 8);
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            PredictionExplainer explainer = PredictionExplainer.of(backend, model, graph, x, 3,
                    PredictionExplainer.MEAN_HEADS);
            Explanation one = explainer.explain(2, 1, TerminationFlag.RUNNING);
            Explanation three = explainer.explain(2, 3, TerminationFlag.RUNNING);
            // Exactly equal (Double.equals: NaN equals NaN, and no tolerance).
            assertThat(three).usingRecursiveComparison().withEqualsForType(Double::equals, Double.class)
                    .withEqualsForType(Float::equals, Float.class).isEqualTo(one);
            assertThat(one.relationships().size()).isGreaterThan(5);
            for (Explanation.Ranking ranking : Explanation.Ranking.values()) {
                List<Explanation.RelationshipInfluence> top = explainer.topRelationships(4, ranking, 2,
                        TerminationFlag.RUNNING);
                assertThat(top).extracting(Explanation.RelationshipInfluence::relationship)
                        .containsExactlyElementsOf(one.topRelationships(4, ranking).stream()
                                .map(Explanation.RelationshipInfluence::relationship).toList());
            }
        }
    }

    @Test
    void featureAttributionIsGradientTimesInput() {
        GatConfig config = GatConfig.builder(4, 3).hiddenChannels(3).hiddenHeads(2).messageDropout(0)
                .normalizeFeatures(false).build();
        int nodes = 12;
        int[][] edges = RandomGraphs.edges(nodes, 20, 3, false);
        IncomingCsr graph = new GraphBuilder(nodes).build(edges[0], edges[1]);
        TrainedModel model = randomModel(config, 5);
        DenseMatrix x = randomDense(nodes, 4, 9);
        int target = 5;
        Explanation e;
        try (CpuBackend backend = CpuBackend.sequential()) {
            e = PredictionExplainer.of(backend, model, graph, x, target, PredictionExplainer.MEAN_HEADS)
                    .explain(4, TerminationFlag.RUNNING);
        }
        int c = e.predictedClass();
        double h = 1e-2;
        int checked = 0;
        for (Explanation.NodeInfluence node : e.nodes()) {
            for (Explanation.FeatureAttribution f : node.topFeatures()) {
                float[] data = x.data().clone();
                int index = node.node() * 4 + f.feature();
                data[index] = (float) (x.data()[index] + h);
                double plus = Math.log(probability(model, graph, new DenseMatrix(nodes, 4, data), target, c));
                data[index] = (float) (x.data()[index] - h);
                double minus = Math.log(probability(model, graph, new DenseMatrix(nodes, 4, data), target, c));
                double expected = (plus - minus) / (2 * h) * x.data()[index];
                assertThat(f.attribution()).as("node " + node.node() + " feature " + f.feature())
                        .isCloseTo(expected, within(2e-3 + 2e-2 * Math.abs(expected)));
                assertThat(f.input()).isEqualTo(x.data()[index]);
                checked++;
            }
            for (int i = 1; i < node.topFeatures().size(); i++) {
                assertThat(Math.abs(node.topFeatures().get(i).attribution()))
                        .isLessThanOrEqualTo(Math.abs(node.topFeatures().get(i - 1).attribution()));
            }
        }
        assertThat(checked).as("two nodes, four features each at least").isGreaterThanOrEqualTo(8);
    }

    @Test
    void oneHeadAndBadHeads() {
        IncomingCsr graph = new GraphBuilder(3).build(new int[]{0, 1}, new int[]{1, 2});
        TrainedModel model = randomModel(GatConfig.builder(3, 2).hiddenChannels(2).hiddenHeads(3).messageDropout(0)
                .normalizeFeatures(false).build(), 1);
        FeatureMatrix x = randomDense(3, 3, 2);
        try (CpuBackend backend = CpuBackend.sequential()) {
            Explanation head1 = PredictionExplainer.of(backend, model, graph, x, 2, 1).explain(2, TerminationFlag.RUNNING);
            double shares = head1.nodes().stream().mapToDouble(Explanation.NodeInfluence::flow).sum();
            assertThat(shares).isCloseTo(1, within(1e-6));
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> PredictionExplainer.of(backend, model, graph, x, 2, 3));
            assertThat(bad.getMessage()).contains("Head 3").contains("layer 0").contains("3 heads");
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private static Explanation explain(TrainedModel model, IncomingCsr graph, FeatureMatrix x, int target) {
        try (CpuBackend backend = CpuBackend.sequential()) {
            return PredictionExplainer.of(backend, model, graph, x, target, PredictionExplainer.MEAN_HEADS)
                    .explain(3, TerminationFlag.RUNNING);
        }
    }

    private static double flowOfNode(Explanation e, int node) {
        return nodeOf(e, node).flow();
    }

    private static Explanation.NodeInfluence nodeOf(Explanation e, int node) {
        return e.nodes().stream().filter(n -> n.node() == node).findFirst().orElseThrow();
    }

    private static Explanation.RelationshipInfluence relationship(Explanation e, int edge) {
        return e.relationships().stream().filter(r -> r.relationship() == edge).findFirst().orElseThrow();
    }

    private static double probability(TrainedModel model, IncomingCsr graph, FeatureMatrix x, int node, int c) {
        try (CpuBackend backend = CpuBackend.sequential()) {
            return Inference.run(backend, model, graph, x, Inference.Request.LOGITS_ONLY).probabilities(node)[c];
        }
    }

    private static int predictedClass(TrainedModel model, IncomingCsr graph, FeatureMatrix x, int node) {
        try (CpuBackend backend = CpuBackend.sequential()) {
            Prediction p = Inference.run(backend, model, graph, x, Inference.Request.LOGITS_ONLY);
            return p.predictedClass(node);
        }
    }

    private static IncomingCsr withoutEdge(int nodes, int[][] edges, Orientation orientation, int edge) {
        int m = edges[0].length;
        int[] s = new int[m - 1];
        int[] t = new int[m - 1];
        for (int e = 0, k = 0; e < m; e++) {
            if (e != edge) {
                s[k] = edges[0][e];
                t[k++] = edges[1][e];
            }
        }
        return new GraphBuilder(nodes).orientation(orientation).build(s, t);
    }

    /** Two layers of one head with identity weights, zero biases and attention vectors (a, 0) on both sides. */
    private static TrainedModel identityModel(float attention) {
        GatConfig config = GatConfig.builder(2, 2).hiddenChannels(2).hiddenHeads(1).outputHeads(1).messageDropout(0)
                .normalizeFeatures(false).build();
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>();
        for (int l = 0; l < 2; l++) {
            String prefix = "layers." + l + ".";
            tensors.put(prefix + "weight", DenseMatrix.fromRows(new float[][]{{1, 0}, {0, 1}}));
            tensors.put(prefix + "att_src", DenseMatrix.fromRows(new float[][]{{attention, 0}}));
            tensors.put(prefix + "att_dst", DenseMatrix.fromRows(new float[][]{{0, 0}}));
            tensors.put(prefix + "bias", DenseMatrix.zeros(1, 2));
        }
        return new TrainedModel(config, new Weights(tensors), ModelMetadata.NONE);
    }

    /**
     * The identity model written out in double: out_i = Σ_j α_ij h_j with α the softmax over i's sources
     * (self loop included) of LeakyReLU(a · h_j), a = (attention, 0).
     */
    private static final class Reference {
        final double[][] x;
        final double a;

        Reference(float[][] rows, double a) {
            this.x = new double[rows.length][];
            for (int i = 0; i < rows.length; i++) {
                x[i] = new double[]{rows[i][0], rows[i][1]};
            }
            this.a = a;
        }

        /** α[target][source], self loops added, edge {@code skip} left out. */
        double[][] attention(double[][] h, int[][] edges, int skip) {
            int n = h.length;
            double[][] score = new double[n][n];
            boolean[][] present = new boolean[n][n];
            for (int e = 0; e < edges.length; e++) {
                if (e != skip) {
                    present[edges[e][1]][edges[e][0]] = true;
                }
            }
            double[][] alpha = new double[n][n];
            for (int i = 0; i < n; i++) {
                present[i][i] = true;
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    if (present[i][j]) {
                        double s = a * h[j][0];
                        score[i][j] = Math.exp(s > 0 ? s : 0.2 * s);
                        sum += score[i][j];
                    }
                }
                for (int j = 0; j < n; j++) {
                    alpha[i][j] = present[i][j] ? score[i][j] / sum : 0;
                }
            }
            return alpha;
        }

        double[][] layer(double[][] h, int[][] edges, int skip) {
            double[][] alpha = attention(h, edges, skip);
            double[][] out = new double[h.length][2];
            for (int i = 0; i < h.length; i++) {
                for (int j = 0; j < h.length; j++) {
                    out[i][0] += alpha[i][j] * h[j][0];
                    out[i][1] += alpha[i][j] * h[j][1];
                }
            }
            return out;
        }

        double probability(int[][] edges, int skip, int c) {
            double[] logits = layer(layer(x, edges, skip), edges, skip)[0];
            return 1 / (1 + Math.exp(-(logits[c] - logits[1 - c])));
        }
    }

    private static TrainedModel randomModel(GatConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>();
        Weights.initialize(config, seed).asMap().forEach((name, tensor) -> {
            float[] values = tensor.data().clone();
            for (int i = 0; i < values.length; i++) {
                values[i] += (float) (0.6 * random.nextDouble() - 0.3);
            }
            tensors.put(name, new DenseMatrix(tensor.rows(), tensor.cols(), values));
        });
        return new TrainedModel(config, new Weights(tensors), ModelMetadata.NONE);
    }

    private static DenseMatrix randomDense(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextDouble();
        }
        return new DenseMatrix(rows, cols, data);
    }

    private static SparseMatrix sparseFeatures(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextInt(3) == 0 ? 1 : 0;
        }
        return SparseMatrix.fromDense(rows, cols, data);
    }
}
