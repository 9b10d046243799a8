package dev.neogat.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.datasets.SyntheticGraphs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.Value;
import org.neo4j.driver.exceptions.AuthenticationException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Neo4jContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a user's own Testcontainers test looks like: Neo4j 5.26 in a container with the plugin jar and APOC core
 * copied into plugins/, reached over Bolt through the container's published port. The README's scripts load a
 * citation graph and train with write-back, a paper added afterwards gets its prediction, attention streams, and
 * APOC batches gat.* output in the same server.
 * <p>
 * The image is {@code -Dneogat.neo4j.image} if given, else the official neo4j:5.26 when the engine has it, else
 * the stand-in that {@code integration-tests/docker/prepare.sh} builds where no registry is reachable, else
 * neo4j:5.26 pulled now. Skipped, saying why, where no Docker engine answers or no image can be had. Ryuk is off
 * (the pom sets TESTCONTAINERS_RYUK_DISABLED): the container is closed here.
 */
class TestcontainersIT {

    private static final DockerImageName OFFICIAL = DockerImageName.parse("neo4j:5.26");
    private static final DockerImageName STAND_IN = DockerImageName.parse("neogat/neo4j-standin:5.26");
    private static final String PASSWORD = "neogat-container-secret";
    private static final Duration PULL_TIMEOUT = Duration.ofMinutes(5);

    /** A citation-like graph small enough to load and train in seconds: 5 subjects, 300-word vocabulary. */
    private static final SyntheticGraphs.Spec GRAPH =
            new SyntheticGraphs.Spec(1000, 3.9, 5, 300, true, 15, 0.75, 0.8, 200, 400, 18);

    @TempDir
    static Path dir;

    /** The image both tests use, found once. */
    private static Optional<DockerImageName> resolvedImage;

    @Test
    void pluginTrainsPredictsAndStreamsAttentionNextToApocInAContainer() throws IOException {
        DockerImageName image = neo4jImageOrSkip();
        Dataset graph = SyntheticGraphs.generate(GRAPH);
        Path importDirectory = dir.resolve("import");
        PlanetoidCsv.write(graph, importDirectory);
        long start = System.nanoTime();
        try (Neo4jContainer<?> neo4j = new Neo4jContainer<>(image)
                .withAdminPassword(PASSWORD)
                .withPlugins(MountableFile.forHostPath(pluginsDirectory()))
                .withCopyFileToContainer(MountableFile.forHostPath(importDirectory), "/var/lib/neo4j/import")
                .withNeo4jConfig("server.memory.heap.max_size", "1G")
                .withNeo4jConfig("server.memory.pagecache.size", "128m")
                .withNeo4jConfig("db.tx_log.preallocate", "false")
                .withNeo4jConfig("dbms.usage_report.enabled", "false")
                .withStartupTimeout(Duration.ofMinutes(4))) {
            neo4j.start();
            System.out.printf("Container from %s started in %.1f s; Bolt at %s%n", describe(image),
                    (System.nanoTime() - start) / 1e9, neo4j.getBoltUrl());
            assertThatThrownBy(() -> {
                try (Driver wrong = GraphDatabase.driver(neo4j.getBoltUrl(), AuthTokens.basic("neo4j", "not-it"))) {
                    wrong.verifyConnectivity();
                }
            }).as("NEO4J_AUTH's password is the only one").isInstanceOf(AuthenticationException.class);
            try (Driver driver = GraphDatabase.driver(neo4j.getBoltUrl(), AuthTokens.basic("neo4j", PASSWORD))) {
                serverRunsThePluginNextToApocWithTheContainersSettings(driver);
                trainsWithWriteBack(driver, graph);
                predictsAndStreamsAttentionForAPaperAddedAfterTraining(driver);
                apocBatchesThePluginsPredictions(driver, graph.nodeCount() + 1);
            }
        }
        System.out.printf("TestcontainersIT: container started, used and stopped in %.1f s%n",
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * The stand-in's entrypoint turns the environment into neo4j.conf as the official image's does (print-config
     * prints the result without starting the server): NEO4J_AUTH=none, '__' for '_' and '_' for '.'.
     */
    @Test
    void standInEntrypointTurnsTheEnvironmentIntoSettingsLikeTheOfficialImage() {
        DockerImageName image = neo4jImageOrSkip();
        skipUnless(image.getUnversionedPart().equals(STAND_IN.getUnversionedPart()), "the stand-in's entrypoint is "
                + "checked only where the stand-in is used, not with " + image);
        try (GenericContainer<?> config = new GenericContainer<>(image)
                .withEnv("NEO4J_AUTH", "none")
                .withEnv("NEO4J_server_memory_heap_max__size", "512m")
                .withEnv("NEO4J_dbms_security_procedures_allowlist", "gat.*,apoc.*")
                .withCommand("print-config")
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(1)))) {
            config.start();
            assertThat(config.getLogs(OutputFrame.OutputType.STDOUT).lines())
                    .contains("dbms.security.auth_enabled=false", "server.memory.heap.max_size=512m",
                            "dbms.security.procedures.allowlist=gat.*,apoc.*", "server.default_listen_address=0.0.0.0");
        }
    }

    /** The image to run, or skips the test (saying why) where no engine answers or no image can be had. */
    private static synchronized DockerImageName neo4jImageOrSkip() {
        skipUnless(DockerClientFactory.instance().isDockerAvailable(), "no Docker engine answers (DOCKER_HOST="
                + Optional.ofNullable(System.getenv("DOCKER_HOST")).orElse("unset") + ", /var/run/docker.sock "
                + (Files.exists(Paths.get("/var/run/docker.sock")) ? "exists" : "absent")
                + "); integration-tests/docker/prepare.sh installs and starts one as root");
        if (resolvedImage == null) {
            resolvedImage = neo4jImage();
        }
        skipUnless(resolvedImage.isPresent(), "the engine has neither " + OFFICIAL + " nor " + STAND_IN + " and cannot pull "
                + OFFICIAL + "; integration-tests/docker/prepare.sh builds the stand-in");
        return resolvedImage.orElseThrow();
    }

    /** Skips with the reason on the console too, where CI logs show it. */
    private static void skipUnless(boolean condition, String reason) {
        if (!condition) {
            System.out.println("TestcontainersIT skipped: " + reason);
        }
        assumeTrue(condition, () -> "TestcontainersIT skipped: " + reason);
    }

    private static void serverRunsThePluginNextToApocWithTheContainersSettings(Driver driver) throws IOException {
        Record components = query(driver, "CALL dbms.components() YIELD name, versions, edition RETURN *").get(0);
        System.out.println("Server: " + components.get("name").asString() + " " + components.get("versions").asList()
                + " " + components.get("edition").asString());
        assertThat(components.get("versions").get(0).asString()).startsWith("5.26.");
        List<String> documented = Files.readAllLines(Neo4jServer.path("neogat.cypher.dir").resolveSibling("docs")
                .resolve("procedures.md")).stream()
                .filter(line -> line.startsWith("## `gat.")).map(line -> line.substring(4, line.length() - 1)).toList();
        assertThat(single(driver, "SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'gat.' RETURN collect(name)")
                .asList()).as("gat.* procedures in the container vs docs/procedures.md")
                .containsExactlyInAnyOrderElementsOf(documented);
        assertThat(single(driver, "RETURN apoc.version()").asString()).startsWith("5.26.");
        Map<String, Object> settings = single(driver, """
                SHOW SETTINGS YIELD name, value
                WHERE name IN ['db.tx_log.preallocate', 'server.memory.pagecache.size', 'server.memory.heap.max_size']
                RETURN apoc.map.fromPairs(collect([name, value]))""").asMap();
        System.out.println("Settings from NEO4J_* variables: " + settings);
        assertThat(settings).as("withNeo4jConfig settings as the server sees them")
                .containsEntry("db.tx_log.preallocate", "false").containsEntry("server.memory.pagecache.size", "128.00MiB")
                .containsEntry("server.memory.heap.max_size", "1.00GiB");
    }

    private static void trainsWithWriteBack(Driver driver, Dataset graph) {
        ServerScripts.run(driver, "load-citation-dataset.cypher", Map.of("featureCount", GRAPH.featureDim()));
        assertThat(single(driver, "MATCH (p:Paper) RETURN count(p)").asLong()).isEqualTo(graph.nodeCount());
        assertThat(single(driver, "MATCH (:Paper)-[c:CITES]->() RETURN count(c)").asLong())
                .isEqualTo(graph.edgeCount());
        Record training = ServerScripts.run(driver, "train-gat.cypher", Map.of("modelName", "papers")).get(0).get(0);
        System.out.println("gat.train in the container: " + training.asMap());
        assertThat(training.get("device").asString()).isEqualTo("cpu");
        assertThat(training.get("testAccuracy").asDouble()).as("test accuracy (5 subjects)").isGreaterThan(0.6);
        assertThat(single(driver, "MATCH (p:Paper) WHERE p.predictedSubject IS NULL RETURN count(p)").asLong()).isZero();
        assertThat(single(driver, "MATCH ()-[c:CITES]->() WHERE c.attention IS NULL RETURN count(c)").asLong())
                .isZero();
    }

    /**
     * The new paper copies a trained paper's words and citations, so the model has to see it exactly as that
     * paper: same predicted subject; its attention over its citations and itself sums to 1.
     */
    private static void predictsAndStreamsAttentionForAPaperAddedAfterTraining(Driver driver) {
        long twin = single(driver, """
                MATCH (p:Paper {split: 'test'}) WHERE COUNT { (p)--() } >= 3
                RETURN p.paperId ORDER BY p.paperId LIMIT 1""").asLong();
        Map<String, Object> twinId = Map.of("twin", twin);
        query(driver, "MATCH (p:Paper {paperId: $twin}) CREATE (:Paper {paperId: -1, split: 'none', features: p.features})",
                twinId);
        query(driver, """
                MATCH (p:Paper {paperId: $twin})-[:CITES]->(cited), (n:Paper {paperId: -1})
                CREATE (n)-[:CITES]->(cited)""", twinId);
        query(driver, """
                MATCH (citing)-[:CITES]->(p:Paper {paperId: $twin}), (n:Paper {paperId: -1})
                CREATE (citing)-[:CITES]->(n)""", twinId);
        Map<Long, String> predicted = new HashMap<>();
        for (Record row : query(driver, """
                CALL gat.predict.stream('papers', {includeProbabilities: true}) YIELD node, predictedClass, probabilities
                WITH node, predictedClass, probabilities WHERE node.paperId IN [-1, $twin]
                RETURN node.paperId AS paper, predictedClass, reduce(s = 0.0, p IN probabilities | s + p) AS total""",
                twinId)) {
            predicted.put(row.get("paper").asLong(), row.get("predictedClass").asString());
            assertThat(row.get("total").asDouble()).isCloseTo(1.0, within(1e-4));
        }
        System.out.println("Paper added after training: predicted " + predicted.get(-1L) + ", its twin " + twin + " "
                + predicted.get(twin));
        assertThat(predicted).containsKeys(-1L, twin);
        assertThat(predicted.get(-1L)).isEqualTo(predicted.get(twin));

        Record attention = query(driver, """
                CALL gat.attention.stream('papers') YIELD source, target, weight
                WITH source, target, weight WHERE target.paperId = -1
                RETURN count(*) AS rows, sum(weight) AS total, count(DISTINCT source) AS sources""").get(0);
        long degree = single(driver, "MATCH (n:Paper {paperId: -1})--(m) RETURN count(DISTINCT m)").asLong();
        assertThat(attention.get("sources").asLong()).as("its citations and itself").isEqualTo(degree + 1);
        assertThat(attention.get("total").asDouble()).isCloseTo(1.0, within(1e-4));
    }

    private static void apocBatchesThePluginsPredictions(Driver driver, long papers) {
        Record batches = query(driver, """
                CALL apoc.periodic.iterate(
                  "CALL gat.predict.stream('papers') YIELD node, predictedClass RETURN node, predictedClass",
                  "SET node.predictedByApocBatch = predictedClass",
                  {batchSize: 250})
                YIELD total, errorMessages RETURN total, errorMessages""").get(0);
        assertThat(batches.get("total").asLong()).isEqualTo(papers);
        assertThat(batches.get("errorMessages").asMap()).isEmpty();
        assertThat(single(driver, """
                MATCH (p:Paper) WHERE p.paperId >= 0 AND p.predictedByApocBatch <> p.predictedSubject
                RETURN count(p)""").asLong()).as("batched predictions that differ from the written ones").isZero();
    }

    /** The plugin jar and APOC core with its libraries, as a user would put them into plugins/. */
    private static Path pluginsDirectory() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path pluginJar = Neo4jServer.path("neogat.plugin.jar");
        Files.copy(pluginJar, plugins.resolve(pluginJar.getFileName()));
        try (Stream<Path> apoc = Files.list(Neo4jServer.path("neogat.apoc.dir"))) {
            for (Path jar : (Iterable<Path>) apoc::iterator) {
                Files.copy(jar, plugins.resolve(jar.getFileName()));
            }
        }
        return plugins;
    }

    private static Optional<DockerImageName> neo4jImage() {
        String configured = System.getProperty("neogat.neo4j.image", "");
        if (!configured.isBlank()) {
            return Optional.of(DockerImageName.parse(configured).asCompatibleSubstituteFor("neo4j"));
        }
        DockerClient docker = DockerClientFactory.instance().client();
        if (inspect(docker, OFFICIAL).isPresent()) {
            return Optional.of(OFFICIAL);
        }
        if (inspect(docker, STAND_IN).isPresent()) {
            return Optional.of(STAND_IN.asCompatibleSubstituteFor("neo4j"));
        }
        try {
            boolean pulled = docker.pullImageCmd(OFFICIAL.getUnversionedPart()).withTag(OFFICIAL.getVersionPart())
                    .start().awaitCompletion(PULL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return pulled ? Optional.of(OFFICIAL) : Optional.empty();
        } catch (RuntimeException | InterruptedException e) {
            System.out.println("Cannot pull " + OFFICIAL + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<InspectImageResponse> inspect(DockerClient docker, DockerImageName image) {
        try {
            return Optional.of(docker.inspectImageCmd(image.asCanonicalNameString()).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private static String describe(DockerImageName image) {
        return inspect(DockerClientFactory.instance().client(), image)
                .map(info -> {
                    Map<String, String> labels = Optional.ofNullable(info.getConfig().getLabels()).orElse(Map.of());
                    String standIn = labels.containsKey("dev.neogat.standin.inputs")
                            ? " (stand-in: Neo4j " + labels.get("dev.neogat.standin.neo4j") + ", inputs hash "
                            + labels.get("dev.neogat.standin.inputs") + ")" : "";
                    return image.asCanonicalNameString() + standIn + ", " + info.getSize() / 1_000_000 + " MB";
                })
                .orElse(image.asCanonicalNameString());
    }

    private static List<Record> query(Driver driver, String cypher) {
        return query(driver, cypher, Map.of());
    }

    private static List<Record> query(Driver driver, String cypher, Map<String, Object> parameters) {
        try (Session session = driver.session()) {
            return session.run(cypher, parameters).list();
        }
    }

    private static Value single(Driver driver, String cypher) {
        return query(driver, cypher).get(0).get(0);
    }
}
