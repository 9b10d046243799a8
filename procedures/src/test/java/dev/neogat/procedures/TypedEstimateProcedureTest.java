package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * gat.train.estimate on a typed projection ({@link PaperGraph}): typed under the same typed: 'auto' rule as
 * gat.train, counts per label (a node counted once) and relationship, and the engine's typed estimate growing
 * with the model and with relationship features.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedEstimateProcedureTest {

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void create() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 3);
        db.executeTransactionally("MATCH ()-[r:ABOUT]->() SET r.weight = 1.0", Map.of());
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private Map<String, Object> estimate(Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train.estimate($config)", Map.of("config", config),
                result -> result.next());
    }

    @Test
    void aTypedProjectionIsEstimatedPerLabelAndRelation() {
        Map<String, Object> config = TypedProcedureTest.typedConfig();
        config.put("nodeLabels", List.of("Paper", "Author", "Venue", "Topic"));
        Map<String, Object> features = new HashMap<>((Map<String, Object>) config.get("featureProperties"));
        features.put("Topic", null);
        config.put("featureProperties", features);
        Map<String, Object> row = estimate(config);
        assertThat(row.get("mode")).isEqualTo("typed");
        assertThat((String) row.get("modeReason")).contains("target 'Paper'");
        assertThat(row.get("nodeCount")).isEqualTo((long) PaperGraph.PAPERS + PaperGraph.AUTHORS + PaperGraph.VENUES
                + PaperGraph.TOPICS);
        long relationships = db.executeTransactionally("MATCH ()-[r:ABOUT|CITES]->() RETURN count(r) AS n", Map.of(),
                result -> (Long) result.next().get("n"));
        assertThat(row.get("relationshipCount")).isEqualTo(relationships);
        assertThat(row.get("featureWidth")).isEqualTo(8L);
        long bytes = (Long) row.get("requiredBytes");
        assertThat(bytes).isPositive();
        Map<String, Object> breakdown = (Map<String, Object>) row.get("breakdown");
        assertThat(breakdown).isNotEmpty();

        Map<String, Object> wider = new HashMap<>(config);
        wider.put("heads", 8);
        assertThat((Long) estimate(wider).get("requiredBytes")).isGreaterThan(bytes);
        Map<String, Object> weighted = new HashMap<>(config);
        weighted.put("typed", true);
        weighted.put("relationshipTypes", List.of("ABOUT"));
        weighted.put("relationshipFeatures", "weight");
        Map<String, Object> aboutOnly = new HashMap<>(config);
        aboutOnly.put("relationshipTypes", List.of("ABOUT"));
        aboutOnly.put("typed", true);
        assertThat((Long) estimate(weighted).get("requiredBytes"))
                .isGreaterThan((Long) estimate(aboutOnly).get("requiredBytes"));
    }

    @Test
    void oneLabelAndOneTypeStayUntypedUnderAuto() {
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", List.of("Paper"));
        config.put("relationshipTypes", List.of("CITES"));
        config.put("featureProperties", "text");
        config.put("labelProperty", "kind");
        assertThat(estimate(config).get("mode")).isNotEqualTo("typed");
    }
}
