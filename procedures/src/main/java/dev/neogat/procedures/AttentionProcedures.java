package dev.neogat.procedures;

import dev.neogat.analysis.AttentionEntropy;
import dev.neogat.analysis.Histogram;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.RunProperties;
import dev.neogat.procedures.config.TrainKeys;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.facade.ModelRun;
import dev.neogat.procedures.facade.TypedModelRun;
import dev.neogat.procedures.load.NodeIdMap;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.PropertyWriter;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.procedures.write.WriteTally;
import dev.neogat.train.Inference;
import dev.neogat.train.Prediction;
import dev.neogat.train.TypedPrediction;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.Transaction;
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

/** {@code gat.attention.stream} and {@code gat.attention.write}. */
public class AttentionProcedures extends ProcedureBase {

    /**
     * The attention {@code target} gives {@code source} over one edge: the stored relationship it comes from
     * (null for a self loop the model added), the layer, the head (null when heads are averaged), the weight and,
     * for a typed model, the relation the edge belongs to (null for an untyped one).
     */
    public static final class AttentionRow {
        public Node source;
        public Node target;
        public Relationship relationship;
        public long layer;
        public Long head;
        public double weight;
        public String relation;

        AttentionRow(Node source, Node target, Relationship relationship, long layer, Long head, double weight,
                     String relation) {
            this.source = source;
            this.target = target;
            this.relationship = relationship;
            this.layer = layer;
            this.head = head;
            this.weight = weight;
            this.relation = relation;
        }
    }

    /** What gat.attention.write did. */
    public static final class AttentionWriteResult {
        public long relationshipCount;
        public long layer;
        public long propertiesWritten;
        public long writeRetries;
        public long loadMillis;
        public long predictMillis;
        public long writeMillis;
    }

    @Procedure(name = "gat.attention.stream", mode = Mode.READ)
    @Description("Streams the attention of a stored model over every edge of its projection as the graph is now: "
            + "per target node, the weight it gives each source, for one layer, per head or averaged over heads. With "
            + "nodes, only the attention those nodes pay (the edges into them; one set per entry, in the given order), "
            + "reading only their L-hop neighbourhood: the same weights as the full run. For a typed model, relation by "
            + "relation of the layer (the last layer attends only over the relations into the target label), each row "
            + "naming its relation, e.g. '(Author)-[rev_WRITES]->(Paper)'; relation is null for an untyped model.")
    @SuppressWarnings("deprecation")
    public Stream<AttentionRow> stream(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "attentionLayer (0-based, default the last), "
                    + "attentionHeads ('mean' or 'all'), includeSelfLoops (default true), nodes (a list of nodes or node "
                    + "ids: only the edges into those), and projection overrides as for gat.predict.stream.")
            Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("attentionLayer", "attentionHeads",
                "includeSelfLoops", "nodes")));
        int requestedLayer = TrainKeys.ATTENTION_LAYER.read(map);
        boolean perHead = WriteConfig.attentionPerHead(map, "mean");
        boolean selfLoops = map.bool("includeSelfLoops", true);
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            return typedStream(modelName, typed, map, requestedLayer, perHead, selfLoops);
        }
        WriteBack.attentionLayer(requestedLayer, ModelRun.model(context(), modelName).config().layerCount());
        ModelRun run;
        try (Jobs.Job job = Jobs.start("attention", modelName, db.databaseName(), null)) {
            run = ModelRun.run(context(), modelName, map, new Inference.Request(true, false), job);
        }
        Prediction prediction = run.prediction();
        int layer = WriteBack.attentionLayer(requestedLayer, prediction.layerCount());
        IncomingCsr csr = run.graph().graph();
        int heads = prediction.heads(layer);
        return Arrays.stream(run.rows()).boxed().flatMap(target -> {
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
                                prediction.attention(layer, slot, h), null));
                    }
                } else {
                    rows.add(new AttentionRow(sourceNode, targetNode, relationship, layer, null,
                            prediction.meanAttention(layer, slot), null));
                }
            }
            return rows.stream();
        });
    }

    /**
     * A typed model's attention: relation by relation of the layer (the last layer attends only over the relations
     * into the target label), per target node of the relation, each edge with the relation's name.
     */
    @SuppressWarnings("deprecation")
    private Stream<AttentionRow> typedStream(String modelName, TypedTrainedModel model, ConfigMap map,
                                             int requestedLayer, boolean perHead, boolean selfLoops) {
        int layer = WriteBack.attentionLayer(requestedLayer, model.config().layers());
        TypedModelRun run;
        try (Jobs.Job job = Jobs.start("attention", modelName, db.databaseName(), null)) {
            run = TypedModelRun.run(context(), modelName, model, map, new Inference.Request(true, false), null, job);
        }
        TypedPrediction prediction = run.prediction();
        int heads = prediction.heads(layer);
        return prediction.relations(layer).stream().flatMap(relation -> {
            IncomingCsr csr = prediction.graph().graph(relation);
            NodeIdMap sources = run.graph().nodes().get(relation.sourceType());
            NodeIdMap targets = run.graph().nodes().get(relation.targetType());
            float[] attention = prediction.attention(layer, relation);
            String name = relation.toString();
            return IntStream.range(0, csr.nodeCount()).boxed().flatMap(target -> {
                Node targetNode = tx.getNodeById(targets.toNeo4j(target));
                List<AttentionRow> rows = new ArrayList<>();
                for (int slot = csr.offsets()[target]; slot < csr.offsets()[target + 1]; slot++) {
                    TypedPrediction.StoredEdge stored = prediction.storedEdge(relation, slot);
                    if (stored.isSelfLoop() && !selfLoops) {
                        continue;
                    }
                    Node sourceNode = tx.getNodeById(sources.toNeo4j(csr.sources()[slot]));
                    // A rev_ relation's slots map to the declared relation's edges, whose ids the loader kept.
                    Relationship relationship = stored.isSelfLoop() ? null : tx.getRelationshipById(
                            run.graph().relationshipIds().get(stored.relation())[stored.edge()]);
                    if (perHead) {
                        for (int h = 0; h < heads; h++) {
                            rows.add(new AttentionRow(sourceNode, targetNode, relationship, layer, (long) h,
                                    attention[slot * heads + h], name));
                        }
                    } else {
                        rows.add(new AttentionRow(sourceNode, targetNode, relationship, layer, null,
                                Prediction.meanAttention(attention, slot, heads), name));
                    }
                }
                return rows.stream();
            });
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
            throw ConfigMap.missing("attentionProperty", "the relationship property for the attention weight");
        }
        WriteBack.requireLayersExist(write, ModelRun.model(context(), modelName).config().layerCount(), modelName);
        try (Jobs.Job job = Jobs.start("attention.write", modelName, db.databaseName(), null)) {
            ModelRun run = ModelRun.runAndWrite(context(), modelName, map, new Inference.Request(true, false), write,
                    job);
            int layer = WriteBack.attentionLayer(write.attentionLayer(), run.model().config().layerCount());
            WriteBack.Summary written = run.written();
            AttentionWriteResult row = new AttentionWriteResult();
            row.relationshipCount = run.graph().relationshipCount();
            row.layer = layer;
            row.propertiesWritten = written.propertiesWritten();
            row.writeRetries = written.retries();
            row.loadMillis = run.graph().loadMillis();
            row.predictMillis = run.predictMillis();
            row.writeMillis = run.writeMillis();
            return Stream.of(row);
        }
    }

    /** A node's attention entropy in one layer and head (head null: averaged over heads). */
    public static final class EntropyRow {
        public Node node;
        public long layer;
        public Long head;
        public long degree;
        public Double entropy;
        public Double uniformEntropy;
        public Double ratio;
    }

    /** One bin of an entropy histogram: nodes whose attention entropy, and whose uniform entropy, fall in it. */
    public static final class HistogramRow {
        public long layer;
        public Long head;
        public long bin;
        public double lower;
        public double upper;
        public long nodes;
        public long uniformNodes;
    }

    /** What gat.attention.entropy.write did. */
    public static final class EntropyWriteResult {
        public long nodeCount;
        public long layer;
        public long propertiesWritten;
        public long writeRetries;
        public long writeMillis;
    }

    /** An edge ranked by attention. */
    public static final class RankedEdge {
        public long rank;
        public Node source;
        public Node target;
        public Relationship relationship;
        public double weight;

        RankedEdge(long rank, Node source, Node target, Relationship relationship, double weight) {
            this.rank = rank;
            this.source = source;
            this.target = target;
            this.relationship = relationship;
            this.weight = weight;
        }
    }

    @Procedure(name = "gat.attention.entropy.stream", mode = Mode.READ)
    @Description("Streams, per node, layer and head, how concentrated its incoming attention is: the entropy of the "
            + "attention over its incoming edges (self loop included), ln(degree) which uniform attention would have, "
            + "and their ratio (1: uniform, towards 0: focused; null below two incoming edges).")
    public Stream<EntropyRow> entropyStream(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "attentionLayer (0-based; default every layer), "
                    + "attentionHeads ('all', the default, or 'mean'), and projection overrides as for "
                    + "gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("attentionLayer", "attentionHeads")));
        int requested = TrainKeys.ATTENTION_LAYER.read(map);
        boolean perHead = WriteConfig.attentionPerHead(map, "all");
        AttentionAnalysis analysis = analyse(modelName, map, requested, true);
        List<EntropyRow> rows = new ArrayList<>();
        for (int layer : analysis.layers()) {
            AttentionEntropy entropy = analysis.entropy(layer);
            for (int i = 0; i < entropy.nodeCount(); i++) {
                Node node = analysis.node(tx, i);
                for (int h = 0; h < (perHead ? entropy.heads() : 1); h++) {
                    EntropyRow row = new EntropyRow();
                    row.node = node;
                    row.layer = layer;
                    row.head = perHead ? (long) h : null;
                    row.degree = entropy.degree(i);
                    row.entropy = finite(perHead ? entropy.entropy(i, h) : entropy.meanEntropy(i));
                    row.uniformEntropy = finite(entropy.uniformEntropy(i));
                    row.ratio = row.entropy == null || row.degree < 2 ? null : row.entropy / entropy.uniformEntropy(i);
                    rows.add(row);
                }
            }
        }
        return rows.stream();
    }

    @Procedure(name = "gat.attention.entropy.write", mode = Mode.WRITE)
    @Description("Writes each node's attention entropy in one layer to entropyProperty (averaged over heads, or a "
            + "float[] per head), ln(degree) to entropyProperty + 'Uniform' and their ratio to entropyProperty + "
            + "'Ratio'.")
    public Stream<EntropyWriteResult> entropyWrite(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", description = "entropyProperty (required), attentionLayer (default the last), "
                    + "attentionHeads ('mean' or 'all'), writeBatchSize, and projection overrides as for "
                    + "gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("entropyProperty", "attentionLayer",
                "attentionHeads", "writeBatchSize")));
        String property = map.requiredString("entropyProperty", "the node property for the attention entropy");
        int requested = TrainKeys.ATTENTION_LAYER.read(map);
        boolean perHead = WriteConfig.attentionPerHead(map, "mean");
        int batchSize = WriteConfig.batchSize(map);
        List<RunProperties.Named> outputs = List.of(new RunProperties.Named("entropyProperty", property),
                new RunProperties.Named("entropyProperty + Uniform", property + "Uniform"),
                new RunProperties.Named("entropyProperty + Ratio", property + "Ratio"));
        AttentionAnalysis analysis = analyse(modelName, map, requested, false, outputs);
        int layer = analysis.layers().get(0);
        AttentionEntropy entropy = analysis.entropy(layer);
        List<PropertyWriter.Column> columns = List.of(
                PropertyWriter.column(property, i -> {
                    if (!perHead) {
                        return finite(entropy.meanEntropy(i));
                    }
                    double[] values = new double[entropy.heads()];
                    for (int h = 0; h < values.length; h++) {
                        values[h] = entropy.entropy(i, h);
                    }
                    return entropy.degree(i) == 0 ? null : values;
                }),
                PropertyWriter.column(property + "Uniform", i -> finite(entropy.uniformEntropy(i))),
                PropertyWriter.column(property + "Ratio", i -> entropy.degree(i) < 2 ? null
                        : entropy.meanEntropy(i) / entropy.uniformEntropy(i)));
        long start = System.nanoTime();
        WriteTally tally = new WriteTally();
        tally.expect("nodes", columns);
        try (Jobs.Job job = Jobs.start("attention.entropy.write", modelName, db.databaseName(), null)) {
            String phase = "writing node properties";
            job.phase(phase);
            PropertyWriter.writeNodes(db, entropy.nodeCount(), (writeTx, i) -> analysis.node(writeTx, i), columns,
                    batchSize, analysis.run().concurrency(), guard, tally,
                    WriteBack.progress(job, phase, 3L * entropy.nodeCount(), log, modelName));
        }
        EntropyWriteResult row = new EntropyWriteResult();
        row.nodeCount = entropy.nodeCount();
        row.layer = layer;
        row.propertiesWritten = tally.propertiesWritten();
        row.writeRetries = tally.retries();
        row.writeMillis = (System.nanoTime() - start) / 1_000_000;
        return Stream.of(row);
    }

    @Procedure(name = "gat.attention.histogram", mode = Mode.READ)
    @Description("Histograms of the nodes' attention entropy per layer and head, next to the histogram of ln(degree), "
            + "the entropy uniform attention would have, as in the GAT papers' analysis of how far attention is from "
            + "uniform. Bins: a number of equal bins from 0 to the largest ln(degree), or explicit boundaries.")
    public Stream<HistogramRow> histogram(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "bins (default 20) or binBoundaries (a list of "
                    + "increasing numbers), attentionLayer (default every layer), attentionHeads ('all', the default, "
                    + "or 'mean'), and projection overrides as for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("bins", "binBoundaries", "attentionLayer",
                "attentionHeads")));
        if (map.has("bins") && map.has("binBoundaries")) {
            throw new IllegalArgumentException("Give either 'bins' or 'binBoundaries', not both");
        }
        int bins = map.integer("bins", 20, 1, 10_000);
        List<Double> boundaries = map.numbers("binBoundaries");
        int requested = TrainKeys.ATTENTION_LAYER.read(map);
        boolean perHead = WriteConfig.attentionPerHead(map, "all");
        AttentionAnalysis analysis = analyse(modelName, map, requested, true);
        List<HistogramRow> rows = new ArrayList<>();
        for (int layer : analysis.layers()) {
            AttentionEntropy entropy = analysis.entropy(layer);
            double maxUniform = 0;
            for (int i = 0; i < entropy.nodeCount(); i++) {
                if (entropy.degree(i) > 0) {
                    maxUniform = Math.max(maxUniform, entropy.uniformEntropy(i));
                }
            }
            for (int h = 0; h < (perHead ? entropy.heads() : 1); h++) {
                Histogram attention = histogram(boundaries, bins, maxUniform);
                Histogram uniform = histogram(boundaries, bins, maxUniform);
                for (int i = 0; i < entropy.nodeCount(); i++) {
                    attention.add(perHead ? entropy.entropy(i, h) : entropy.meanEntropy(i));
                    uniform.add(entropy.uniformEntropy(i));
                }
                for (int b = 0; b < attention.bins(); b++) {
                    HistogramRow row = new HistogramRow();
                    row.layer = layer;
                    row.head = perHead ? (long) h : null;
                    row.bin = b;
                    row.lower = attention.lower(b);
                    row.upper = attention.upper(b);
                    row.nodes = attention.count(b);
                    row.uniformNodes = uniform.count(b);
                    rows.add(row);
                }
            }
        }
        return rows.stream();
    }

    private static Histogram histogram(List<Double> boundaries, int bins, double maxUniform) {
        if (boundaries != null) {
            return new Histogram(boundaries.stream().mapToDouble(Double::doubleValue).toArray());
        }
        return Histogram.equalWidth(0, maxUniform, bins);
    }

    @Procedure(name = "gat.attention.neighbours", mode = Mode.READ)
    @Description("The neighbours a node attends to most in one layer: its incoming edges ranked by attention (heads "
            + "averaged), with the stored relationship each comes from (null for the self loop). Reads only the "
            + "node's L-hop neighbourhood, which gives the same weights as the full run.")
    public Stream<RankedEdge> neighbours(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "node", description = "A node of the model's projection.") Node node,
            @Name(value = "config", defaultValue = "{}", description = "k (default 10), attentionLayer (default the "
                    + "last), includeSelfLoops (default true), and projection overrides as for gat.predict.stream.")
            Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("k", "attentionLayer", "includeSelfLoops")));
        int k = map.integer("k", 10, 1, 1_000_000);
        int requested = TrainKeys.ATTENTION_LAYER.read(map);
        boolean selfLoops = map.bool("includeSelfLoops", true);
        if (node == null) {
            throw new IllegalArgumentException("The node must not be null");
        }
        int layerCount = ModelRun.model(context(), modelName).config().layerCount();
        AttentionAnalysis analysis;
        try (Jobs.Job job = Jobs.start("attention analysis", modelName, db.databaseName(), null)) {
            // Only the node's neighbourhood: its incoming attention in any layer is the full run's.
            ModelRun run = ModelRun.run(context(), modelName, map, List.of(ConfigMap.nodeId(node, "The node")),
                    i -> "The node", new Inference.Request(true, false), job, orientation -> List.of());
            analysis = new AttentionAnalysis(run, List.of(WriteBack.attentionLayer(requested, layerCount)));
        }
        int target = analysis.run().rows()[0];
        int layer = analysis.layers().get(0);
        IncomingCsr csr = analysis.run().graph().graph();
        List<int[]> slots = new ArrayList<>();
        for (int slot = csr.offsets()[target]; slot < csr.offsets()[target + 1]; slot++) {
            if (selfLoops || csr.originalEdge(slot) != IncomingCsr.ADDED_SELF_LOOP) {
                slots.add(new int[]{slot});
            }
        }
        Prediction prediction = analysis.run().prediction();
        slots.sort((a, b) -> Float.compare(prediction.meanAttention(layer, b[0]), prediction.meanAttention(layer, a[0])));
        List<RankedEdge> rows = new ArrayList<>();
        for (int r = 0; r < Math.min(k, slots.size()); r++) {
            int slot = slots.get(r)[0];
            rows.add(analysis.edge(tx, r + 1, slot, csr.sources()[slot], target, prediction.meanAttention(layer, slot)));
        }
        return rows.stream();
    }

    @Procedure(name = "gat.attention.extremes", mode = Mode.READ)
    @Description("The edges of the whole projection with the highest (or lowest) attention in one layer, heads "
            + "averaged: which neighbour mattered most anywhere in the graph.")
    public Stream<RankedEdge> extremes(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "k (default 10), order ('highest', the default, "
                    + "or 'lowest'), attentionLayer (default the last), includeSelfLoops (default false), and projection "
                    + "overrides as for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("k", "order", "attentionLayer", "includeSelfLoops")));
        int k = map.integer("k", 10, 1, 1_000_000);
        boolean highest = "highest".equals(map.choice("order", "highest", List.of("highest", "lowest")));
        int requested = TrainKeys.ATTENTION_LAYER.read(map);
        boolean selfLoops = map.bool("includeSelfLoops", false);
        AttentionAnalysis analysis = analyse(modelName, map, requested, false);
        int layer = analysis.layers().get(0);
        IncomingCsr csr = analysis.run().graph().graph();
        Prediction prediction = analysis.run().prediction();
        // A bounded heap of slots: the weakest of the current best k on top.
        java.util.PriorityQueue<Integer> best = new java.util.PriorityQueue<>((a, b) -> highest
                ? Float.compare(prediction.meanAttention(layer, a), prediction.meanAttention(layer, b))
                : Float.compare(prediction.meanAttention(layer, b), prediction.meanAttention(layer, a)));
        for (int slot = 0; slot < csr.slotCount(); slot++) {
            if (!selfLoops && csr.originalEdge(slot) == IncomingCsr.ADDED_SELF_LOOP) {
                continue;
            }
            best.add(slot);
            if (best.size() > k) {
                best.poll();
            }
        }
        List<Integer> ordered = new ArrayList<>(best);
        ordered.sort((a, b) -> highest
                ? Float.compare(prediction.meanAttention(layer, b), prediction.meanAttention(layer, a))
                : Float.compare(prediction.meanAttention(layer, a), prediction.meanAttention(layer, b)));
        List<RankedEdge> rows = new ArrayList<>();
        for (int r = 0; r < ordered.size(); r++) {
            int slot = ordered.get(r);
            rows.add(analysis.edge(tx, r + 1, slot, csr.sources()[slot], csr.targetOf(slot),
                    prediction.meanAttention(layer, slot)));
        }
        return rows.stream();
    }

    /** Runs the model with attention and checks the requested layer (-1: every layer when allowed, else the last). */
    private AttentionAnalysis analyse(String modelName, ConfigMap map, int requestedLayer, boolean everyLayerByDefault) {
        return analyse(modelName, map, requestedLayer, everyLayerByDefault, List.of());
    }

    /** As above, for a procedure that will write {@code outputs}: checked against the model's inputs first. */
    private AttentionAnalysis analyse(String modelName, ConfigMap map, int requestedLayer, boolean everyLayerByDefault,
                                      List<RunProperties.Named> outputs) {
        int layerCount = ModelRun.model(context(), modelName).config().layerCount();
        List<Integer> layers;
        if (requestedLayer < 0 && everyLayerByDefault) {
            layers = java.util.stream.IntStream.range(0, layerCount).boxed().toList();
        } else {
            layers = List.of(WriteBack.attentionLayer(requestedLayer, layerCount));
        }
        try (Jobs.Job job = Jobs.start("attention analysis", modelName, db.databaseName(), null)) {
            return new AttentionAnalysis(ModelRun.run(context(), modelName, map, new Inference.Request(true, false), job,
                    orientation -> outputs), layers);
        }
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    /** A model run with attention, and the layers a request asked about. */
    private record AttentionAnalysis(ModelRun run, List<Integer> layers) {

        AttentionEntropy entropy(int layer) {
            Prediction prediction = run.prediction();
            return AttentionEntropy.of(run.graph().graph(), prediction.attention(layer), prediction.heads(layer));
        }

        @SuppressWarnings("deprecation")
        Node node(Transaction transaction, int dense) {
            return transaction.getNodeById(run.graph().nodes().toNeo4j(dense));
        }

        @SuppressWarnings("deprecation")
        RankedEdge edge(Transaction transaction, long rank, int slot, int source, int target, double weight) {
            int original = run.graph().graph().originalEdge(slot);
            Relationship relationship = original == IncomingCsr.ADDED_SELF_LOOP ? null
                    : transaction.getRelationshipById(run.graph().relationshipIds()[original]);
            return new RankedEdge(rank, node(transaction, source), node(transaction, target), relationship, weight);
        }
    }
}
