package dev.neogat.procedures;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.facade.ModelRun;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** {@code gat.attention.stream} and {@code gat.attention.write}. */
public class AttentionProcedures extends ProcedureBase {

    /**
     * The attention {@code target} gives {@code source} over one edge: the stored relationship it comes from
     * (null for a self loop the model added), the layer, the head (null when heads are averaged) and the weight.
     */
    public static final class AttentionRow {
        public Node source;
        public Node target;
        public Relationship relationship;
        public long layer;
        public Long head;
        public double weight;

        AttentionRow(Node source, Node target, Relationship relationship, long layer, Long head, double weight) {
            this.source = source;
            this.target = target;
            this.relationship = relationship;
            this.layer = layer;
            this.head = head;
            this.weight = weight;
        }
    }

    /** What gat.attention.write did. */
    public static final class AttentionWriteResult {
        public long relationshipCount;
        public long layer;
        public long propertiesWritten;
        public long loadMillis;
        public long predictMillis;
        public long writeMillis;
    }

    @Procedure(name = "gat.attention.stream", mode = Mode.READ)
    @Description("Streams the attention of a stored model over every edge of its projection as the graph is now: "
            + "per target node, the weight it gives each source, for one layer, per head or averaged over heads.")
    @SuppressWarnings("deprecation")
    public Stream<AttentionRow> stream(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "attentionLayer (0-based, default the last), "
                    + "attentionHeads ('mean' or 'all'), includeSelfLoops (default true), and projection overrides as "
                    + "for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("attentionLayer", "attentionHeads",
                "includeSelfLoops")));
        int requestedLayer = map.integer("attentionLayer", -1, -1, 63);
        boolean perHead = "all".equals(map.choice("attentionHeads", "mean", List.of("mean", "all")));
        boolean selfLoops = map.bool("includeSelfLoops", true);
        WriteBack.attentionLayer(requestedLayer, ModelRun.model(context(), modelName).config().layerCount());
        ModelRun run;
        try (Jobs.Job job = Jobs.start("attention", modelName, db.databaseName(), null)) {
            run = ModelRun.run(context(), modelName, map, new Inference.Request(true, false), job);
        }
        Prediction prediction = run.prediction();
        int layer = WriteBack.attentionLayer(requestedLayer, prediction.layerCount());
        IncomingCsr csr = run.graph().graph();
        int heads = prediction.heads(layer);
        return IntStream.range(0, csr.nodeCount()).boxed().flatMap(target -> {
            Node targetNode = tx.getNodeById(run.graph().nodes().toNeo4j(target));
            List<AttentionRow> rows = new ArrayList<>();
            for (int slot = csr.offsets()[target]; slot < csr.offsets()[target + 1]; slot++) {
                int edge = csr.originalEdge(slot);
                if (edge == IncomingCsr.ADDED_SELF_LOOP && !selfLoops) {
                    continue;
                }
                Node sourceNode = tx.getNodeById(run.graph().nodes().toNeo4j(csr.sources()[slot]));
                Relationship relationship = edge == IncomingCsr.ADDED_SELF_LOOP ? null
                        : tx.getRelationshipById(run.graph().relationshipIds()[edge]);
                if (perHead) {
                    for (int h = 0; h < heads; h++) {
                        rows.add(new AttentionRow(sourceNode, targetNode, relationship, layer, (long) h,
                                prediction.attention(layer, slot, h)));
                    }
                } else {
                    rows.add(new AttentionRow(sourceNode, targetNode, relationship, layer, null,
                            prediction.meanAttention(layer, slot)));
                }
            }
            return rows.stream();
        });
    }

    @Procedure(name = "gat.attention.write", mode = Mode.WRITE)
    @Description("Writes the attention of a stored model onto every relationship of its projection (float when heads "
            + "are averaged, float[] per head); on an undirected projection as attentionProperty (how much the end node "
            + "attends to the start node) and attentionProperty + 'Reverse', or their mean; optionally each node's "
            + "self-loop attention as selfAttentionProperty.")
    public Stream<AttentionWriteResult> write(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", description = "attentionProperty (required), selfAttentionProperty, attentionLayer, "
                    + "attentionHeads ('mean' or 'all'), attentionDirections ('separate' or 'mean'), writeBatchSize, "
                    + "and projection overrides as for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("attentionProperty", "selfAttentionProperty",
                "attentionLayer", "attentionHeads", "attentionDirections", "writeBatchSize")));
        WriteConfig write = WriteConfig.read(map);
        if (write.attentionProperty() == null) {
            throw new IllegalArgumentException("Configuration 'attentionProperty' is required: the relationship property "
                    + "for the attention weight");
        }
        WriteBack.requireLayersExist(write, ModelRun.model(context(), modelName).config().layerCount(), modelName);
        try (Jobs.Job job = Jobs.start("attention.write", modelName, db.databaseName(), null)) {
            ModelRun run = ModelRun.run(context(), modelName, map, new Inference.Request(true, false), job);
            int layer = WriteBack.attentionLayer(write.attentionLayer(), run.prediction().layerCount());
            long start = System.nanoTime();
            long written = WriteBack.write(context(), modelName, run.graph(), run.prediction(), write, run.classValues(),
                    run.projection().orientation(), run.concurrency(), job);
            AttentionWriteResult row = new AttentionWriteResult();
            row.relationshipCount = run.graph().relationshipCount();
            row.layer = layer;
            row.propertiesWritten = written;
            row.loadMillis = run.graph().loadMillis();
            row.predictMillis = run.predictMillis();
            row.writeMillis = (System.nanoTime() - start) / 1_000_000;
            return Stream.of(row);
        }
    }
}
