package dev.neogat.procedures;

import dev.neogat.model.TypedTrainedModel;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.facade.ModelRun;
import dev.neogat.procedures.facade.TypedModelRun;
import dev.neogat.procedures.load.NodeIdMap;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import dev.neogat.train.TypedPrediction;
import org.neo4j.graphdb.Node;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** {@code gat.predict.stream} and {@code gat.predict.write}. */
public class PredictProcedures extends ProcedureBase {

    /** A node's prediction. */
    public static final class PredictionRow {
        public Node node;
        public Object predictedClass;
        public List<Double> probabilities;

        PredictionRow(Node node, Object predictedClass, List<Double> probabilities) {
            this.node = node;
            this.predictedClass = predictedClass;
            this.probabilities = probabilities;
        }
    }

    /** What gat.predict.write did. */
    public static final class PredictWriteResult {
        public long nodeCount;
        public long propertiesWritten;
        public long writeRetries;
        public List<Object> classes;
        public long loadMillis;
        public long predictMillis;
        public long writeMillis;
    }

    @Procedure(name = "gat.predict.stream", mode = Mode.READ)
    @Description("Streams the class a stored model predicts for each node of its projection as the graph is now, "
            + "including nodes added after training; with includeProbabilities, the class probabilities too. With "
            + "nodes, only for those nodes (one row per entry, in the given order, a duplicate once per time given), "
            + "reading only their L-hop neighbourhood: the same result as the full run for them. A typed model "
            + "predicts the nodes of its target label (layer by layer within memoryBudget as an untyped one); with "
            + "nodes, those of them.")
    @SuppressWarnings("deprecation")
    public Stream<PredictionRow> stream(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "Projection overrides (nodeLabels, "
                    + "relationshipTypes, orientation, featureProperties, ...; default: as in training), "
                    + "nodes (a list of nodes or node ids of the projection: predict only those), includeProbabilities, "
                    + "concurrency, device, memoryBudget (heap the inference may take, e.g. '1GiB' or bytes; default half "
                    + "the free heap; when full-batch inference needs more, the model runs layer by layer in chunks "
                    + "within it, with the same results).") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("nodes", "includeProbabilities")));
        boolean includeProbabilities = map.bool("includeProbabilities", false);
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            List<Long> given = map.nodeIds("nodes");
            String target = typed.config().targetType();
            TypedModelRun run;
            try (Jobs.Job job = Jobs.start("predict", modelName, db.databaseName(), null)) {
                run = given == null
                        ? TypedModelRun.run(context(), modelName, typed, map, Inference.Request.LOGITS_ONLY, null, job)
                        : TypedModelRun.runAround(context(), modelName, typed, map, new TypedModelRun.Given(given,
                                i -> "Configuration 'nodes' entry " + i, List.of(target), "the typed model '"
                                + modelName + "' predicts nodes of its target label '" + target + "' only"),
                                Inference.Request.LOGITS_ONLY, job);
            }
            TypedPrediction prediction = run.prediction();
            List<Object> classes = run.classValues();
            NodeIdMap nodes = run.graph().targetNodes();
            IntStream rows = given == null ? IntStream.range(0, nodes.size())
                    : given.stream().mapToInt(id -> nodes.toDense(id));
            return rows.mapToObj(i -> new PredictionRow(
                    tx.getNodeById(nodes.toNeo4j(i)), asCypherValue(classes.get(prediction.predictedClass(i))),
                    includeProbabilities ? boxed(prediction.probabilities(i)) : null));
        }
        ModelRun run;
        try (Jobs.Job job = Jobs.start("predict", modelName, db.databaseName(), null)) {
            run = ModelRun.run(context(), modelName, map, Inference.Request.LOGITS_ONLY, job);
        }
        Prediction prediction = run.prediction();
        List<Object> classes = run.classValues();
        boolean multiLabel = run.model().config().multiLabel();
        return Arrays.stream(run.rows()).mapToObj(i -> new PredictionRow(
                tx.getNodeById(run.graph().nodes().toNeo4j(i)),
                asCypherValue(WriteBack.predictedValue(prediction, i, classes, multiLabel)),
                includeProbabilities ? boxed(prediction.probabilities(i)) : null));
    }

    @Procedure(name = "gat.predict.write", mode = Mode.WRITE)
    @Description("Writes the class a stored model predicts for each node of its projection to writeProperty (as the "
            + "label values used in training) and, with probabilityProperty, the class probabilities; for a typed "
            + "model, on the nodes of its target label.")
    public Stream<PredictWriteResult> write(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", description = "writeProperty (required), probabilityProperty, writeBatchSize, and "
                    + "projection overrides as for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("writeProperty", "probabilityProperty",
                "writeBatchSize")));
        WriteConfig write = WriteConfig.read(map);
        if (write.writeProperty() == null) {
            throw ConfigMap.missing("writeProperty", "the node property for the predicted class");
        }
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            try (Jobs.Job job = Jobs.start("predict.write", modelName, db.databaseName(), null)) {
                TypedModelRun run = TypedModelRun.run(context(), modelName, typed, map,
                        Inference.Request.LOGITS_ONLY, write, job);
                PredictWriteResult row = new PredictWriteResult();
                row.nodeCount = run.graph().targetNodes().size();
                row.propertiesWritten = run.written().propertiesWritten();
                row.writeRetries = run.written().retries();
                row.classes = run.classValues();
                row.loadMillis = run.graph().loadMillis();
                row.predictMillis = run.predictMillis();
                row.writeMillis = run.writeMillis();
                return Stream.of(row);
            }
        }
        try (Jobs.Job job = Jobs.start("predict.write", modelName, db.databaseName(), null)) {
            ModelRun run = ModelRun.runAndWrite(context(), modelName, map, Inference.Request.LOGITS_ONLY, write, job);
            WriteBack.Summary written = run.written();
            PredictWriteResult row = new PredictWriteResult();
            row.nodeCount = run.graph().nodeCount();
            row.propertiesWritten = written.propertiesWritten();
            row.writeRetries = written.retries();
            row.classes = run.classValues();
            row.loadMillis = run.graph().loadMillis();
            row.predictMillis = run.predictMillis();
            row.writeMillis = run.writeMillis();
            return Stream.of(row);
        }
    }

    static List<Double> boxed(double[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return list;
    }

    static List<Double> boxed(float[] values, int from, int to) {
        List<Double> list = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            list.add((double) values[i]);
        }
        return list;
    }

    /** Arrays as lists, for Cypher. */
    static Object asCypherValue(Object value) {
        if (value instanceof long[] longs) {
            return Arrays.stream(longs).boxed().toList();
        }
        if (value instanceof String[] strings) {
            return List.of(strings);
        }
        if (value instanceof double[] doubles) {
            return boxed(doubles);
        }
        return value;
    }
}
