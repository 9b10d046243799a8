package dev.neogat.procedures;

import dev.neogat.gpu.GpuProbe;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.testing.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cora end to end in an in-process Neo4j: the README's scripts load the dataset and train, then the
 * written predictions and attention are checked against the procedures' streams and against what
 * attention must satisfy, and the model is used again after a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class CoraProcedureTest {

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;
    private Map<String, Object> training;
    private long loadScriptMillis;

    @BeforeAll
    void loadAndTrain() {
        Path cora = SharedData.require("datasets/cora");
        neo4j = new EmbeddedNeo4j(workingDirectory, cora);
        db = neo4j.db();
        long start = System.nanoTime();
        CypherScripts.run(db, "load-citation-dataset.cypher", Map.of("featureCount", 1433));
        loadScriptMillis = (System.nanoTime() - start) / 1_000_000;
        training = CypherScripts.run(db, "train-gat.cypher", Map.of("modelName", "cora")).get(0);
        System.out.printf("Cora loaded by the script in %d ms; gat.train: %s%n", loadScriptMillis, training);
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private long count(String query) {
        return db.executeTransactionally(query, Map.of(), r -> ((Number) r.next().get("n")).longValue());
    }

    @Test
    void trainsToTheExpectedAccuracy() {
        assertThat(training.get("nodeCount")).isEqualTo(2708L);
        assertThat(training.get("relationshipCount")).isEqualTo(5278L);
        assertThat((List<Object>) training.get("classes")).hasSize(7).contains("Neural_Networks", "Theory");
        assertThat((Double) training.get("testAccuracy")).as("test accuracy").isGreaterThanOrEqualTo(0.80);
        if (GpuProbe.status().usable()) {
            assertThat((String) training.get("device")).startsWith("gpu:");
        } else {
            assertThat(training.get("device")).isEqualTo("cpu");
            assertThat((String) training.get("deviceReason")).contains("no usable GPU (" + GpuProbe.status().reason());
        }
        // predictions, probabilities and self attention on 2708 papers, attention both ways on 5278 citations
        assertThat(training.get("propertiesWritten")).isEqualTo(3L * 2708 + 2L * 5278);
    }

    @Test
    void everyPaperHasAPredictedSubjectAndProbabilities() {
        assertThat(count("MATCH (p:Paper) WHERE p.predictedSubject IS NULL RETURN count(*) AS n")).isZero();
        assertThat(count("""
                MATCH (p:Paper)
                WITH p, reduce(s = 0.0, x IN p.subjectProbabilities | s + x) AS total
                WHERE size(p.subjectProbabilities) <> 7 OR abs(total - 1.0) > 1e-5
                RETURN count(*) AS n""")).isZero();
        assertThat(count("""
                MATCH (p:Paper) WHERE NOT p.predictedSubject IN ['Case_Based', 'Genetic_Algorithms',
                  'Neural_Networks', 'Probabilistic_Methods', 'Reinforcement_Learning', 'Rule_Learning', 'Theory']
                RETURN count(*) AS n""")).isZero();
    }

    @Test
    void everyCitationHasAttentionInBothDirections() {
        assertThat(count("MATCH ()-[c:CITES]->() WHERE c.attention IS NULL OR c.attentionReverse IS NULL "
                + "RETURN count(*) AS n")).isZero();
        assertThat(count("MATCH ()-[c:CITES]->() WHERE c.attention <= 0 OR c.attention > 1 RETURN count(*) AS n"))
                .isZero();
    }

    @Test
    void writtenAttentionIntoEachPaperSumsToOne() {
        // Into paper p: `attention` of citations ending at p, `attentionReverse` of those starting at p, and
        // its self attention (the last layer has one head, so the head mean is the weight itself).
        assertThat(count("""
                MATCH (p:Paper)
                OPTIONAL MATCH (p)<-[in:CITES]-()
                WITH p, sum(in.attention) AS incoming
                OPTIONAL MATCH (p)-[out:CITES]->()
                WITH p, incoming, sum(out.attentionReverse) AS outgoing
                WITH p, incoming + outgoing + p.selfAttention AS total
                WHERE abs(total - 1.0) > 1e-5
                RETURN count(*) AS n""")).isZero();
    }

    @Test
    void streamedAttentionSumsToOnePerTargetAndHeadInEveryLayer() {
        for (int layer = 0; layer < 2; layer++) {
            Map<String, Object> summary = db.executeTransactionally("""
                    CALL gat.attention.stream('cora', {attentionLayer: $layer, attentionHeads: 'all'})
                    YIELD target, head, weight
                    WITH target, head, sum(weight) AS total
                    RETURN count(*) AS groups, sum(CASE WHEN abs(total - 1.0) > 1e-5 THEN 1 ELSE 0 END) AS off
                    """, Map.of("layer", layer), r -> r.next());
            long heads = layer == 0 ? 8 : 1;
            assertThat(summary.get("groups")).as("(target, head) groups in layer " + layer).isEqualTo(2708 * heads);
            assertThat(summary.get("off")).as("groups not summing to 1 in layer " + layer).isEqualTo(0L);
        }
    }

    @Test
    void streamedAttentionEqualsWrittenAttention() {
        assertThat(count("""
                CALL gat.attention.stream('cora') YIELD source, target, relationship, weight
                WITH relationship, target, weight WHERE relationship IS NOT NULL
                WITH CASE WHEN endNode(relationship) = target THEN relationship.attention
                          ELSE relationship.attentionReverse END AS written, weight
                WHERE abs(written - weight) > 1e-6
                RETURN count(*) AS n""")).isZero();
        assertThat(count("""
                CALL gat.attention.stream('cora') YIELD source, target, relationship, weight
                WITH source, target, weight WHERE relationship IS NULL
                WITH source, target, weight WHERE source <> target OR abs(target.selfAttention - weight) > 1e-6
                RETURN count(*) AS n""")).isZero();
    }

    @Test
    void streamedPredictionsEqualWrittenOnes() {
        assertThat(count("""
                CALL gat.predict.stream('cora', {includeProbabilities: true}) YIELD node, predictedClass, probabilities
                WITH node, predictedClass, probabilities
                WHERE node.predictedSubject <> predictedClass
                   OR any(i IN range(0, 6) WHERE abs(node.subjectProbabilities[i] - probabilities[i]) > 1e-6)
                RETURN count(*) AS n""")).isZero();
    }

    @Test
    void modelInfoHasHistoryMetricsAndTheTestConfusionMatrix() {
        Map<String, Object> info = db.executeTransactionally("CALL gat.model.info('cora')", Map.of(), r -> r.next());
        assertThat((List<?>) info.get("history")).hasSizeGreaterThan(10);
        assertThat(info.get("labelProperty")).isEqualTo("subject");
        assertThat(((Map<String, Object>) info.get("metrics")).keySet()).contains("train", "validation", "test");
        List<List<Long>> confusion = (List<List<Long>>) info.get("confusionMatrix");
        assertThat(confusion).hasSize(7);
        long total = confusion.stream().flatMap(List::stream).mapToLong(Long::longValue).sum();
        long diagonal = java.util.stream.IntStream.range(0, 7).mapToLong(c -> confusion.get(c).get(c)).sum();
        assertThat(total).isEqualTo(1000);
        assertThat(diagonal / 1000.0).as("accuracy from the confusion matrix").isEqualTo(training.get("testAccuracy"));
        List<Map<String, Object>> perClass = (List<Map<String, Object>>) info.get("classMetrics");
        assertThat(perClass).hasSize(7).allSatisfy(row -> assertThat((Double) row.get("f1")).isBetween(0.5, 1.0));
        // the confusion matrix agrees with the written predictions
        assertThat(count("""
                MATCH (p:Paper {split: 'test'}) WHERE p.subject = 'Theory' AND p.predictedSubject = 'Theory'
                RETURN count(*) AS n""")).isEqualTo(confusion.get(6).get(6));
    }

    @Test
    void embeddingsProjectedToTwoDimensions() {
        Map<String, Object> summary = db.executeTransactionally("""
                CALL gat.embed.stream('cora', {pcaDimensions: 2}) YIELD embedding
                RETURN count(*) AS n, min(size(embedding)) AS width, stDev(embedding[0]) AS spreadX,
                       stDev(embedding[1]) AS spreadY, avg(embedding[0]) AS meanX""", Map.of(), r -> r.next());
        assertThat(summary.get("n")).isEqualTo(2708L);
        assertThat(summary.get("width")).isEqualTo(2L);
        assertThat((Double) summary.get("spreadX")).isGreaterThanOrEqualTo((Double) summary.get("spreadY"));
        assertThat(Math.abs((Double) summary.get("meanX"))).isLessThan(1e-3);
    }

    @Test
    void attentionEntropyAgainstUniformPerLayer() {
        for (int layer = 0; layer < 2; layer++) {
            List<Map<String, Object>> bins = db.executeTransactionally("""
                    CALL gat.attention.histogram('cora', {attentionLayer: $layer, attentionHeads: 'mean', bins: 10})
                    YIELD bin, lower, upper, nodes, uniformNodes RETURN * ORDER BY bin""", Map.of("layer", layer), r -> {
                List<Map<String, Object>> out = new java.util.ArrayList<>();
                r.forEachRemaining(out::add);
                return out;
            });
            StringBuilder line = new StringBuilder("Cora layer " + (layer + 1) + " entropy histogram (bin: attention / uniform):");
            for (Map<String, Object> bin : bins) {
                line.append(String.format(" [%.2f,%.2f): %d/%d", bin.get("lower"), bin.get("upper"), bin.get("nodes"),
                        bin.get("uniformNodes")));
            }
            Map<String, Object> ratio = db.executeTransactionally("""
                    CALL gat.attention.entropy.stream('cora', {attentionLayer: $layer, attentionHeads: 'mean'})
                    YIELD ratio WHERE ratio IS NOT NULL
                    RETURN avg(ratio) AS mean, percentileCont(ratio, 0.1) AS p10, min(ratio) AS min""",
                    Map.of("layer", layer), r -> r.next());
            System.out.println(line + String.format("; entropy/uniform mean %.3f, p10 %.3f, min %.3f", ratio.get("mean"),
                    ratio.get("p10"), ratio.get("min")));
            assertThat(bins.stream().mapToLong(b -> (Long) b.get("nodes")).sum()).isEqualTo(2708);
            assertThat(bins.stream().mapToLong(b -> (Long) b.get("uniformNodes")).sum()).isEqualTo(2708);
            assertThat((Double) ratio.get("mean")).isBetween(0.0, 1.0 + 1e-9);
        }
    }

    @Test
    void estimateFitsAndIsInTheRightRange() {
        Map<String, Object> estimate = db.executeTransactionally("""
                CALL gat.train.estimate({nodeLabels: ['Paper'], relationshipTypes: ['CITES'],
                     featureProperties: 'features', labelProperty: 'subject'})""", Map.of(), r -> r.next());
        assertThat(estimate.get("nodeCount")).isEqualTo(2708L);
        assertThat(estimate.get("relationshipCount")).isEqualTo(5278L);
        assertThat(estimate.get("featureWidth")).isEqualTo(1433L);
        assertThat(estimate.get("sparseFeatures")).isEqualTo(true);
        assertThat((Long) estimate.get("requiredBytes")).isBetween(1L << 20, 256L << 20);
        assertThat((Long) estimate.get("requiredDeviceBytes")).as("device tensors plus the CUDA context's room")
                .isBetween(MemoryEstimate.DEVICE_OVERHEAD_BYTES + (1L << 20), MemoryEstimate.DEVICE_OVERHEAD_BYTES
                        + 2 * (Long) estimate.get("requiredBytes"));
        assertThat(estimate.get("fits")).isEqualTo(true);
    }

    @Test
    void embeddingsOfTheHiddenLayer() {
        Map<String, Object> summary = db.executeTransactionally("""
                CALL gat.embed.stream('cora') YIELD node, layer, embedding
                RETURN count(*) AS nodes, min(size(embedding)) AS minWidth, max(size(embedding)) AS maxWidth,
                       collect(DISTINCT layer) AS layers""", Map.of(), r -> r.next());
        assertThat(summary.get("nodes")).isEqualTo(2708L);
        assertThat(summary.get("minWidth")).isEqualTo(64L);
        assertThat(summary.get("maxWidth")).isEqualTo(64L);
        assertThat((List<Object>) summary.get("layers")).containsExactly(0L);
        Map<String, Object> written = db.executeTransactionally(
                "CALL gat.embed.write('cora', {embeddingProperty: 'embedding'})", Map.of(), r -> r.next());
        assertThat(written.get("propertiesWritten")).isEqualTo(2708L);
        assertThat(count("MATCH (p:Paper) WHERE size(p.embedding) <> 64 RETURN count(*) AS n")).isZero();
    }

    @Test
    void papersAddedAfterTrainingArePredicted() {
        // A new paper with the features of paper 0 that cites paper 0's neighbours, under its own label and
        // relationship type so that the graph the other tests see stays as it was.
        db.executeTransactionally("""
                MATCH (original:Paper {paperId: 0})
                CREATE (new:NewPaper {paperId: -1, features: original.features})
                WITH original, new
                MATCH (original)-[:CITES]-(neighbour:Paper)
                CREATE (new)-[:NEW_CITES]->(neighbour)""");
        Map<String, Object> prediction = db.executeTransactionally("""
                CALL gat.predict.stream('cora', {nodeLabels: ['Paper', 'NewPaper'],
                                                 relationshipTypes: ['CITES', 'NEW_CITES']})
                YIELD node, predictedClass
                WITH node, predictedClass WHERE node:NewPaper
                MATCH (original:Paper {paperId: 0})
                RETURN predictedClass, original.predictedSubject AS originalPrediction""", Map.of(), r -> r.next());
        assertThat(prediction.get("predictedClass")).as("the new paper gets a class")
                .isEqualTo(prediction.get("originalPrediction"));
    }

    @Test
    void modelSurvivesARestart() {
        neo4j.restart();
        db = neo4j.db();
        assertThat(count("MATCH (p:Paper) RETURN count(p) AS n")).isEqualTo(2708);
        assertThat(count("CALL gat.model.list() YIELD name WHERE name = 'cora' RETURN count(*) AS n")).isEqualTo(1);
        assertThat(java.nio.file.Files.exists(neo4j.dataDirectory().resolve("gat-models/neo4j/cora.gatm"))).isTrue();
        streamedPredictionsEqualWrittenOnes();
    }
}
