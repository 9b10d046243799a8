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

import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
        // Names the database has on nodes no case projects, and a label whose nodes are gone.
        rows("CREATE (:Elsewhere {otherFeatures: [1.0, 0.0, 0.0, 1.0], otherLabel: 'x', otherSplit: 'train'})"
                + "-[:OWNS]->(:Elsewhere {otherFeatures: [0.0, 1.0, 1.0, 0.0], otherLabel: 'y', otherSplit: 'test'})",
                Map.of());
        rows("CREATE (v:Vanished) DELETE v", Map.of());
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
        cases.add(train("modeTypo", c -> c.put("mode", "minibatches"))
                .expect("Configuration 'mode' must be one of [auto, fullBatch, miniBatch], got 'minibatches'"));
        cases.add(train("batchSizeZero", c -> c.put("batchSize", 0))
                .expect("Configuration 'batchSize' must be at least 1, got 0"));
        cases.add(train("fanoutsWrongCount", c -> c.put("fanouts", List.of(5, 5, 5)))
                .expect("Configuration 'fanouts' lists 3 values [5, 5, 5] but 'layers' is 2; give one fanout per "
                        + "layer"));
        cases.add(train("fanoutsZero", c -> c.put("fanouts", List.of(5, 0)))
                .expect("Configuration 'fanouts' has 0 at position 1 in [5, 0]; each fanout must be at least 1, or -1 "
                        + "for all neighbours"));
        cases.add(train("fanoutsMinusTwo", c -> c.put("fanouts", -2))
                .expect("Configuration 'fanouts' has -2 at position 0 in -2; each fanout must be at least 1, or -1"));
        cases.add(train("fanoutsText", c -> c.put("fanouts", List.of("ten", 10)))
                .expect("Configuration 'fanouts' must be an integer or a list of integers, got"));
        cases.add(train("memoryBudgetNoUnit", c -> c.put("memoryBudget", "2 gigs"))
                .expect("Configuration 'memoryBudget' must be a memory size, got the string '2 gigs'; unknown unit 'gigs'; use B, "
                        + "KiB, MiB, GiB or TiB"));
        cases.add(train("memoryBudgetZero", c -> c.put("memoryBudget", 0))
                .expect("Configuration 'memoryBudget' must be a memory size, got 0 (integer); it must be positive"));
        cases.add(train("miniBatchWithAutoTune", c -> {
            c.put("mode", "miniBatch");
            c.put("autoTune", true);
        }).expect("autoTune trains its trials full-batch", "not mode 'miniBatch'"));
        cases.add(train("concurrencyZero", c -> c.put("concurrency", 0))
                .expect("Configuration 'concurrency' must be between 1 and 1024, got 0"));
        cases.add(train("writeBatchSizeZero", c -> c.put("writeBatchSize", 0))
                .expect("Configuration 'writeBatchSize' must be between 1 and 1000000, got 0"));
        cases.add(train("writeEqualsProbability", c -> c.put("probabilityProperty", c.get("writeProperty")))
                .expect("Configuration 'writeProperty' and 'probabilityProperty' both name the property '"
                        + written("writeEqualsProbability") + "'; give each output its own property"));

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
                .expect("Could not find the specified nodeLabels of ['Ghost']. Available node labels are [", "'Item'"));

        // Features
        cases.add(train("featurePropertyOnNoNode", c -> c.put("featureProperties", "nope"))
                .expect("Could not find the specified featureProperties of ['nope']. Available property keys are [",
                        "'features'"));
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
                .expect("Could not find the specified labelProperty of ['flavour']. Available property keys are ["));
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
                .expect("Could not find the specified featureProperties of ['nope']"));
        cases.add(call("estimateFeaturesNotOnProjection", "CALL gat.train.estimate($config)", null,
                Map.of("nodeLabels", "Item", "featureProperties", "otherFeatures", "labelProperty", "colour"))
                .expect("None of the first 30 nodes has the feature properties [otherFeatures]"));
        cases.add(call("estimateRelationshipTypeTypo", "CALL gat.train.estimate($config)", null,
                Map.of("nodeLabels", "Item", "relationshipTypes", "LINK", "featureProperties", "features",
                        "labelProperty", "colour"))
                .expect("Could not find the specified relationshipTypes of ['LINK']; did you mean 'LINKS'?"));

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
                .expect("Configuration 'writeProperty' and 'probabilityProperty' both name the property '"
                        + written("predictWriteSameProperties") + "'; give each output its own property"));
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

        names(cases);
        writesOverInputs(cases);
        return cases.stream();
    }

    /**
     * Every name a configuration gives, absent from the database and present in it but on none of the
     * projected nodes or relationships (the :Elsewhere nodes made in {@link #start()} carry such names).
     */
    private static void names(List<Case> cases) {
        // nodeLabels: a label without nodes, its token never made or its nodes deleted, is not in use.
        cases.add(train("nodeLabelTypo", c -> c.put("nodeLabels", List.of("Itme")))
                .expect("Could not find the specified nodeLabels of ['Itme']; did you mean 'Item'? "
                        + "Available node labels are [", "'Elsewhere'"));
        cases.add(train("nodeLabelOfDeletedNodes", c -> c.put("nodeLabels", List.of("Item", "Vanished")))
                .expect("Could not find the specified nodeLabels of ['Vanished']"));
        // relationshipTypes
        cases.add(train("relationshipTypeTypo", c -> c.put("relationshipTypes", List.of("LINK")))
                .expect("Could not find the specified relationshipTypes of ['LINK']; did you mean 'LINKS'? "
                        + "Available relationship types are [", "'OWNS'"));
        cases.add(train("relationshipTypeNotOnProjection", c -> c.put("relationshipTypes", List.of("OWNS")))
                .expect("The relationship type 'OWNS' (relationshipTypes) connects none of the projected nodes "
                        + "(nodeLabels ['Item']); it exists in the database but not between those nodes"));
        cases.add(train("secondRelationshipTypeNotOnProjection",
                c -> c.put("relationshipTypes", List.of("LINKS", "OWNS")))
                .expect("The relationship type 'OWNS' (relationshipTypes) connects none of the projected nodes"));
        // featureProperties
        cases.add(train("featurePropertyTypo", c -> c.put("featureProperties", List.of("featuers")))
                .expect("Could not find the specified featureProperties of ['featuers']; did you mean 'features'?"));
        cases.add(train("featurePropertyNotOnProjection", c -> c.put("featureProperties", "otherFeatures"))
                .expect("The property 'otherFeatures' (featureProperties) is on none of the projected nodes "
                        + "(nodeLabels ['Item']); it exists in the database but not on those nodes"));
        cases.add(train("secondFeaturePropertyNotOnProjection", c -> {
            c.put("featureProperties", List.of("features", "otherFeatures"));
            c.put("missingFeatures", "zero");
        }).expect("The property 'otherFeatures' (featureProperties) is on none of the projected nodes"));
        // labelProperty
        cases.add(train("labelPropertyTypo", c -> c.put("labelProperty", "color"))
                .expect("Could not find the specified labelProperty of ['color']; did you mean 'colour'?"));
        cases.add(train("labelPropertyNotOnProjection", c -> c.put("labelProperty", "otherLabel"))
                .expect("The property 'otherLabel' (labelProperty) is on none of the projected nodes "
                        + "(nodeLabels ['Item'])"));
        // splitProperty
        cases.add(train("splitPropertyTypo", c -> c.put("splitProperty", "splt"))
                .expect("Could not find the specified splitProperty of ['splt']; did you mean 'split'?"));
        cases.add(train("splitPropertyNotOnProjection", c -> c.put("splitProperty", "otherSplit"))
                .expect("The property 'otherSplit' (splitProperty) is on none of the projected nodes "
                        + "(nodeLabels ['Item'])"));
        // The same names when a stored model re-reads its projection, overridden or as stored
        cases.add(call("predictRelationshipTypeTypo", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", written("predictRelationshipTypeTypo"), "relationshipTypes", "LINK"))
                .expect("Could not find the specified relationshipTypes of ['LINK']; did you mean 'LINKS'?"));
        cases.add(call("predictFeatureNotOnProjection", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", written("predictFeatureNotOnProjection"), "featureProperties",
                        "otherFeatures"))
                .expect("The property 'otherFeatures' (featureProperties) is on none of the projected nodes"));
        cases.add(call("attentionWriteNodeLabelTypo", "CALL gat.attention.write($model, $config)", "base",
                Map.of("attentionProperty", attention("attentionWriteNodeLabelTypo"), "nodeLabels", "item"))
                .expect("Could not find the specified nodeLabels of ['item']; did you mean 'Item'?"));
        cases.add(call("attentionStreamFeatureTypo", "CALL gat.attention.stream($model, $config)", "base",
                Map.of("featureProperties", "feature"))
                .expect("Could not find the specified featureProperties of ['feature']; did you mean 'features'?"));
        cases.add(call("embedWriteTypeNotOnProjection", "CALL gat.embed.write($model, $config)", "base",
                Map.of("embeddingProperty", written("embedWriteTypeNotOnProjection"), "relationshipTypes", "OWNS"))
                .expect("The relationship type 'OWNS' (relationshipTypes) connects none of the projected nodes"));
        cases.add(call("entropyWriteLabelOfDeletedNodes", "CALL gat.attention.entropy.write($model, $config)",
                "base", Map.of("entropyProperty", written("entropyWriteLabelOfDeletedNodes"), "nodeLabels",
                        "Vanished"))
                .expect("Could not find the specified nodeLabels of ['Vanished']"));
    }

    /**
     * Every write key naming an input of the same run (the stored model's inputs for a stored model), or the
     * property of another write key: refused before anything is written, naming both keys.
     */
    private static void writesOverInputs(List<Case> cases) {
        String overwrite = "; writing it would overwrite the input";
        cases.add(train("writeIsFeatures", c -> c.put("writeProperty", "features"))
                .expect("Configuration 'writeProperty' names the property 'features', an input of this run "
                        + "(featureProperties)" + overwrite + ". Give 'writeProperty' another property"));
        cases.add(train("probabilityIsLabel", c -> c.put("probabilityProperty", "colour"))
                .expect("Configuration 'probabilityProperty' names the property 'colour', an input of this run "
                        + "(labelProperty)" + overwrite));
        cases.add(train("selfAttentionIsSplit", c -> c.put("selfAttentionProperty", "split"))
                .expect("Configuration 'selfAttentionProperty' names the property 'split', an input of this run "
                        + "(splitProperty)" + overwrite));
        cases.add(train("embeddingIsSecondFeature", c -> {
            c.put("featureProperties", List.of("features", "itemId"));
            c.put("embeddingProperty", "itemId");
        }).expect("Configuration 'embeddingProperty' names the property 'itemId', an input of this run "
                + "(featureProperties)" + overwrite));
        cases.add(train("attentionIsLabel", c -> c.put("attentionProperty", "colour"))
                .expect("Configuration 'attentionProperty' names the property 'colour', an input of this run "
                        + "(labelProperty)" + overwrite));
        cases.add(train("attentionReverseIsSplit", c -> {
            c.put("splitProperty", "splitReverse");
            c.put("attentionProperty", "split");
        }).expect("Configuration 'attentionProperty + Reverse' names the property 'splitReverse', an input of this "
                + "run (splitProperty)" + overwrite));
        cases.add(train("attentionEqualsSelfAttention", c -> c.put("selfAttentionProperty", attention(
                "attentionEqualsSelfAttention")))
                .expect("Configuration 'selfAttentionProperty' and 'attentionProperty' both name the property '"
                        + attention("attentionEqualsSelfAttention") + "'"));
        cases.add(train("embeddingEqualsWrite", c -> c.put("embeddingProperty", written("embeddingEqualsWrite")))
                .expect("Configuration 'writeProperty' and 'embeddingProperty' both name the property '"
                        + written("embeddingEqualsWrite") + "'"));
        cases.add(train("attentionReverseEqualsWrite", c -> c.put("writeProperty",
                attention("attentionReverseEqualsWrite") + "Reverse"))
                .expect("Configuration 'writeProperty' and 'attentionProperty + Reverse' both name the property '"
                        + attention("attentionReverseEqualsWrite") + "Reverse'"));

        String base = " of the model 'base')" + overwrite;
        cases.add(call("predictWriteIsFeatures", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", "features"))
                .expect("Configuration 'writeProperty' names the property 'features', an input of this run "
                        + "(featureProperties)" + overwrite));
        cases.add(call("predictProbabilityIsLabel", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", written("predictProbabilityIsLabel"), "probabilityProperty", "colour"))
                .expect("Configuration 'probabilityProperty' names the property 'colour', an input of this run "
                        + "(labelProperty" + base));
        cases.add(call("predictWriteIsSplit", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", "split"))
                .expect("Configuration 'writeProperty' names the property 'split', an input of this run "
                        + "(splitProperty" + base));
        cases.add(call("predictWriteIsStoredFeature", "CALL gat.predict.write($model, $config)", "base",
                Map.of("writeProperty", "features", "featureProperties", "otherFeatures", "nodeLabels", "Elsewhere"))
                .expect("Configuration 'writeProperty' names the property 'features', an input of this run "
                        + "(featureProperties" + base));
        cases.add(call("attentionWriteIsFeatures", "CALL gat.attention.write($model, $config)", "base",
                Map.of("attentionProperty", "features"))
                .expect("Configuration 'attentionProperty' names the property 'features', an input of this run "
                        + "(featureProperties)" + overwrite));
        cases.add(call("attentionWriteSelfIsLabel", "CALL gat.attention.write($model, $config)", "base",
                Map.of("attentionProperty", attention("attentionWriteSelfIsLabel"), "selfAttentionProperty",
                        "colour"))
                .expect("Configuration 'selfAttentionProperty' names the property 'colour', an input of this run "
                        + "(labelProperty" + base));
        cases.add(call("attentionWriteReverseIsSplit", "CALL gat.attention.write($model, $config)", "base",
                Map.of("attentionProperty", "spl", "featureProperties", "splReverse"))
                .expect("Configuration 'attentionProperty + Reverse' names the property 'splReverse', an input of "
                        + "this run (featureProperties)" + overwrite));
        cases.add(call("attentionWriteEqualsSelf", "CALL gat.attention.write($model, $config)", "base",
                Map.of("attentionProperty", attention("attentionWriteEqualsSelf"), "selfAttentionProperty",
                        attention("attentionWriteEqualsSelf")))
                .expect("Configuration 'selfAttentionProperty' and 'attentionProperty' both name the property"));
        cases.add(call("embedWriteIsSplit", "CALL gat.embed.write($model, $config)", "base",
                Map.of("embeddingProperty", "split"))
                .expect("Configuration 'embeddingProperty' names the property 'split', an input of this run "
                        + "(splitProperty" + base));
        cases.add(call("entropyWriteIsLabel", "CALL gat.attention.entropy.write($model, $config)", "base",
                Map.of("entropyProperty", "colour"))
                .expect("Configuration 'entropyProperty' names the property 'colour', an input of this run "
                        + "(labelProperty" + base));
        cases.add(call("entropyUniformIsFeature", "CALL gat.attention.entropy.write($model, $config)", "base",
                Map.of("entropyProperty", "feat", "featureProperties", "featUniform"))
                .expect("Configuration 'entropyProperty + Uniform' names the property 'featUniform', an input of this "
                        + "run (featureProperties)" + overwrite));
        cases.add(call("entropyRatioIsFeature", "CALL gat.attention.entropy.write($model, $config)", "base",
                Map.of("entropyProperty", "feat", "featureProperties", "featRatio"))
                .expect("Configuration 'entropyProperty + Ratio' names the property 'featRatio', an input of this "
                        + "run (featureProperties)" + overwrite));
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
            assertThat(messages(thrown)).contains("Could not find the specified featureProperties of ['features']. "
                    + "The database has no property keys.");
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

    /** The digest every case compares sees one changed array element, and nothing else, by value. */
    @Test
    void propertyDigestSeesOneChangedArrayElement() {
        rows("CREATE (:DigestProbe {values: [1.0, 2.0], name: 'probe'})", Map.of());
        String before = propertyDigest(db);
        rows("MATCH (p:DigestProbe) SET p.values = [1.0, 2.5]", Map.of());
        String changed = propertyDigest(db);
        rows("MATCH (p:DigestProbe) SET p.values = [1.0, 2.0]", Map.of());
        String restored = propertyDigest(db);
        rows("MATCH (p:DigestProbe) DELETE p", Map.of());
        assertThat(changed).isNotEqualTo(before);
        assertThat(restored).isEqualTo(before);
    }

    /** The positive control of the write checks: overwriting a property that is not an input, e.g. an earlier output. */
    @Test
    void overwritingAPropertyThatIsNoInputIsAllowed() {
        Map<String, Object> config = Map.of("writeProperty", "rerunPredicted", "probabilityProperty", "rerunProbability");
        for (int run = 0; run < 2; run++) {
            List<Map<String, Object>> result = rows("CALL gat.predict.write('base', $config)", Map.of("config", config));
            assertThat(result.get(0).get("propertiesWritten")).as("run %d", run).isEqualTo(60L);
        }
        assertThat(rows("MATCH (n:Item) WHERE n.rerunPredicted IN ['red', 'green', 'blue'] RETURN count(n) AS c",
                Map.of()).get(0).get("c")).isEqualTo(30L);
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
        String propertiesBefore = propertyDigest(db);

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
        assertThat(propertyDigest(db)).as("%s: a digest of every node's and relationship's labels, type and "
                + "properties", c.name).isEqualTo(propertiesBefore);
        assertThat(modelNames(db)).as("%s: models in the catalog", c.name).isEqualTo(modelsBefore);
        assertThat(rows("CALL gat.progress() YIELD jobId RETURN count(*) AS c", Map.of()).get(0).get("c"))
                .as("%s: jobs left running", c.name).isEqualTo(0L);
        if (c.after != null) {
            c.after.run();
        }
    }

    /**
     * SHA-256 of every node (labels, properties) and relationship (type, ends, properties) in element-id
     * order, with arrays and maps written out by value: equal digests mean nothing was written.
     */
    static String propertyDigest(GraphDatabaseService on) {
        String text = on.executeTransactionally("""
                MATCH (n) RETURN 'node ' + elementId(n) AS id, labels(n) AS kind, properties(n) AS properties
                UNION ALL
                MATCH (a)-[r]->(b) RETURN 'relationship ' + elementId(r) AS id,
                    [type(r), elementId(a), elementId(b)] AS kind, properties(r) AS properties
                """, Map.of(), result -> {
            TreeMap<String, String> entities = new TreeMap<>();
            result.forEachRemaining(row -> entities.put((String) row.get("id"),
                    canonical(row.get("kind")) + " " + canonical(row.get("properties"))));
            return entities.toString();
        });
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A value as text by value: maps with sorted keys, lists and arrays element by element. */
    private static String canonical(Object value) {
        if (value instanceof Map<?, ?> map) {
            TreeMap<String, String> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
            return sorted.toString();
        }
        if (value instanceof List<?> list) {
            return list.stream().map(BadInputTest::canonical).toList().toString();
        }
        if (value != null && value.getClass().isArray()) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(canonical(Array.get(value, i)));
            }
            return items.toString();
        }
        return value == null ? "null" : value.getClass().getSimpleName() + ":" + value;
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
        return SmallGraph.trainConfig("nodeLabels", labels, "epochs", 2);
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
