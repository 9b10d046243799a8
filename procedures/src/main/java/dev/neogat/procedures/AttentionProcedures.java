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
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.PropertyWriter;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.procedures.write.WriteTally;
import dev.neogat.spec.Relation;
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
            + "naming its relation, e.g. '(Author)-[rev_WRITES]->(Paper)'; with nodes, each given node's edges of "
            + "the relations into its label (nodes of a label the layer attends into); relation is null for an "
            + "untyped model.")
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
        List<Long> given = map.nodeIds("nodes");
        TypedModelRun run;
        try (Jobs.Job job = Jobs.start("attention", modelName, db.databaseName(), null)) {
            Inference.Request request = new Inference.Request(true, false);
            run = given == null ? TypedModelRun.run(context(), modelName, model, map, request, null, job)
                    : TypedModelRun.runAround(context(), modelName, model, map, new TypedModelRun.Given(given,
                            i -> "Configuration 'nodes' entry " + i, attendedLabels(model, layer),
                            "layer " + layer + " of the typed model '" + modelName + "' attends over relations into "
                                    + attendedLabels(model, layer) + " only"), request, job);
        }
        TypedPrediction prediction = run.prediction();
        if (given != null) {
            // The given nodes in order, each with its incoming edges of the layer's relations into its label.
            return given.stream().flatMap(id -> {
                TypedLoadedGraph.Located node = run.locate(id);
                return prediction.relations(layer).stream()
                        .filter(relation -> relation.targetType().equals(node.type()))
                        .flatMap(relation -> typedRows(run, layer, relation, node.index(), perHead, selfLoops));
            });
        }
        return prediction.relations(layer).stream().flatMap(relation -> IntStream.range(0,
                prediction.graph().graph(relation).nodeCount()).boxed()
                .flatMap(target -> typedRows(run, layer, relation, target, perHead, selfLoops)));
    }

    /** The labels that relations of a typed model's layer point into: those whose nodes pay attention there. */
    private static List<String> attendedLabels(TypedTrainedModel model, int layer) {
        return model.config().layer(layer).activeRelations().stream().map(Relation::targetType).distinct().toList();
    }

    /** The attention node {@code target} of a relation's target label pays over that relation's edges into it. */
    @SuppressWarnings("deprecation")
    private Stream<AttentionRow> typedRows(TypedModelRun run, int layer, Relation relation, int target,
                                           boolean perHead, boolean selfLoops) {
        TypedPrediction prediction = run.prediction();
        int heads = prediction.heads(layer);
        IncomingCsr csr = prediction.graph().graph(relation);
        NodeIdMap sources = run.graph().nodes().get(relation.sourceType());
        NodeIdMap targets = run.graph().nodes().get(relation.targetType());
        float[] attention = prediction.attention(layer, relation);
        String name = relation.toString();
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
    }

    @Procedure(name = "gat.attention.write", mode = Mode.WRITE)
    @Description("Writes the attention of a stored model onto every relationship of its projection (float when heads "
            + "are averaged, float[] per head); on an undirected projection as attentionProperty (how much the end node "
            + "attends to the start node) and attentionProperty + 'Reverse', or their mean; optionally each node's "
            + "self-loop attention as selfAttentionProperty. For a typed model, every relation's attention on its "
            + "relationships; a direction the layer does not attend over (at the last layer: one not into the target "
            + "label) is not written, and the self attention is the mean over the relations within the node's label.")
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
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            WriteBack.requireLayersExist(write, typed.config().layers(), modelName);
            try (Jobs.Job job = Jobs.start("attention.write", modelName, db.databaseName(), null)) {
                TypedModelRun run = TypedModelRun.run(context(), modelName, typed, map,
                        new Inference.Request(true, false), write, job);
                return Stream.of(writeResult(run.graph().relationshipCount(),
                        WriteBack.attentionLayer(write.attentionLayer(), typed.config().layers()), run.written(),
                        run.graph().loadMillis(), run.predictMillis(), run.writeMillis()));
            }
        }
        WriteBack.requireLayersExist(write, ModelRun.model(context(), modelName).config().layerCount(), modelName);
        try (Jobs.Job job = Jobs.start("attention.write", modelName, db.databaseName(), null)) {
            ModelRun run = ModelRun.runAndWrite(context(), modelName, map, new Inference.Request(true, false), write,
                    job);
            int layer = WriteBack.attentionLayer(write.attentionLayer(), run.model().config().layerCount());
            return Stream.of(writeResult(run.graph().relationshipCount(), layer, run.written(),
                    run.graph().loadMillis(), run.predictMillis(), run.writeMillis()));
        }
    }

    private static AttentionWriteResult writeResult(long relationshipCount, int layer, WriteBack.Summary written,
                                                    long loadMillis, long predictMillis, long writeMillis) {
        AttentionWriteResult row = new AttentionWriteResult();
        row.relationshipCount = relationshipCount;
        row.layer = layer;
        row.propertiesWritten = written.propertiesWritten();
        row.writeRetries = written.retries();
        row.loadMillis = loadMillis;
        row.predictMillis = predictMillis;
        row.writeMillis = writeMillis;
        return row;
    }

    /**
     * A node's attention entropy in one layer and head (head null: averaged over heads); for a typed model over the
     * incoming edges of one relation (null for an untyped model).
     */
    public static final class EntropyRow {
        public Node node;
        public long layer;
        public Long head;
        public long degree;
        public Double entropy;
        public Double uniformEntropy;
        public Double ratio;
        public String relation;
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
        public String relation;
    }

    /** What gat.attention.entropy.write did. */
    public static final class EntropyWriteResult {
        public long nodeCount;
        public long layer;
        public long propertiesWritten;
        public long writeRetries;
        public long writeMillis;
    }

    /** An edge ranked by attention, for a typed model with its relation (null for an untyped model). */
    public static final class RankedEdge {
        public long rank;
        public Node source;
        public Node target;
        public Relationship relationship;
        public double weight;
        public String relation;

        RankedEdge(long rank, Node source, Node target, Relationship relationship, double weight, String relation) {
            this.rank = rank;
            this.source = source;
            this.target = target;
            this.relationship = relationship;
            this.weight = weight;
            this.relation = relation;
        }
    }

    @Procedure(name = "gat.attention.entropy.stream", mode = Mode.READ)
    @Description("Streams, per node, layer and head, how concentrated its incoming attention is: the entropy of the "
            + "attention over its incoming edges (self loop included), ln(degree) which uniform attention would have, "
            + "and their ratio (1: uniform, towards 0: focused; null below two incoming edges). For a typed model per "
            + "relation, over the node's incoming edges of that relation (each relation has its own softmax), named in "
            + "relation as gat.attention.stream names it; relation is null for an untyped model.")
    public Stream<EntropyRow> entropyStream(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "attentionLayer (0-based; default every layer), "
                    + "attentionHeads ('all', the default, or 'mean'), and projection overrides as for "
                    + "gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("attentionLayer", "attentionHeads")));
        int requested = TrainKeys.ATTENTION_LAYER.read(map);
        boolean perHead = WriteConfig.attentionPerHead(map, "all");
        List<EntropyOf> groups = entropies(modelName, map, requested, true, List.of(), null);
        List<EntropyRow> rows = new ArrayList<>();
        for (EntropyOf group : groups) {
            AttentionEntropy entropy = group.entropy();
            for (int i = 0; i < entropy.nodeCount(); i++) {
                Node node = group.node(tx, i);
                for (int h = 0; h < (perHead ? entropy.heads() : 1); h++) {
                    EntropyRow row = new EntropyRow();
                    row.node = node;
                    row.layer = group.layer();
                    row.relation = group.relation();
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
            + "'Ratio'. For a typed model, the entropy over the incoming edges of one relation, on the nodes of its "
            + "target label.")
    public Stream<EntropyWriteResult> entropyWrite(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", description = "entropyProperty (required), attentionLayer (default the last), "
                    + "attentionHeads ('mean' or 'all'), relation (typed models: the relation, as gat.attention.stream "
                    + "names it; required when the layer attends over several), writeBatchSize, and projection "
                    + "overrides as for gat.predict.stream.") Map<String, Object> config) {
        ConfigMap map = new ConfigMap(config, ModelRun.keys(List.of("entropyProperty", "attentionLayer",
                "attentionHeads", "writeBatchSize", "relation")));
        String property = map.requiredString("entropyProperty", "the node property for the attention entropy");
        int requested = TrainKeys.ATTENTION_LAYER.read(map);
        boolean perHead = WriteConfig.attentionPerHead(map, "mean");
        int batchSize = WriteConfig.batchSize(map);
        List<RunProperties.Named> outputs = List.of(new RunProperties.Named("entropyProperty", property),
                new RunProperties.Named("entropyProperty + Uniform", property + "Uniform"),
                new RunProperties.Named("entropyProperty + Ratio", property + "Ratio"));
        EntropyOf group = entropies(modelName, map, requested, false, outputs,
                map.string("relation", null)).get(0);
        int layer = group.layer();
        AttentionEntropy entropy = group.entropy();
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
            PropertyWriter.writeNodes(db, entropy.nodeCount(), group::node, columns,
                    batchSize, map.concurrency(), guard, tally,
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
            + "uniform. Bins: a number of equal bins from 0 to the largest ln(degree), or explicit boundaries. For a "
            + "typed model, the rows of each relation (named in relation; the same bins for a layer's relations).")
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
        List<EntropyOf> groups = entropies(modelName, map, requested, true, List.of(), null);
        // One set of bins per layer: a typed model's relations of one layer are then comparable.
        Map<Integer, Double> maxUniformOfLayer = new java.util.HashMap<>();
        for (EntropyOf group : groups) {
            AttentionEntropy entropy = group.entropy();
            for (int i = 0; i < entropy.nodeCount(); i++) {
                if (entropy.degree(i) > 0) {
                    maxUniformOfLayer.merge(group.layer(), entropy.uniformEntropy(i), Math::max);
                }
            }
        }
        List<HistogramRow> rows = new ArrayList<>();
        for (EntropyOf group : groups) {
            int layer = group.layer();
            AttentionEntropy entropy = group.entropy();
            double maxUniform = maxUniformOfLayer.getOrDefault(layer, 0.0);
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
                    row.relation = group.relation();
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
            + "node's L-hop neighbourhood, which gives the same weights as the full run. For a typed model, the "
            + "node's incoming edges of every relation into its label, ranked together, each naming its relation "
            + "(with relationAggregation 'attention', whose weights need every node of a label, the whole projection "
            + "is read).")
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
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            return typedNeighbours(modelName, typed, ConfigMap.nodeId(node, "The node"), map, requested, k,
                    selfLoops);
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
            + "averaged: which neighbour mattered most anywhere in the graph. For a typed model over every relation "
            + "of the layer, each row naming its relation.")
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
        if (ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed) {
            TypedAttention attention = typedAttention(modelName, typed, map, requested, List.of());
            java.util.stream.LongStream edges = IntStream.range(0, attention.relations().size()).boxed()
                    .flatMapToLong(r -> IntStream.range(0, attention.csr(r).slotCount())
                            .mapToLong(slot -> TypedAttention.edge(r, slot)))
                    .filter(edge -> selfLoops || !attention.isSelfLoop(edge));
            java.util.Comparator<Long> order = java.util.Comparator.comparingDouble(attention::weight);
            return attention.ranked(tx, edges, highest ? order.reversed() : order, k).stream();
        }
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

    /**
     * The entropy groups a request asks about: per layer for an untyped model; per layer and relation for a typed
     * one, each relation having its own softmax per target ({@code relation}: only that relation, required for a
     * typed layer of several relations; must be null for an untyped model).
     */
    private List<EntropyOf> entropies(String modelName, ConfigMap map, int requestedLayer, boolean everyLayerByDefault,
                                      List<RunProperties.Named> outputs, String relation) {
        if (!(ModelRun.storedModel(context(), modelName) instanceof TypedTrainedModel typed)) {
            if (relation != null) {
                throw new IllegalArgumentException("Configuration 'relation' names a relation of a typed model, but "
                        + "the model '" + modelName + "' is untyped; leave 'relation' out");
            }
            AttentionAnalysis analysis = analyse(modelName, map, requestedLayer, everyLayerByDefault, outputs);
            return analysis.layers().stream().map(layer -> new EntropyOf(layer, null, analysis.entropy(layer),
                    analysis.run().graph().nodes()::toNeo4j)).toList();
        }
        List<Integer> layers = requestedLayer < 0 && everyLayerByDefault
                ? IntStream.range(0, typed.config().layers()).boxed().toList()
                : List.of(WriteBack.attentionLayer(requestedLayer, typed.config().layers()));
        // A write (outputs given) writes the entropy of one relation.
        Relation only = outputs.isEmpty() ? null : writtenRelation(modelName, typed, layers.get(0), relation);
        TypedModelRun run;
        try (Jobs.Job job = Jobs.start("attention analysis", modelName, db.databaseName(), null)) {
            run = TypedModelRun.run(context(), modelName, typed, map, new Inference.Request(true, false), null,
                    outputs, job);
        }
        TypedPrediction prediction = run.prediction();
        List<EntropyOf> groups = new ArrayList<>();
        for (int layer : layers) {
            for (Relation r : prediction.relations(layer)) {
                if (only == null || only.equals(r)) {
                    groups.add(new EntropyOf(layer, r.toString(), AttentionEntropy.of(prediction.graph().graph(r),
                            prediction.attention(layer, r), prediction.heads(layer)),
                            run.graph().nodes().get(r.targetType())::toNeo4j));
                }
            }
        }
        return groups;
    }

    /**
     * The relation whose entropy gat.attention.entropy.write writes for a typed model: the one named by
     * {@code relation} (as gat.attention.stream names it), which may be left out when the layer attends over one.
     */
    private static Relation writtenRelation(String modelName, TypedTrainedModel model, int layer, String relation) {
        List<Relation> relations = model.config().layer(layer).activeRelations();
        List<String> names = relations.stream().map(Relation::toString).toList();
        if (relation == null) {
            if (relations.size() == 1) {
                return relations.get(0);
            }
            throw new IllegalArgumentException("The model '" + modelName + "' is typed and its layer " + layer
                    + " attends over " + relations.size() + " relations, each with its own softmax; give "
                    + "'relation', one of " + names);
        }
        int index = names.indexOf(relation);
        if (index < 0) {
            String closest = ConfigMap.closest(relation, names);
            throw new IllegalArgumentException("Configuration 'relation' names '" + relation + "', which layer "
                    + layer + " of the model '" + modelName + "' does not attend over; "
                    + (closest == null ? "" : "did you mean '" + closest + "'? ") + "its relations are " + names);
        }
        return relations.get(index);
    }

    /** A typed model's run with attention at one layer (the layer -1 means: the last). */
    private TypedAttention typedAttention(String modelName, TypedTrainedModel model, ConfigMap map,
                                          int requestedLayer, List<RunProperties.Named> outputs) {
        int layer = WriteBack.attentionLayer(requestedLayer, model.config().layers());
        try (Jobs.Job job = Jobs.start("attention analysis", modelName, db.databaseName(), null)) {
            TypedModelRun run = TypedModelRun.run(context(), modelName, model, map,
                    new Inference.Request(true, false), null, outputs, job);
            return new TypedAttention(run, layer, run.prediction().relations(layer));
        }
    }

    /**
     * gat.attention.neighbours for a typed model: the node's incoming edges of every relation into its label that
     * the layer attends over (none at the last layer for a label other than the target), ranked together.
     */
    private Stream<RankedEdge> typedNeighbours(String modelName, TypedTrainedModel model, long nodeId, ConfigMap map,
                                               int requestedLayer, int k, boolean selfLoops) {
        int layer = WriteBack.attentionLayer(requestedLayer, model.config().layers());
        TypedAttention attention;
        try (Jobs.Job job = Jobs.start("attention analysis", modelName, db.databaseName(), null)) {
            // Only the node's neighbourhood: its incoming attention in any layer is the full run's.
            TypedModelRun run = TypedModelRun.runAround(context(), modelName, model, map, new TypedModelRun.Given(
                    List.of(nodeId), i -> "The node", model.config().nodeTypes(), ""),
                    new Inference.Request(true, false), job);
            attention = new TypedAttention(run, layer, run.prediction().relations(layer));
        }
        TypedLoadedGraph.Located located = attention.run().locate(nodeId);
        String type = located.type();
        int node = located.index();
        java.util.stream.LongStream.Builder edges = java.util.stream.LongStream.builder();
        for (int r = 0; r < attention.relations().size(); r++) {
            if (attention.relations().get(r).targetType().equals(type)) {
                IncomingCsr csr = attention.csr(r);
                for (int slot = csr.offsets()[node]; slot < csr.offsets()[node + 1]; slot++) {
                    long edge = TypedAttention.edge(r, slot);
                    if (selfLoops || !attention.isSelfLoop(edge)) {
                        edges.add(edge);
                    }
                }
            }
        }
        return attention.ranked(tx, edges.build(),
                java.util.Comparator.comparingDouble(attention::weight).reversed(), k).stream();
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    /**
     * One softmax group's attention entropy: a layer's (untyped model, {@code relation} null) or a layer's relation's
     * (typed model), its nodes' Neo4j ids by {@code nodeId}.
     */
    private record EntropyOf(int layer, String relation, AttentionEntropy entropy,
                             java.util.function.IntToLongFunction nodeId) {

        @SuppressWarnings("deprecation")
        Node node(Transaction transaction, int index) {
            return transaction.getNodeById(nodeId.applyAsLong(index));
        }
    }

    /** A typed model's run with attention at one layer; an edge is its relation's index there and a slot of it. */
    private record TypedAttention(TypedModelRun run, int layer, List<Relation> relations) {

        static long edge(int relation, int slot) {
            return ((long) relation << 32) | slot;
        }

        IncomingCsr csr(int relation) {
            return run.prediction().graph().graph(relations.get(relation));
        }

        double weight(long edge) {
            Relation relation = relations.get((int) (edge >>> 32));
            return Prediction.meanAttention(run.prediction().attention(layer, relation), (int) edge,
                    run.prediction().heads(layer));
        }

        boolean isSelfLoop(long edge) {
            return run.prediction().storedEdge(relations.get((int) (edge >>> 32)), (int) edge).isSelfLoop();
        }

        /** The first {@code k} of {@code edges} in {@code order}, as rows. */
        @SuppressWarnings("deprecation")
        List<RankedEdge> ranked(Transaction transaction, java.util.stream.LongStream edges,
                                java.util.Comparator<Long> order, int k) {
            // A bounded heap: the last of the current first k on top.
            java.util.PriorityQueue<Long> best = new java.util.PriorityQueue<>(order.reversed());
            edges.forEach(edge -> {
                best.add(edge);
                if (best.size() > k) {
                    best.poll();
                }
            });
            List<Long> sorted = new ArrayList<>(best);
            sorted.sort(order);
            List<RankedEdge> rows = new ArrayList<>();
            for (int r = 0; r < Math.min(k, sorted.size()); r++) {
                long edge = sorted.get(r);
                Relation relation = relations.get((int) (edge >>> 32));
                int slot = (int) edge;
                IncomingCsr csr = csr((int) (edge >>> 32));
                TypedPrediction.StoredEdge stored = run.prediction().storedEdge(relation, slot);
                Relationship relationship = stored.isSelfLoop() ? null : transaction.getRelationshipById(
                        run.graph().relationshipIds().get(stored.relation())[stored.edge()]);
                Node source = transaction.getNodeById(
                        run.graph().nodes().get(relation.sourceType()).toNeo4j(csr.sources()[slot]));
                Node target = transaction.getNodeById(
                        run.graph().nodes().get(relation.targetType()).toNeo4j(csr.targetOf(slot)));
                rows.add(new RankedEdge(r + 1, source, target, relationship, weight(edge), relation.toString()));
            }
            return rows;
        }
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
            return new RankedEdge(rank, node(transaction, source), node(transaction, target), relationship, weight,
                    null);
        }
    }
}
