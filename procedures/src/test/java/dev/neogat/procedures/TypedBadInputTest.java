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
 * Bad typed input in a real Neo4j ({@link PaperGraph} and a few odd nodes): each case fails with one clear message
 * naming the bad value and where, and leaves no model and no written property behind; a stored typed model run on
 * a projection that lacks one of its labels or relations, or has a new one, is refused before anything is written;
 * the procedures that do not take typed models yet say so.
 */
class TypedBadInputTest {

    private static final String OUTPUT = "badOutput";

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;
    private static String narrowOdd;
    private static String coauthorAuthor;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        PaperGraph.create(db, 5);
        db.executeTransactionally("""
                CREATE (:Odd {profile: [0.1, 0.2, 0.3]}), (:Odd {profile: [0.4, 0.5]}),
                       (:Reviewer {profile: [0.5, 0.5, 0.5], kind: 'Reviewer'}),
                       (:Author:Coauthor {authorId: -1, profile: [0.3, 0.2, 0.1]}),
                       (:Coauthor {badge: [1.0, 2.0]}),
                       (:Venue:Editor {venueId: -1, embedding: [0.1, 0.2, 0.3, 0.4, 0.5]})
                """);
        db.executeTransactionally("""
                MATCH (p:Paper {paperId: 0}), (o:Odd), (r:Reviewer), (c:Coauthor), (a:Author {authorId: 0})
                CREATE (p)-[:ABOUT]->(o), (p)-[:ABOUT]->(r), (p)-[:ABOUT]->(c), (p)-[:MENTIONS]->(a)
                """);
        narrowOdd = elementId("MATCH (n:Odd) WHERE size(n.profile) = 2 RETURN elementId(n) AS id");
        coauthorAuthor = elementId("MATCH (n:Author:Coauthor) RETURN elementId(n) AS id");
        db.executeTransactionally("CALL gat.train('base', $config)", Map.of("config", base(c -> { })));
    }

    @AfterAll
    static void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private static String elementId(String query) {
        return db.executeTransactionally(query, Map.of(), result -> (String) result.next().get("id"));
    }

    record Case(String name, Consumer<Map<String, Object>> change, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Map<String, Object> base(Consumer<Map<String, Object>> change) {
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", List.of("Paper", "Author", "Venue"));
        config.put("relationshipTypes", List.of("ABOUT", "CITES"));
        config.put("featureProperties", new HashMap<>(Map.of("Paper", "text", "Author", "profile", "Venue",
                "embedding")));
        config.put("labelProperty", "kind");
        config.put("splitProperty", "split");
        config.put("epochs", 3);
        config.put("concurrency", 1);
        change.accept(config);
        return config;
    }

    @SuppressWarnings("unchecked")
    private static void features(Map<String, Object> config, String label, Object properties) {
        ((Map<String, Object>) config.get("featureProperties")).put(label, properties);
    }

    @SuppressWarnings("unchecked")
    private static void withoutFeatures(Map<String, Object> config, String label) {
        ((Map<String, Object>) config.get("featureProperties")).remove(label);
    }

    static Stream<Case> trainCases() {
        return Stream.of(
                new Case("labelMissingFromTheFeatureMap", c -> withoutFeatures(c, "Venue"),
                        List.of("Configuration 'featureProperties' has no entry for the label 'Venue'; give it a "
                                + "property, a list of properties, or null for a label without features")),
                new Case("featureMapNamesALabelNotProjected", c -> {
                    withoutFeatures(c, "Venue");
                    features(c, "Venu", "embedding");
                }, List.of("Configuration 'featureProperties' names the label 'Venu', which is not projected; did "
                        + "you mean 'Venue'? The projected labels (nodeLabels) are ['Paper', 'Author', 'Venue']")),
                new Case("featureMapValueNotAProperty", c -> features(c, "Venue", 5),
                        List.of("Configuration 'featureProperties.Venue' must be a property, a list of properties or "
                                + "null, got 5")),
                new Case("widthsDifferWithinOneLabel", c -> {
                    c.put("nodeLabels", List.of("Paper", "Author", "Venue", "Odd"));
                    features(c, "Odd", "profile");
                }, List.of("featureProperties of label 'Odd': Node NARROW_ODD has 2 feature values in [profile] but "
                        + "node ", " has 3; every node needs the same number")),
                new Case("targetLabelNotProjected", c -> c.put("targetLabels", "Papr"),
                        List.of("Configuration 'targetLabels' names 'Papr', which is not projected; did you mean "
                                + "'Paper'? The projected labels (nodeLabels) are ['Paper', 'Author', 'Venue']")),
                new Case("twoTargetLabels", c -> c.put("targetLabels", List.of("Paper", "Author")),
                        List.of("Configuration 'targetLabels' lists ['Paper', 'Author'], but a typed model takes one "
                                + "target label for now; give one of them")),
                new Case("labelPropertyOnTwoLabels", c -> {
                    c.put("nodeLabels", List.of("Paper", "Reviewer"));
                    c.put("featureProperties", Map.of("Paper", "text", "Reviewer", "profile"));
                }, List.of("The label property 'kind' is on nodes of 2 labels ['Paper', 'Reviewer'], but a typed "
                        + "model takes one target label for now; pass targetLabels: 'Paper' (or another of them)")),
                new Case("classOnlyOnANonTargetLabel", c -> {
                    c.put("nodeLabels", List.of("Paper", "Reviewer"));
                    c.put("featureProperties", Map.of("Paper", "text", "Reviewer", "profile"));
                    c.put("targetLabels", "Paper");
                }, List.of("The class 'Reviewer' of 'kind' is on nodes of label 'Reviewer' but on no node of the "
                        + "target label 'Paper'; the model learns and predicts the classes of 'Paper' only")),
                new Case("everyNodeOfALabelBelongsToAnEarlierOne", c -> {
                    c.put("nodeLabels", List.of("Paper", "Author", "Venue", "Editor"));
                    features(c, "Editor", "embedding");
                }, List.of("Every node of label 'Editor' also has a label listed before it in nodeLabels ['Paper', "
                        + "'Author', 'Venue', 'Editor'], so 'Editor' has no nodes of its own")),
                new Case("relationshipFeatureNotInTheDatabase", c -> {
                    c.put("typed", true);
                    c.put("relationshipFeatures", "since");
                    c.put("missingRelationshipFeatures", "zero");
                }, List.of("relationshipFeatures", "'since'")),
                new Case("featureMapOnAnUntypedModel", c -> c.put("typed", false),
                        List.of("featureProperties as a map from label (", ") needs a typed model; give typed: true")),
                new Case("targetLabelsOnAnUntypedModel", c -> {
                    c.put("typed", false);
                    c.put("featureProperties", "text");
                    c.put("targetLabels", "Paper");
                }, List.of("Configuration 'targetLabels' applies to typed models, but this run trains an untyped one "
                        + "(typed: false")),
                new Case("typedNotABoolean", c -> c.put("typed", "yes"),
                        List.of("Configuration 'typed' must be true, false or 'auto', got the string 'yes'")),
                new Case("aggregationUnknown", c -> c.put("relationAggregation", "max"),
                        List.of("Configuration 'relationAggregation' must be one of [sum, mean, attention], got "
                                + "'max'")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainCases")
    void trainingFailsClearlyAndWritesNothing(Case bad) {
        String model = "bad_" + bad.name();
        Map<String, Object> config = base(bad.change());
        config.put("writeProperty", OUTPUT);
        String message = failure("CALL gat.train($name, $config)", Map.of("name", model, "config", config));
        for (String part : bad.expected()) {
            assertThat(message).as(bad.name()).contains(part.replace("NARROW_ODD", narrowOdd));
        }
        assertNothingWritten();
        List<Object> models = db.executeTransactionally("CALL gat.model.list() YIELD name RETURN collect(name) AS m",
                Map.of(), result -> (List<Object>) result.next().get("m"));
        assertThat(models).doesNotContain(model);
    }

    static Stream<Case> runCases() {
        return Stream.of(
                new Case("lacksALabel", c -> c.put("nodeLabels", List.of("Paper", "Author")),
                        List.of("The typed model 'base' was trained on the labels [Paper, Author, Venue] but this "
                                + "projection has [Paper, Author]; give nodeLabels [Paper, Author, Venue]")),
                new Case("hasANewLabel", c -> c.put("nodeLabels", List.of("Paper", "Author", "Venue", "Topic")),
                        List.of("The typed model 'base' was trained on the labels [Paper, Author, Venue] but this "
                                + "projection has [Paper, Author, Venue, Topic]")),
                new Case("lacksARelation", c -> c.put("relationshipTypes", "ABOUT"),
                        List.of("The typed model 'base' cannot run on this projection: The graph lacks the model's "
                                + "relation (Paper)-[CITES]->(Paper)")),
                new Case("hasANewRelation", c -> c.put("relationshipTypes", List.of("ABOUT", "CITES", "MENTIONS")),
                        List.of("The typed model 'base' cannot run on this projection: The graph has the relation "
                                + "(Paper)-[MENTIONS]->(Author), which the model was not trained on")),
                new Case("aLabelNowWithoutFeatures", c -> {
                    Map<String, Object> features = new HashMap<>(Map.of("Paper", "text", "Author", "profile"));
                    features.put("Venue", null);
                    c.put("featureProperties", features);
                }, List.of("The typed model 'base' was trained with features for the label 'Venue' but this "
                        + "projection reads none for it")),
                new Case("pcaWiderThanTheEmbedding", c -> c.put("pcaDimensions", 4000),
                        List.of("pcaDimensions 4000 exceeds the embedding width")),
                new Case("outputOverwritesAnInput", c -> c.put("writeProperty", "text"),
                        List.of("Configuration 'writeProperty' names the property 'text', an input of this run")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runCases")
    void aStoredTypedModelRefusesAProjectionItWasNotTrainedOn(Case bad) {
        Map<String, Object> config = new HashMap<>();
        config.put("writeProperty", OUTPUT);
        bad.change().accept(config);
        String message = config.containsKey("pcaDimensions")
                ? failure("CALL gat.embed.stream('base', $config)",
                        Map.of("config", Map.of("pcaDimensions", config.get("pcaDimensions"))))
                : failure("CALL gat.predict.write('base', $config)", Map.of("config", config));
        for (String part : bad.expected()) {
            assertThat(message).as(bad.name()).contains(part);
        }
        assertNothingWritten();
    }

    @Test
    void aNodeWithTwoProjectedLabelsBelongsToTheFirstInNodeLabels() {
        // :Author:Coauthor with only 'profile': an Author when Author comes first, a Coauthor (lacking 'badge') else.
        Map<String, Object> authorFirst = base(c -> {
            c.put("nodeLabels", List.of("Paper", "Author", "Coauthor"));
            c.put("featureProperties", Map.of("Paper", "text", "Author", "profile", "Coauthor", "badge"));
        });
        db.executeTransactionally("CALL gat.train('authorFirst', $config)", Map.of("config", authorFirst));
        @SuppressWarnings("unchecked")
        Map<String, Object> model = db.executeTransactionally("CALL gat.model.info('authorFirst') YIELD model "
                + "RETURN model", Map.of(), result -> (Map<String, Object>) result.next().get("model"));
        assertThat((Map<String, Object>) model.get("nodeTypes")).containsEntry("Author", 3).containsEntry("Coauthor",
                2);
        Map<String, Object> coauthorFirst = base(c -> {
            c.put("nodeLabels", List.of("Paper", "Coauthor", "Author"));
            c.put("featureProperties", Map.of("Paper", "text", "Author", "profile", "Coauthor", "badge"));
        });
        String message = failure("CALL gat.train('coauthorFirst', $config)", Map.of("config", coauthorFirst));
        assertThat(message).contains("featureProperties of label 'Coauthor': 1 node lacks the feature property "
                + "'badge' (e.g. node " + coauthorAuthor + ")");
    }

    private static String failure(String query, Map<String, Object> parameters) {
        Throwable thrown = catchThrowable(() -> db.executeTransactionally(query, parameters,
                result -> result.stream().count()));
        assertThat(thrown).as(query).isNotNull();
        Throwable root = thrown;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = root.getMessage();
        assertThat(message).doesNotContain("NullPointerException", "ClassCastException");
        return message;
    }

    private static void assertNothingWritten() {
        long written = db.executeTransactionally("MATCH (n) WHERE n[$p] IS NOT NULL RETURN count(n) AS n",
                Map.of("p", OUTPUT), result -> (Long) result.next().get("n"));
        assertThat(written).isZero();
    }
}
