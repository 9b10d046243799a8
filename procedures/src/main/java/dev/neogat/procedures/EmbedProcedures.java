package dev.neogat.procedures;

import dev.neogat.analysis.Pca;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.TrainKeys;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.facade.ModelRun;
import dev.neogat.procedures.facade.TypedModelRun;
import dev.neogat.procedures.load.NodeIdMap;
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.train.Inference;
import org.neo4j.graphdb.Node;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** {@code gat.embed.stream} and {@code gat.embed.write}. */
public class EmbedProcedures extends ProcedureBase {

    /** A node's hidden-layer embedding. */
    public static final class EmbeddingRow {
        public Node node;
        public long layer;
        public List<Double> embedding;

        EmbeddingRow(Node node, long layer, List<Double> embedding) {
            this.node = node;
            this.layer = layer;
            this.embedding = embedding;
        }
    }

    /** What gat.embed.write did. */
    public static final class EmbeddingWriteResult {
        public long nodeCount;
        public long layer;
        public long dimension;
        public long propertiesWritten;
        public long writeRetries;
        public long loadMillis;
        public long predictMillis;
        public long writeMillis;
    }

    @Procedure(name = "gat.embed.stream", mode = Mode.READ)
    @Description("Streams each node's embedding from a hidden layer of a stored model (the layer's output after ELU, "
            + "heads concatenated or averaged as in the model), or with pcaDimensions its projection onto the leading "
            + "principal components, e.g. 2 for a scatter plot. With nodes, only for those nodes (one row per entry, in "
            + "the given order), reading only their L-hop neighbourhood: the same embeddings as the full run. A typed "
            + "model streams every node of each of its labels (with pcaDimensions, projected onto the principal "
            + "components of all of them together); with nodes, those of them, of any of its labels.")
    @SuppressWarnings("deprecation")
    public Stream<EmbeddingRow> stream(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "embeddingLayer (0-based hidden layer, default "
                    + "the last), pcaDimensions (reduce to that many principal components of every node's embedding), "
                    + "nodes (a list of nodes or node ids: only those; not with pcaDimensions), and projection overrides "
                    + "as for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("embeddingLayer", "pcaDimensions", "nodes")));
        int requested = TrainKeys.EMBEDDING_LAYER.read(map);
        int pcaDimensions = map.integer("pcaDimensions", 0, 0, 4096);
        if (pcaDimensions > 0 && map.has("nodes")) {
            throw new IllegalArgumentException("Give either 'pcaDimensions' or 'nodes', not both: the principal "
                    + "components are those of every node's embedding, which a run over given nodes does not compute");
        }
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            return typedStream(modelName, typed, map, requested, pcaDimensions);
        }
        WriteBack.embeddingLayer(requested, ModelRun.model(context(), modelName).config().layerCount(), modelName);
        ModelRun run;
        try (Jobs.Job job = Jobs.start("embed", modelName, db.databaseName(), null)) {
            run = ModelRun.run(context(), modelName, map, new Inference.Request(false, true), job);
        }
        int layer = WriteBack.embeddingLayer(requested, run.prediction().layerCount(), modelName);
        int width = run.prediction().embeddingWidth(layer);
        float[] embeddings = run.prediction().embeddings(layer);
        int n = run.graph().nodeCount();
        if (pcaDimensions > 0) {
            if (pcaDimensions > width) {
                throw new IllegalArgumentException("pcaDimensions " + pcaDimensions + " exceeds the embedding width "
                        + width);
            }
            double[] reduced = Pca.project(embeddings, n, width, pcaDimensions);
            return IntStream.range(0, n).mapToObj(i -> new EmbeddingRow(tx.getNodeById(run.graph().nodes().toNeo4j(i)),
                    layer, PredictProcedures.boxed(Arrays.copyOfRange(reduced, i * pcaDimensions,
                    (i + 1) * pcaDimensions))));
        }
        return Arrays.stream(run.rows()).mapToObj(i -> new EmbeddingRow(
                tx.getNodeById(run.graph().nodes().toNeo4j(i)), layer,
                PredictProcedures.boxed(embeddings, i * width, (i + 1) * width)));
    }

    /**
     * A typed model's hidden embeddings: every node of every label, label by label in the model's order; with
     * {@code nodes}, the given ones (of any label) in the given order.
     */
    @SuppressWarnings("deprecation")
    private Stream<EmbeddingRow> typedStream(String modelName, TypedTrainedModel model, ConfigMap map, int requested,
                                             int pcaDimensions) {
        int layer = WriteBack.embeddingLayer(requested, model.config().layers(), modelName);
        List<Long> given = map.nodeIds("nodes");
        TypedModelRun run;
        try (Jobs.Job job = Jobs.start("embed", modelName, db.databaseName(), null)) {
            Inference.Request request = new Inference.Request(false, true);
            run = given == null ? TypedModelRun.run(context(), modelName, model, map, request, null, job)
                    : TypedModelRun.runAround(context(), modelName, model, map, new TypedModelRun.Given(given,
                            i -> "Configuration 'nodes' entry " + i, model.config().nodeTypes(), ""), request, job);
        }
        int width = run.prediction().embeddingWidth(layer);
        if (given != null) {
            return given.stream().map(id -> {
                TypedLoadedGraph.Located node = run.locate(id);
                float[] embeddings = run.prediction().embeddings(layer, node.type());
                return new EmbeddingRow(tx.getNodeById(id), layer, PredictProcedures.boxed(embeddings,
                        node.index() * width, (node.index() + 1) * width));
            });
        }
        if (pcaDimensions > 0) {
            return typedPrincipalComponents(run, layer, width, pcaDimensions);
        }
        return model.config().nodeTypes().stream().flatMap(type -> {
            NodeIdMap nodes = run.graph().nodes().get(type);
            float[] embeddings = run.prediction().embeddings(layer, type);
            return IntStream.range(0, nodes.size()).mapToObj(i -> new EmbeddingRow(tx.getNodeById(nodes.toNeo4j(i)),
                    layer, PredictProcedures.boxed(embeddings, i * width, (i + 1) * width)));
        });
    }

    /**
     * Every node's embedding (each label's nodes in turn, as the stream gives them) projected onto the leading
     * principal components of all of them together: the labels share a layer's width, and one space lets a plot
     * show them side by side.
     */
    @SuppressWarnings("deprecation")
    private Stream<EmbeddingRow> typedPrincipalComponents(TypedModelRun run, int layer, int width, int pcaDimensions) {
        if (pcaDimensions > width) {
            throw new IllegalArgumentException("pcaDimensions " + pcaDimensions + " exceeds the embedding width "
                    + width);
        }
        List<String> types = run.model().config().nodeTypes();
        int total = types.stream().mapToInt(type -> run.graph().nodes().get(type).size()).sum();
        float[] all = new float[Math.multiplyExact(total, width)];
        long[] ids = new long[total];
        int row = 0;
        for (String type : types) {
            NodeIdMap nodes = run.graph().nodes().get(type);
            System.arraycopy(run.prediction().embeddings(layer, type), 0, all, row * width, nodes.size() * width);
            for (int i = 0; i < nodes.size(); i++) {
                ids[row + i] = nodes.toNeo4j(i);
            }
            row += nodes.size();
        }
        double[] reduced = Pca.project(all, total, width, pcaDimensions);
        return IntStream.range(0, total).mapToObj(i -> new EmbeddingRow(tx.getNodeById(ids[i]), layer,
                PredictProcedures.boxed(Arrays.copyOfRange(reduced, i * pcaDimensions, (i + 1) * pcaDimensions))));
    }

    @Procedure(name = "gat.embed.write", mode = Mode.WRITE)
    @Description("Writes each node's embedding from a hidden layer of a stored model to embeddingProperty (float[]): "
            + "the embeddings gat.embed.stream gives; for a typed model on every projected node of each of its labels.")
    public Stream<EmbeddingWriteResult> write(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", description = "embeddingProperty (required), embeddingLayer, writeBatchSize, and "
                    + "projection overrides as for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("embeddingProperty", "embeddingLayer",
                "writeBatchSize")));
        WriteConfig write = WriteConfig.read(map);
        if (write.embeddingProperty() == null) {
            throw ConfigMap.missing("embeddingProperty", "the node property for the embedding");
        }
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            return Stream.of(typedWrite(modelName, typed, map, write));
        }
        WriteBack.requireLayersExist(write, ModelRun.model(context(), modelName).config().layerCount(), modelName);
        try (Jobs.Job job = Jobs.start("embed.write", modelName, db.databaseName(), null)) {
            ModelRun run = ModelRun.runAndWrite(context(), modelName, map, new Inference.Request(false, true), write,
                    job);
            int layer = WriteBack.embeddingLayer(write.embeddingLayer(), run.model().config().layerCount(), modelName);
            WriteBack.Summary written = run.written();
            EmbeddingWriteResult row = new EmbeddingWriteResult();
            row.nodeCount = run.graph().nodeCount();
            row.layer = layer;
            row.dimension = run.model().config().outputDim(layer);
            row.propertiesWritten = written.propertiesWritten();
            row.writeRetries = written.retries();
            row.loadMillis = run.graph().loadMillis();
            row.predictMillis = run.predictMillis();
            row.writeMillis = run.writeMillis();
            return Stream.of(row);
        }
    }

    /** A typed model's hidden embeddings written on every node of each of its labels, as typedStream gives them. */
    private EmbeddingWriteResult typedWrite(String modelName, TypedTrainedModel model, ConfigMap map,
                                            WriteConfig write) {
        int layer = WriteBack.embeddingLayer(write.embeddingLayer(), model.config().layers(), modelName);
        try (Jobs.Job job = Jobs.start("embed.write", modelName, db.databaseName(), null)) {
            TypedModelRun run = TypedModelRun.run(context(), modelName, model, map,
                    new Inference.Request(false, true), write, job);
            EmbeddingWriteResult row = new EmbeddingWriteResult();
            row.nodeCount = run.graph().nodeCount();
            row.layer = layer;
            row.dimension = run.prediction().embeddingWidth(layer);
            row.propertiesWritten = run.written().propertiesWritten();
            row.writeRetries = run.written().retries();
            row.loadMillis = run.graph().loadMillis();
            row.predictMillis = run.predictMillis();
            row.writeMillis = run.writeMillis();
            return row;
        }
    }
}
