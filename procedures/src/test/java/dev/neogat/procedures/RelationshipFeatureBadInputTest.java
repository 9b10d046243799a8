package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Bad relationshipFeatures input in a real Neo4j: each case fails with one clear message (the relationship, its
 * type and the property where there is one; a did-you-mean for a name the database lacks), and leaves no model and
 * no written property behind.
 */
class RelationshipFeatureBadInputTest {

    private static final String OUTPUT = "badOutput";

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;
    private static String gappyRelationship;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        SmallGraph.create(db, 30);
        db.executeTransactionally("""
                MATCH (a:Item {itemId: 0}), (b:Item {itemId: 1}), (c:Item {itemId: 2})
                CREATE (a)-[:PAIRED {w: [1.0, 2.0]}]->(b), (b)-[:PAIRED {w: [0.5, 1.5]}]->(c),
                       (a)-[:TAGGED {since: 3}]->(c), (c)-[:TAGGED {since: 'yesterday'}]->(b),
                       (a)-[:UNEVEN {w: 1.0}]->(b), (b)-[:UNEVEN {w: [1.0, 2.0]}]->(c),
                       (a)-[:GAPPY {since: 1}]->(b), (b)-[:GAPPY {since: 2}]->(c)
                """);
        db.executeTransactionally("MATCH (c:Item {itemId: 2}), (a:Item {itemId: 0}) CREATE (c)-[:GAPPY]->(a)");
        gappyRelationship = db.executeTransactionally("MATCH ()-[r:GAPPY]->() WHERE r.since IS NULL "
                + "RETURN elementId(r) AS id", Map.of(), result -> (String) result.next().get("id"));
        db.executeTransactionally("CALL gat.train('plain', $config)", Map.of("config", base(c -> { })));
    }

    @AfterAll
    static void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    record Case(String name, Consumer<Map<String, Object>> change, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Map<String, Object> base(Consumer<Map<String, Object>> change) {
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", "Item");
        config.put("relationshipTypes", "LINKS");
        config.put("featureProperties", "features");
        config.put("labelProperty", "colour");
        config.put("splitProperty", "split");
        config.put("epochs", 3);
        config.put("concurrency", 1);
        change.accept(config);
        return config;
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("propertyNotInDatabase", c -> c.put("relationshipFeatures", "sinse"),
                        List.of("Could not find the specified relationshipFeatures of ['sinse']; did you mean 'since'?")),
                new Case("typeNotInDatabase", c -> {
                    c.remove("relationshipTypes");
                    c.put("relationshipFeatures", Map.of("LINSK", "since"));
                }, List.of("Could not find the specified relationshipFeatures types of ['LINSK']; "
                        + "did you mean 'LINKS'?")),
                new Case("notANumber", c -> {
                    c.put("relationshipTypes", "TAGGED");
                    c.put("relationshipFeatures", "since");
                }, List.of("The relationship feature property 'since' of relationship ", " (type 'TAGGED') is the "
                        + "string 'yesterday'; relationshipFeatures must be numbers or arrays of numbers")),
                new Case("widthsDifferBetweenTypes", c -> {
                    c.put("relationshipTypes", List.of("LINKS", "PAIRED"));
                    c.put("relationshipFeatures", Map.of("LINKS", "since", "PAIRED", "w"));
                }, List.of("relationshipFeatures values", "every type needs the same number")),
                new Case("widthsDifferWithinType", c -> {
                    c.put("relationshipTypes", "UNEVEN");
                    c.put("relationshipFeatures", "w");
                }, List.of(" (type 'UNEVEN') has ", " values in the property 'w' but relationship ",
                        "need the same number on every relationship of a type")),
                new Case("missing", c -> {
                    c.put("relationshipTypes", "GAPPY");
                    c.put("relationshipFeatures", "since");
                }, List.of("1 relationship lacks a relationshipFeatures property (e.g. relationship "
                        + "GAPPY_ID of type 'GAPPY' lacks the property 'since'); set missingRelationshipFeatures: "
                        + "'zero' to use zeros for them")),
                new Case("projectedTypeWithoutEntry", c -> {
                    c.put("relationshipTypes", List.of("LINKS", "PAIRED"));
                    c.put("relationshipFeatures", Map.of("LINKS", "since"));
                }, List.of("Configuration 'relationshipFeatures' gives no properties for the projected relationship "
                        + "type 'PAIRED'")),
                new Case("entryForTypeNotProjected", c -> c.put("relationshipFeatures",
                        Map.of("LINKS", "since", "PAIRED", "w")),
                        List.of("gives properties for the relationship type 'PAIRED', which is not projected")),
                new Case("typeFoundWithoutEntry", c -> {
                    c.remove("relationshipTypes");
                    c.put("relationshipFeatures", Map.of("LINKS", "since"));
                }, List.of("for which relationshipFeatures {LINKS=[since]} gives no properties")),
                new Case("notAName", c -> c.put("relationshipFeatures", 5),
                        List.of("Configuration 'relationshipFeatures' must be a property name, a list of them, or a "
                                + "map from relationship type to either, got 5 (")),
                new Case("standardizeWithoutFeatures", c -> c.put("standardizeRelationshipFeatures", true),
                        List.of("Configuration 'standardizeRelationshipFeatures' applies to relationship features, "
                                + "but 'relationshipFeatures' is not given")),
                new Case("missingWrongChoice", c -> {
                    c.put("relationshipFeatures", "since");
                    c.put("missingRelationshipFeatures", "mean");
                }, List.of("Configuration 'missingRelationshipFeatures' must be one of [error, zero], got 'mean'")),
                new Case("outputOverwritesRelationshipFeature", c -> {
                    c.put("relationshipFeatures", "since");
                    c.put("attentionProperty", "since");
                }, List.of("Configuration 'attentionProperty' names the property 'since', an input of this run "
                        + "(relationshipFeatures)")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void failsClearlyAndWritesNothing(Case bad) {
        String model = "bad_" + bad.name();
        Map<String, Object> config = base(bad.change());
        config.put("writeProperty", OUTPUT);
        Throwable thrown = catchThrowable(() -> db.executeTransactionally("CALL gat.train($name, $config)",
                Map.of("name", model, "config", config)));
        assertThat(thrown).as(bad.name()).isNotNull();
        String message = rootMessage(thrown);
        for (String part : bad.expected()) {
            assertThat(message).as(bad.name()).contains(part.replace("GAPPY_ID", gappyRelationship));
        }
        assertThat(message).doesNotContain("NullPointerException", "ClassCastException");
        long written = db.executeTransactionally("MATCH (n) WHERE n[$p] IS NOT NULL RETURN count(n) AS n",
                Map.of("p", OUTPUT), result -> (Long) result.next().get("n"));
        assertThat(written).isZero();
        List<Object> models = db.executeTransactionally("CALL gat.model.list() YIELD name RETURN collect(name) AS m",
                Map.of(), result -> (List<Object>) result.next().get("m"));
        assertThat(models).doesNotContain(model);
    }

    @Test
    void missingReadsAsZerosWhenAsked() {
        Map<String, Object> config = base(c -> {
            c.put("relationshipTypes", "GAPPY");
            c.put("relationshipFeatures", "since");
            c.put("missingRelationshipFeatures", "zero");
        });
        long epochs = db.executeTransactionally("CALL gat.train('gappyZero', $config) YIELD epochs RETURN epochs",
                Map.of("config", config), result -> (Long) result.next().get("epochs"));
        assertThat(epochs).isEqualTo(3);
    }

    @Test
    void aModelWithoutRelationshipFeaturesRefusesThem() {
        Throwable thrown = catchThrowable(() -> db.executeTransactionally("CALL gat.predict.stream('plain', "
                + "{relationshipFeatures: 'since'})", Map.of(), result -> result.stream().count()));
        assertThat(rootMessage(thrown)).contains("The model 'plain' was trained without relationship features; "
                + "leave 'relationshipFeatures' out");
    }

    @Test
    void theStoredWidthIsChecked() {
        db.executeTransactionally("CALL gat.train('sinceModel', $config)", Map.of("config", base(c -> {
            c.put("relationshipFeatures", "since");
            c.put("standardizeRelationshipFeatures", true);
        })));
        Throwable thrown = catchThrowable(() -> db.executeTransactionally("CALL gat.predict.stream('sinceModel', "
                + "{relationshipTypes: 'PAIRED', relationshipFeatures: 'w'})", Map.of(),
                result -> result.stream().count()));
        assertThat(rootMessage(thrown)).contains("The model 'sinceModel' was trained on 1 relationship feature values "
                + "per relationship but relationshipFeatures [w] give 2");
    }

    private static String rootMessage(Throwable thrown) {
        Throwable root = thrown;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}
