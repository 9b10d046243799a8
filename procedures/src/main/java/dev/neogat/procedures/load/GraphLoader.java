package dev.neogat.procedures.load;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.procedures.config.ProjectionConfig;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.ResourceIterator;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.TerminationGuard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Reads a projection through the procedure's transaction: the nodes with any of the labels (all nodes
 * when none are given) with their features, labels and split, then their outgoing relationships of the
 * given types (all when none) whose other end is in the projection. Every name is checked against the
 * database before anything is read ({@link DatabaseNames}); a name the database has but none of the
 * projected nodes or relationships carries fails while loading, before anything could be written.
 */
public final class GraphLoader {

    private static final int CHECK_EVERY = 1 << 12;
    /**
     * From this share of all nodes on, relationships are read by scanning the relationship store (measured
     * 12 to 20 M/s) rather than by walking each projected node's chain (about 2 M/s).
     */
    private static final double SCAN_FRACTION = 0.2;

    private GraphLoader() {
    }

    /** The split of labelled nodes: by a property, or at random by fractions of them. */
    public record SplitSpec(String property, double trainFraction, double validationFraction, long seed) {
    }

    /**
     * @param labelProperty null to read no labels (prediction)
     * @param split         null to read no split
     * @param phase         told what is being read, for progress reporting
     */
    @SuppressWarnings("deprecation")
    public static LoadedGraph load(Transaction tx, ProjectionConfig projection, String labelProperty, SplitSpec split,
                                   TerminationGuard guard, Consumer<String> phase) {
        DatabaseNames.requireProjection(tx, projection, labelProperty, split == null ? null : split.property());
        long start = System.nanoTime();
        phase.accept("reading nodes");
        NodeIdMap ids = new NodeIdMap(1 << 14);
        FeatureReader features = new FeatureReader(projection.featureProperties(), projection.zeroMissingFeatures());
        LabelReader labels = labelProperty == null ? null : new LabelReader(labelProperty);
        byte[] splitCodes = new byte[1 << 14];
        boolean splitSeen = false;
        List<Node> nodes = new ArrayList<>();
        for (Node node : (Iterable<Node>) () -> nodes(tx, projection.nodeLabels())) {
            int before = ids.size();
            int dense = ids.add(node.getId());
            if (dense < before) {
                continue;
            }
            if (dense % CHECK_EVERY == 0) {
                guard.check();
            }
            nodes.add(node);
            features.read(node);
            if (labels != null) {
                labels.read(node);
            }
            if (split != null && split.property() != null) {
                if (dense == splitCodes.length) {
                    splitCodes = Arrays.copyOf(splitCodes, dense * 2);
                }
                splitCodes[dense] = splitCode(node, split.property());
                splitSeen |= splitCodes[dense] != 3 || node.hasProperty(split.property());
            }
        }
        if (ids.size() == 0) {
            throw new IllegalArgumentException(projection.nodeLabels().isEmpty() ? "The database has no nodes"
                    : "No node has any of the labels " + projection.nodeLabels());
        }
        List<String> absentFeatures = features.absentProperties();
        if (!absentFeatures.isEmpty()) {
            throw notOnProjection("property '" + absentFeatures.get(0) + "' (featureProperties)", "is on", projection);
        }
        if (labels != null && !labels.anyLabelled()) {
            throw notOnProjection("property '" + labelProperty + "' (labelProperty)", "is on", projection);
        }
        if (split != null && split.property() != null && !splitSeen) {
            throw notOnProjection("property '" + split.property() + "' (splitProperty)", "is on", projection);
        }
        FeatureMatrix featureMatrix = features.build();
        long nodeMillis = (System.nanoTime() - start) / 1_000_000;

        phase.accept("reading relationships");
        long relationshipStart = System.nanoTime();
        RelationshipType[] types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        EdgeCollector edges = new EdgeCollector(relationshipFeatureReader(projection));
        long[] edgesPerType = new long[types.length];
        if (projection.nodeLabels().isEmpty() || ids.size() >= SCAN_FRACTION * countAllNodes(tx)) {
            scanRelationships(tx, types, ids, edges, edgesPerType, guard);
        } else {
            walkRelationships(nodes, types, ids, edges, edgesPerType, guard);
        }
        for (int t = 0; t < types.length; t++) {
            if (edgesPerType[t] == 0) {
                throw notOnProjection("relationship type '" + types[t].name() + "' (relationshipTypes)", "connects",
                        projection);
            }
        }
        int[] sources = edges.sources();
        int[] targets = edges.targets();
        long[] relationshipIds = edges.relationshipIds();
        DenseMatrix relationshipFeatures = edges.relationshipFeatures();
        long relationshipMillis = (System.nanoTime() - relationshipStart) / 1_000_000;

        phase.accept("building the graph");
        IncomingCsr graph = new GraphBuilder(ids.size()).orientation(projection.orientation())
                .selfLoops(projection.selfLoops()).dropDuplicates(projection.dropDuplicates()).build(sources, targets);
        LabelsAndSplit labelled = labels == null ? new LabelsAndSplit(null, List.of(), null)
                : labelsAndSplit(labels, labelProperty, split, splitCodes, ids, tx);
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new LoadedGraph(ids, relationshipIds, graph, featureMatrix, labelled.labels(),
                labelled.classValues(), labelled.split(), millis, nodeMillis, relationshipMillis,
                relationshipFeatures);
    }

    /** The labels of the nodes read, their class values in class order, and their split (null when none asked). */
    record LabelsAndSplit(NodeLabels labels, List<Object> classValues, NodeSplit split) {
    }

    /**
     * The labels {@code labels} read (node i: dense id i of {@code ids}) and their split: by the split codes read
     * per node ({@link #splitCode}) when the split is by a property, else at random.
     */
    static LabelsAndSplit labelsAndSplit(LabelReader labels, String labelProperty, SplitSpec split,
                                         byte[] splitCodes, NodeIdMap ids, Transaction tx) {
        List<Object> classValues = labels.classValues();
        if (classValues.size() < 2 && !labels.multiLabel()) {
            throw new IllegalArgumentException("The label property '" + labelProperty + "' has a single value ("
                    + classValues.get(0) + "); classification needs at least two classes");
        }
        NodeLabels nodeLabels = labels.build(classValues);
        NodeSplit nodeSplit = null;
        if (split != null) {
            nodeSplit = split.property() != null
                    ? splitByProperty(splitCodes, ids, labels, split.property(), tx)
                    : NodeSplit.random(nodeLabels, split.trainFraction(), split.validationFraction(), split.seed());
        }
        return new LabelsAndSplit(nodeLabels, classValues, nodeSplit);
    }

    /**
     * Only what an L-layer model needs for the given nodes: the nodes within {@code hops} message steps of any of
     * them (one search from all targets at distance 0, against the projection's orientation: a node receives from
     * the start nodes of its incoming relationships when NATURAL), with their features, and the projected
     * relationships that carry a message into a node closer than {@code hops}. Every such node has all its message
     * edges, so the model's output for each target is the one of the whole projection (up to the order of float
     * sums); the outermost nodes only send, so their own relationships are never read (at degree d that saves about
     * d times the reads). Reads the neighbourhood only, not the store. The targets come first, in the given order (duplicates once).
     *
     * @param what names target i in errors, e.g. "Configuration 'nodes' entry 3"
     */
    @SuppressWarnings("deprecation")
    public static LoadedGraph loadNeighbourhood(Transaction tx, ProjectionConfig projection, long[] targetIds,
                                                IntFunction<String> what, int hops, TerminationGuard guard) {
        long start = System.nanoTime();
        DatabaseNames.requireProjection(tx, projection, null, null);
        Label[] labels = projection.nodeLabels().stream().map(Label::label).toArray(Label[]::new);
        NodeIdMap ids = new NodeIdMap(Math.max(64, 2 * targetIds.length));
        List<Node> nodes = new ArrayList<>();
        List<Integer> distance = new ArrayList<>();
        for (int t = 0; t < targetIds.length; t++) {
            Node target;
            try {
                target = tx.getNodeById(targetIds[t]);
            } catch (org.neo4j.graphdb.NotFoundException e) {
                throw new IllegalArgumentException(what.apply(t) + ": there is no node with id " + targetIds[t]);
            }
            if (!inProjection(target, labels)) {
                throw new IllegalArgumentException(what.apply(t) + " (id " + targetIds[t] + ") is not in the model's "
                        + "projection (node labels " + projection.nodeLabels() + ", features "
                        + projection.featureProperties() + ")");
            }
            if (ids.toDense(target.getId()) < 0) {
                ids.add(target.getId());
                nodes.add(target);
                distance.add(0);
            }
        }
        RelationshipType[] types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        Direction messagesFrom = switch (projection.orientation()) {
            case NATURAL -> Direction.INCOMING;
            case REVERSE -> Direction.OUTGOING;
            case UNDIRECTED -> Direction.BOTH;
        };
        // One walk finds the nodes and collects each message edge into a node closer than hops, in stored
        // direction. With BOTH a relationship between two such nodes is seen from each end: it is kept at the end
        // walked first (a loop is returned once).
        boolean bothEnds = messagesFrom == Direction.BOTH;
        EdgeCollector edges = new EdgeCollector(relationshipFeatureReader(projection));
        for (int i = 0; i < nodes.size(); i++) {
            if (distance.get(i) == hops) {
                continue;
            }
            if (i % CHECK_EVERY == 0) {
                guard.check();
            }
            Node node = nodes.get(i);
            for (Relationship relationship : types.length == 0 ? node.getRelationships(messagesFrom)
                    : node.getRelationships(messagesFrom, types)) {
                Node other = relationship.getOtherNode(node);
                int j = ids.toDense(other.getId());
                if (j < 0) {
                    if (!inProjection(other, labels)) {
                        continue;
                    }
                    j = ids.add(other.getId());
                    nodes.add(other);
                    distance.add(distance.get(i) + 1);
                } else if (bothEnds && j < i && distance.get(j) < hops) {
                    continue;
                }
                boolean outgoing = relationship.getStartNodeId() == node.getId();
                edges.add(outgoing ? i : j, outgoing ? j : i, relationship);
            }
        }
        long relationshipMillis = (System.nanoTime() - start) / 1_000_000;
        FeatureReader features = new FeatureReader(projection.featureProperties(), projection.zeroMissingFeatures());
        for (Node node : nodes) {
            features.read(node);
        }
        FeatureMatrix featureMatrix = features.build();
        long nodeMillis = (System.nanoTime() - start) / 1_000_000 - relationshipMillis;
        IncomingCsr graph = new GraphBuilder(ids.size()).orientation(projection.orientation())
                .selfLoops(projection.selfLoops()).dropDuplicates(projection.dropDuplicates())
                .build(edges.sources(), edges.targets());
        long millis = (System.nanoTime() - start) / 1_000_000;
        DenseMatrix relationshipFeatures = edges.relationshipFeatures();
        return new LoadedGraph(ids, edges.relationshipIds(), graph, featureMatrix, null, List.of(), null, millis,
                nodeMillis, relationshipMillis, relationshipFeatures);
    }

    private static boolean inProjection(Node node, Label[] labels) {
        if (labels.length == 0) {
            return true;
        }
        for (Label label : labels) {
            if (node.hasLabel(label)) {
                return true;
            }
        }
        return false;
    }

    /** The reader of the projection's relationship features, or null when it reads none. */
    private static RelationshipFeatureReader relationshipFeatureReader(ProjectionConfig projection) {
        return projection.relationshipFeatures() == null ? null
                : new RelationshipFeatureReader(projection.relationshipFeatures());
    }

    /**
     * Edges as they are found: dense endpoints, the relationship id, and with a {@code reader} the relationship's
     * features (one row per edge, in this order: the order given to the graph builder).
     */
    private static final class EdgeCollector extends EdgeArrays {
        private final RelationshipFeatureReader reader;

        EdgeCollector(RelationshipFeatureReader reader) {
            super(1 << 14);
            this.reader = reader;
        }

        @SuppressWarnings("deprecation")
        void add(int source, int target, Relationship relationship) {
            if (reader != null) {
                reader.read(relationship);
            }
            add(source, target, relationship.getId());
        }

        /** The features of the edges as stored (not standardised); null when none are read. */
        DenseMatrix relationshipFeatures() {
            return reader == null ? null : reader.build();
        }
    }

    @SuppressWarnings("deprecation")
    private static void scanRelationships(Transaction tx, RelationshipType[] types, NodeIdMap ids, EdgeCollector edges,
                                          long[] edgesPerType, TerminationGuard guard) {
        long seen = 0;
        for (Relationship relationship : tx.getAllRelationships()) {
            if (++seen % (CHECK_EVERY * 16) == 0) {
                guard.check();
            }
            int type = types.length == 0 ? -1 : typeIndex(relationship, types);
            if (types.length > 0 && type < 0) {
                continue;
            }
            int source = ids.toDense(relationship.getStartNodeId());
            if (source < 0) {
                continue;
            }
            int target = ids.toDense(relationship.getEndNodeId());
            if (target >= 0) {
                edges.add(source, target, relationship);
                if (type >= 0) {
                    edgesPerType[type]++;
                }
            }
        }
    }

    /** Walks each type separately, so that edges are counted per type without reading each one's type. */
    @SuppressWarnings("deprecation")
    private static void walkRelationships(List<Node> nodes, RelationshipType[] types, NodeIdMap ids,
                                          EdgeCollector edges, long[] edgesPerType, TerminationGuard guard) {
        for (int i = 0; i < nodes.size(); i++) {
            if (i % CHECK_EVERY == 0) {
                guard.check();
            }
            Node node = nodes.get(i);
            if (types.length == 0) {
                walk(node.getRelationships(Direction.OUTGOING), i, ids, edges);
            }
            for (int t = 0; t < types.length; t++) {
                edgesPerType[t] += walk(node.getRelationships(Direction.OUTGOING, types[t]), i, ids, edges);
            }
        }
    }

    /** Adds the relationships whose end node is projected; returns how many. */
    @SuppressWarnings("deprecation")
    private static int walk(Iterable<Relationship> relationships, int source, NodeIdMap ids, EdgeCollector edges) {
        int added = 0;
        for (Relationship relationship : relationships) {
            int target = ids.toDense(relationship.getEndNodeId());
            if (target >= 0) {
                edges.add(source, target, relationship);
                added++;
            }
        }
        return added;
    }

    private static int typeIndex(Relationship relationship, RelationshipType[] types) {
        for (int t = 0; t < types.length; t++) {
            if (relationship.isType(types[t])) {
                return t;
            }
        }
        return -1;
    }

    /**
     * A name the database has that none of the projected nodes (or relationships between them) carries:
     * {@code what} names it and its key, {@code verb} says how it would relate to the projected nodes.
     */
    static IllegalArgumentException notOnProjection(String what, String verb, ProjectionConfig projection) {
        String nodes = projection.nodeLabels().isEmpty() ? "all nodes"
                : "nodeLabels " + DatabaseNames.quoted(projection.nodeLabels());
        return new IllegalArgumentException("The " + what + " " + verb + " none of the projected nodes (" + nodes
                + "); it exists in the database but not " + ("is on".equals(verb) ? "on" : "between") + " those nodes");
    }

    static long countAllNodes(Transaction tx) {
        long count = 0;
        try (var all = tx.getAllNodes().iterator()) {
            while (all.hasNext()) {
                all.next();
                count++;
            }
        }
        return count;
    }

    static java.util.Iterator<Node> nodes(Transaction tx, List<String> labels) {
        if (labels.isEmpty()) {
            return tx.getAllNodes().iterator();
        }
        List<ResourceIterator<Node>> perLabel = new ArrayList<>();
        for (String label : labels) {
            perLabel.add(tx.findNodes(Label.label(label)));
        }
        return perLabel.stream().flatMap(ResourceIterator::stream).iterator();
    }

    /** 0 train, 1 validation, 2 test, 3 none. */
    static byte splitCode(Node node, String property) {
        Object value = node.getProperty(property, null);
        if (value == null) {
            return 3;
        }
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException("Split property '" + property + "' of node " + node.getElementId() + " is "
                    + FeatureReader.describe(value) + "; expected 'train', 'val' (or 'validation'), 'test' or 'none'");
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "train" -> 0;
            case "val", "valid", "validation" -> 1;
            case "test" -> 2;
            case "none", "" -> 3;
            default -> throw new IllegalArgumentException("Split property '" + property + "' of node "
                    + node.getElementId() + " is '" + s + "'; expected 'train', 'val' (or 'validation'), 'test' or "
                    + "'none'");
        };
    }

    @SuppressWarnings("deprecation")
    private static NodeSplit splitByProperty(byte[] codes, NodeIdMap ids, LabelReader labels, String property,
                                             Transaction tx) {
        int n = ids.size();
        int[][] sets = new int[3][n];
        int[] sizes = new int[3];
        for (int i = 0; i < n; i++) {
            int code = codes[i];
            if (code < 3) {
                if (!labels.hasLabel(i)) {
                    String[] names = {"train", "val", "test"};
                    throw new IllegalArgumentException("Node " + tx.getNodeById(ids.toNeo4j(i)).getElementId()
                            + " is in the '" + names[code] + "' split (property '" + property
                            + "') but has no label");
                }
                sets[code][sizes[code]++] = i;
            }
        }
        if (sizes[0] == 0) {
            throw new IllegalArgumentException("No node has '" + property + "' = 'train': at least one labelled node "
                    + "must be in the training split");
        }
        return new NodeSplit(Arrays.copyOf(sets[0], sizes[0]), Arrays.copyOf(sets[1], sizes[1]),
                Arrays.copyOf(sets[2], sizes[2]));
    }
}
