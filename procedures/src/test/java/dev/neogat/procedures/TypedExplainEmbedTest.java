package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * gat.embed.write, gat.explain.stream, gat.explain.write and gat.model.info for typed models on {@link PaperGraph}
 * (Topic without features, one learned input per Topic node): the written embeddings are the streamed ones on every
 * node of every label, also when gat.train writes them under typed: 'auto'; the explanation agrees with
 * gat.predict.stream, its occlusion with a real deletion, its flow sums to 1; explain.write writes the top
 * relationships of the stream; a node of another label is refused clearly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedExplainEmbedTest {

    private static final String STREAM = "CALL gat.explain.stream($model, $node, $config) YIELD kind, rank, node, "
            + "relationship, predictedClass, probability, flow, occlusionDelta, topFeatures "
            + "RETURN kind, rank, labels(node)[0] AS label, elementId(relationship) AS relationshipId, "
            + "type(relationship) AS type, predictedClass, probability, flow, occlusionDelta, topFeatures";

    @TempDir
    static Path dir;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;
    private Map<String, Object> trained;
    private long allNodes;

    private static Map<String, Object> config() {
        Map<String, Object> config = TypedProcedureTest.typedConfig();
        config.put("nodeLabels", List.of("Paper", "Author", "Venue", "Topic"));
        Map<String, Object> features = new HashMap<>((Map<String, Object>) config.get("featureProperties"));
        features.put("Topic", null);
        config.put("featureProperties", features);
        config.put("featurelessNodes", "node");
        config.put("heads", 2);
        config.put("epochs", 40);
        return config;
    }

    @BeforeAll
    void createAndTrain() {
        neo4j = new EmbeddedNeo4j(dir, null);
        db = neo4j.db();
        PaperGraph.create(db, 23);
        Map<String, Object> config = config();
        config.put("embeddingProperty", "trainedEmbedding");
        trained = db.executeTransactionally("CALL gat.train('typed', $config)", Map.of("config", config),
                result -> result.next());
        Map<String, Object> semantic = config();
        semantic.put("relationAggregation", "attention");
        semantic.put("epochs", 20);
        db.executeTransactionally("CALL gat.train('semantic', $config)", Map.of("config", semantic));
        allNodes = PaperGraph.PAPERS + PaperGraph.AUTHORS + PaperGraph.VENUES + PaperGraph.TOPICS;
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private List<Map<String, Object>> rows(String query, Map<String, Object> parameters) {
        return db.executeTransactionally(query, parameters, result -> result.stream().toList());
    }

    private long paperId(int paper) {
        return (Long) rows("MATCH (p:Paper {paperId: $id}) RETURN id(p) AS id", Map.of("id", paper)).get(0).get("id");
    }

    /** Each node's streamed embedding against the property {@code property}. */
    private void assertStreamEqualsProperty(String property, double tolerance) {
        List<Map<String, Object>> rows = rows("CALL gat.embed.stream('typed') YIELD node, embedding "
                + "RETURN embedding, node[$property] AS written", Map.of("property", property));
        assertThat(rows).hasSize((int) allNodes);
        for (Map<String, Object> row : rows) {
            List<Double> streamed = (List<Double>) row.get("embedding");
            float[] written = (float[]) row.get("written");
            assertThat(written).hasSize(streamed.size());
            for (int i = 0; i < written.length; i++) {
                assertThat((double) written[i]).isCloseTo(streamed.get(i), within(tolerance));
            }
        }
    }

    @Test
    void pcaProjectsEveryLabelsEmbeddingsOntoOneSetOfPrincipalComponents() {
        List<Map<String, Object>> full = rows("CALL gat.embed.stream('typed') YIELD node, embedding "
                + "RETURN id(node) AS id, embedding", Map.of());
        List<Map<String, Object>> reduced = rows("CALL gat.embed.stream('typed', {pcaDimensions: 2}) "
                + "YIELD node, embedding RETURN id(node) AS id, embedding", Map.of());
        assertThat(reduced).hasSize((int) allNodes).hasSize(full.size());
        int width = ((List<?>) full.get(0).get("embedding")).size();
        float[] all = new float[full.size() * width];
        for (int i = 0; i < full.size(); i++) {
            List<Double> embedding = (List<Double>) full.get(i).get("embedding");
            for (int k = 0; k < width; k++) {
                all[i * width + k] = embedding.get(k).floatValue();
            }
        }
        double[] expected = dev.neogat.analysis.Pca.project(all, full.size(), width, 2);
        for (int i = 0; i < reduced.size(); i++) {
            assertThat(reduced.get(i).get("id")).isEqualTo(full.get(i).get("id"));
            List<Double> components = (List<Double>) reduced.get(i).get("embedding");
            assertThat(components).hasSize(2);
            assertThat(components.get(0)).isCloseTo(expected[2 * i], within(1e-6));
            assertThat(components.get(1)).isCloseTo(expected[2 * i + 1], within(1e-6));
        }
    }

    @Test
    void trainUnderTypedAutoWritesTheEmbeddingsOfEveryNode() {
        assertThat(trained.get("mode")).isEqualTo("typed");
        assertThat(rows("MATCH (n) WHERE n.trainedEmbedding IS NOT NULL RETURN count(n) AS n", Map.of()).get(0)
                .get("n")).isEqualTo(allNodes);
        assertStreamEqualsProperty("trainedEmbedding", 1e-6);
    }

    @Test
    void embedWriteWritesWhatTheStreamGivesOnEveryLabel() {
        Map<String, Object> written = rows("CALL gat.embed.write('typed', {embeddingProperty: 'hidden'})",
                Map.of()).get(0);
        assertThat(written.get("nodeCount")).isEqualTo(allNodes);
        assertThat(written.get("propertiesWritten")).isEqualTo(allNodes);
        assertThat(written.get("layer")).isEqualTo(0L);
        assertThat(written.get("dimension")).isEqualTo(16L);
        assertStreamEqualsProperty("hidden", 0);
        assertThat(rows("MATCH (t:Topic) WHERE t.hidden IS NOT NULL RETURN count(t) AS n", Map.of()).get(0)
                .get("n")).isEqualTo((long) PaperGraph.TOPICS);
        assertThatThrownBy(() -> rows("CALL gat.embed.write('typed', {embeddingProperty: 'text'})", Map.of()))
                .rootCause().hasMessageContaining("'embeddingProperty' names the property 'text', an input");
    }

    @Test
    void modelInfoGivesTheFeaturelessModeAndTheTrainedNodes() {
        Map<String, Object> model = (Map<String, Object>) rows("CALL gat.model.info('typed') YIELD model "
                + "RETURN model", Map.of()).get(0).get("model");
        assertThat(model).containsEntry("featurelessNodes", "node");
        assertThat((Map<String, Object>) model.get("trainedNodes")).containsExactly(
                Map.entry("Topic", (long) PaperGraph.TOPICS));
        Map<String, Object> semanticModel = (Map<String, Object>) rows("CALL gat.model.info('semantic') YIELD model "
                + "RETURN model", Map.of()).get(0).get("model");
        assertThat(semanticModel).containsEntry("featurelessNodes", "node");
    }

    @Test
    void theExplanationAgreesWithPredictAndItsOcclusionWithADeletion() {
        long node = paperId(3);
        List<Map<String, Object>> rows = rows(STREAM, Map.of("model", "typed", "node", node, "config",
                Map.of("k", 1000, "topFeatures", 2)));
        Map<String, Object> summary = rows.get(0);
        assertThat(summary.get("kind")).isEqualTo("prediction");
        Map<String, Object> predicted = rows("MATCH (n) WHERE id(n) = $id CALL gat.predict.stream('typed', "
                + "{includeProbabilities: true}) YIELD node, predictedClass, probabilities WHERE node = n "
                + "RETURN predictedClass, probabilities", Map.of("id", node)).get(0);
        assertThat(summary.get("predictedClass")).isEqualTo(predicted.get("predictedClass"));
        List<Double> probabilities = (List<Double>) predicted.get("probabilities");
        double p = (Double) summary.get("probability");
        assertThat(p).isCloseTo(probabilities.stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
                within(1e-6));

        List<Map<String, Object>> nodes = rows.stream().filter(r -> "node".equals(r.get("kind"))).toList();
        assertThat(nodes.get(0).get("rank")).isEqualTo(0L);
        assertThat(nodes.get(0).get("label")).isEqualTo("Paper");
        // UNDIRECTED: every reached node receives messages, so all the flow reaches some node's input.
        assertThat(nodes.stream().mapToDouble(r -> (Double) r.get("flow")).sum()).isCloseTo(1, within(1e-5));
        for (Map<String, Object> row : nodes) {
            List<Map<String, Object>> features = (List<Map<String, Object>>) row.get("topFeatures");
            if ("Topic".equals(row.get("label"))) {
                assertThat(features).as("a Topic has no features").isEmpty();
            } else {
                assertThat(features).hasSize(2);
            }
        }
        List<Map<String, Object>> relationships = rows.stream().filter(r -> "relationship".equals(r.get("kind")))
                .toList();
        assertThat(relationships).extracting(r -> r.get("type")).contains("ABOUT", "CITES");

        Map<String, Object> top = relationships.stream().filter(r -> (Long) r.get("rank") == 1).findFirst()
                .orElseThrow();
        double without;
        try (Transaction tx = db.beginTx()) {
            tx.execute("MATCH ()-[r]->() WHERE elementId(r) = $id DELETE r", Map.of("id", top.get("relationshipId")))
                    .close();
            List<Double> after = (List<Double>) tx.execute("MATCH (n) WHERE id(n) = $id CALL gat.predict.stream("
                    + "'typed', {includeProbabilities: true}) YIELD node, probabilities WHERE node = n "
                    + "RETURN probabilities", Map.of("id", node)).next().get("probabilities");
            without = after.get(probabilities.indexOf(probabilities.stream().max(Double::compare).orElseThrow()));
            tx.rollback();
        }
        assertThat((Double) top.get("occlusionDelta")).isCloseTo(without - p, within(1e-5));
    }

    @Test
    void semanticAttentionIsExplainedWithTheWholeGraphsRelationImportances() {
        long node = paperId(8);
        double explained = (Double) rows(STREAM, Map.of("model", "semantic", "node", node, "config", Map.of()))
                .get(0).get("probability");
        List<Double> probabilities = (List<Double>) rows("MATCH (n) WHERE id(n) = $id CALL gat.predict.stream("
                + "'semantic', {includeProbabilities: true}) YIELD node, probabilities WHERE node = n "
                + "RETURN probabilities", Map.of("id", node)).get(0).get("probabilities");
        assertThat(explained).isCloseTo(probabilities.stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
                within(1e-6));
    }

    @Test
    void explainWriteWritesTheTopRelationshipsOfTheStream() {
        List<Long> nodes = List.of(paperId(1), paperId(2), paperId(5));
        Map<String, Object> result = rows("CALL gat.explain.write('typed', {writeProperty: 'why', k: 3, nodes: $nodes})",
                Map.of("nodes", nodes)).get(0);
        assertThat(result.get("nodeCount")).isEqualTo(3L);
        assertThat(result.get("propertiesWritten")).isEqualTo(3L);
        for (long node : nodes) {
            List<String> expected = rows(STREAM, Map.of("model", "typed", "node", node, "config", Map.of("k", 3)))
                    .stream().filter(r -> "relationship".equals(r.get("kind")))
                    .sorted(java.util.Comparator.comparingLong(r -> (Long) r.get("rank")))
                    .map(r -> (String) r.get("relationshipId")).toList();
            String[] written = (String[]) rows("MATCH (n) WHERE id(n) = $id RETURN n.why AS why", Map.of("id", node))
                    .get(0).get("why");
            assertThat(Arrays.asList(written)).isEqualTo(expected);
        }
        Map<String, Object> all = rows("CALL gat.explain.write('typed', {writeProperty: 'whyFlow', rankBy: 'flow', "
                + "k: 2})", Map.of()).get(0);
        assertThat(all.get("nodeCount")).isEqualTo((long) PaperGraph.PAPERS);
        assertThat(rows("MATCH (n) WHERE n.whyFlow IS NOT NULL RETURN count(n) AS n, collect(DISTINCT labels(n)[0]) "
                + "AS labels", Map.of()).get(0)).containsEntry("n", (long) PaperGraph.PAPERS)
                .containsEntry("labels", List.of("Paper"));
    }

    @Test
    void featureNamesNameEachLabelsColumnsFromAListOrAPropertyOfThatLabel() {
        List<String> paperWords = java.util.stream.IntStream.range(0, 8).mapToObj(i -> "word" + i).toList();
        db.executeTransactionally("MATCH (a:Author) WITH a LIMIT 1 SET a.vocabulary = ['h-index', 'papers', 'years']");
        try {
            long node = paperId(3);
            Map<String, Object> featureNames = new HashMap<>();
            featureNames.put("Paper", paperWords);
            featureNames.put("Author", "vocabulary");
            featureNames.put("Topic", null);
            List<Map<String, Object>> rows = rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("k", 1000, "topFeatures", 3, "featureNames", featureNames)));
            Map<String, Integer> seen = new HashMap<>();
            for (Map<String, Object> row : rows) {
                if (!"node".equals(row.get("kind"))) {
                    continue;
                }
                String label = (String) row.get("label");
                for (Map<String, Object> feature : (List<Map<String, Object>>) row.get("topFeatures")) {
                    int index = ((Long) feature.get("index")).intValue();
                    Object expected = switch (label) {
                        case "Paper" -> paperWords.get(index);
                        case "Author" -> List.of("h-index", "papers", "years").get(index);
                        default -> (long) index; // Venue: left out of the map, its columns keep their indices
                    };
                    assertThat(feature.get("feature")).as(label + " column " + index).isEqualTo(expected);
                    seen.merge(label, 1, Integer::sum);
                }
            }
            assertThat(seen).containsKeys("Paper", "Author", "Venue");

            // The same explanation without names: the same columns and attributions, named by index.
            List<Map<String, Object>> plain = rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("k", 1000, "topFeatures", 3)));
            assertThat(plain).hasSameSizeAs(rows);
            for (int i = 0; i < rows.size(); i++) {
                List<Map<String, Object>> named = (List<Map<String, Object>>) rows.get(i).get("topFeatures");
                List<Map<String, Object>> indexed = (List<Map<String, Object>>) plain.get(i).get("topFeatures");
                assertThat(named == null ? null : named.stream().map(f -> f.get("attribution")).toList())
                        .isEqualTo(indexed == null ? null : indexed.stream().map(f -> f.get("attribution")).toList());
            }

            // Bad input: one clear error each.
            Map<String, Object> movie = Map.of("Movie", List.of("a"));
            assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("featureNames", movie)))).rootCause().hasMessage("Configuration 'featureNames' names the "
                    + "label 'Movie', which the typed model 'typed' does not read; its labels are [Paper, Author, "
                    + "Venue, Topic]");
            assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("featureNames", Map.of("Topic", List.of("a")))))).rootCause().hasMessageContaining(
                    "names features for the label 'Topic', whose nodes have no features in the typed model 'typed'");
            assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("featureNames", paperWords)))).rootCause().hasMessageContaining("Configuration "
                    + "'featureNames' is one list of names, but the typed model 'typed' reads features on 3 labels "
                    + "[Paper, Author, Venue]");
            assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("featureNames", Map.of("Paper", List.of("a", "b")))))).rootCause().hasMessage(
                    "Configuration 'featureNames' has 2 names but the model has 8 input features on the label 'Paper'");
            assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("featureNames", Map.of("Venue", "vocabulary"))))).rootCause().hasMessageContaining(
                    "Configuration 'featureNames' names the property 'vocabulary', but no 'Venue' node has it");
            assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("featureNames", Map.of("Author", "profile"))))).rootCause().hasMessageStartingWith(
                    "Configuration 'featureNames': the property 'profile' holds ").hasMessageEndingWith(
                    ", not a list of strings");
            assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", node, "config",
                    Map.of("featureNames", 7)))).rootCause().hasMessageContaining("Configuration 'featureNames' must "
                    + "be a list of names or the name of a node property holding them, or a map from label to either");
        } finally {
            db.executeTransactionally("MATCH (a:Author) REMOVE a.vocabulary");
        }
    }

    @Test
    void aNodeOfAnotherLabelAndBadInputAreRefusedClearly() {
        long author = (Long) rows("MATCH (a:Author) RETURN id(a) AS id LIMIT 1", Map.of()).get(0).get("id");
        assertThatThrownBy(() -> rows(STREAM, Map.of("model", "typed", "node", author, "config", Map.of())))
                .rootCause().hasMessage("The node (id " + author + ") is a 'Author' node; the typed model 'typed' "
                        + "predicts, and so explains, nodes of its target label 'Paper' only");
        assertThatThrownBy(() -> rows("CALL gat.explain.write('typed', {writeProperty: 'why2', nodes: [$id]})",
                Map.of("id", author))).rootCause().hasMessageContaining("Configuration 'nodes' entry 0 (id " + author
                + ") is a 'Author' node");
        assertThatThrownBy(() -> rows("CALL gat.explain.write('typed', {writeProperty: 'text'})", Map.of()))
                .rootCause().hasMessageContaining("'writeProperty' names the property 'text', an input");
        assertThat(rows("MATCH (n) WHERE n.why2 IS NOT NULL RETURN count(n) AS n", Map.of()).get(0).get("n"))
                .isEqualTo(0L);
    }
}
