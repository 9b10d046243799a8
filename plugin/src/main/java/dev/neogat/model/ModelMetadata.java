package dev.neogat.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * What is stored with a model besides its configuration and weights, as the model file's header holds it (through
 * {@link HeaderJson}): how it was trained and how it went (the trainer), its search (autoTune), and what it was
 * trained on (gat.train: classes, projection, sizes, metrics, the configuration as reported, the test report).
 * Each part is null when its writer did not run; a key the header holds beyond these (from a newer version) is
 * ignored, since metadata describes a model and never changes its predictions. Written in the order version-1 files
 * have, so a stored model re-saves to the same bytes; a typed model adds its relation weights (β) at the end, and,
 * trained with featurelessNodes 'node', the nodes of each featureless label in training order ({@code trainedNodes}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"training", "bestEpoch", "epochsRun", "stopReason", "history", "autoTune", "createdAt",
        "classes", "labelProperty", "projection", "nodeCount", "relationshipCount", "splitSizes", "device", "metric",
        "metrics", "configuration", "testReport", "relationWeights", "trainedNodes"})
public record ModelMetadata(Training training, Integer bestEpoch, Integer epochsRun, String stopReason,
                            List<Epoch> history, AutoTune autoTune, String createdAt, List<Object> classes,
                            String labelProperty, Projection projection, Long nodeCount, Long relationshipCount,
                            SplitSizes splitSizes, String device, String metric, Metrics metrics,
                            Map<String, Object> configuration, TestReport testReport,
                            List<Map<String, Map<String, Double>>> relationWeights,
                            Map<String, TrainedNodes> trainedNodes) {

    public static final ModelMetadata NONE = new ModelMetadata(null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null);

    /** Without trained nodes: a model without a learned input per node. */
    public ModelMetadata(Training training, Integer bestEpoch, Integer epochsRun, String stopReason,
                         List<Epoch> history, AutoTune autoTune, String createdAt, List<Object> classes,
                         String labelProperty, Projection projection, Long nodeCount, Long relationshipCount,
                         SplitSizes splitSizes, String device, String metric, Metrics metrics,
                         Map<String, Object> configuration, TestReport testReport,
                         List<Map<String, Map<String, Double>>> relationWeights) {
        this(training, bestEpoch, epochsRun, stopReason, history, autoTune, createdAt, classes, labelProperty,
                projection, nodeCount, relationshipCount, splitSizes, device, metric, metrics, configuration,
                testReport, relationWeights, null);
    }

    /** Without relation weights: an untyped model's metadata. */
    public ModelMetadata(Training training, Integer bestEpoch, Integer epochsRun, String stopReason,
                         List<Epoch> history, AutoTune autoTune, String createdAt, List<Object> classes,
                         String labelProperty, Projection projection, Long nodeCount, Long relationshipCount,
                         SplitSizes splitSizes, String device, String metric, Metrics metrics,
                         Map<String, Object> configuration, TestReport testReport) {
        this(training, bestEpoch, epochsRun, stopReason, history, autoTune, createdAt, classes, labelProperty,
                projection, nodeCount, relationshipCount, splitSizes, device, metric, metrics, configuration,
                testReport, null, null);
    }

    /**
     * The optimiser settings the model was trained with; {@code batchSize} and {@code fanouts} only when it was
     * trained in mini-batches (null, and not written, for full-batch training and for older files).
     */
    @JsonPropertyOrder({"epochs", "learningRate", "weightDecay", "patience", "seed", "batchSize", "fanouts"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Training(int epochs, double learningRate, double weightDecay, int patience, long seed,
                           Integer batchSize, List<Integer> fanouts) {

        /** Full-batch training. */
        public Training(int epochs, double learningRate, double weightDecay, int patience, long seed) {
            this(epochs, learningRate, weightDecay, patience, seed, null, null);
        }
    }

    /** One epoch of the history: losses and scores (NaN where there were no validation nodes), the step's time. */
    @JsonPropertyOrder({"epoch", "loss", "trainScore", "validationLoss", "validationScore", "stepMillis"})
    public record Epoch(int epoch, double loss, double trainScore, double validationLoss, double validationScore,
                        double stepMillis) {
    }

    /**
     * The search of autoTune: its settings, why it ended, the chosen trial and every trial. {@code seedsPerTrial} and
     * {@code chosenSeed} (the seed the chosen configuration was trained with again) are null in models stored before
     * trials could run several seeds, whose trials ran one: the training seed.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"maxTrials", "timeBudgetMillis", "seed", "space", "endReason", "chosenTrial",
            "chosenConfiguration", "trials", "seedsPerTrial", "chosenSeed"})
    public record AutoTune(int maxTrials, long timeBudgetMillis, long seed, Map<String, Object> space,
                           String endReason, int chosenTrial, Map<String, Object> chosenConfiguration,
                           List<TrialSummary> trials, Integer seedsPerTrial, Long chosenSeed) {
    }

    /**
     * One autoTune trial: the values it drew and what the validation nodes said of its best epoch; with several seeds
     * per trial, the means over its {@code runs} (null with one seed), and the epochs of its best run.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"trial", "configuration", "validationScore", "validationLoss", "trainScore", "epochs",
            "bestEpoch", "stopReason", "millis", "runs"})
    public record TrialSummary(int trial, Map<String, Object> configuration, double validationScore,
                               double validationLoss, double trainScore, int epochs, int bestEpoch, String stopReason,
                               double millis, List<TrialRun> runs) {
    }

    /** One seed's training of an autoTune trial's configuration. */
    @JsonPropertyOrder({"seed", "validationScore", "validationLoss", "trainScore", "epochs", "bestEpoch", "stopReason",
            "millis"})
    public record TrialRun(long seed, double validationScore, double validationLoss, double trainScore, int epochs,
                           int bestEpoch, String stopReason, double millis) {
    }

    /** The graph projection the model was trained on; a key absent from an older file is null. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"nodeLabels", "relationshipTypes", "orientation", "selfLoops", "dropDuplicates",
            "featureProperties", "missingFeatures", "relationshipFeatures"})
    public record Projection(List<String> nodeLabels, List<String> relationshipTypes, String orientation,
                             Boolean selfLoops, Boolean dropDuplicates, List<String> featureProperties,
                             String missingFeatures, RelationshipFeatures relationshipFeatures) {

        /** Without relationship features (as every model before them). */
        public Projection(List<String> nodeLabels, List<String> relationshipTypes, String orientation,
                          Boolean selfLoops, Boolean dropDuplicates, List<String> featureProperties,
                          String missingFeatures) {
            this(nodeLabels, relationshipTypes, orientation, selfLoops, dropDuplicates, featureProperties,
                    missingFeatures, null);
        }
    }

    /**
     * The relationship properties attention reads: the same {@code properties} for every type, or per type
     * ({@code byType}); how a missing one is filled; and, when standardised, the mean and standard deviation of
     * each column over the relationships trained on (null when not standardised).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"properties", "byType", "missing", "mean", "standardDeviation"})
    public record RelationshipFeatures(List<String> properties, Map<String, List<String>> byType, String missing,
                                       List<Double> mean, List<Double> standardDeviation) {
    }

    @JsonPropertyOrder({"train", "validation", "test"})
    public record SplitSizes(int train, int validation, int test) {
    }

    @JsonPropertyOrder({"train", "validation", "test"})
    public record Metrics(Score train, Score validation, Score test) {
    }

    /** Score (accuracy, or micro-F1 for multi-label) and loss over {@code nodes} nodes; null when there were none. */
    @JsonPropertyOrder({"score", "loss", "nodes"})
    public record Score(Double score, Double loss, Long nodes) {
    }

    /** On the test nodes: the confusion matrix (single-label only) and precision, recall and F1 per class. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"confusionMatrix", "perClass", "multiLabel"})
    public record TestReport(List<List<Long>> confusionMatrix, List<ClassMetrics> perClass, Boolean multiLabel) {
    }

    /** Precision, recall and F1 of one class, null where undefined (no predictions or no support). */
    @JsonPropertyOrder({"class", "precision", "recall", "f1", "support"})
    public record ClassMetrics(@JsonProperty("class") Object classValue, Double precision, Double recall, Double f1,
                               long support) {
    }

    /** The trainer's part: settings, history, the epoch whose weights were kept and why training stopped. */
    public static ModelMetadata ofTraining(Training training, int bestEpoch, int epochsRun, String stopReason,
                                           List<Epoch> history) {
        return new ModelMetadata(training, bestEpoch, epochsRun, stopReason, List.copyOf(history), null, null, null,
                null, null, null, null, null, null, null, null, null, null);
    }

    public ModelMetadata withAutoTune(AutoTune search) {
        return new ModelMetadata(training, bestEpoch, epochsRun, stopReason, history, search, createdAt, classes,
                labelProperty, projection, nodeCount, relationshipCount, splitSizes, device, metric, metrics,
                configuration, testReport, relationWeights, trainedNodes);
    }

    /** gat.train's part: what the model was trained on and how it scored. */
    public ModelMetadata withTrainedOn(String createdAt, List<Object> classes, String labelProperty,
                                       Projection projection, long nodeCount, long relationshipCount,
                                       SplitSizes splitSizes, String device, String metric, Metrics metrics,
                                       Map<String, Object> configuration, TestReport testReport) {
        return new ModelMetadata(training, bestEpoch, epochsRun, stopReason, history, autoTune, createdAt, classes,
                labelProperty, projection, nodeCount, relationshipCount, splitSizes, device, metric, metrics,
                configuration, testReport, relationWeights, trainedNodes);
    }

    /**
     * A typed model's weight of each relation into each node type per layer (β under semantic attention, 1 for
     * sum, 1/R for mean), as layer → node type → relation key ({@code source__name__target}) → weight.
     */
    public ModelMetadata withRelationWeights(List<Map<String, Map<String, Double>>> weights) {
        return new ModelMetadata(training, bestEpoch, epochsRun, stopReason, history, autoTune, createdAt, classes,
                labelProperty, projection, nodeCount, relationshipCount, splitSizes, device, metric, metrics,
                configuration, testReport, weights == null ? null : List.copyOf(weights), trainedNodes);
    }

    /** With the nodes, in training order, of each label that learned one input per node (featurelessNodes 'node'). */
    public ModelMetadata withTrainedNodes(Map<String, TrainedNodes> nodes) {
        return new ModelMetadata(training, bestEpoch, epochsRun, stopReason, history, autoTune, createdAt, classes,
                labelProperty, projection, nodeCount, relationshipCount, splitSizes, device, metric, metrics,
                configuration, testReport, relationWeights,
                nodes == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(nodes)));
    }

    /**
     * The element ids of a label's nodes in training order (row i of its learned input belongs to the i-th), stored
     * compactly as the prefix they share (in Neo4j 5 the database part, {@code 4:<database id>:}) and each one's rest.
     */
    @JsonPropertyOrder({"elementIdPrefix", "elementIdSuffixes"})
    public record TrainedNodes(String elementIdPrefix, List<String> elementIdSuffixes) {

        public TrainedNodes {
            elementIdPrefix = elementIdPrefix == null ? "" : elementIdPrefix;
            elementIdSuffixes = List.copyOf(elementIdSuffixes);
        }

        public static TrainedNodes of(List<String> elementIds) {
            String prefix = elementIds.isEmpty() ? "" : elementIds.get(0);
            for (String id : elementIds) {
                int common = 0;
                while (common < prefix.length() && common < id.length() && prefix.charAt(common) == id.charAt(common)) {
                    common++;
                }
                prefix = prefix.substring(0, common);
            }
            int cut = prefix.length();
            return new TrainedNodes(prefix, elementIds.stream().map(id -> id.substring(cut)).toList());
        }

        /** The element ids, row by row. */
        public List<String> elementIds() {
            return elementIdSuffixes.stream().map(rest -> elementIdPrefix + rest).toList();
        }

        public int size() {
            return elementIdSuffixes.size();
        }
    }

    /** A part of the metadata as plain values (maps, lists, Long, Double, String, Boolean), as Cypher returns it. */
    public static Object plain(Object part) {
        return part == null ? null : HeaderJson.plain(part);
    }
}
