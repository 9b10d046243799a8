package dev.neogat.procedures.load;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.RelationshipFeatureConfig;
import dev.neogat.train.BatchReader;
import dev.neogat.train.FeatureRows;
import dev.neogat.train.LayerWiseInference;
import dev.neogat.train.SampledTrainingData;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.TerminationGuard;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A projection that stays in the store: what is kept in the heap is the node-id map (primitive arrays), each
 * node's first slot (a prefix sum of message-edge counts, 4 bytes a node), and labels and split of the labelled
 * nodes; neighbourhoods and feature rows are read through the procedure's transaction when a batch asks for them,
 * or, on threads that prepare batches beside it, through a read transaction of their own ({@link #workerReader}).
 *
 * <p>A node's incoming slots are its projected relationships (types and orientation as configured) in ascending
 * relationship id, with its self loop last and duplicates dropped as the projection says: the order the in-heap
 * loader gives them when it scans the relationship store, so the same seed samples the same batches either way.
 * Feature rows are stored dense or sparse as the whole projection's would be.
 *
 * <p>With relationship features, opening reads every projected relationship's properties once more (widths,
 * missing values and, when standardising, the columns' mean and standard deviation, as the in-heap reader computes
 * them) and, with self loops, once again to keep each node's self-loop row in the heap: the mean of its incoming
 * slots' standardised rows (PyG's {@code fill_value='mean'}, as {@code EdgeFeatures} fills it), {@code edgeDim}
 * floats a node. A batch reads its sampled slots' properties from the store by relationship.
 */
public final class StoreGraph implements NeighbourSource {

    private static final int CHECK_EVERY = 1 << 6;

    /** Reads through the procedure's transaction, on its thread. */
    private final Reader callerReader;
    private final ProjectionConfig projection;
    private final TerminationGuard guard;
    private final NodeIdMap ids;
    private final RelationshipType[] types;
    private final Direction messagesFrom;
    private final int[] firstSlot;
    private final long relationshipCount;
    private final int featureWidth;
    private final String featureWidthExample;
    private final boolean denseFeatures;
    private final int[] labelledNodes;
    private final NodeLabels labels;
    private final List<Object> classValues;
    private final NodeSplit split;
    private final long loadMillis;
    /** With relationship features: their configuration (with the training statistics when standardising). */
    private final RelationshipFeatureConfig relationshipFeatures;
    /** Widths per relationship type, checked over every projected relationship; null without features. */
    private final RelationshipFeatureReader relationshipWidths;
    private final int edgeDim;
    /** [nodes, edgeDim]: each node's added self loop's relationship features; null without both. */
    private final float[] selfLoopRows;

    private StoreGraph(Transaction tx, ProjectionConfig projection, TerminationGuard guard, NodeIdMap ids,
                       FeatureReader features, int[] labelledNodes, NodeLabels labels, List<Object> classValues,
                       NodeSplit split, Consumer<String> phase, long start) {
        this.projection = projection;
        this.callerReader = new Reader(tx);
        this.guard = guard;
        this.ids = ids;
        this.types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        this.messagesFrom = switch (projection.orientation()) {
            case NATURAL -> Direction.INCOMING;
            case REVERSE -> Direction.OUTGOING;
            case UNDIRECTED -> Direction.BOTH;
        };
        this.featureWidth = features.width();
        this.featureWidthExample = features.widthExample();
        this.denseFeatures = features.wouldBeDense();
        this.labelledNodes = labelledNodes;
        this.labels = labels;
        this.classValues = classValues;
        this.split = split;
        phase.accept("counting each node's neighbours in the store");
        int n = ids.size();
        firstSlot = new int[n + 1];
        long[] perType = new long[types.length];
        long ends = 0;
        long loops = 0;
        Slots slots = new Slots();
        RelationshipFeatureConfig edgeConfig = projection.relationshipFeatures();
        RelationshipFeatureReader scan = edgeConfig == null ? null : new RelationshipFeatureReader(edgeConfig);
        for (int node = 0; node < n; node++) {
            int read = callerReader.read(node, slots, perType);
            if (scan != null) {
                callerReader.forEachOwned(node, scan::read);
                scan.discardRows();
            }
            long slotCount = (long) firstSlot[node] + slots.count();
            if (slotCount > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("The projection has more than " + (Integer.MAX_VALUE - 8)
                        + " message edges; at most that many fit in one graph");
            }
            firstSlot[node + 1] = (int) slotCount;
            loops += callerReader.lastLoops;
            ends += read - callerReader.lastLoops;
        }
        for (int t = 0; t < types.length; t++) {
            if (perType[t] == 0) {
                throw GraphLoader.notOnProjection("relationship type '" + types[t].name() + "' (relationshipTypes)",
                        "connects", projection);
            }
        }
        relationshipCount = (messagesFrom == Direction.BOTH ? ends / 2 : ends) + loops;
        if (scan == null) {
            relationshipFeatures = null;
            relationshipWidths = null;
            edgeDim = 0;
            selfLoopRows = null;
        } else {
            edgeDim = scan.checkedWidth();
            if (edgeDim < 0) {
                throw new IllegalArgumentException("relationshipFeatures " + edgeConfig.given()
                        + " were given but the projection has no relationships to read them from");
            }
            relationshipWidths = scan;
            phase.accept("reading relationship features for their statistics and self loops");
            relationshipFeatures = edgeConfig.standardize() && edgeConfig.mean() == null
                    ? withStatistics(edgeConfig) : edgeConfig;
            selfLoopRows = projection.selfLoops() ? selfLoopRows() : null;
        }
        loadMillis = (System.nanoTime() - start) / 1_000_000;
    }

    /**
     * Reads the projected nodes once (ids, feature width and density, labels and split of labelled nodes) and each
     * node's neighbour count; checks every name as {@link GraphLoader#load} does. With relationship features, reads
     * them as the class comment says, failing as the in-heap reader fails.
     */
    @SuppressWarnings("deprecation")
    public static StoreGraph open(Transaction tx, ProjectionConfig projection, String labelProperty,
                                  GraphLoader.SplitSpec split, TerminationGuard guard, Consumer<String> phase) {
        DatabaseNames.requireProjection(tx, projection, labelProperty, split.property());
        long start = System.nanoTime();
        phase.accept("reading nodes (the projection stays in the store)");
        // Sized from the store's counts: growing a map of millions of ids holds the old and the new table at once.
        long expected = StoreCounts.of(tx, projection.nodeLabels(), List.of()).nodes();
        NodeIdMap ids = new NodeIdMap((int) Math.min(Math.max(expected, 1 << 14), Integer.MAX_VALUE - 8));
        FeatureReader features = new FeatureReader(projection.featureProperties(), projection.zeroMissingFeatures());
        LabelReader labels = new LabelReader(labelProperty);
        int[] labelled = new int[1 << 10];
        byte[] splitCodes = new byte[1 << 10];
        int labelledCount = 0;
        boolean splitSeen = false;
        for (Node node : (Iterable<Node>) () -> GraphLoader.nodes(tx, projection.nodeLabels())) {
            int before = ids.size();
            int dense = ids.add(node.getId());
            if (dense < before) {
                continue;
            }
            if (dense % CHECK_EVERY == 0) {
                guard.check();
                features.discardRows();
            }
            features.read(node);
            byte code = split.property() == null ? 3 : GraphLoader.splitCode(node, split.property());
            if (split.property() != null) {
                splitSeen |= code != 3 || node.hasProperty(split.property());
            }
            if (!node.hasProperty(labelProperty)) {
                if (code < 3) {
                    throw new IllegalArgumentException("Node " + node.getElementId() + " is in the '"
                            + new String[]{"train", "val", "test"}[code] + "' split (property '" + split.property()
                            + "') but has no label");
                }
                continue;
            }
            labels.read(node);
            if (labelledCount == labelled.length) {
                labelled = Arrays.copyOf(labelled, labelledCount * 2);
                splitCodes = Arrays.copyOf(splitCodes, labelledCount * 2);
            }
            splitCodes[labelledCount] = code;
            labelled[labelledCount++] = dense;
        }
        if (ids.size() == 0) {
            throw new IllegalArgumentException(projection.nodeLabels().isEmpty() ? "The database has no nodes"
                    : "No node has any of the labels " + projection.nodeLabels());
        }
        List<String> absentFeatures = features.absentProperties();
        if (!absentFeatures.isEmpty()) {
            throw GraphLoader.notOnProjection("property '" + absentFeatures.get(0) + "' (featureProperties)", "is on",
                    projection);
        }
        features.requireComplete();
        features.discardRows();
        if (!labels.anyLabelled()) {
            throw GraphLoader.notOnProjection("property '" + labelProperty + "' (labelProperty)", "is on", projection);
        }
        if (split.property() != null && !splitSeen) {
            throw GraphLoader.notOnProjection("property '" + split.property() + "' (splitProperty)", "is on",
                    projection);
        }
        List<Object> classValues = labels.classValues();
        if (classValues.size() < 2 && !labels.multiLabel()) {
            throw new IllegalArgumentException("The label property '" + labelProperty + "' has a single value ("
                    + classValues.get(0) + "); classification needs at least two classes");
        }
        int[] labelledNodes = Arrays.copyOf(labelled, labelledCount);
        NodeLabels nodeLabels = labels.build(classValues);
        NodeSplit rows = split.property() != null ? splitByCode(splitCodes, labelledCount, split.property())
                : NodeSplit.random(nodeLabels, split.trainFraction(), split.validationFraction(), split.seed());
        NodeSplit nodeSplit = new NodeSplit(toNodes(rows.train(), labelledNodes),
                toNodes(rows.validation(), labelledNodes), toNodes(rows.test(), labelledNodes));
        return new StoreGraph(tx, projection, guard, ids, features, labelledNodes, nodeLabels, classValues, nodeSplit,
                phase, start);
    }

    /**
     * The configuration with the mean and standard deviation of each column over every projected relationship
     * ({@link ColumnStatistics}).
     */
    private RelationshipFeatureConfig withStatistics(RelationshipFeatureConfig config) {
        ColumnStatistics statistics = new ColumnStatistics(edgeDim);
        for (int node = 0; node < ids.size(); node++) {
            RelationshipFeatureReader reader = new RelationshipFeatureReader(config).expecting(relationshipWidths);
            callerReader.read(node, new Slots(), null);
            callerReader.forEachOwned(node, reader::read);
            statistics.add(reader.build());
        }
        return statistics.applyTo(config);
    }

    /**
     * Each node's added self loop's row: the mean of its other incoming slots' rows (standardised), summed in slot
     * order in float as {@code EdgeFeatures.perSlot} sums them; zeros for a node without other slots.
     */
    private float[] selfLoopRows() {
        float[] means = new float[Math.multiplyExact(ids.size(), edgeDim)];
        Slots slots = new Slots();
        for (int node = 0; node < ids.size(); node++) {
            callerReader.read(node, slots, null);
            RelationshipFeatureReader reader = relationshipReader();
            int counted = 0;
            for (int i = 0; i < slots.count(); i++) {
                Relationship relationship = callerReader.slotRelationships[i];
                if (relationship != null && slots.source(i) != node) {
                    reader.read(relationship);
                    counted++;
                }
            }
            if (counted == 0) {
                continue;
            }
            DenseMatrix rows = standardized(reader.build());
            float[] sum = new float[edgeDim];
            for (int r = 0; r < counted; r++) {
                for (int k = 0; k < edgeDim; k++) {
                    sum[k] += rows.data()[r * edgeDim + k];
                }
            }
            for (int k = 0; k < edgeDim; k++) {
                means[node * edgeDim + k] = sum[k] / counted;
            }
        }
        return means;
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

    /**
     * The projection's size from the database's counts, before anything is read: nodes with any of the labels and
     * relationships of any of the types (both counted per label or type, so an upper bound), and the feature width
     * of the first projected node that has every feature property (0 when none of the first 100 has).
     */
    public record Size(long nodes, long relationships, int featureWidth) {
    }

    public static Size size(Transaction tx, ProjectionConfig projection) {
        long nodes = 0;
        for (String label : projection.nodeLabels().isEmpty() ? List.of("") : projection.nodeLabels()) {
            nodes += count(tx, "MATCH (n" + (label.isEmpty() ? "" : ":" + quoted(label)) + ") RETURN count(n) AS c");
        }
        long relationships = 0;
        for (String type : projection.relationshipTypes().isEmpty() ? List.of("")
                : projection.relationshipTypes()) {
            relationships += count(tx, "MATCH ()-[r" + (type.isEmpty() ? "" : ":" + quoted(type))
                    + "]->() RETURN count(r) AS c");
        }
        FeatureReader features = new FeatureReader(projection.featureProperties(), false);
        var first = GraphLoader.nodes(tx, projection.nodeLabels());
        for (int i = 0; i < 100 && first.hasNext() && features.width() < 0; i++) {
            features.read(first.next());
        }
        return new Size(nodes, relationships, Math.max(0, features.width()));
    }

    private static long count(Transaction tx, String query) {
        try (var result = tx.execute(query)) {
            return ((Number) result.next().get("c")).longValue();
        }
    }

    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    private static NodeSplit splitByCode(byte[] codes, int count, String property) {
        int[][] sets = new int[3][count];
        int[] sizes = new int[3];
        for (int row = 0; row < count; row++) {
            if (codes[row] < 3) {
                sets[codes[row]][sizes[codes[row]]++] = row;
            }
        }
        if (sizes[0] == 0) {
            throw new IllegalArgumentException("No node has '" + property + "' = 'train': at least one labelled node "
                    + "must be in the training split");
        }
        return new NodeSplit(Arrays.copyOf(sets[0], sizes[0]), Arrays.copyOf(sets[1], sizes[1]),
                Arrays.copyOf(sets[2], sizes[2]));
    }

    /** Label rows to node ids; ascending rows give ascending ids. */
    private static int[] toNodes(int[] rows, int[] labelledNodes) {
        int[] nodes = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            nodes[i] = labelledNodes[rows[i]];
        }
        return nodes;
    }

    /**
     * The training data over this store: neighbourhoods and rows read on demand, labels of labelled nodes; threads
     * that prepare batches beside the procedure's read through {@link #workerReader} transactions of {@code db};
     * evaluation may run layer by layer over {@link #layerWiseSource}.
     */
    public SampledTrainingData trainingData(GraphDatabaseService db) {
        return new SampledTrainingData(this, features(), labelledNodes, labels, split, () -> workerReader(db),
                layerWiseSource(), edgeDim == 0 ? null : callerReader::slotFeatures);
    }

    /** Feature rows read from the store (through the procedure's transaction) for the nodes asked for. */
    public FeatureRows features() {
        return callerReader.features();
    }

    /**
     * The projection as layer-wise inference reads it: each chunk's slot lists and each node range's feature rows
     * through the procedure's transaction, the slot offsets from the count kept in the heap.
     */
    public LayerWiseInference.Source layerWiseSource() {
        // Bytes of a row once read: a dense row, or at most every column of a sparse one.
        long rowBytes = denseFeatures ? 4L * featureWidth : 20L * featureWidth + 8;
        LayerWiseInference.Source read = LayerWiseInference.Source.read(this, firstSlot, features(), rowBytes);
        if (edgeDim == 0) {
            return read;
        }
        return new LayerWiseInference.Source() {
            @Override
            public int nodeCount() {
                return read.nodeCount();
            }

            @Override
            public int[] offsets() {
                return read.offsets();
            }

            @Override
            public dev.neogat.graph.IncomingCsr targetSlice(int start, int end) {
                return read.targetSlice(start, end);
            }

            @Override
            public int featureCols() {
                return read.featureCols();
            }

            @Override
            public FeatureMatrix featureRows(int start, int end) {
                return read.featureRows(start, end);
            }

            @Override
            public long featureRowBytes(int row) {
                return read.featureRowBytes(row);
            }

            @Override
            public DenseMatrix slotFeatures(int start, int end) {
                int[] slots = new int[firstSlot[end] - firstSlot[start]];
                Arrays.setAll(slots, i -> firstSlot[start] + i);
                return callerReader.slotFeatures(slots);
            }
        };
    }

    /**
     * A reader for a thread that prepares batches beside the procedure's: it reads through a read transaction of its
     * own, begun now on {@code db} and ended when the reader is closed, and stops when the procedure is terminated.
     * Its neighbourhoods and rows are those of the procedure's transaction as long as the graph is not changed.
     */
    public BatchReader workerReader(GraphDatabaseService db) {
        Transaction own = db.beginTx();
        Reader reader = new Reader(own);
        return BatchReader.of(reader, reader.features(), edgeDim == 0 ? null : reader::slotFeatures, own::close);
    }

    @Override
    public int nodeCount() {
        return ids.size();
    }

    @Override
    public void incoming(int node, Slots into) {
        callerReader.incoming(node, into);
    }

    @Override
    public int selfLoopSlot(int node) {
        return callerReader.selfLoopSlot(node);
    }

    public NodeIdMap nodes() {
        return ids;
    }

    public long relationshipCount() {
        return relationshipCount;
    }

    /** Message edges (slots) of the whole projection, self loops included. */
    public long slotCount() {
        return firstSlot[ids.size()];
    }

    public int featureWidth() {
        return featureWidth;
    }

    public boolean denseFeatures() {
        return denseFeatures;
    }

    public NodeLabels labels() {
        return labels;
    }

    public int[] labelledNodes() {
        return labelledNodes;
    }

    public List<Object> classValues() {
        return classValues;
    }

    public NodeSplit split() {
        return split;
    }

    /** Time to read the nodes and count their neighbours. */
    public long loadMillis() {
        return loadMillis;
    }

    /**
     * Reads neighbourhoods and feature rows through one transaction, from one thread at a time: its buffers are its
     * own, the id map and slot offsets are shared (read only once built).
     */
    private final class Reader implements NeighbourSource {
        private final Transaction tx;
        private long reads;
        /** Relationships from the node last read to itself. */
        private int lastLoops;
        /** Per node, the read that last listed it as a source (dropDuplicates only). */
        private int[] seenInRead;
        private int readStamp;
        private long[] relationshipIds = new long[16];
        private int[] others = new int[16];
        /** With relationship features: the relationships read, in the order of relationshipIds. */
        private Relationship[] relationships = projection.relationshipFeatures() == null ? null
                : new Relationship[16];
        private int collected;
        /** With relationship features: per entry of the slots last read, its relationship (null: added loop). */
        private Relationship[] slotRelationships = relationships == null ? null : new Relationship[16];

        Reader(Transaction tx) {
            this.tx = tx;
        }

        FeatureRows features() {
            return new FeatureRows() {
                @Override
                public int cols() {
                    return featureWidth;
                }

                @Override
                @SuppressWarnings("deprecation")
                public FeatureMatrix rows(int[] nodes) {
                    FeatureReader reader = new FeatureReader(projection.featureProperties(),
                            projection.zeroMissingFeatures()).expecting(featureWidth, featureWidthExample);
                    for (int i = 0; i < nodes.length; i++) {
                        if (i % CHECK_EVERY == 0) {
                            guard.check();
                        }
                        reader.read(tx.getNodeById(ids.toNeo4j(nodes[i])));
                    }
                    return reader.build(denseFeatures);
                }
            };
        }

        @Override
        public int nodeCount() {
            return ids.size();
        }

        @Override
        public void incoming(int node, Slots into) {
            read(node, into, null);
        }

        @Override
        public int selfLoopSlot(int node) {
            if (projection.selfLoops()) {
                return firstSlot[node + 1] - 1;
            }
            Slots slots = new Slots();
            read(node, slots, null);
            return slots.selfLoopIndex() < 0 ? -1 : slots.slot(slots.selfLoopIndex());
        }

        /**
         * Fills {@code into} with {@code node}'s slots (whole-graph slot ids once the counts are known); with
         * {@code perType}, counts the relationships read per configured type. Returns the relationships read.
         */
        @SuppressWarnings("deprecation")
        private int read(int node, Slots into, long[] perType) {
            if (++reads % CHECK_EVERY == 0) {
                guard.check();
            }
            long neo4jId = ids.toNeo4j(node);
            Node stored = tx.getNodeById(neo4jId);
            int count = 0;
            if (types.length == 0) {
                count = collect(stored.getRelationships(messagesFrom), neo4jId, count);
            }
            for (int t = 0; t < types.length; t++) {
                int before = count;
                count = collect(stored.getRelationships(messagesFrom, types[t]), neo4jId, count);
                if (perType != null) {
                    perType[t] += count - before;
                }
            }
            sortByRelationship(count);
            collected = count;
            into.clear();
            int first = firstSlot[node];
            boolean dropDuplicates = projection.dropDuplicates();
            if (dropDuplicates && (seenInRead == null || readStamp == Integer.MAX_VALUE)) {
                seenInRead = new int[ids.size()];
                readStamp = 0;
            }
            int stamp = ++readStamp;
            long previous = Long.MIN_VALUE;
            int distinct = 0;
            lastLoops = 0;
            for (int i = 0; i < count; i++) {
                // A relationship from a node to itself may be listed once per direction.
                if (relationshipIds[i] == previous) {
                    continue;
                }
                previous = relationshipIds[i];
                distinct++;
                int source = others[i];
                boolean loop = source == node;
                if (loop) {
                    lastLoops++;
                }
                if (loop && projection.selfLoops()) {
                    continue;
                }
                if (dropDuplicates) {
                    if (seenInRead[source] == stamp) {
                        continue;
                    }
                    seenInRead[source] = stamp;
                }
                if (slotRelationships != null) {
                    remember(into.count(), relationships[i]);
                }
                into.add(source, first + into.count(), loop && into.selfLoopIndex() < 0);
            }
            if (projection.selfLoops()) {
                if (slotRelationships != null) {
                    remember(into.count(), null);
                }
                into.add(node, first + into.count(), true);
            }
            return distinct;
        }

        private void remember(int entry, Relationship relationship) {
            if (entry == slotRelationships.length) {
                slotRelationships = Arrays.copyOf(slotRelationships, entry * 2);
            }
            slotRelationships[entry] = relationship;
        }

        /**
         * Hands each relationship of the node last read ({@code node}) to {@code action} once over the whole graph:
         * every relationship the projection reads (duplicates and loops included), at its target, or with both
         * orientations at the end with the smaller id (a loop once).
         */
        void forEachOwned(int node, Consumer<Relationship> action) {
            long previous = Long.MIN_VALUE;
            for (int i = 0; i < collected; i++) {
                if (relationshipIds[i] == previous) {
                    continue;
                }
                previous = relationshipIds[i];
                if (messagesFrom != Direction.BOTH || others[i] >= node) {
                    action.accept(relationships[i]);
                }
            }
        }

        /**
         * [slots, edgeDim]: the relationship features of the whole graph's slots {@code wholeSlots}, in that order:
         * each target's slot list is read again to find its relationships, their properties read and standardised,
         * an added self loop takes its node's row kept in the heap.
         */
        DenseMatrix slotFeatures(int[] wholeSlots) {
            Map<Integer, Relationship[]> slotsOf = new HashMap<>();
            Relationship[] relationshipOf = new Relationship[wholeSlots.length];
            int[] targetOf = new int[wholeSlots.length];
            RelationshipFeatureReader reader = relationshipReader();
            Slots slots = new Slots();
            int stored = 0;
            for (int s = 0; s < wholeSlots.length; s++) {
                int slot = wholeSlots[s];
                int target = targetOf(slot);
                Relationship[] listed = slotsOf.get(target);
                if (listed == null) {
                    read(target, slots, null);
                    if (slots.count() != firstSlot[target + 1] - firstSlot[target]) {
                        throw new IllegalStateException("Node " + target + " has " + slots.count() + " incoming "
                                + "slots now but had " + (firstSlot[target + 1] - firstSlot[target])
                                + " when counted: the graph changed during the run");
                    }
                    listed = Arrays.copyOf(slotRelationships, slots.count());
                    slotsOf.put(target, listed);
                }
                targetOf[s] = target;
                relationshipOf[s] = listed[slot - firstSlot[target]];
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
                } else if (selfLoopRows != null) {
                    System.arraycopy(selfLoopRows, targetOf[s] * edgeDim, rows, s * edgeDim, edgeDim);
                }
            }
            return new DenseMatrix(wholeSlots.length, edgeDim, rows);
        }

        /** The node whose incoming slots hold {@code slot}: the last with its first slot at or before it. */
        private int targetOf(int slot) {
            int low = 0;
            int high = ids.size() - 1;
            while (low < high) {
                int middle = (low + high + 1) >>> 1;
                if (firstSlot[middle] <= slot) {
                    low = middle;
                } else {
                    high = middle - 1;
                }
            }
            return low;
        }

        /** Appends the projected other ends of {@code relationships} after {@code count} entries; returns the count. */
        @SuppressWarnings("deprecation")
        private int collect(Iterable<Relationship> relationships, long neo4jId, int count) {
            for (Relationship relationship : relationships) {
                long start = relationship.getStartNodeId();
                int other = ids.toDense(start == neo4jId ? relationship.getEndNodeId() : start);
                if (other < 0) {
                    continue;
                }
                if (count == relationshipIds.length) {
                    relationshipIds = Arrays.copyOf(relationshipIds, count * 2);
                    others = Arrays.copyOf(others, count * 2);
                    if (this.relationships != null) {
                        this.relationships = Arrays.copyOf(this.relationships, count * 2);
                    }
                }
                relationshipIds[count] = relationship.getId();
                if (this.relationships != null) {
                    this.relationships[count] = relationship;
                }
                others[count++] = other;
            }
            return count;
        }

        /**
         * Sorts the first {@code count} entries by relationship id. A node's relationship chain is mostly newest
         * first, so a descending run is reversed in one pass before the general sort.
         */
        private void sortByRelationship(int count) {
            boolean descending = true;
            for (int i = 1; i < count && descending; i++) {
                descending = relationshipIds[i] < relationshipIds[i - 1];
            }
            if (descending) {
                for (int i = 0, j = count - 1; i < j; i++, j--) {
                    swap(i, j);
                }
                return;
            }
            for (int gap = count / 2; gap > 0; gap /= 2) {
                for (int i = gap; i < count; i++) {
                    long key = relationshipIds[i];
                    int other = others[i];
                    Relationship relationship = relationships == null ? null : relationships[i];
                    int j = i;
                    for (; j >= gap && relationshipIds[j - gap] > key; j -= gap) {
                        relationshipIds[j] = relationshipIds[j - gap];
                        others[j] = others[j - gap];
                        if (relationships != null) {
                            relationships[j] = relationships[j - gap];
                        }
                    }
                    relationshipIds[j] = key;
                    others[j] = other;
                    if (relationships != null) {
                        relationships[j] = relationship;
                    }
                }
            }
        }

        private void swap(int i, int j) {
            long id = relationshipIds[i];
            relationshipIds[i] = relationshipIds[j];
            relationshipIds[j] = id;
            int other = others[i];
            others[i] = others[j];
            others[j] = other;
            if (relationships != null) {
                Relationship relationship = relationships[i];
                relationships[i] = relationships[j];
                relationships[j] = relationship;
            }
        }
    }
}
