package dev.neogat.train;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed inference: predictions, attention mapped back to stored edges, embeddings, new nodes, clear errors. */
class TypedInferenceTest {

    private static final TypedModelFixtures FIXTURE = new TypedModelFixtures(5);
    private static final TypedTrainedModel MODEL = FIXTURE.train(RelationAggregation.ATTENTION, 6).model();

    private static TypedPrediction run(TypedGraph graph, Map<String, FeatureMatrix> features,
                                       Inference.Request request) {
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            return TypedInference.run(backend, MODEL, graph, features, request);
        }
    }

    @Test
    void predictionsAreTheArgmaxOfProbabilitiesThatSumToOne() {
        TypedPrediction prediction = run(FIXTURE.graph(1), FIXTURE.features(1), Inference.Request.LOGITS_ONLY);
        assertEquals(TypedModelFixtures.PAPERS, prediction.nodeCount());
        for (int node = 0; node < prediction.nodeCount(); node++) {
            double[] p = prediction.probabilities(node);
            assertEquals(1.0, Arrays.stream(p).sum(), 1e-9);
            int argmax = 0;
            for (int c = 1; c < p.length; c++) {
                argmax = p[c] > p[argmax] ? c : argmax;
            }
            assertEquals(argmax, prediction.predictedClass(node));
        }
        assertFalse(prediction.hasAttention());
        assertThrows(IllegalArgumentException.class, () -> prediction.predictedClass(TypedModelFixtures.PAPERS));
    }

    @Test
    void attentionOfEveryRelationMapsEachSlotToItsStoredEdge() {
        TypedGraph graph = FIXTURE.graph(1);
        TypedPrediction prediction = run(graph, FIXTURE.features(1), Inference.Request.EVERYTHING);
        Relation cites = new Relation("paper", "cites", "paper");
        Relation writes = new Relation("author", "writes", "paper");
        Relation revWrites = writes.reversed();
        assertEquals(graph.relations(), prediction.relations(0));
        assertEquals(java.util.List.of(cites, writes), prediction.relations(1));
        Map<Relation, int[][]> declared = Map.of(cites, FIXTURE.cites, writes, FIXTURE.writes);
        for (int layer = 0; layer < 2; layer++) {
            int heads = prediction.heads(layer);
            for (Relation relation : prediction.relations(layer)) {
                IncomingCsr csr = graph.graph(relation);
                float[] attention = prediction.attention(layer, relation);
                assertEquals(csr.slotCount() * heads, attention.length);
                double[] sums = new double[csr.nodeCount() * heads];
                int selfLoops = 0;
                for (int slot = 0; slot < csr.slotCount(); slot++) {
                    int target = csr.targetOf(slot);
                    int source = csr.sources()[slot];
                    for (int h = 0; h < heads; h++) {
                        sums[target * heads + h] += prediction.attention(layer, relation, slot, h);
                    }
                    TypedPrediction.StoredEdge edge = prediction.storedEdge(relation, slot);
                    assertEquals(relation.equals(revWrites) ? writes : relation, edge.relation());
                    if (edge.isSelfLoop()) {
                        selfLoops++;
                        assertEquals(source, target);
                        continue;
                    }
                    int[][] stored = declared.get(edge.relation());
                    int storedSource = stored[0][edge.edge()];
                    int storedTarget = stored[1][edge.edge()];
                    assertEquals(edge.reversed() ? storedTarget : storedSource, source, relation + " slot " + slot);
                    assertEquals(edge.reversed() ? storedSource : storedTarget, target, relation + " slot " + slot);
                }
                assertEquals(relation.isBipartite() ? 0 : csr.nodeCount(), selfLoops);
                for (int t = 0; t < csr.nodeCount(); t++) {
                    if (csr.inDegree(t) > 0) {
                        for (int h = 0; h < heads; h++) {
                            assertEquals(1.0, sums[t * heads + h], 1e-5, relation + " node " + t);
                        }
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> prediction.attention(1, revWrites));
    }

    @Test
    void embeddingsAreTheLastHiddenLayersOutputPerType() {
        TypedPrediction prediction = run(FIXTURE.graph(1), FIXTURE.features(1), Inference.Request.EVERYTHING);
        int width = prediction.embeddingWidth(0);
        assertEquals(8, width);
        assertEquals(TypedModelFixtures.PAPERS * width, prediction.embeddings(0, "paper").length);
        assertEquals(TypedModelFixtures.AUTHORS * width, prediction.embeddings(0, "author").length);
        assertThrows(IllegalArgumentException.class, () -> prediction.embeddings(1, "paper"));
        assertThrows(IllegalArgumentException.class, () -> prediction.embeddings(0, "venue"));
    }

    @Test
    void aGraphBuiltLaterWithMoreNodesGivesThemPredictions() {
        TypedPrediction original = run(FIXTURE.graph(1), FIXTURE.features(1), Inference.Request.EVERYTHING);
        // Two more copies of the graph as new nodes: each new paper has the neighbourhood of its original.
        TypedPrediction grown = run(FIXTURE.graph(3), FIXTURE.features(3), Inference.Request.EVERYTHING);
        assertEquals(3 * TypedModelFixtures.PAPERS, grown.nodeCount());
        int classes = TypedModelFixtures.CLASSES;
        for (int copy = 0; copy < 3; copy++) {
            float[] part = Arrays.copyOfRange(grown.logits(), copy * original.logits().length,
                    (copy + 1) * original.logits().length);
            assertArrayEquals(original.logits(), part, 1e-6f, "copy " + copy);
            for (int node = 0; node < TypedModelFixtures.PAPERS; node++) {
                assertEquals(original.predictedClass(node),
                        grown.predictedClass(copy * TypedModelFixtures.PAPERS + node));
            }
        }
        float[] authors = original.embeddings(0, "author");
        assertArrayEquals(authors, Arrays.copyOfRange(grown.embeddings(0, "author"), 2 * authors.length,
                3 * authors.length), 1e-6f);
        assertEquals(classes * 3 * TypedModelFixtures.PAPERS, grown.logits().length);
    }

    @Test
    void aGraphWithoutOneOfTheModelsRelationsFailsNamingIt() {
        TypedGraph graph = TypedGraph.builder().nodeType("paper", TypedModelFixtures.PAPERS)
                .nodeType("author", TypedModelFixtures.AUTHORS)
                .relation("paper", "cites", "paper", FIXTURE.cites[0], FIXTURE.cites[1]).undirected().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(graph, FIXTURE.features(1), Inference.Request.LOGITS_ONLY));
        assertTrue(e.getMessage().startsWith("The graph lacks the model's relation (author)-[writes]->(paper); the "
                + "model was trained on "), e.getMessage());
    }

    @Test
    void aGraphWithANewRelationFailsNamingIt() {
        TypedGraph graph = TypedGraph.builder().nodeType("paper", TypedModelFixtures.PAPERS)
                .nodeType("author", TypedModelFixtures.AUTHORS)
                .relation("paper", "cites", "paper", FIXTURE.cites[0], FIXTURE.cites[1])
                .relation("author", "writes", "paper", FIXTURE.writes[0], FIXTURE.writes[1])
                .relation("author", "reviews", "paper", FIXTURE.writes[0], FIXTURE.writes[1]).undirected().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(graph, FIXTURE.features(1), Inference.Request.LOGITS_ONLY));
        assertTrue(e.getMessage().startsWith("The graph has the relation (author)-[reviews]->(paper), which the model "
                + "was not trained on; its relations are "), e.getMessage());
    }

    @Test
    void aGraphWithoutOneOfTheModelsTypesOrWithANewOneFailsNamingIt() {
        TypedGraph papersOnly = TypedGraph.builder().nodeType("paper", TypedModelFixtures.PAPERS)
                .relation("paper", "cites", "paper", FIXTURE.cites[0], FIXTURE.cites[1]).undirected().build();
        Map<String, FeatureMatrix> paperFeatures = Map.of("paper", FIXTURE.paperFeatures);
        assertEquals("The graph lacks the model's node type 'author'; the model was trained on the node types "
                        + "[paper, author], the graph has [paper]",
                assertThrows(IllegalArgumentException.class,
                        () -> run(papersOnly, paperFeatures, Inference.Request.LOGITS_ONLY)).getMessage());

        TypedGraph withVenues = TypedGraph.builder().nodeType("paper", TypedModelFixtures.PAPERS)
                .nodeType("author", TypedModelFixtures.AUTHORS).nodeType("venue", 2)
                .relation("paper", "cites", "paper", FIXTURE.cites[0], FIXTURE.cites[1])
                .relation("author", "writes", "paper", FIXTURE.writes[0], FIXTURE.writes[1]).undirected().build();
        Map<String, FeatureMatrix> features = new LinkedHashMap<>(FIXTURE.features(1));
        features.put("venue", new DenseMatrix(2, 1, new float[2]));
        assertEquals("The graph has the node type 'venue', which the model was not trained on; its node types are "
                        + "[paper, author]",
                assertThrows(IllegalArgumentException.class,
                        () -> run(withVenues, features, Inference.Request.LOGITS_ONLY)).getMessage());
    }

    @Test
    void aTypeWhoseFeatureWidthDiffersFailsNamingTheType() {
        Map<String, FeatureMatrix> features = new LinkedHashMap<>(FIXTURE.features(1));
        features.put("author", new DenseMatrix(TypedModelFixtures.AUTHORS, 4, new float[TypedModelFixtures.AUTHORS * 4]));
        assertEquals("The model was trained on 3 features per 'author' node but these 'author' nodes have 4",
                assertThrows(IllegalArgumentException.class,
                        () -> run(FIXTURE.graph(1), features, Inference.Request.LOGITS_ONLY)).getMessage());
    }
}
