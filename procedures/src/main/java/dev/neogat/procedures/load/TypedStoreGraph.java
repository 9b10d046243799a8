package dev.neogat.procedures.load;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.graph.Orientation;
import dev.neogat.graph.TypedNeighbourSource;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.RelationshipFeatureConfig;
import dev.neogat.spec.Relation;
import dev.neogat.train.FeatureRows;
import dev.neogat.train.TypedBatchReader;
import dev.neogat.train.TypedSampledTrainingData;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.ResourceIterator;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.TerminationGuard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A typed projection that stays in the store, as {@link StoreGraph} is for an untyped one: the heap keeps one node-id
 * map per label (a node belongs to the first of its projected labels, as {@link TypedGraphLoader} reads it), per
 * relation each target node's first slot (a prefix sum of its incoming slots, 4 bytes a node), the feature width and
 * storage of each label, and the labels and split of the target label's nodes. A batch reads its nodes' typed
 * incoming slots and feature rows through a transaction when it asks for them ({@link #trainingData}).
 *
 * <p>A node's slots of a relation are listed in the order the in-heap typed graph has them, so that the same seed
 * draws the same neighbours either way: the loader lists a relation's edges by start node in its label's scan order
 * (= the start's index within its label), each start's in the order of its outgoing relationships, and the graph
 * keeps that order per target, self loop last. Read from the target, edges from other nodes are sorted by their
 * source's index (edges from one source are alike: same source, same target); the target's own outgoing ones (read
 * backwards: REVERSE, an UNDIRECTED relation's reverse, both directions within one label) keep the order of its
 * outgoing relationships, read with the loader's own call.
 *
 * <p>With relationship features, opening reads every projected relationship's properties (as the in-heap loader
 * reads them: each once, from its start node) to check widths and missing values, once more for the columns' mean
 * and standard deviation when standardising, and, for each relation within one label, once again to keep each
 * node's self-loop row in the heap: the mean of its incoming slots' standardised rows of that relation (as
 * {@code EdgeFeatures.perSlot} fills it), {@code edgeDim} floats a node. A batch reads its sampled slots'
 * properties by relationship; a relation the graph adds by reversal reads the relationships it reverses.
 */
public final class TypedStoreGraph {

    private static final int CHECK_EVERY = 1 << 6;

    /** How a relation's slots into a node are read from the store. */
    private enum Read {
        /** Incoming relationships from the source label, by source index. */
        IN,
        /** Outgoing relationships to the source label, in their order. */
        OUT,
        /** Within one label read both ways: incoming by source index, with the outgoing at the node's own place. */
        BOTH
    }

    private record RelationRead(Relation relation, String storedType, Read read, int sourceType, int targetType,
                                boolean withinOne) {
    }

    private final ProjectionConfig projection;
    private final TerminationGuard guard;
    private final List<String> labels;
    private final NodeIdMap[] ids;
    private final RelationshipType[] types;
    private final List<Relation> relations;
    private final RelationRead[] reads;
    /** Per relation, per target node i, its first slot; entry n is the relation's slot count. */
    private final int[][] firstSlot;
    private final Map<String, List<String>> featureProperties;
    private final Map<String, Integer> widths;
    private final Map<String, String> widthExamples;
    private final Map<String, Boolean> dense;
    private final String targetType;
    private final NodeLabels nodeLabels;
    private final List<Object> classValues;
    private final NodeSplit split;
    private final long relationshipCount;
    /** Set once more after the relationship features' passes, which opening includes. */
    private long loadMillis;
    /** With relationship features: their configuration (with the training statistics when standardising). */
    private RelationshipFeatureConfig relationshipFeatures;
    /** Widths per relationship type, checked over every projected relationship; null without features. */
    private RelationshipFeatureReader relationshipWidths;
    private int edgeDim;
    /** Per relation within one label, [targets, edgeDim]: each target's self-loop row; null otherwise or without. */
    private float[][] selfLoopRows;

    private TypedStoreGraph(ProjectionConfig projection, TerminationGuard guard, List<String> labels, NodeIdMap[] ids,
                            RelationshipType[] types, List<Relation> relations, RelationRead[] reads,
                            int[][] firstSlot, Map<String, List<String>> featureProperties,
                            Map<String, Integer> widths, Map<String, String> widthExamples,
                            Map<String, Boolean> dense, String targetType, NodeLabels nodeLabels,
                            List<Object> classValues, NodeSplit split, long relationshipCount, long loadMillis) {
        this.projection = projection;
        this.guard = guard;
        this.labels = labels;
        this.ids = ids;
        this.types = types;
        this.relations = relations;
        this.reads = reads;
        this.firstSlot = firstSlot;
        this.featureProperties = featureProperties;
        this.widths = widths;
        this.widthExamples = widthExamples;
        this.dense = dense;
        this.targetType = targetType;
        this.nodeLabels = nodeLabels;
        this.classValues = classValues;
        this.split = split;
        this.relationshipCount = relationshipCount;
        this.loadMillis = loadMillis;
    }

    /**
     * Reads the projected nodes per label (ids, each label's feature width and storage, labels and split of the
     * target label's nodes) and each node's incoming slot count per relation; checks every name as
     * {@link TypedGraphLoader#load} does. With relationship features, reads them as the class comment says, failing
     * as the in-heap reader fails.
     */
    @SuppressWarnings("deprecation")
    public static TypedStoreGraph open(Transaction tx, ProjectionConfig projection, String labelProperty,
                                       GraphLoader.SplitSpec splitSpec, List<String> targetLabels,
                                       TerminationGuard guard, Consumer<String> phase) {
        List<String> labels = TypedGraphLoader.requireTypedProjection(projection, targetLabels);
        DatabaseNames.requireProjection(tx, projection, labelProperty, splitSpec.property());
        long start = System.nanoTime();
        phase.accept("reading nodes per label (the projection stays in the store)");
        NodeIdMap[] ids = new NodeIdMap[labels.size()];
        Map<String, boolean[]> carried = new LinkedHashMap<>();
        TreeSet<String> labelled = new TreeSet<>();
        long seen = 0;
        for (int t = 0; t < labels.size(); t++) {
            String label = labels.get(t);
            long expected = StoreCounts.of(tx, List.of(label), List.of()).nodes();
            NodeIdMap local = new NodeIdMap((int) Math.min(Math.max(expected, 1 << 10), Integer.MAX_VALUE - 8));
            boolean[] has = new boolean[projection.featureProperties().size()];
            try (ResourceIterator<Node> found = tx.findNodes(Label.label(label))) {
                while (found.hasNext()) {
                    Node node = found.next();
                    if (owner(ids, t, node.getId()) >= 0) {
                        continue; // an earlier label of nodeLabels has it
                    }
                    if (++seen % CHECK_EVERY == 0) {
                        guard.check();
                    }
                    local.add(node.getId());
                    if (projection.featurePropertiesByLabel() == null) {
                        for (int p = 0; p < has.length; p++) {
                            has[p] |= !has[p] && node.hasProperty(projection.featureProperties().get(p));
                        }
                    }
                    if (labelProperty != null && !labelled.contains(label) && node.hasProperty(labelProperty)) {
                        labelled.add(label);
                    }
                }
            }
            if (local.size() == 0) {
                throw new IllegalArgumentException("Every node of label '" + label + "' also has a label listed before "
                        + "it in nodeLabels " + DatabaseNames.quoted(labels) + ", so '" + label + "' has no nodes of its "
                        + "own (a node belongs to the first of its projected labels); leave it out or list it earlier");
            }
            ids[t] = local;
            carried.put(label, has);
        }

        phase.accept("reading each label's feature width (rows are read per batch)");
        Map<String, List<String>> featureProperties = new LinkedHashMap<>();
        Map<String, Integer> widths = new LinkedHashMap<>();
        Map<String, String> widthExamples = new LinkedHashMap<>();
        Map<String, Boolean> dense = new LinkedHashMap<>();
        for (int t = 0; t < labels.size(); t++) {
            String label = labels.get(t);
            List<String> properties = new ArrayList<>();
            if (projection.featurePropertiesByLabel() != null) {
                properties.addAll(projection.featurePropertiesOf(label));
            } else {
                for (int p = 0; p < carried.get(label).length; p++) {
                    if (carried.get(label)[p]) {
                        properties.add(projection.featureProperties().get(p));
                    }
                }
            }
            if (properties.isEmpty()) {
                continue;
            }
            FeatureReader reader = new FeatureReader(properties, projection.zeroMissingFeatures());
            try {
                for (int i = 0; i < ids[t].size(); i++) {
                    if (i % CHECK_EVERY == 0) {
                        guard.check();
                        reader.discardRows();
                    }
                    reader.read(tx.getNodeById(ids[t].toNeo4j(i)));
                }
                List<String> absent = reader.absentProperties();
                if (!absent.isEmpty()) {
                    throw new IllegalArgumentException("The property '" + absent.get(0) + "' is on none of the nodes "
                            + "of label '" + label + "'; it exists in the database but not on those nodes (give "
                            + label + ": null for a label without features)");
                }
                reader.requireComplete();
            } catch (IllegalArgumentException e) {
                IllegalArgumentException named = new IllegalArgumentException("featureProperties of label '" + label
                        + "': " + e.getMessage());
                named.addSuppressed(e);
                throw named;
            }
            featureProperties.put(label, List.copyOf(properties));
            widths.put(label, reader.width());
            widthExamples.put(label, reader.widthExample());
            dense.put(label, reader.wouldBeDense());
        }

        String target = TypedGraphLoader.targetLabel(targetLabels, labels, labelled, labelProperty);
        int targetIndex = labels.indexOf(target);
        phase.accept("reading the labels and split of '" + target + "'");
        Map<String, LabelReader> readers = new LinkedHashMap<>();
        for (String label : labelled) {
            LabelReader reader = new LabelReader(labelProperty);
            int t = labels.indexOf(label);
            for (int i = 0; i < ids[t].size(); i++) {
                if (i % CHECK_EVERY == 0) {
                    guard.check();
                }
                reader.read(tx.getNodeById(ids[t].toNeo4j(i)));
            }
            readers.put(label, reader);
        }
        LabelReader targetReader = readers.get(target);
        if (targetReader == null || !targetReader.anyLabelled()) {
            throw new IllegalArgumentException("No node of the target label '" + target + "' has the label "
                    + "property '" + labelProperty + "'; it is on nodes of " + DatabaseNames.quoted(
                    List.copyOf(labelled)));
        }
        if (targetReader.multiLabel()) {
            throw new IllegalArgumentException("The label property '" + labelProperty + "' holds lists "
                    + "(multi-label), which typed models do not support yet; give typed: false");
        }
        TypedGraphLoader.requireClassesOnTarget(target, targetReader, readers, labelProperty);
        byte[] splitCodes = null;
        if (splitSpec.property() != null) {
            splitCodes = new byte[ids[targetIndex].size()];
            boolean splitSeen = false;
            for (int i = 0; i < splitCodes.length; i++) {
                Node node = tx.getNodeById(ids[targetIndex].toNeo4j(i));
                splitCodes[i] = GraphLoader.splitCode(node, splitSpec.property());
                splitSeen |= splitCodes[i] != 3 || node.hasProperty(splitSpec.property());
            }
            if (!splitSeen) {
                throw new IllegalArgumentException("The property '" + splitSpec.property() + "' (splitProperty) is on "
                        + "none of the nodes of the target label '" + target + "'");
            }
        }
        GraphLoader.LabelsAndSplit labelsAndSplit = GraphLoader.labelsAndSplit(targetReader, labelProperty, splitSpec,
                splitCodes, ids[targetIndex], tx);

        phase.accept("counting each node's neighbours per relation in the store");
        RelationshipType[] types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        Orientation orientation = projection.orientation();
        long[] edgesPerType = new long[types.length];
        // Per relation as stored (start label, type, end label), in the loader's order: slot counts per model relation.
        TreeMap<Relation, int[][]> counts = new TreeMap<>(TypedGraphLoader.relationOrder(labels,
                projection.relationshipTypes()));
        long relationships = 0;
        long read = 0;
        RelationshipFeatureConfig edgeConfig = projection.relationshipFeatures();
        RelationshipFeatureReader scan = edgeConfig == null ? null : new RelationshipFeatureReader(edgeConfig);
        for (int t = 0; t < labels.size(); t++) {
            for (int i = 0; i < ids[t].size(); i++) {
                if (++read % CHECK_EVERY == 0) {
                    guard.check();
                }
                Node node = tx.getNodeById(ids[t].toNeo4j(i));
                for (Relationship relationship : outgoing(node, types)) {
                    long endId = relationship.getEndNodeId();
                    int endType = typeOf(ids, endId);
                    if (endType < 0) {
                        continue;
                    }
                    int end = ids[endType].toDense(endId);
                    String type = relationship.getType().name();
                    Relation stored = new Relation(labels.get(t), type, labels.get(endType));
                    int[][] perRelation = counts.computeIfAbsent(stored, r -> slotCounts(r, orientation, ids, labels));
                    relationships++;
                    if (scan != null) {
                        scan.read(relationship);
                    }
                    int typeIndex = projection.relationshipTypes().indexOf(type);
                    if (typeIndex >= 0) {
                        edgesPerType[typeIndex]++;
                    }
                    if (t == endType && i == end) {
                        continue; // a self loop: the one the graph adds replaces it
                    }
                    switch (orientation) {
                        case NATURAL -> perRelation[0][end]++;
                        case REVERSE -> perRelation[0][i]++;
                        case UNDIRECTED -> {
                            perRelation[0][end]++;
                            perRelation[t == endType ? 0 : 1][i]++;
                        }
                    }
                }
                if (scan != null) {
                    scan.discardRows();
                }
            }
        }
        for (int t = 0; t < types.length; t++) {
            if (edgesPerType[t] == 0) {
                throw GraphLoader.notOnProjection("relationship type '" + types[t].name() + "' (relationshipTypes)",
                        "connects", projection);
            }
        }
        List<Relation> relations = new ArrayList<>();
        List<RelationRead> reads = new ArrayList<>();
        List<int[]> firstSlots = new ArrayList<>();
        for (Map.Entry<Relation, int[][]> entry : counts.entrySet()) {
            Relation stored = entry.getKey();
            int startType = labels.indexOf(stored.sourceType());
            int endType = labels.indexOf(stored.targetType());
            boolean within = startType == endType;
            switch (orientation) {
                case NATURAL -> add(relations, reads, firstSlots, new RelationRead(stored, stored.name(),
                        Read.IN, startType, endType, within), entry.getValue()[0]);
                case REVERSE -> add(relations, reads, firstSlots, new RelationRead(new Relation(stored.targetType(),
                        stored.name(), stored.sourceType()), stored.name(), Read.OUT, endType, startType, within),
                        entry.getValue()[0]);
                case UNDIRECTED -> {
                    add(relations, reads, firstSlots, new RelationRead(stored, stored.name(), within ? Read.BOTH
                            : Read.IN, startType, endType, within), entry.getValue()[0]);
                    if (!within) {
                        add(relations, reads, firstSlots, new RelationRead(stored.reversed(), stored.name(), Read.OUT,
                                endType, startType, false), entry.getValue()[1]);
                    }
                }
            }
        }
        if (scan != null && scan.checkedWidth() < 0) {
            throw new IllegalArgumentException("relationshipFeatures " + edgeConfig.given()
                    + " were given but the projection has no relationships to read them from");
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        TypedStoreGraph graph = new TypedStoreGraph(projection, guard, List.copyOf(labels), ids, types,
                List.copyOf(relations), reads.toArray(RelationRead[]::new), firstSlots.toArray(int[][]::new),
                featureProperties, widths, widthExamples, dense, target, labelsAndSplit.labels(),
                labelsAndSplit.classValues(), labelsAndSplit.split(), relationships, millis);
        if (scan != null) {
            phase.accept("reading relationship features for their statistics and self loops");
            graph.keepRelationshipFeatures(tx, scan);
            graph.loadMillis = (System.nanoTime() - start) / 1_000_000;
        }
        return graph;
    }

    /**
     * Takes the widths {@code scan} checked over every projected relationship, computes the standardisation
     * statistics when asked (and not given by a stored model) and keeps each relation's self-loop rows.
     */
    private void keepRelationshipFeatures(Transaction tx, RelationshipFeatureReader scan) {
        edgeDim = scan.checkedWidth();
        relationshipWidths = scan;
        RelationshipFeatureConfig given = projection.relationshipFeatures();
        relationshipFeatures = given.standardize() && given.mean() == null ? withStatistics(tx, given) : given;
        Reader reader = new Reader(tx);
        selfLoopRows = new float[relations.size()][];
        for (int r = 0; r < relations.size(); r++) {
            if (reads[r].withinOne()) {
                selfLoopRows[r] = reader.selfLoopRows(r);
            }
        }
    }

    /**
     * The configuration with the mean and standard deviation of each column over every projected relationship
     * ({@link ColumnStatistics}).
     */
    @SuppressWarnings("deprecation")
    private RelationshipFeatureConfig withStatistics(Transaction tx, RelationshipFeatureConfig config) {
        ColumnStatistics statistics = new ColumnStatistics(edgeDim);
        for (int t = 0; t < labels.size(); t++) {
            for (int i = 0; i < ids[t].size(); i++) {
                if (i % CHECK_EVERY == 0) {
                    guard.check();
                }
                RelationshipFeatureReader reader = new RelationshipFeatureReader(config).expecting(relationshipWidths);
                for (Relationship relationship : outgoing(tx.getNodeById(ids[t].toNeo4j(i)), types)) {
                    if (typeOf(ids, relationship.getEndNodeId()) >= 0) {
                        reader.read(relationship);
                    }
                }
                statistics.add(reader.build());
            }
        }
        return statistics.applyTo(config);
    }

    private RelationshipFeatureReader relationshipReader() {
        return new RelationshipFeatureReader(relationshipFeatures).expecting(relationshipWidths);
    }

    /** {@code rows} standardised in place by the training statistics when the configuration asks. */
    private DenseMatrix standardized(DenseMatrix rows) {
        RelationshipFeatureReader.standardize(relationshipFeatures, rows);
        return rows;
    }

    /**
     * The relationship features the model is trained on, with the statistics it standardises by (stored with it),
     * or null without them.
     */
    public RelationshipFeatureConfig relationshipFeatures() {
        return relationshipFeatures;
    }

    /** Relationship feature values per relationship, 0 without them. */
    public int edgeDim() {
        return edgeDim;
    }

    /** Per model relation read from {@code stored} (two for an UNDIRECTED one between two labels), counts per target. */
    private static int[][] slotCounts(Relation stored, Orientation orientation, NodeIdMap[] ids, List<String> labels) {
        int start = ids[labels.indexOf(stored.sourceType())].size();
        int end = ids[labels.indexOf(stored.targetType())].size();
        return switch (orientation) {
            case NATURAL -> new int[][]{new int[end + 1]};
            case REVERSE -> new int[][]{new int[start + 1]};
            case UNDIRECTED -> stored.sourceType().equals(stored.targetType())
                    ? new int[][]{new int[end + 1]} : new int[][]{new int[end + 1], new int[start + 1]};
        };
    }

    /** Turns a relation's per-target counts into first slots (adding each target's self loop within one label). */
    private static void add(List<Relation> relations, List<RelationRead> reads, List<int[]> firstSlots,
                            RelationRead read, int[] counts) {
        int n = counts.length - 1;
        int[] first = new int[n + 1];
        long total = 0;
        for (int i = 0; i < n; i++) {
            first[i] = (int) total;
            total += counts[i] + (read.withinOne() ? 1 : 0);
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("Relation " + read.relation() + " has more than "
                        + (Integer.MAX_VALUE - 8) + " message edges; at most that many fit in one relation");
            }
        }
        first[n] = (int) total;
        relations.add(read.relation());
        reads.add(read);
        firstSlots.add(first);
    }

    private static Iterable<Relationship> outgoing(Node node, RelationshipType[] types) {
        return types.length == 0 ? node.getRelationships(Direction.OUTGOING)
                : node.getRelationships(Direction.OUTGOING, types);
    }

    /** The label (index) whose map holds {@code neo4jId} among the first {@code before} labels, or -1. */
    private static int owner(NodeIdMap[] ids, int before, long neo4jId) {
        for (int t = 0; t < before; t++) {
            if (ids[t].toDense(neo4jId) >= 0) {
                return t;
            }
        }
        return -1;
    }

    /** The label (index) of a projected node, or -1 for a node outside the projection. */
    private static int typeOf(NodeIdMap[] ids, long neo4jId) {
        return owner(ids, ids.length, neo4jId);
    }

    /**
     * The training data over this store: the training thread reads through {@code tx} (the procedure's), each thread
     * that prepares batches beside it through a read transaction of its own on {@code db}, ended when its reader is
     * closed. Feature rows are per label as stored; the trainer normalises them as the model does.
     */
    public TypedSampledTrainingData trainingData(Transaction tx, GraphDatabaseService db) {
        Reader caller = new Reader(tx);
        return new TypedSampledTrainingData(caller, caller.features(), targetType, nodeLabels, split, () -> {
            Transaction own = db.beginTx();
            Reader reader = new Reader(own);
            return TypedBatchReader.of(reader, reader.features(), edgeDim == 0 ? null : reader::slotFeatures,
                    own::close);
        }, edgeDim == 0 ? null : caller::slotFeatures);
    }

    public List<String> nodeTypes() {
        return labels;
    }

    public List<Relation> relations() {
        return relations;
    }

    public NodeIdMap nodes(String label) {
        return ids[labels.indexOf(label)];
    }

    /** Nodes per label. */
    public Map<String, Long> nodeCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (int t = 0; t < labels.size(); t++) {
            counts.put(labels.get(t), (long) ids[t].size());
        }
        return counts;
    }

    /** Slots per relation (self loops included), as the in-heap typed graph would hold them. */
    public Map<Relation, Long> slotCounts() {
        Map<Relation, Long> slots = new LinkedHashMap<>();
        for (int r = 0; r < relations.size(); r++) {
            slots.put(relations.get(r), (long) firstSlot[r][firstSlot[r].length - 1]);
        }
        return slots;
    }

    /** The feature width of each label with features; a label missing here is featureless. */
    public Map<String, Integer> featureWidths() {
        return widths;
    }

    /** Stored feature values per label with features, as the in-heap loader would hold them (dense: rows × width). */
    public Map<String, Long> featureValues() {
        Map<String, Long> values = new LinkedHashMap<>();
        widths.forEach((label, width) -> values.put(label, (long) nodes(label).size() * width));
        return values;
    }

    public String targetType() {
        return targetType;
    }

    public NodeLabels labels() {
        return nodeLabels;
    }

    public List<Object> classValues() {
        return classValues;
    }

    public NodeSplit split() {
        return split;
    }

    public long nodeCount() {
        return nodeCounts().values().stream().mapToLong(Long::longValue).sum();
    }

    public long relationshipCount() {
        return relationshipCount;
    }

    public long loadMillis() {
        return loadMillis;
    }

    /** Reads typed slots and feature rows through one transaction, from one thread at a time. */
    private final class Reader implements TypedNeighbourSource {
        private final Transaction tx;
        private long slotReads;
        private long[] relationshipIds = new long[16];
        private int[] sources = new int[16];
        private int[] order = new int[16];
        /** With relationship features: the collected relationships, in the order of sources. */
        private Relationship[] collected = projection.relationshipFeatures() == null ? null : new Relationship[16];
        /** With relationship features: per entry of the slots last read, its relationship (null: added loop). */
        private Relationship[] slotRelationships = collected == null ? null : new Relationship[16];

        Reader(Transaction tx) {
            this.tx = tx;
        }

        Map<String, FeatureRows> features() {
            Map<String, FeatureRows> rows = new LinkedHashMap<>();
            featureProperties.forEach((label, properties) -> rows.put(label, new FeatureRows() {
                private final NodeIdMap labelIds = nodes(label);

                @Override
                public int cols() {
                    return widths.get(label);
                }

                @Override
                @SuppressWarnings("deprecation")
                public FeatureMatrix rows(int[] nodes) {
                    FeatureReader reader = new FeatureReader(properties, projection.zeroMissingFeatures())
                            .expecting(widths.get(label), widthExamples.get(label));
                    for (int i = 0; i < nodes.length; i++) {
                        if (i % CHECK_EVERY == 0) {
                            guard.check();
                        }
                        reader.read(tx.getNodeById(labelIds.toNeo4j(nodes[i])));
                    }
                    return reader.build(dense.get(label));
                }
            }));
            return rows;
        }

        @Override
        public List<String> nodeTypes() {
            return labels;
        }

        @Override
        public int nodeCount(String type) {
            int t = labels.indexOf(type);
            if (t < 0) {
                throw new IllegalArgumentException("Unknown node type '" + type + "'; the node types are " + labels);
            }
            return ids[t].size();
        }

        @Override
        public List<Relation> relations() {
            return relations;
        }

        @Override
        @SuppressWarnings("deprecation")
        public void incoming(int relation, int node, NeighbourSource.Slots into) {
            if (++slotReads % CHECK_EVERY == 0) {
                guard.check();
            }
            RelationRead read = reads[relation];
            long neo4jId = ids[read.targetType()].toNeo4j(node);
            Node stored = tx.getNodeById(neo4jId);
            into.clear();
            int first = firstSlot[relation][node];
            int count = 0;
            if (read.read() != Read.OUT) {
                RelationshipType type = RelationshipType.withName(read.storedType());
                NodeIdMap sourceIds = ids[read.sourceType()];
                for (Relationship relationship : stored.getRelationships(Direction.INCOMING, type)) {
                    long startId = relationship.getStartNodeId();
                    if (startId == neo4jId || typeOf(ids, startId) != read.sourceType()) {
                        continue;
                    }
                    count = collect(count, sourceIds.toDense(startId), relationship);
                }
                sortBySource(count);
            }
            int own = node;
            int before = 0;
            while (read.read() == Read.BOTH && before < count && sources[order[before]] < own) {
                before++;
            }
            int inEnd = read.read() == Read.OUT ? 0 : count;
            for (int k = 0; k < (read.read() == Read.BOTH ? before : inEnd); k++) {
                remember(into.count(), collected == null ? null : collected[order[k]]);
                into.add(sources[order[k]], first + into.count(), false);
            }
            if (read.read() != Read.IN) {
                for (Relationship relationship : outgoing(stored, types)) {
                    long endId = relationship.getEndNodeId();
                    if (endId == neo4jId || !relationship.getType().name().equals(read.storedType())
                            || typeOf(ids, endId) != read.sourceType()) {
                        continue;
                    }
                    remember(into.count(), relationship);
                    into.add(ids[read.sourceType()].toDense(endId), first + into.count(), false);
                }
            }
            if (read.read() == Read.BOTH) {
                for (int k = before; k < count; k++) {
                    remember(into.count(), collected == null ? null : collected[order[k]]);
                    into.add(sources[order[k]], first + into.count(), false);
                }
            }
            if (read.withinOne()) {
                remember(into.count(), null);
                into.add(node, first + into.count(), true);
            }
            if (first + into.count() != firstSlot[relation][node + 1]) {
                throw new IllegalStateException("Node " + neo4jId + " has " + into.count() + " slots of relation "
                        + read.relation() + " now but had " + (firstSlot[relation][node + 1] - first) + " when the "
                        + "projection was read: the graph changed during training");
            }
        }

        @SuppressWarnings("deprecation")
        private int collect(int count, int source, Relationship relationship) {
            if (count == sources.length) {
                sources = Arrays.copyOf(sources, count * 2);
                relationshipIds = Arrays.copyOf(relationshipIds, count * 2);
                order = Arrays.copyOf(order, count * 2);
                if (collected != null) {
                    collected = Arrays.copyOf(collected, count * 2);
                }
            }
            sources[count] = source;
            relationshipIds[count] = relationship.getId();
            if (collected != null) {
                collected[count] = relationship;
            }
            return count + 1;
        }

        private void remember(int entry, Relationship relationship) {
            if (slotRelationships == null) {
                return;
            }
            if (entry == slotRelationships.length) {
                slotRelationships = Arrays.copyOf(slotRelationships, entry * 2);
            }
            slotRelationships[entry] = relationship;
        }

        /**
         * [targets, edgeDim] of relation {@code relation} (within one label): each target's self-loop row, the mean
         * of its other incoming slots' standardised rows summed in slot order in float as {@code EdgeFeatures.perSlot}
         * sums them; zeros for a node without other slots.
         */
        float[] selfLoopRows(int relation) {
            int targets = firstSlot[relation].length - 1;
            float[] means = new float[Math.multiplyExact(targets, edgeDim)];
            NeighbourSource.Slots slots = new NeighbourSource.Slots();
            for (int node = 0; node < targets; node++) {
                incoming(relation, node, slots);
                RelationshipFeatureReader reader = relationshipReader();
                int counted = 0;
                for (int i = 0; i < slots.count(); i++) {
                    if (slotRelationships[i] != null && slots.source(i) != node) {
                        reader.read(slotRelationships[i]);
                        counted++;
                    }
                }
                if (counted == 0) {
                    continue;
                }
                float[] rows = standardized(reader.build()).data();
                float[] sum = new float[edgeDim];
                for (int r = 0; r < counted; r++) {
                    for (int k = 0; k < edgeDim; k++) {
                        sum[k] += rows[r * edgeDim + k];
                    }
                }
                for (int k = 0; k < edgeDim; k++) {
                    means[node * edgeDim + k] = sum[k] / counted;
                }
            }
            return means;
        }

        /**
         * [slots, edgeDim]: the relationship features of {@code relation}'s whole-graph slots {@code wholeSlots}, in
         * that order: each target's slot list is read again to find its relationships, their properties read and
         * standardised, an added self loop takes its node's row kept in the heap.
         */
        DenseMatrix slotFeatures(Relation relation, int[] wholeSlots) {
            int r = relations.indexOf(relation);
            int[] first = firstSlot[r];
            Map<Integer, Relationship[]> slotsOf = new HashMap<>();
            Relationship[] relationshipOf = new Relationship[wholeSlots.length];
            int[] targetOf = new int[wholeSlots.length];
            RelationshipFeatureReader reader = relationshipReader();
            NeighbourSource.Slots slots = new NeighbourSource.Slots();
            int stored = 0;
            for (int s = 0; s < wholeSlots.length; s++) {
                int slot = wholeSlots[s];
                int target = targetOf(first, slot);
                Relationship[] listed = slotsOf.get(target);
                if (listed == null) {
                    incoming(r, target, slots);
                    listed = Arrays.copyOf(slotRelationships, slots.count());
                    slotsOf.put(target, listed);
                }
                targetOf[s] = target;
                relationshipOf[s] = listed[slot - first[target]];
                if (relationshipOf[s] != null) {
                    reader.read(relationshipOf[s]);
                    stored++;
                }
            }
            float[] read = stored == 0 ? new float[0] : standardized(reader.build()).data();
            float[] rows = new float[Math.multiplyExact(wholeSlots.length, edgeDim)];
            int next = 0;
            for (int s = 0; s < wholeSlots.length; s++) {
                if (relationshipOf[s] != null) {
                    System.arraycopy(read, next++ * edgeDim, rows, s * edgeDim, edgeDim);
                } else if (selfLoopRows[r] != null) {
                    System.arraycopy(selfLoopRows[r], targetOf[s] * edgeDim, rows, s * edgeDim, edgeDim);
                }
            }
            return new DenseMatrix(wholeSlots.length, edgeDim, rows);
        }

        /** Orders the first {@code count} collected entries by source index, then relationship id (insertion sort
         * for the common short lists, a boxed sort beyond). */
        private void sortBySource(int count) {
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            if (count <= 32) {
                for (int i = 1; i < count; i++) {
                    int entry = order[i];
                    int j = i - 1;
                    while (j >= 0 && before(entry, order[j])) {
                        order[j + 1] = order[j];
                        j--;
                    }
                    order[j + 1] = entry;
                }
                return;
            }
            Integer[] boxed = new Integer[count];
            for (int i = 0; i < count; i++) {
                boxed[i] = i;
            }
            Arrays.sort(boxed, (a, b) -> before(a, b) ? -1 : before(b, a) ? 1 : 0);
            for (int i = 0; i < count; i++) {
                order[i] = boxed[i];
            }
        }

        /** The target whose incoming slots hold {@code slot}: the last with its first slot at or before it. */
        private static int targetOf(int[] first, int slot) {
            int low = 0;
            int high = first.length - 2;
            while (low < high) {
                int middle = (low + high + 1) >>> 1;
                if (first[middle] <= slot) {
                    low = middle;
                } else {
                    high = middle - 1;
                }
            }
            return low;
        }

        private boolean before(int a, int b) {
            return sources[a] != sources[b] ? sources[a] < sources[b] : relationshipIds[a] < relationshipIds[b];
        }
    }
}
