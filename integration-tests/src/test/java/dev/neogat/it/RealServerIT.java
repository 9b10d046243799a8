package dev.neogat.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.Value;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The plugin jar in a real Neo4j 5.26 Community server next to APOC core, without any unrestricted
 * setting, driven over Bolt: the README's scripts load a citation dataset, train and inspect; gat.* and
 * apoc.* in one query; the dashboard page in headless Chromium and the NeoDash dashboard's queries; the
 * model catalog across a restart; a server killed during training; and, after the first start and at the end,
 * no WARN or ERROR about the plugin in the server's logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealServerIT {

    @TempDir
    static Path dir;

    private static Neo4jServer server;
    private static DemoDataset dataset;

    @BeforeAll
    static void startServer() {
        dataset = DemoDataset.of(null, dir.resolve("generated"), true);
        long start = System.nanoTime();
        server = Neo4jServer.start(dir.resolve("neo4j"), dataset.directory(), "1g");
        System.out.printf("Neo4j started in %.1f s; dataset: %s%n", (System.nanoTime() - start) / 1e9, dataset);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static List<Record> query(String cypher, Map<String, Object> parameters) {
        try (Session session = server.driver().session()) {
            return session.run(cypher, parameters).list();
        }
    }

    private static Value single(String cypher) {
        return single(cypher, Map.of());
    }

    private static Value single(String cypher, Map<String, Object> parameters) {
        return query(cypher, parameters).get(0).get(0);
    }

    @Test
    @Order(1)
    void serverRunsThePluginNextToApocWithoutUnrestricted() throws Exception {
        Record components = query("CALL dbms.components() YIELD name, versions, edition RETURN *", Map.of()).get(0);
        System.out.println("Server: " + components.get("name").asString() + " " + components.get("versions").asList()
                + " " + components.get("edition").asString());
        List<String> loadLines = server.logLines("NeoGAT");
        loadLines.forEach(line -> System.out.println("Plugin: " + line));
        assertThat(components.get("versions").asList()).contains("5.26.30");
        assertThat(loadLines).anySatisfy(line -> assertThat(line).contains("NeoGAT 0.1.0-SNAPSHOT loaded"));
        assertThat(Files.readString(server.home().resolve("conf/neo4j.conf"))).doesNotContain("unrestricted");
        List<String> documented = Files.readAllLines(Paths.get(System.getProperty("neogat.cypher.dir"))
                .resolveSibling("docs").resolve("procedures.md")).stream()
                .filter(line -> line.startsWith("## `gat.")).map(line -> line.substring(4, line.length() - 1)).toList();
        assertThat(single("SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'gat.' RETURN collect(name)").asList())
                .as("gat.* procedures on the server vs docs/procedures.md").containsExactlyInAnyOrderElementsOf(documented);
        assertThat(single("RETURN apoc.version()").asString()).isEqualTo("5.26.19");
        pluginLogCheck().assertClean(server.logFiles());
    }

    /** WARN or ERROR entries about the plugin in debug.log and neo4j.log fail the run (see ServerLogCheck). */
    private static ServerLogCheck pluginLogCheck() {
        return ServerLogCheck.forPluginJar(Neo4jServer.path("neogat.plugin.jar"));
    }

    @Test
    @Order(2)
    void readmeScriptsLoadTrainAndInspect() {
        ServerScripts.run(server.driver(), "load-citation-dataset.cypher", Map.of("featureCount", dataset.featureCount()));
        assertThat(single("MATCH (p:Paper) RETURN count(p)").asLong()).isEqualTo(dataset.nodeCount());
        assertThat(single("MATCH (:Paper)-[c:CITES]->(:Paper) RETURN count(c)").asLong())
                .isEqualTo(dataset.relationshipCount());

        Record training = ServerScripts.run(server.driver(), "train-gat.cypher", Map.of("modelName", "papers"))
                .get(0).get(0);
        System.out.println("gat.train over Bolt: " + training.asMap());
        assertThat(training.get("testAccuracy").asDouble()).isGreaterThanOrEqualTo(0.80);
        assertThat(single("MATCH (p:Paper) WHERE p.predictedSubject IS NULL RETURN count(p)").asLong()).isZero();
        assertThat(single("MATCH ()-[c:CITES]->() WHERE c.attention IS NULL RETURN count(c)").asLong()).isZero();

        List<List<Record>> reports = ServerScripts.run(server.driver(), "inspect-results.cypher",
                Map.of("paperId", 0));
        assertThat(reports).hasSize(5);
        assertThat(reports.get(0)).as("accuracy per subject").hasSize(7);
        assertThat(reports.get(1).stream().mapToLong(r -> r.get("papers").asLong()).sum())
                .as("confusion matrix cells add up to the test papers").isEqualTo(1000);
        assertThat(reports.get(2)).as("highest-attention citations").hasSize(10);
        assertThat(reports.get(3)).as("most attended neighbours of paper 0").isNotEmpty();
        assertThat(reports.get(4)).as("papers keeping most attention for themselves").hasSize(5);
    }

    @Test
    @Order(3)
    void gatAndApocInOneQuery() {
        Record batches = query("""
                CALL apoc.periodic.iterate(
                  "CALL gat.predict.stream('papers') YIELD node, predictedClass RETURN node, predictedClass",
                  "SET node.predictedByApocBatch = predictedClass",
                  {batchSize: 500})
                YIELD batches, total, errorMessages RETURN batches, total, errorMessages""", Map.of()).get(0);
        assertThat(batches.get("total").asLong()).isEqualTo(dataset.nodeCount());
        assertThat(batches.get("errorMessages").asMap()).isEmpty();
        assertThat(single("MATCH (p:Paper) WHERE p.predictedByApocBatch <> p.predictedSubject RETURN count(p)")
                .asLong()).isZero();
        String json = single("CALL gat.model.info('papers') YIELD metrics RETURN apoc.convert.toJson(metrics)")
                .asString();
        assertThat(json).contains("\"test\"").contains("\"score\"");
    }

    @Test
    @Order(4)
    void dashboardPageDrawsTheTrainedModel() {
        Optional<String> unavailable = BrowserCheck.unavailableBecause();
        assumeTrue(unavailable.isEmpty(), () -> "Browser test skipped: " + unavailable.orElseThrow());
        Path screenshot = Paths.get("target", "dashboard.png").toAbsolutePath();
        try (DashboardServer page = DashboardServer.start(DashboardServer.builtPage().orElseThrow())) {
            String url = page.pageUrl(Map.of("bolt", server.boltUri(), "model", "papers"));
            Map<String, Object> findings = BrowserCheck.open(url, screenshot);
            System.out.println("Dashboard findings: " + findings);
            assertThat(findings.get("failure")).as("browser failure").isNull();
            assertThat((List<?>) findings.get("consoleErrors")).as("console errors").isEmpty();
            assertThat((List<?>) findings.get("pageErrors")).as("uncaught page errors").isEmpty();
            assertThat(findings.get("ready")).as("page state (error banner: %s)", findings.get("error"))
                    .isEqualTo("true");

            long centre = single("""
                    MATCH (n:Paper) WHERE n.predictedSubject IS NOT NULL
                    WITH n, COUNT { (n)-[:CITES]-() } AS degree WHERE degree <= 12
                    RETURN n.paperId ORDER BY degree DESC, n.paperId LIMIT 1""").asLong();
            long neighbours = single("MATCH (n:Paper {paperId: $id})-[:CITES]-(m) RETURN count(DISTINCT m)",
                    Map.of("id", centre)).asLong();
            assertThat(number(findings, "nodesDrawn")).as("nodes drawn around paper " + centre)
                    .isGreaterThan(neighbours).isLessThanOrEqualTo(60);
            assertThat(number(findings, "centreAttentionRows")).as("rows of the centre's attention table")
                    .isEqualTo(neighbours);
            assertThat(number(findings, "arrowsDrawn")).isGreaterThanOrEqualTo(2 * neighbours);
            assertThat(number(findings, "graphInkedPixels")).as("pixels NVL painted").isGreaterThan(5_000);
            assertThat(number(findings, "histogramCharts")).as("one entropy histogram per layer").isEqualTo(2);
            assertThat(number(findings, "histogramBars")).as("10 bins x (attention, uniform) x 2 layers")
                    .isEqualTo(40);
            assertThat(number(findings, "nonEmptyHistogramBars")).isGreaterThan(10);
            assertThat(findings.get("modelSectionShown")).as("the typed-model card, hidden for an untyped model")
                    .isEqualTo(false);
            assertThat(number(findings, "historyLines")).isEqualTo(3);
            assertThat(number(findings, "confusionRows")).isEqualTo(7);
            assertThat(number(findings, "embeddingPoints")).isEqualTo(dataset.nodeCount());
            assertThat((List<?>) findings.get("overflowingCards")).as("card content wider than its card").isEmpty();
            assertThat((List<?>) findings.get("overlappingAxisTitles")).as("axis titles on plots").isEmpty();
            assertThat(number(findings, "whyEdgesDrawn")).as("Why? relationships drawn").isBetween(1L, 10L)
                    .isEqualTo(number(findings, "whyRelationshipRows"));
            assertThat(number(findings, "whyNodesDrawn")).as("Why? nodes drawn").isGreaterThanOrEqualTo(2);
            assertThat(number(findings, "whyFeatureItems")).as("Why? feature lists").isGreaterThanOrEqualTo(1);
            assertThat(screenshot).exists();
            System.out.println("Dashboard screenshot: " + screenshot);
        }
    }

    /**
     * The page on a typed model of the same graph (one label and one relationship type, typed: true): the model
     * card, one histogram per layer and relation, the target label's embeddings in 2-D, the neighbourhood and the
     * "Why?" view (or, while gat.explain.stream refuses typed models, the reason in its card). Runs once
     * gat.attention.histogram names each row's relation (typed models' histograms).
     */
    @Test
    @Order(4)
    @SuppressWarnings("unchecked")
    void dashboardPageDrawsATypedModel() {
        Optional<String> unavailable = BrowserCheck.unavailableBecause();
        assumeTrue(unavailable.isEmpty(), () -> "Browser test skipped: " + unavailable.orElseThrow());
        String histogram = single("SHOW PROCEDURES YIELD name, signature WHERE name = 'gat.attention.histogram' "
                + "RETURN signature").asString();
        assumeTrue(histogram.contains("relation :: STRING"), "gat.attention.histogram does not name relations: "
                + histogram);
        query("""
                CALL gat.train('typedPapers', {nodeLabels: ['Paper'], relationshipTypes: ['CITES'],
                     featureProperties: 'features', labelProperty: 'subject', splitProperty: 'split', typed: true,
                     relationAggregation: 'attention', epochs: 5})""", Map.of());
        String explainRefusal = null;
        try {
            query("MATCH (n:Paper) WITH n LIMIT 1 CALL gat.explain.stream('typedPapers', n) YIELD kind RETURN kind",
                    Map.of());
        } catch (RuntimeException e) {
            explainRefusal = e.getMessage();
        }
        Path screenshot = Paths.get("target", "typed-dashboard.png").toAbsolutePath();
        try (DashboardServer page = DashboardServer.start(DashboardServer.builtPage().orElseThrow())) {
            Map<String, Object> findings = BrowserCheck.open(page.pageUrl(Map.of("bolt", server.boltUri(), "model",
                    "typedPapers")), screenshot);
            System.out.println("Typed dashboard findings: " + findings);
            assertThat(findings.get("failure")).as("browser failure").isNull();
            assertThat((List<?>) findings.get("consoleErrors")).as("console errors").isEmpty();
            assertThat(findings.get("ready")).as("page state (error banner: %s)", findings.get("error"))
                    .isEqualTo("true");
            assertThat(findings.get("modelSectionShown")).as("the typed-model card").isEqualTo(true);
            assertThat(number(findings, "nodeTypeRows")).isEqualTo(1);
            assertThat(number(findings, "relationRows")).isEqualTo(1);
            assertThat(number(findings, "relationImportanceCells")).as("β of the one relation in each of 2 layers")
                    .isEqualTo(2);
            assertThat((List<String>) findings.get("histogramTitles")).containsExactly(
                    "Layer 1: (Paper)-[CITES]->(Paper)", "Layer 2: (Paper)-[CITES]->(Paper)");
            assertThat(number(findings, "histogramBars")).isEqualTo(40);
            assertThat(number(findings, "embeddingPoints")).isEqualTo(dataset.nodeCount());
            assertThat(number(findings, "nodesDrawn")).isGreaterThan(1);
            if (explainRefusal == null) {
                assertThat(number(findings, "whyEdgesDrawn")).isGreaterThanOrEqualTo(1);
            } else {
                assertThat((String) findings.get("whyPrediction")).as("the Why? card when explain refuses: "
                        + explainRefusal).startsWith("No explanation for this model: ");
            }
            assertThat((List<?>) findings.get("overflowingCards")).as("card content wider than its card").isEmpty();
            assertThat((List<?>) findings.get("overlappingAxisTitles")).as("axis titles on plots").isEmpty();
        } finally {
            query("CALL gat.model.drop('typedPapers')", Map.of());
        }
    }

    @Test
    @Order(5)
    void neoDashReportsRunOnTheServer() {
        NeoDashDashboard dashboard = NeoDashDashboard.read(
                Paths.get(System.getProperty("neogat.dashboard.dir"), "neodash-dashboard.json"));
        Map<String, Object> parameters = new HashMap<>(dashboard.parameters());
        parameters.put("neodash_model_name", "papers");
        parameters.put("input", "1");
        assertThat(dashboard.reports()).hasSizeGreaterThanOrEqualTo(12);
        for (NeoDashDashboard.Report report : dashboard.reports()) {
            // The typed-model page is for typed models (TypedNeoDashQueriesTest runs it); 'papers' is untyped.
            if (!report.isCypher() || report.page().equals("Typed model")) {
                continue;
            }
            List<Record> rows = query(report.query(), parameters);
            assertThat(rows).as("rows of report '%s'", report.title()).isNotEmpty();
            assertThat(rows.get(0).keys()).as("columns of report '%s'", report.title())
                    .containsAll(report.selectedFields());
        }
    }

    private static long number(Map<String, Object> findings, String key) {
        return ((Number) findings.get(key)).longValue();
    }

    @Test
    @Order(6)
    void modelCatalogSurvivesARestart() {
        long start = System.nanoTime();
        assertThat(server.stop()).as("exit code after SIGTERM").isZero();
        server.startAgain();
        System.out.printf("Restarted in %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertThat(query("CALL gat.model.list() YIELD name RETURN name", Map.of()))
                .extracting(r -> r.get("name").asString()).containsExactly("papers");
        assertThat(single("""
                CALL gat.predict.stream('papers') YIELD node, predictedClass
                WITH node, predictedClass WHERE node.predictedSubject <> predictedClass RETURN count(*)""").asLong())
                .isZero();
    }

    @Test
    @Order(7)
    void serverKilledDuringTrainingRestartsCleanly() throws Exception {
        CompletableFuture<Void> training = CompletableFuture.runAsync(() -> {
            try (Session session = server.driver().session()) {
                session.run("""
                        CALL gat.train('crashed', {nodeLabels: ['Paper'], featureProperties: 'features',
                             labelProperty: 'subject', splitProperty: 'split', epochs: 1000000, patience: 0,
                             writeProperty: 'crashedPrediction'})""").consume();
            } catch (RuntimeException expected) {
                // the server goes away under it
            }
        });
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline
                && single("CALL gat.progress() YIELD epoch RETURN coalesce(max(epoch), 0)").asLong() < 3) {
            Thread.sleep(100);
        }
        assertThat(single("CALL gat.progress() YIELD modelName RETURN collect(modelName)").asList())
                .contains("crashed");
        server.kill();
        training.get(1, TimeUnit.MINUTES);
        server.startAgain();
        assertThat(query("CALL gat.model.list() YIELD name RETURN name", Map.of()))
                .extracting(r -> r.get("name").asString()).containsExactly("papers");
        assertThat(single("MATCH (p:Paper) RETURN count(p)").asLong()).isEqualTo(dataset.nodeCount());
        assertThat(single("MATCH (p:Paper) WHERE p.crashedPrediction IS NOT NULL RETURN count(p)").asLong()).isZero();
        assertThat(single("CALL gat.progress() YIELD jobId RETURN count(*)").asLong()).isZero();
        Record again = query("""
                CALL gat.train('crashed', {nodeLabels: ['Paper'], featureProperties: 'features', labelProperty: 'subject',
                     splitProperty: 'split', epochs: 3}) YIELD modelName, epochs RETURN modelName, epochs""", Map.of())
                .get(0);
        assertThat(again.get("epochs").asLong()).isEqualTo(3);
    }

    @Test
    @Order(8)
    void serverLogsOfEveryStartHaveNoWarningAboutThePlugin() {
        List<Path> logs = server.logFiles();
        System.out.println("Log check: " + logs.size() + " files, names " + pluginLogCheck().names());
        pluginLogCheck().assertClean(logs);
    }
}
