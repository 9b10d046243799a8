package dev.neogat.it;

import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The demo: a Neo4j 5.26 server with the NeoGAT plugin and APOC, a citation graph (generated, or a dataset
 * directory in the CSV layout of shared/datasets) loaded by cypher/load-citation-dataset.cypher, a GAT
 * trained by cypher/train-gat.cypher with predictions and attention written back, and a summary. Then the
 * server keeps running for exploration, with the dashboard page served next to it, until Enter is pressed
 * (or stops at once with --exit).
 * Run it with ./demo.sh [dataset-directory] [--exit].
 */
public final class Demo {

    public static void main(String[] args) throws Exception {
        Path given = null;
        boolean exit = false;
        for (String arg : String.join(" ", args).trim().split("\\s+")) {
            if (arg.equals("--exit")) {
                exit = true;
            } else if (!arg.isEmpty()) {
                given = Paths.get(arg).toAbsolutePath();
                if (!Files.exists(given.resolve("nodes.csv.gz")) && !Files.exists(given.resolve("nodes.csv"))) {
                    throw new IllegalArgumentException(given + " holds no nodes.csv(.gz); give a directory in the CSV "
                            + "layout of shared/datasets");
                }
            }
        }
        Path work = Paths.get(System.getProperty("neogat.demo.dir", "target/demo")).toAbsolutePath();
        deleteRecursively(work);
        System.out.println("NeoGAT demo");
        DemoDataset dataset = DemoDataset.of(given, work.resolve("dataset"), false);
        System.out.printf("  dataset: %s (%d papers, %d citations, %d words) in %s%n", dataset.name(),
                dataset.nodeCount(), dataset.relationshipCount(), dataset.featureCount(), dataset.directory());
        long start = System.nanoTime();
        try (Neo4jServer server = Neo4jServer.start(work.resolve("neo4j"), dataset.directory(), "1g")) {
            Record components = single(server, "CALL dbms.components() YIELD versions RETURN versions[0] AS version");
            System.out.printf("  Neo4j %s started in %.1f s at %s (home %s), with %s and APOC %s%n",
                    components.get("version").asString(), (System.nanoTime() - start) / 1e9, server.boltUri(),
                    server.home(), pluginLine(server),
                    single(server, "RETURN apoc.version() AS v").get("v").asString());

            start = System.nanoTime();
            ServerScripts.run(server.driver(), "load-citation-dataset.cypher", Map.of("featureCount", dataset.featureCount()));
            System.out.printf("  cypher/load-citation-dataset.cypher: %.1f s%n", (System.nanoTime() - start) / 1e9);

            System.out.println("  cypher/train-gat.cypher: training...");
            Record training = ServerScripts.run(server.driver(), "train-gat.cypher", Map.of("modelName", "demo"))
                    .get(0).get(0);
            System.out.printf(Locale.ROOT, "  device: %s (%s)%n", training.get("device").asString(),
                    training.get("deviceReason").asString());
            System.out.printf(Locale.ROOT, "  accuracy: train %.1f%%, validation %.1f%%, test %.1f%% after %d epochs "
                            + "(best %d)%n", 100 * training.get("trainAccuracy").asDouble(),
                    100 * training.get("validationAccuracy").asDouble(), 100 * training.get("testAccuracy").asDouble(),
                    training.get("epochs").asLong(), training.get("bestEpoch").asLong());
            System.out.printf(Locale.ROOT, "  timings: load %d ms, train %d ms, write %d ms (%d properties)%n",
                    training.get("loadMillis").asLong(), training.get("trainMillis").asLong(),
                    training.get("writeMillis").asLong(), training.get("propertiesWritten").asLong());

            List<List<Record>> reports = ServerScripts.run(server.driver(), "inspect-results.cypher", Map.of("paperId", 0));
            System.out.println("  most attended citations of papers with 4+ neighbours (cypher/inspect-results.cypher):");
            for (Record row : reports.get(2)) {
                System.out.printf(Locale.ROOT, "    paper %5d attends to paper %5d with weight %.3f (%d neighbours, "
                                + "%.1f times uniform)%n", row.get("paper").asLong(), row.get("attendsTo").asLong(),
                        row.get("attention").asDouble(), row.get("neighbours").asLong(),
                        row.get("timesUniform").asDouble());
            }
            System.out.println("  test accuracy per subject:");
            for (Record row : reports.get(0)) {
                System.out.printf(Locale.ROOT, "    %-24s %4d papers %6.1f%%%n", row.get("subject").asString(),
                        row.get("papers").asLong(), row.get("accuracy").asDouble());
            }
            Optional<Path> page = DashboardServer.builtPage();
            if (exit) {
                System.out.println("  stopping Neo4j (--exit; without it the demo serves the dashboard page)");
                return;
            }
            try (DashboardServer dashboard = page.map(DashboardServer::start).orElse(null)) {
                System.out.printf("%n  Neo4j keeps running at %s (no authentication) for your own queries, e.g.%n"
                        + "    MATCH (a:Paper)-[c:CITES]->(b:Paper) RETURN a, c, b ORDER BY c.attention DESC LIMIT 25%n",
                        server.boltUri());
                if (dashboard == null) {
                    System.out.println("  The dashboard page is not built (it needs npm: see dashboard/build.sh).");
                } else {
                    System.out.printf("%n  Open the dashboard: %s%n",
                            dashboard.pageUrl(Map.of("bolt", server.boltUri(), "model", "demo")));
                }
                System.out.println("  Press Enter to stop.");
                System.in.read();
            }
        }
    }

    private static Record single(Neo4jServer server, String query) {
        try (Session session = server.driver().session()) {
            return session.run(query).single();
        }
    }

    private static String pluginLine(Neo4jServer server) {
        return server.logLines("NeoGAT").stream().findFirst()
                .map(line -> line.substring(line.indexOf("NeoGAT"), line.indexOf(" loaded")))
                .orElse("NeoGAT (not loaded!)");
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }
}
