package dev.neogat.procedures;

import dev.neogat.model.ModelMetadata;
import dev.neogat.model.StoredModel;
import dev.neogat.model.TrainedModel;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.procedures.facade.ModelRun;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** {@code gat.model.list}, {@code gat.model.info} and {@code gat.model.drop}. */
public class ModelProcedures extends ProcedureBase {

    /** One model of the catalog. */
    public static final class ModelSummary {
        public String name;
        public String variant;
        public long layers;
        public List<Object> classes;
        public String labelProperty;
        public String metric;
        public Double testAccuracy;
        public long nodeCount;
        public String createdAt;
        public long sizeBytes;
    }

    /** A model in full: its architecture, training, projection, metrics and per-epoch history. */
    public static final class ModelInfo {
        public String name;
        public Map<String, Object> model;
        public Map<String, Object> training;
        public Map<String, Object> projection;
        public List<Object> classes;
        public String labelProperty;
        public Map<String, Object> metrics;
        public List<Object> confusionMatrix;
        public List<Object> classMetrics;
        public List<Object> history;
        public long bestEpoch;
        public String stopReason;
        public Map<String, Object> configuration;
        public List<Object> trials;
        public String createdAt;
        public long sizeBytes;
    }

    /** A dropped model. */
    public static final class DropResult {
        public String name;
        public long sizeBytes;
    }

    @Procedure(name = "gat.model.list", mode = Mode.READ)
    @Description("Lists the trained models of this database with their architecture, classes and test accuracy.")
    public Stream<ModelSummary> list() {
        return catalog.names().stream().map(name -> summary(name, load(name)));
    }

    @Procedure(name = "gat.model.info", mode = Mode.READ)
    @Description("Describes a trained model: architecture, training settings, graph projection, classes, metrics on "
            + "the train/validation/test nodes, the confusion matrix (rows: actual class, columns: predicted, in the "
            + "order of classes) and per-class precision, recall and F1 on the test nodes, and the per-epoch history "
            + "of loss and accuracy; for a model trained with autoTune, every trial (its configuration, validation "
            + "score and loss, epochs and time, and with autoTune.seedsPerTrial above 1 each seed's run; empty "
            + "otherwise). For a typed model, model also holds its node types "
            + "with their input widths (nodeTypes, nodeTypeInputs), its relations, its featureless types, their "
            + "learned input (featurelessNodes: 'label' or 'node', null without featureless types) and, with 'node', "
            + "the number of trained nodes per featureless label (trainedNodes), and, with relationAggregation "
            + "'attention', the relation importances per layer and target label (relationImportance).")
    @SuppressWarnings("unchecked")
    public Stream<ModelInfo> info(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName) {
        StoredModel model = load(modelName);
        ModelMetadata meta = model.metadata();
        ModelInfo info = new ModelInfo();
        info.name = modelName;
        info.model = model instanceof TypedTrainedModel typed ? typedModel(typed) : ((TrainedModel) model).config()
                .toMap();
        info.training = (Map<String, Object>) ModelMetadata.plain(meta.training());
        info.projection = (Map<String, Object>) ModelMetadata.plain(meta.projection());
        info.classes = meta.classes();
        info.labelProperty = meta.labelProperty();
        info.metrics = (Map<String, Object>) ModelMetadata.plain(meta.metrics());
        if (meta.testReport() != null) {
            info.confusionMatrix = (List<Object>) ModelMetadata.plain(meta.testReport().confusionMatrix());
            info.classMetrics = (List<Object>) ModelMetadata.plain(meta.testReport().perClass());
        }
        info.history = (List<Object>) ModelMetadata.plain(meta.history());
        info.bestEpoch = meta.bestEpoch() == null ? 0 : meta.bestEpoch();
        info.stopReason = meta.stopReason();
        info.configuration = meta.configuration();
        // Absent from models trained without autoTune, and from every model stored before it existed.
        info.trials = meta.autoTune() == null ? List.of()
                : (List<Object>) ModelMetadata.plain(meta.autoTune().trials());
        info.createdAt = meta.createdAt();
        info.sizeBytes = size(modelName);
        return Stream.of(info);
    }

    @Procedure(name = "gat.model.drop", mode = Mode.WRITE)
    @Description("Deletes a trained model from the catalog and from disk.")
    public Stream<DropResult> drop(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName) {
        DropResult result = new DropResult();
        result.name = modelName;
        result.sizeBytes = size(modelName);
        try {
            catalog.drop(modelName);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the model '" + modelName + "': " + e.getMessage(), e);
        }
        return Stream.of(result);
    }

    private StoredModel load(String name) {
        return ModelRun.storedModel(context(), name);
    }

    /**
     * A typed model's architecture: its configuration, whether it is typed, its node types with their input widths
     * and whether each reads features or a learned input, and with relationAggregation 'attention' the relation
     * importances β per layer and target type, as the last evaluation of training gave them.
     */
    private static Map<String, Object> typedModel(TypedTrainedModel model) {
        TypedGatConfig config = model.config();
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("typed", true);
        map.putAll(config.toMap());
        // The file holds it only when set; the info names it either way.
        map.put("normalizeFeatures", config.normalizeFeatures());
        List<Map<String, Object>> types = new ArrayList<>();
        for (String type : config.nodeTypes()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("label", type);
            row.put("inputWidth", config.inputWidths().get(type));
            FeaturelessInput featureless = config.featureless().get(type);
            row.put("input", featureless == null ? "features" : "learned per " + featureless.mode().name()
                    .toLowerCase(java.util.Locale.ROOT));
            types.add(row);
        }
        map.put("nodeTypeInputs", types);
        map.put("featurelessTypes", List.copyOf(config.featureless().keySet()));
        // One featurelessNodes setting trains every featureless label, so their modes agree.
        String featurelessNodes = config.featureless().values().stream().map(input -> input.mode().key()).findFirst()
                .orElse(null);
        map.put("featurelessNodes", featurelessNodes);
        if (model.metadata().trainedNodes() != null) {
            Map<String, Object> trainedNodes = new LinkedHashMap<>();
            model.metadata().trainedNodes().forEach((type, nodes) -> trainedNodes.put(type, (long) nodes.size()));
            map.put("trainedNodes", trainedNodes);
        }
        if (config.aggregation() == RelationAggregation.ATTENTION && model.metadata().relationWeights() != null) {
            map.put("relationImportance", ModelMetadata.plain(model.metadata().relationWeights()));
        }
        return map;
    }

    private long size(String name) {
        try {
            load(name);
            return catalog.sizeBytes(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private ModelSummary summary(String name, StoredModel model) {
        ModelMetadata meta = model.metadata();
        ModelSummary summary = new ModelSummary();
        summary.name = name;
        if (model instanceof TypedTrainedModel typed) {
            summary.variant = "typed " + typed.config().variant().name().toLowerCase();
            summary.layers = typed.config().layers();
        } else {
            TrainedModel untyped = (TrainedModel) model;
            summary.variant = untyped.config().variant().name().toLowerCase();
            summary.layers = untyped.config().layerCount();
        }
        summary.classes = meta.classes();
        summary.labelProperty = meta.labelProperty();
        summary.metric = meta.metric();
        summary.testAccuracy = meta.metrics() == null || meta.metrics().test() == null ? null
                : meta.metrics().test().score();
        summary.nodeCount = meta.nodeCount() == null ? 0 : meta.nodeCount();
        summary.createdAt = meta.createdAt();
        summary.sizeBytes = size(name);
        return summary;
    }
}
