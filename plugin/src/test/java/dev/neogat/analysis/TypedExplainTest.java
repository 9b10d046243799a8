package dev.neogat.analysis;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.Inference;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedModelFixtures;
import dev.neogat.train.TypedPrediction;
import dev.neogat.train.TypedSignalGraph;
import dev.neogat.train.TypedTrainer;
import dev.neogat.train.TypedTrainingData;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Explanations of typed models against runs on the whole typed graph: the neighbourhood gives the target its
 * whole-graph logits, each relationship's occlusion delta equals a rerun on the whole graph without that relationship
 * (in every relation it is read by), the flow keeps the untyped invariant (every layer's shares sum to 1 where every
 * reached node receives messages), and the top features are gradient × input, none for a label without features.
 */
class TypedExplainTest {

    private static final TypedModelFixtures FIXTURE = new TypedModelFixtures(11);
    private static final int COPIES = 2;

    private static TypedTrainedModel train(TypedTrainingData data, TypedGatConfig config, int epochs) {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedTrainer.train(backend, data, config, new TrainingConfig(epochs, 0.02, 5e-4, 100, 3),
                    TrainingListener.NONE, TerminationFlag.RUNNING).model();
        }
    }

    private static TypedTrainingData fixtureData(Map<String, FeatureMatrix> features) {
        int[] train = IntStream.range(0, 15).toArray();
        int[] validation = IntStream.range(15, 22).toArray();
        int[] test = IntStream.range(22, TypedModelFixtures.PAPERS).toArray();
        return new TypedTrainingData(FIXTURE.graph(1), features, "paper",
                NodeLabels.singleLabel(FIXTURE.classes, TypedModelFixtures.CLASSES),
                new NodeSplit(train, validation, test));
    }

    private static TypedPrediction whole(TypedTrainedModel model, TypedGraph graph,
                                         PredictionExplainer.TypedInputs inputs) {
        Map<Relation, FeatureMatrix> relationshipFeatures = new LinkedHashMap<>(inputs.relationshipFeatures());
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedInference.run(backend, model, graph, inputs.features(), relationshipFeatures,
                    inputs.embeddingRows(), Inference.Request.LOGITS_ONLY);
        }
    }

    private static Explanation explain(TypedTrainedModel model, TypedGraph graph,
                                       PredictionExplainer.TypedInputs inputs, int target) {
        TypedPrediction run = whole(model, graph, inputs);
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            PredictionExplainer explainer = PredictionExplainer.of(backend, model, run, inputs, target,
                    PredictionExplainer.MEAN_HEADS);
            float[] expected = Arrays.copyOfRange(run.logits(), target * run.classCount(),
                    (target + 1) * run.classCount());
            assertArrayEquals(expected, explainer.logits(), 1e-6f, "the neighbourhood gives the whole graph's logits");
            return explainer.explain(4, 2, TerminationFlag.RUNNING);
        }
    }

    /** Edges of every declared relation as given to the builder, read back from its graph. */
    private static Map<Relation, int[][]> declaredEdges(TypedGraph graph) {
        Map<Relation, int[][]> edges = new LinkedHashMap<>();
        for (Relation r : graph.relations()) {
            if (graph.reversedFrom(r) != null) {
                continue;
            }
            IncomingCsr csr = graph.graph(r);
            int[][] e = new int[2][csr.originalEdgeCount()];
            for (int edge = 0; edge < e[0].length; edge++) {
                int slot = csr.slotOfEdge(edge);
                e[0][edge] = csr.sources()[slot];
                e[1][edge] = csr.targetOf(slot);
            }
            edges.put(r, e);
        }
        return edges;
    }

    /** The graph (undirected or not) without one stored relationship, and its features without that row. */
    private static double probabilityWithout(TypedTrainedModel model, TypedGraph graph, boolean undirected,
                                             PredictionExplainer.TypedInputs inputs, int relationship, int target,
                                             int predictedClass) {
        TypedIds ids = new TypedIds(graph);
        Relation removedRelation = ids.relation(relationship);
        int removedEdge = ids.edge(relationship);
        TypedGraph.Builder builder = TypedGraph.builder();
        for (String type : graph.nodeTypes()) {
            builder.nodeType(type, graph.nodeCount(type));
        }
        Map<Relation, FeatureMatrix> relationshipFeatures = new LinkedHashMap<>();
        declaredEdges(graph).forEach((r, e) -> {
            boolean drop = r.equals(removedRelation);
            int[] keep = IntStream.range(0, e[0].length).filter(k -> !drop || k != removedEdge).toArray();
            builder.relation(r, Arrays.stream(keep).map(k -> e[0][k]).toArray(),
                    Arrays.stream(keep).map(k -> e[1][k]).toArray());
            DenseMatrix rows = (DenseMatrix) inputs.relationshipFeatures().get(r);
            if (rows != null) {
                float[] kept = new float[keep.length * rows.cols()];
                for (int i = 0; i < keep.length; i++) {
                    System.arraycopy(rows.data(), keep[i] * rows.cols(), kept, i * rows.cols(), rows.cols());
                }
                relationshipFeatures.put(r, new DenseMatrix(keep.length, rows.cols(), kept));
            }
        });
        if (undirected) {
            builder.undirected();
        }
        TypedPrediction without = whole(model, builder.build(), new PredictionExplainer.TypedInputs(
                inputs.features(), relationshipFeatures, inputs.embeddingRows()));
        return without.probabilities(target)[predictedClass];
    }

    private static void assertOcclusionIsARerun(TypedTrainedModel model, TypedGraph graph, boolean undirected,
                                                PredictionExplainer.TypedInputs inputs, int target, Explanation e) {
        assertFalse(e.relationships().isEmpty());
        for (Explanation.RelationshipInfluence r : e.relationships()) {
            double expected = probabilityWithout(model, graph, undirected, inputs, r.relationship(), target,
                    e.predictedClass()) - e.probability();
            assertEquals(expected, r.occlusionDelta(), 1e-5, "relationship " + r.relationship());
        }
    }

    private static double flowSum(Explanation e) {
        return e.nodes().stream().mapToDouble(Explanation.NodeInfluence::flow).sum();
    }

    @ParameterizedTest
    @EnumSource(RelationAggregation.class)
    void matchesTheWholeGraphAndKeepsTheFlowInvariant(RelationAggregation aggregation) {
        TypedTrainedModel model = train(fixtureData(FIXTURE.features(1)), FIXTURE.config(aggregation), 8);
        TypedGraph graph = FIXTURE.graph(COPIES);
        PredictionExplainer.TypedInputs inputs = new PredictionExplainer.TypedInputs(FIXTURE.features(COPIES),
                Map.of(), Map.of());
        TypedIds ids = new TypedIds(graph);
        for (int target : new int[]{0, 7, TypedModelFixtures.PAPERS + 3}) {
            Explanation e = explain(model, graph, inputs, target);
            assertEquals(ids.node("paper", target), e.target());
            // Undirected: each reached node receives messages, so the shares sum to 1 (float attention).
            assertEquals(1.0, flowSum(e), 1e-6, "flow of paper " + target);
            double relationshipFlow = e.relationships().stream().mapToDouble(Explanation.RelationshipInfluence::flow)
                    .sum();
            assertTrue(relationshipFlow > 0 && relationshipFlow <= e.hops() + 1e-9);
            for (Explanation.NodeInfluence n : e.nodes()) {
                int width = ids.type(n.node()).equals("paper") ? 5 : 3;
                assertFalse(n.topFeatures().isEmpty(), "node " + n.node());
                assertTrue(n.topFeatures().size() <= 4 && n.topFeatures().stream()
                        .allMatch(f -> f.feature() < width), "node " + n.node() + " reads its own label's features");
            }
            if (aggregation != RelationAggregation.ATTENTION) {
                // With 'attention' β stays at the whole graph's value; the rerun's β moves by O(1/papers).
                assertOcclusionIsARerun(model, graph, true, inputs, target, e);
            }
        }
    }

    @Test
    void aModelThatScalesItsRowsIsExplainedOnScaledRows() {
        TypedGatConfig plain = FIXTURE.config(RelationAggregation.SUM);
        TypedGatConfig config = TypedGatConfig.builder(plain.inputWidths(), plain.relations(), plain.targetType(),
                plain.classCount()).hiddenHeads(2).hiddenChannels(4).dropout(0.2).normalizeFeatures(true).build();
        Map<String, FeatureMatrix> positive = new LinkedHashMap<>();
        FIXTURE.features(COPIES).forEach((type, x) -> {
            float[] values = ((DenseMatrix) x).data().clone();
            for (int i = 0; i < values.length; i++) {
                values[i] = Math.abs(values[i]) + i % 3;
            }
            positive.put(type, new DenseMatrix(x.rows(), x.cols(), values));
        });
        Map<String, FeatureMatrix> firstCopy = new LinkedHashMap<>();
        positive.forEach((type, x) -> firstCopy.put(type, new DenseMatrix(x.rows() / COPIES, x.cols(),
                Arrays.copyOf(((DenseMatrix) x).data(), x.rows() / COPIES * x.cols()))));
        TypedTrainedModel model = train(fixtureData(firstCopy), config, 4);
        PredictionExplainer.TypedInputs inputs = new PredictionExplainer.TypedInputs(positive, Map.of(), Map.of());
        // explain() checks the neighbourhood's logits against the whole graph's, which scales every row.
        for (int target : new int[]{2, TypedModelFixtures.PAPERS + 5}) {
            assertOcclusionIsARerun(model, FIXTURE.graph(COPIES), true, inputs, target,
                    explain(model, FIXTURE.graph(COPIES), inputs, target));
        }
    }

    @Test
    void aRelationshipIsRemovedFromEveryRelationThatReadsIt() {
        TypedTrainedModel model = train(fixtureData(FIXTURE.features(1)), FIXTURE.config(RelationAggregation.SUM), 8);
        TypedGraph graph = FIXTURE.graph(1);
        Explanation e = explain(model, graph, new PredictionExplainer.TypedInputs(FIXTURE.features(1), Map.of(),
                Map.of()), 4);
        TypedIds ids = new TypedIds(graph);
        for (Explanation.RelationshipInfluence r : e.relationships()) {
            Relation relation = ids.relation(r.relationship());
            // writes is read by writes and rev_writes; cites, within one label, in both directions.
            assertTrue(r.messageEdges() >= 1 && r.messageEdges() <= 2);
            int[][] edges = declaredEdges(graph).get(relation);
            int edge = ids.edge(r.relationship());
            assertEquals(ids.node(relation.sourceType(), edges[0][edge]), r.startNode());
            assertEquals(ids.node(relation.targetType(), edges[1][edge]), r.endNode());
        }
        assertTrue(e.relationships().stream().anyMatch(r -> r.messageEdges() == 2
                && ids.relation(r.relationship()).name().equals("writes")), "some authorship is read both ways");
    }

    @Test
    void relationshipFeaturesAndALabelWithoutFeatures() {
        TypedSignalGraph signal = new TypedSignalGraph(80, 5);
        TypedTrainingData data = signal.typed();
        TypedTrainedModel model = train(data, signal.config(true, 2).build(), 6);
        PredictionExplainer.TypedInputs inputs = new PredictionExplainer.TypedInputs(data.features(),
                data.relationshipFeatures(), Map.of());
        TypedIds ids = new TypedIds(data.graph());
        for (int target : new int[]{1, 40}) {
            Explanation e = explain(model, data.graph(), inputs, target);
            assertOcclusionIsARerun(model, data.graph(), false, inputs, target, e);
            for (Explanation.NodeInfluence n : e.nodes()) {
                String type = ids.type(n.node());
                if (type.equals("tag")) {
                    assertTrue(n.topFeatures().isEmpty(), "a tag has no features");
                }
            }
            assertTrue(e.nodes().get(0).topFeatures().size() > 0);
            // user, shop and tag have no relation into them: the share reaching them stops there.
            assertTrue(flowSum(e) <= 1 + 1e-9);
        }
    }

    @Test
    void aLearnedInputPerNodeIsExplainedWithItsTrainedRows() {
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 5);
        TypedGatConfig config = TypedGatConfig.builder(widths, FIXTURE.graph(1).relations(), "paper",
                        TypedModelFixtures.CLASSES)
                .featureless("author", FeaturelessInput.perNode(4, TypedModelFixtures.AUTHORS)).hiddenHeads(2)
                .hiddenChannels(4).dropout(0.2).aggregation(RelationAggregation.ATTENTION).semanticDim(6).build();
        Map<String, FeatureMatrix> papers = new LinkedHashMap<>(FIXTURE.features(1));
        papers.remove("author");
        TypedTrainedModel model = train(fixtureData(papers), config, 6);
        Map<String, FeatureMatrix> grown = new LinkedHashMap<>(FIXTURE.features(COPIES));
        grown.remove("author");
        int[] rows = IntStream.range(0, COPIES * TypedModelFixtures.AUTHORS)
                .map(i -> i % TypedModelFixtures.AUTHORS).toArray();
        PredictionExplainer.TypedInputs inputs = new PredictionExplainer.TypedInputs(grown, Map.of(),
                Map.of("author", rows));
        TypedIds ids = new TypedIds(FIXTURE.graph(COPIES));
        Explanation e = explain(model, FIXTURE.graph(COPIES), inputs, TypedModelFixtures.PAPERS + 2);
        assertEquals(1.0, flowSum(e), 1e-6);
        for (Explanation.NodeInfluence n : e.nodes()) {
            assertEquals(ids.type(n.node()).equals("author"), n.topFeatures().isEmpty(), "node " + n.node());
        }
    }

    @Test
    void featureAttributionIsGradientTimesInput() {
        TypedTrainedModel model = train(fixtureData(FIXTURE.features(1)), FIXTURE.config(RelationAggregation.MEAN),
                8);
        TypedGraph graph = FIXTURE.graph(1);
        int target = 9;
        Map<String, FeatureMatrix> features = FIXTURE.features(1);
        Explanation e = explain(model, graph, new PredictionExplainer.TypedInputs(features, Map.of(), Map.of()),
                target);
        TypedIds ids = new TypedIds(graph);
        List<Explanation.NodeInfluence> checked = new ArrayList<>(List.of(e.nodes().get(0)));
        e.nodes().stream().filter(n -> ids.type(n.node()).equals("author")).findFirst().ifPresent(checked::add);
        assertEquals(2, checked.size(), "an author is in the neighbourhood");
        for (Explanation.NodeInfluence n : checked) {
            String type = ids.type(n.node());
            Explanation.FeatureAttribution top = n.topFeatures().get(0);
            double h = 1e-2;
            double[] logP = new double[2];
            for (int side = 0; side < 2; side++) {
                Map<String, FeatureMatrix> moved = new LinkedHashMap<>(features);
                DenseMatrix x = (DenseMatrix) features.get(type);
                float[] data = x.data().clone();
                data[ids.index(n.node()) * x.cols() + top.feature()] += (float) (side == 0 ? h : -h);
                moved.put(type, new DenseMatrix(x.rows(), x.cols(), data));
                logP[side] = Math.log(whole(model, graph, new PredictionExplainer.TypedInputs(moved, Map.of(),
                        Map.of())).probabilities(target)[e.predictedClass()]);
            }
            double expected = (logP[0] - logP[1]) / (2 * h) * top.input();
            assertEquals(expected, top.attribution(), 1e-3 + 1e-2 * Math.abs(expected), type + " " + n.node());
        }
    }

    @Test
    void badTargetsAndHeads() {
        TypedTrainedModel model = train(fixtureData(FIXTURE.features(1)), FIXTURE.config(RelationAggregation.SUM), 2);
        TypedGraph graph = FIXTURE.graph(1);
        PredictionExplainer.TypedInputs inputs = new PredictionExplainer.TypedInputs(FIXTURE.features(1), Map.of(),
                Map.of());
        TypedPrediction run = whole(model, graph, inputs);
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                    () -> PredictionExplainer.of(backend, model, run, inputs, TypedModelFixtures.PAPERS, -1));
            assertEquals("Node 30 is outside the 30 nodes of the target label 'paper'", outside.getMessage());
            IllegalArgumentException head = assertThrows(IllegalArgumentException.class,
                    () -> PredictionExplainer.of(backend, model, run, inputs, 0, 2));
            assertTrue(head.getMessage().startsWith("Head 2 does not exist in layer 0"), head.getMessage());
        }
    }
}
