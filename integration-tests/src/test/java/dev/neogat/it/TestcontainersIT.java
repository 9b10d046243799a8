package dev.neogat.it;

import org.junit.jupiter.api.Test;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.testcontainers.containers.Neo4jContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a user's own Testcontainers test looks like: the official neo4j:5.26 image with the plugin jar
 * mounted into plugins/. Skipped (never failed, never hung) where no Docker engine runs.
 */
@Testcontainers(disabledWithoutDocker = true)
class TestcontainersIT {

    @Container
    static final Neo4jContainer<?> NEO4J = new Neo4jContainer<>(DockerImageName.parse("neo4j:5.26"))
            .withoutAuthentication()
            .withPlugins(MountableFile.forHostPath(Neo4jServer.path("neogat.plugin.jar")));

    @Test
    void trainsAndPredictsInTheContainer() {
        try (Driver driver = GraphDatabase.driver(NEO4J.getBoltUrl(), AuthTokens.none());
             Session session = driver.session()) {
            session.run("""
                    UNWIND range(0, 89) AS i
                    CREATE (:Item {colour: ['red', 'green', 'blue'][i % 3],
                                   split: CASE WHEN i < 30 THEN 'train' WHEN i < 45 THEN 'val' ELSE 'test' END,
                                   features: [CASE WHEN i % 3 = 0 THEN 1.0 ELSE 0.0 END,
                                              CASE WHEN i % 3 = 1 THEN 1.0 ELSE 0.0 END, (i % 7) / 7.0]})""").consume();
            session.run("""
                    MATCH (a:Item), (b:Item) WHERE id(a) < id(b) AND a.colour = b.colour AND (id(a) + id(b)) % 5 = 0
                    CREATE (a)-[:LINKS]->(b)""").consume();
            Record result = session.run("""
                    CALL gat.train('container', {featureProperties: 'features', labelProperty: 'colour',
                         splitProperty: 'split', epochs: 100, writeProperty: 'predicted'})
                    YIELD testAccuracy, device RETURN testAccuracy, device""").single();
            assertThat(result.get("device").asString()).isEqualTo("cpu");
            assertThat(result.get("testAccuracy").asDouble()).isGreaterThan(0.9);
        }
    }
}
