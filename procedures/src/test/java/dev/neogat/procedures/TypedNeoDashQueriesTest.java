package dev.neogat.procedures;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The "Typed model" page of dashboard/neodash-dashboard.json, its Cypher run as NeoDash runs it, on a typed model
 * of the generated typed graph ({@link PaperGraph}) and on an untyped one: node types with their inputs and role,
 * relations with their importance β per layer, and the entropy histograms per relation (once
 * gat.attention.histogram names each row's relation); on the untyped model the tables say so and the histogram
 * is empty. (RealServerIT runs the other pages on an untyped model in a real server.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedNeoDashQueriesTest {

    private static final Path DASHBOARD = Paths.get("../dashboard/neodash-dashboard.json");
    private static final String PAGE = "Typed model";

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;
    private Map<String, String> queries;

    @BeforeAll
    void trainBoth() throws IOException {
        Map<String, Object> dashboard = new ObjectMapper().readValue(Files.readString(DASHBOARD),
                new TypeReference<Map<String, Object>>() {
                });
        queries = new HashMap<>();
        for (Object page : (List<Object>) dashboard.get("pages")) {
            Map<String, Object> p = (Map<String, Object>) page;
            if (PAGE.equals(p.get("title"))) {
                for (Object report : (List<Object>) p.get("reports")) {
                    Map<String, Object> r = (Map<String, Object>) report;
                    if (!"text".equals(r.get("type"))) {
                        queries.put((String) r.get("title"), (String) r.get("query"));
                    }
                }
            }
        }
        assertThat(queries).as("Cypher reports of the page '" + PAGE + "'").hasSize(3);
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 31);
        Map<String, Object> typed = TypedProcedureTest.typedConfig();
        typed.put("relationAggregation", "attention");
        typed.put("epochs", 10);
        train("typed", typed);
        Map<String, Object> untyped = new HashMap<>(typed);
        untyped.remove("relationAggregation");
        untyped.put("typed", false);
        untyped.put("featureProperties", "text");
        untyped.put("missingFeatures", "zero");
        train("untyped", untyped);
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private void train(String name, Map<String, Object> config) {
        db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", name, "config", config));
    }

    private List<Map<String, Object>> report(String title, String model) {
        String query = queries.get(title);
        assertThat(query).as("report '" + title + "'").isNotNull();
        return db.executeTransactionally(query, Map.of("neodash_model_name", model), r -> r.stream().toList());
    }

    @Test
    void nodeTypesWithTheirInputsAndRole() {
        List<Map<String, Object>> rows = report("Node types", "typed");
        assertThat(rows).extracting(r -> r.get("nodeType")).containsExactly("Paper", "Author", "Venue");
        assertThat(rows).extracting(r -> ((Number) r.get("inputWidth")).intValue()).containsExactly(8, 3, 5);
        assertThat(rows).extracting(r -> r.get("role")).containsExactly("target", "passes messages",
                "passes messages");
        assertThat(rows).extracting(r -> r.get("input")).containsOnly("features");
        List<Map<String, Object>> untyped = report("Node types", "untyped");
        assertThat(untyped).hasSize(1);
        assertThat((String) untyped.get(0).get("nodeType")).startsWith("(untyped model");
    }

    @Test
    void relationsWithTheirImportancePerLayer() {
        List<Map<String, Object>> rows = report("Relations and their importance β per layer", "typed");
        Map<String, List<Double>> beta = new HashMap<>();
        rows.forEach(r -> beta.put((String) r.get("relation"), (List<Double>) r.get("betaPerLayer")));
        assertThat(beta).containsKeys("(Paper)-[CITES]->(Paper)", "(Author)-[rev_ABOUT]->(Paper)",
                "(Paper)-[ABOUT]->(Author)");
        assertThat(rows).extracting(r -> r.get("aggregation")).containsOnly("attention");
        // The last layer outputs papers: the relations into Paper share β = 1 there, the others have none.
        double intoPapers = 0;
        for (Map.Entry<String, List<Double>> entry : beta.entrySet()) {
            assertThat(entry.getValue()).as(entry.getKey()).hasSize(2);
            if (entry.getKey().endsWith("->(Paper)")) {
                intoPapers += entry.getValue().get(1);
            } else {
                assertThat(entry.getValue().get(1)).as(entry.getKey()).isNull();
                assertThat(entry.getValue().get(0)).as(entry.getKey()).isNotNull();
            }
        }
        assertThat(intoPapers).isCloseTo(1.0, within(0.002));
        List<Map<String, Object>> untyped = report("Relations and their importance β per layer", "untyped");
        assertThat(untyped).hasSize(1);
        assertThat((String) untyped.get(0).get("relation")).startsWith("(untyped model");
    }

    @Test
    void entropyHistogramsPerRelationOfTheLastLayer() {
        String signature = db.executeTransactionally("SHOW PROCEDURES YIELD name, signature WHERE name = "
                + "'gat.attention.histogram' RETURN signature", Map.of(), r -> (String) r.next().get("signature"));
        assumeTrue(signature.contains("relation :: STRING"), "gat.attention.histogram does not name relations "
                + "yet: " + signature);
        String title = "Entropy vs uniform per relation, last layer";
        List<Map<String, Object>> rows = report(title, "typed");
        assertThat(rows).extracting(r -> (String) r.get("relation")).contains("(Paper)-[CITES]->(Paper)",
                "(Paper)-[CITES]->(Paper) uniform", "(Author)-[rev_ABOUT]->(Paper)");
        assertThat(rows).allSatisfy(r -> assertThat(r).containsKeys("entropyFrom", "nodes"));
        assertThat(report(title, "untyped")).isEmpty();
    }
}
