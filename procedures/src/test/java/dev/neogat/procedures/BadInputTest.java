package dev.neogat.procedures;

import dev.neogat.gpu.GpuProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Bad input to every gat.* procedure: each call must fail with a message that names the problem and the
 * offending key, value or node, and must leave nothing behind: no node or relationship property it would
 * have written, no new or lost model in the catalog, no job still listed by gat.progress().
 *
 * <p>One server for the class. Cases that need odd data create their own nodes under a label of their own,
 * so they do not disturb each other or the shared :Item graph the stored models were trained on.
 */
class BadInputTest {

    private static final String TRAIN = "CALL gat.train($model, $config)";

    /** Class names that mean a check is missing somewhere, whatever the message says. */
    private static final List<String> RAW_ERRORS = List.of("NullPointerException", "ClassCastException",
            "IndexOutOfBoundsException", "ArithmeticException", "NumberFormatException", "UnsupportedOperationException");

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;
    private static String baseCreatedAt;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        SmallGraph.create(db, 30);
        rows(TRAIN, Map.of("model", "base", "config", trainConfig(List.of("Item"))));
        Map<String, Object> oneLayer = trainConfig(List.of("Item"));
        oneLayer.put("layers", 1);
        rows(TRAIN, Map.of("model", "oneLayer", "config", oneLayer));
        baseCreatedAt = createdAt("base");
    }

    @AfterAll
    static void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The cases

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();

        // Required keys
        cases.add(train("missingLabelProperty", c -> c.remove("labelProperty"))
                .expect("Configuration 'labelProperty' is required"));
        cases.add(train("missingFeatureProperties", c -> c.remove("featureProperties"))
                .expect("Configuration 'featureProperties' is required"));

        // Keys, types and ranges
        cases.add(train("unknownKeyTypo", c -> c.put("epoch", c.remove("epochs")))
                .expect("Unknown configuration key 'epoch'; did you mean 'epochs'?"));
        cases.add(train("epochsWrongType", c -> c.put("epochs", "ten"))
                .expect("Configuration 'epochs' must be an integer, got the string 'ten'"));
        cases.add(train("epochsNegative", c -> c.put("epochs", -5))
                .expect("Configuration 'epochs' must be between 1 and ", ", got -5"));
        cases.add(train("epochsZero", c -> c.put("epochs", 0))
                .expect("Configuration 'epochs' must be between 1 and ", ", got 0"));
        cases.add(train("dropoutOne", c -> c.put("dropout", 1.0))
                .expect("Configuration 'dropout' must be in [0.0, 1.0), got 1.0"));
        cases.add(train("dropoutNegative", c -> c.put("dropout", -0.1))
                .expect("Configuration 'dropout' must be in [0.0, 1.0), got -0.1"));
        cases.add(train("negativeSlopeTwo", c -> c.put("negativeSlope", 2))
                .expect("Configuration 'negativeSlope' must be in [0.0, 1.0], got 2"));
        cases.add(train("learningRateZero", c -> c.put("learningRate", 0))
                .expect("Configuration 'learningRate' must be above 0 and at most 10.0, got 0"));
        cases.add(train("headsZero", c -> c.put("heads", 0))
                .expect("Configuration 'heads' must be between 1 and 1024, got 0"));
        cases.add(train("layersZero", c -> c.put("layers", 0))
                .expect("Configuration 'layers' must be between 1 and 16, got 0"));
        cases.add(train("hiddenChannelsWrongCount", c -> {
            c.put("layers", 3);
            c.put("hiddenChannels", List.of(4, 4, 4));
        }).expect("Configuration 'hiddenChannels' lists 3 values but there are 2 hidden layers"));
        cases.add(train("variantGcn", c -> c.put("variant", "gcn"))
                .expect("Configuration 'variant' must be one of [GAT, GATV2], got 'gcn'"));
        cases.add(train("orientationSideways", c -> c.put("orientation", "sideways"))
                .expect("Configuration 'orientation' must be one of [NATURAL, REVERSE, UNDIRECTED], got 'sideways'"));
        cases.add(train("deviceTpu", c -> c.put("device", "tpu"))
                .expect("Configuration 'device' must be one of [auto, cpu, gpu], got 'tpu'"));
        if (!GpuProbe.status().usable()) {
            cases.add(train("deviceGpuUnavailable", c -> c.put("device", "gpu"))
                    .expect("device 'gpu' was requested but no GPU is usable", "use device 'auto' or 'cpu'"));
        }
        cases.add(train("concurrencyZero", c -> c.put("concurrency", 0))
                .expect("Configuration 'concurrency' must be between 1 and 1024, got 0"));
        cases.add(train("writeBatchSizeZero", c -> c.put("writeBatchSize", 0))
                .expect("Configuration 'writeBatchSize' must be between 1 and 1000000, got 0"));
        cases.add(train("writeEqualsProbability", c -> c.put("probabilityProperty", c.get("writeProperty")))
                .expect("The node property '" + written("writeEqualsProbability") + "' is named for two outputs"));

        cases.add(train("featurePropertiesEmpty", c -> c.put("featureProperties", List.of()))
                .expect("Configuration 'featureProperties' is required"));
        cases.add(train("labelPropertyBlank", c -> c.put("labelProperty", " "))
                .expect("Configuration 'labelProperty' must not be blank"));
        cases.add(train("nodeLabelsWrongType", c -> c.put("nodeLabels", 5L))
                .expect("Configuration 'nodeLabels' must be a string or a list of strings, got 5 (long)"));
        cases.add(train("missingFeaturesSkip", c -> c.put("missingFeatures", "skip"))
                .expect("Configuration 'missingFeatures' must be one of [error, zero], got 'skip'"));
        cases.add(train("patienceNegative", c -> c.put("patience", -1))
                .expect("Configuration 'patience' must be between 0 and 1000000, got -1"));
        cases.add(train("seedWrongType", c -> c.put("seed", "abc"))
                .expect("Configuration 'seed' must be an integer, got the string 'abc'"));
        cases.add(train("headsPerLayerZero", c -> {
            c.put("layers", 3);
            c.put("heads", List.of(2, 0));
        }).expect("Configuration 'heads' must be between 1 and 1024 for every layer, got 0"));

        // Split by fractions
        cases.add(train("splitAndTrainFraction", c -> c.put("trainFraction", 0.5))
                .expect("Give either 'splitProperty' or 'trainFraction'/'valFraction', not both"));
        cases.add(train("trainFractionZero", c -> {
            c.remove("splitProperty");
            c.put("trainFraction", 0.0);
        }).expect("Configuration 'trainFraction' must be above 0, got 0.0"));
        cases.add(train("trainFractionAboveOne", c -> {
            c.remove("splitProperty");
            c.put("trainFraction", 1.5);
        }).expect("Configuration 'trainFraction' must be in [0.0, 1.0], got 1.5"));
        cases.add(train("fractionsAboveOne", c -> {
            c.remove("splitProperty");
            c.put("trainFraction", 0.7);
            c.put("valFraction", 0.5);
        }).expect("'trainFraction' + 'valFraction' must be at most 1, got 0.7 + 0.5 = 1.2"));

        // Model names
        cases.add(train("nameDotDot", c -> { }).model("../x").expect("Model name '../x' is invalid"));
        cases.add(train("nameSlash", c -> { }).model("a/b").expect("Model name 'a/b' is invalid"));
        cases.add(train("nameEmpty", c -> { }).model("").expect("Model name '' is invalid"));
        String longName = "n".repeat(200);
        cases.add(train("nameTooLong", c -> { }).model(longName)
                .expect("Model name '" + longName + "' is invalid", "1 to 128"));
        cases.add(train("nameNull", c -> { }).model(null).expect("Model name null is invalid"));
        cases.add(train("nameTaken", c -> { }).model("base")
                .expect("A model named 'base' already exists; drop it with gat.model.drop('base')")
                .after(() -> assertThat(createdAt("base")).as("the first 'base' is intact").isEqualTo(baseCreatedAt)));

        // Projection without nodes
        cases.add(train("nodeLabelsWithoutNodes", c -> c.put("nodeLabels", List.of("Ghost")))
                .expect("No node has any of the labels [Ghost]"));

        // Features
        cases.add(train("featurePropertyOnNoNode", c -> c.put("featureProperties", "nope"))
                .expect("30 nodes lack the feature property 'nope' (e.g. node "));
        cases.add(train("featureString", data("FeatString"))
                .setup(nodes("FeatString") + "CREATE (x:FeatString {colour: 'red', split: 'train', features: 'abc'}) "
                        + "RETURN elementId(x) AS bad")
                .expect("Feature property 'features' of node {bad} is the string 'abc'",
                        "features must be numbers or arrays of numbers"));
        cases.add(train("featuresRagged", data("Ragged"))
                .setup(nodes("Ragged") + "CREATE (x:Ragged {colour: 'red', split: 'train', "
                        + "features: [1.0, 2.0, 3.0, 4.0, 5.0]}) RETURN elementId(x) AS bad")
                .expect("Node {bad} has 5 feature values in [features] but node ", " has 4; every node needs the same"));
        cases.add(train("featuresNaN", data("NaNFeat"))
                .setup(nodes("NaNFeat") + "CREATE (x:NaNFeat {colour: 'red', split: 'train', "
                        + "features: [1.0, 0.0 / 0.0, 0.5, 0.5]}) RETURN elementId(x) AS bad")
                .expect("Feature property 'features' of node {bad} holds NaN at position 1",
                        "features must be finite numbers"));
        cases.add(train("featuresMissingOnSomeNodes", data("MissFeat"))
                .setup(nodes("MissFeat") + "CREATE (x:MissFeat {colour: 'red', split: 'train'}), "
                        + "(:MissFeat {colour: 'blue', split: 'test'}) RETURN elementId(x) AS bad")
                .expect("2 nodes lack the feature property 'features' (e.g. node {bad})", "missingFeatures: 'zero'"));

        // Labels
        cases.add(train("labelPropertyOnNoNode", c -> c.put("labelProperty", "flavour"))
                .expect("No node has the label property 'flavour'"));
        cases.add(train("labelFloat", data("FloatLabel", "grade"))
                .setup(nodes("FloatLabel", "grade", "i % 2") + "CREATE (x:FloatLabel {grade: 1.5, split: 'train', "
                        + "features: [1.0, 0.0, 0.0, 1.0]}) RETURN elementId(x) AS bad")
                .expect("Label property 'grade' of node {bad} is a Double",
                        "labels must be integers or strings (or lists of them)"));
        cases.add(train("labelsMixed", data("MixedLabel", "kind"))
                .setup(nodes("MixedLabel", "kind", "['a', 'b'][i % 2]") + "CREATE (x:MixedLabel {kind: 7, "
                        + "split: 'train', features: [1.0, 0.0, 0.0, 1.0]}) RETURN elementId(x) AS bad")
                .expect("Label property 'kind' mixes strings and integers: node {bad} has an integer"));
        cases.add(train("labelSingleClass", data("OneClass"))
                .setup(nodes("OneClass", "colour", "'red'") + "RETURN made")
                .expect("The label property 'colour' has a single value (red)", "at least two classes"));

        // Split by property
        cases.add(train("splitTypo", data("SplitTypo"))
                .setup(nodes("SplitTypo") + "CREATE (x:SplitTypo {colour: 'red', split: 'trian', "
                        + "features: [1.0, 0.0, 0.0, 1.0]}) RETURN elementId(x) AS bad")
                .expect("Split property 'split' of node {bad} is 'trian'; expected 'train'"));
        cases.add(train("splitWithoutTrain", data("NoTrain"))
                .setup("UNWIND range(0, 5) AS i CREATE (:NoTrain {colour: ['red', 'blue'][i % 2], "
                        + "split: ['val', 'test'][i % 2], features: [toFloat(i), 1.0, 0.0, 0.5]})")
                .expect("No node has 'split' = 'train'"));
        cases.add(train("trainNodeWithoutLabel", data("Unlabelled"))
                .setup(nodes("Unlabelled") + "CREATE (x:Unlabelled {split: 'train', features: [1.0, 0.0, 0.0, 1.0]}) "
                        + "RETURN elementId(x) AS bad")
                .expect("Node {bad} is in the 'train' split (property 'split') but has no label"));

        // The same checks in gat.train.estimate, which reads nothing but counts
        cases.add(call("estimateUnknownKey", "CALL gat.train.estimate($config)", null,
                Map.of("featureProperties", "features", "labelProperty", "colour", "hiddenChanels", 8))
                .expect("Unknown configuration key 'hiddenChanels'; did you mean 'hiddenChannels'?"));
        cases.add(call("estimateFeaturesOnNoNode", "CALL gat.train.estimate($config)", null,
                Map.of("nodeLabels", "Item", "featureProperties", "nope", "labelProperty", "colour"))
                .expect("None of the first 30 nodes has the feature properties [nope]"));

        // Stored models: missing, or asked for what they do not have
        cases.add(call("predictUnknownModel", "CALL gat.predict.stream($model, $config)", "nope", Map.of())
                .expect("No model named 'nope'; models: ", "base", "oneLayer"));
        cases.add(call("infoUnknownModel", "CALL gat.model.info($model)", "nope", Map.of())
                .expect("No model named 'nope'; models: ", "base", "oneLayer"));
        cases.add(call("dropUnknownModel", "CALL gat.model.drop($model)", "nope", Map.of())
                .expect("No model named 'nope'; models: ", "base", "oneLayer"));
        cases.add(call("predictInvalidModelName", "CALL gat.predict.stream($model, $config)", "../base", Map.of())
                .expect("Model name '../base' is invalid"));
        cases.add(call("predictUnknownKey", "CALL gat.predict.stream($model, $config)", "base",
                Map.of("includeProbability", true))
                .expect("Unknown configuration key 'includeProbability'; did you mean 'includeProbabilities'?"));
        cases.add(call("predictWriteWithoutWriteProperty", "CALL gat.predict.write($model, $config)", "base",
                Map.of("probabilityProperty", written("predictWriteWithoutWriteProperty") + "_prob"))
                .expect("Configuration 'writeProperty' is required"));
        cases.add(call("predictWriteSameProperties", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", written("predictWriteSameProperties"),
                        "probabilityProperty", written("predictWriteSameProperties")))
                .expect("writeProperty and probabilityProperty are both '" + written("predictWriteSameProperties")
                        + "'"));
        cases.add(call("predictWriteConcurrencyZero", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", written("predictWriteConcurrencyZero"), "concurrency", 0))
                .expect("Configuration 'concurrency' must be between 1 and 1024, got 0"));
        cases.add(call("predictWriteBatchSizeZero", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", written("predictWriteBatchSizeZero"), "writeBatchSize", 0))
                .expect("Configuration 'writeBatchSize' must be between 1 and 1000000, got 0"));
        if (!GpuProbe.status().usable()) {
            cases.add(call("predictDeviceGpu", "CALL gat.predict.stream($model, $config)", "base",
                    Map.of("device", "gpu"))
                    .expect("device 'gpu' was requested but no GPU is usable"));
        }
        cases.add(call("predictFeatureWidth", "CALL gat.predict.stream($model, $config)", "base",
                Map.of("nodeLabels", List.of("Narrow"), "featureProperties", "narrow"))
                .setup("UNWIND range(0, 3) AS i CREATE (:Narrow {narrow: [toFloat(i), 1.0, 0.0]})")
                .expect("The model 'base' was trained on 4 features per node but [narrow] give 3"));
        cases.add(call("attentionWriteLayerTooHigh", "CALL gat.attention.write($model, $config)", "base",
                Map.of("attentionProperty", attention("attentionWriteLayerTooHigh"), "attentionLayer", 5))
                .expect("attentionLayer 5 does not exist: the model has 2 layers (0 to 1)"));
        cases.add(call("attentionStreamLayerTooHigh", "CALL gat.attention.stream($model, $config)", "base",
                Map.of("attentionLayer", 5))
                .expect("attentionLayer 5 does not exist: the model has 2 layers (0 to 1)"));
        cases.add(call("attentionWriteWithoutProperty", "CALL gat.attention.write($model, $config)", "base",
                Map.of("selfAttentionProperty", written("attentionWriteWithoutProperty")))
                .expect("Configuration 'attentionProperty' is required"));
        cases.add(call("embedStreamOneLayer", "CALL gat.embed.stream($model, $config)", "oneLayer", Map.of())
                .expect("The model 'oneLayer' has a single layer and so no hidden embeddings"));
        cases.add(call("embedWriteOneLayer", "CALL gat.embed.write($model, $config)", "oneLayer",
                Map.of("embeddingProperty", written("embedWriteOneLayer")))
                .expect("The model 'oneLayer' has a single layer and so no hidden embeddings"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void failsNamingTheProblemAndWritesNothing(Case c) {
        check(c);
    }

    @Test
    void emptyDatabase() {
        try (Neo4j empty = Harness.start(dir.resolve("empty"), null)) {
            GraphDatabaseService emptyDb = Harness.db(empty);
            Throwable thrown = catchThrowable(() -> consume(emptyDb, TRAIN, Map.of("model", "m_empty",
                    "config", Map.of("featureProperties", "features", "labelProperty", "colour", "epochs", 2,
                            "writeProperty", written("empty")))));
            assertThat(thrown).as("training on an empty database fails").isNotNull();
            assertThat(messages(thrown)).contains("The database has no nodes");
            assertThat(modelNames(emptyDb)).isEmpty();
        }
    }

    /** The positive control of featuresMissingOnSomeNodes: zeros for the missing features train fine. */
    @Test
    void missingFeaturesZeroTrains() {
        rows(nodes("ZeroFeat") + "CREATE (:ZeroFeat {colour: 'red', split: 'train'}), "
                + "(:ZeroFeat {colour: 'blue', split: 'test'})", Map.of());
        Map<String, Object> config = trainConfig(List.of("ZeroFeat"));
        config.put("missingFeatures", "zero");
        config.put("writeProperty", "zeroPredicted");
        try {
            List<Map<String, Object>> result = rows(TRAIN, Map.of("model", "zeroOk", "config", config));
            assertThat(result).hasSize(1);
            assertThat(result.get(0).get("nodeCount")).isEqualTo(8L);
            assertThat(rows("MATCH (n:ZeroFeat) WHERE n.zeroPredicted IS NOT NULL RETURN count(n) AS c", Map.of())
                    .get(0).get("c")).isEqualTo(8L);
        } finally {
            rows("CALL gat.model.drop('zeroOk')", Map.of());
        }
    }

    // Output layers named for writing are checked against the architecture before anything is trained or written.

    @Test
    void trainAttentionLayerTooHigh() {
        check(train("trainAttentionLayerTooHigh", c -> c.put("attentionLayer", 5))
                .expect("attentionLayer 5 does not exist: the model has 2 layers (0 to 1)"));
    }

    @Test
    void trainAttentionLayerTooHighAfterWritingPredictions() {
        check(train("trainAttentionLayerWritesFirst", c -> {
            c.remove("selfAttentionProperty");
            c.remove("probabilityProperty");
            c.put("attentionLayer", 5);
        }).expect("attentionLayer 5 does not exist: the model has 2 layers (0 to 1)"));
    }

    @Test
    void trainEmbeddingOnOneLayer() {
        check(train("trainEmbeddingOneLayer", c -> {
            c.put("layers", 1);
            c.put("embeddingProperty", written("trainEmbeddingOneLayer") + "_emb");
        }).expect("The model 'm_trainEmbeddingOneLayer' has a single layer and so no hidden embeddings"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Running and checking a case

    private static void check(Case c) {
        Map<String, String> vars = new HashMap<>();
        if (c.setup != null) {
            List<Map<String, Object>> setupRows = rows(c.setup, Map.of());
            if (!setupRows.isEmpty()) {
                setupRows.get(0).forEach((k, v) -> vars.put(k, String.valueOf(v)));
            }
        }
        List<String> modelsBefore = modelNames(db);

        Throwable thrown = catchThrowable(() -> consume(db, c.call, c.params));

        assertThat(thrown).as("%s: the call should fail", c.name).isNotNull();
        String messages = messages(thrown);
        for (String fragment : c.fragments) {
            String expected = fragment;
            for (Map.Entry<String, String> var : vars.entrySet()) {
                expected = expected.replace("{" + var.getKey() + "}", var.getValue());
            }
            assertThat(messages).as("%s: error message", c.name).contains(expected);
        }
        for (Throwable t : chain(thrown)) {
            for (String raw : RAW_ERRORS) {
                assertThat(t.getClass().getName()).as("%s: cause chain", c.name).doesNotContain(raw);
            }
        }
        for (String raw : RAW_ERRORS) {
            assertThat(messages).as("%s: error message", c.name).doesNotContain(raw);
        }

        Map<String, Object> prefixes = Map.of("w", written(c.name), "a", attention(c.name));
        assertThat(rows("MATCH (n) WHERE any(k IN keys(n) WHERE k STARTS WITH $w OR k STARTS WITH $a) "
                + "RETURN count(n) AS c", prefixes).get(0).get("c")).as("%s: node properties written", c.name)
                .isEqualTo(0L);
        assertThat(rows("MATCH ()-[r]->() WHERE any(k IN keys(r) WHERE k STARTS WITH $w OR k STARTS WITH $a) "
                + "RETURN count(r) AS c", prefixes).get(0).get("c")).as("%s: relationship properties written", c.name)
                .isEqualTo(0L);
        assertThat(modelNames(db)).as("%s: models in the catalog", c.name).isEqualTo(modelsBefore);
        assertThat(rows("CALL gat.progress() YIELD jobId RETURN count(*) AS c", Map.of()).get(0).get("c"))
                .as("%s: jobs left running", c.name).isEqualTo(0L);
        if (c.after != null) {
            c.after.run();
        }
    }

    private static List<Throwable> chain(Throwable thrown) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = thrown; t != null && seen.add(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }

    /** Every message of the cause chain: Neo4j wraps the procedure's exception once or twice. */
    private static String messages(Throwable thrown) {
        StringBuilder out = new StringBuilder();
        for (Throwable t : chain(thrown)) {
            out.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append('\n');
        }
        return out.toString();
    }

    private static void consume(GraphDatabaseService on, String cypher, Map<String, Object> params) {
        on.executeTransactionally(cypher, params, result -> {
            result.forEachRemaining(row -> { });
            return null;
        });
    }

    private static List<Map<String, Object>> rows(String cypher, Map<String, Object> params) {
        return db.executeTransactionally(cypher, params, BadInputTest::collect);
    }

    private static List<Map<String, Object>> collect(Result result) {
        List<Map<String, Object>> out = new ArrayList<>();
        result.forEachRemaining(row -> out.add(new LinkedHashMap<>(row)));
        return out;
    }

    private static List<String> modelNames(GraphDatabaseService on) {
        return on.executeTransactionally("CALL gat.model.list() YIELD name RETURN name ORDER BY name", Map.of(),
                result -> {
                    List<String> names = new ArrayList<>();
                    result.forEachRemaining(row -> names.add((String) row.get("name")));
                    return names;
                });
    }

    private static String createdAt(String model) {
        return (String) rows("CALL gat.model.info($m) YIELD createdAt RETURN createdAt", Map.of("m", model))
                .get(0).get("createdAt");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Building cases

    /** The node property prefix a case's call would write to; none may exist afterwards. */
    private static String written(String caseName) {
        return "shouldNotExist_" + caseName;
    }

    /** The relationship property prefix a case's call would write attention to. */
    private static String attention(String caseName) {
        return "attNotExist_" + caseName;
    }

    /** A valid, quick training configuration over {@code labels}; cases break one thing in it. */
    private static Map<String, Object> trainConfig(List<String> labels) {
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", labels);
        config.put("featureProperties", "features");
        config.put("labelProperty", "colour");
        config.put("splitProperty", "split");
        config.put("epochs", 2);
        config.put("heads", 2);
        config.put("hiddenChannels", 4);
        config.put("concurrency", 2);
        return config;
    }

    /** Six valid nodes with {@code label} (two classes of colour, every split), ending in a WITH for more. */
    private static String nodes(String label) {
        return nodes(label, "colour", "['red', 'blue'][i % 2]");
    }

    private static String nodes(String label, String labelProperty, String labelValue) {
        return "UNWIND range(0, 5) AS i CREATE (:" + label + " {" + labelProperty + ": " + labelValue
                + ", split: ['train', 'val', 'test'][i % 3], features: [toFloat(i), 1.0, 0.0, 0.5]}) "
                + "WITH count(*) AS made ";
    }

    /** Edits a training configuration to run on the case's own nodes. */
    private static Consumer<Map<String, Object>> data(String label) {
        return c -> c.put("nodeLabels", List.of(label));
    }

    private static Consumer<Map<String, Object>> data(String label, String labelProperty) {
        return c -> {
            c.put("nodeLabels", List.of(label));
            c.put("labelProperty", labelProperty);
        };
    }

    /** A gat.train call writing every kind of output under the case's prefixes, its config edited by {@code edit}. */
    private static Case train(String name, Consumer<Map<String, Object>> edit) {
        Map<String, Object> config = trainConfig(List.of("Item"));
        config.put("writeProperty", written(name));
        config.put("probabilityProperty", written(name) + "_prob");
        config.put("attentionProperty", attention(name));
        config.put("selfAttentionProperty", written(name) + "_self");
        edit.accept(config);
        Case c = new Case(name, TRAIN);
        c.params.put("model", "m_" + name);
        c.params.put("config", config);
        return c;
    }

    private static Case call(String name, String cypher, String model, Map<String, Object> config) {
        Case c = new Case(name, cypher);
        c.params.put("model", model);
        c.params.put("config", config);
        return c;
    }

    /** One bad call: optional setup (its first row's columns fill {column} in fragments), the call, what it says. */
    static final class Case {
        final String name;
        final String call;
        final Map<String, Object> params = new HashMap<>();
        final List<String> fragments = new ArrayList<>();
        String setup;
        Runnable after;

        Case(String name, String call) {
            this.name = name;
            this.call = call;
        }

        Case model(String model) {
            params.put("model", model);
            return this;
        }

        Case setup(String cypher) {
            setup = cypher;
            return this;
        }

        Case expect(String... expected) {
            fragments.addAll(List.of(expected));
            return this;
        }

        Case after(Runnable check) {
            after = check;
            return this;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
