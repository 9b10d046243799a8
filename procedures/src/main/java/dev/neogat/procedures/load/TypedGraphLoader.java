package dev.neogat.procedures.load;

import dev.neogat.graph.Orientation;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.RelationshipFeatureConfig;
import dev.neogat.procedures.config.TrainKeys;
import dev.neogat.spec.Relation;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Reads a typed projection through the procedure's transaction, as {@link GraphLoader} reads an untyped one: each
 * projected label is a node type, and a node with several projected labels belongs to the FIRST of them in the
 * order of {@code nodeLabels}. Each label reads its own feature properties (widths may differ between labels); a
 * label without any is featureless. Each (start label, relationship type, end label) that occurs is a relation;
 * UNDIRECTED adds the reverse of each ({@link TypedGraph.Builder#undirected()}, PyG's {@code rev_}). Labels and
 * split are read for the nodes of the target label, as {@link GraphLoader} reads them.
 */
public final class TypedGraphLoader {

    private static final int CHECK_EVERY = 1 << 12;

    private TypedGraphLoader() {
    }

    /**
     * @param labelProperty null to read no labels (prediction)
     * @param split         null to read no split
     * @param targetLabels  the target label (one), or empty for the labels whose nodes carry {@code labelProperty}
     */
    @SuppressWarnings("deprecation")
    public static TypedLoadedGraph load(Transaction tx, ProjectionConfig projection, String labelProperty,
                                        GraphLoader.SplitSpec split, List<String> targetLabels,
                                        TerminationGuard guard, Consumer<String> phase) {
        List<String> labels = requireTypedProjection(projection, targetLabels);
        DatabaseNames.requireProjection(tx, projection, labelProperty, split == null ? null : split.property());
        long start = System.nanoTime();
        phase.accept("reading nodes");
        NodeIdMap all = new NodeIdMap(1 << 14);
        Map<String, NodeIdMap> ids = new LinkedHashMap<>();
        Map<String, List<Node>> nodes = new LinkedHashMap<>();
        int[] typeOf = new int[1 << 14];
        int[] localOf = new int[1 << 14];
        for (int t = 0; t < labels.size(); t++) {
            String label = labels.get(t);
            NodeIdMap local = new NodeIdMap(1 << 10);
            List<Node> ofLabel = new ArrayList<>();
            try (ResourceIterator<Node> found = tx.findNodes(Label.label(label))) {
                while (found.hasNext()) {
                    Node node = found.next();
                    int before = all.size();
                    int dense = all.add(node.getId());
                    if (dense < before) {
                        continue; // an earlier label of nodeLabels has it
                    }
                    if (dense % CHECK_EVERY == 0) {
                        guard.check();
                    }
                    if (dense == typeOf.length) {
                        typeOf = Arrays.copyOf(typeOf, dense * 2);
                        localOf = Arrays.copyOf(localOf, dense * 2);
                    }
                    typeOf[dense] = t;
                    localOf[dense] = local.add(node.getId());
                    ofLabel.add(node);
                }
            }
            if (ofLabel.isEmpty()) {
                throw new IllegalArgumentException("Every node of label '" + label + "' also has a label listed before "
                        + "it in nodeLabels " + DatabaseNames.quoted(labels) + ", so '" + label + "' has no nodes of its "
                        + "own (a node belongs to the first of its projected labels); leave it out or list it earlier");
            }
            ids.put(label, local);
            nodes.put(label, ofLabel);
        }

        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        List<String> featureless = new ArrayList<>();
        for (String label : labels) {
            List<String> properties = featurePropertiesOf(projection, label, nodes.get(label));
            if (properties.isEmpty()) {
                featureless.add(label);
                continue;
            }
            FeatureReader reader = new FeatureReader(properties, projection.zeroMissingFeatures());
            try {
                nodes.get(label).forEach(reader::read);
                List<String> absent = reader.absentProperties();
                if (!absent.isEmpty()) {
                    throw new IllegalArgumentException("The property '" + absent.get(0) + "' is on none of the nodes "
                            + "of label '" + label + "'; it exists in the database but not on those nodes (give "
                            + label + ": null for a label without features)");
                }
                features.put(label, reader.build());
            } catch (IllegalArgumentException e) {
                // Neo4j shows users the deepest cause's message: keep the label on top, the original as suppressed.
                IllegalArgumentException named = new IllegalArgumentException("featureProperties of label '" + label
                        + "': " + e.getMessage());
                named.addSuppressed(e);
                throw named;
            }
        }

        String target = null;
        TreeMap<String, LabelReader> labelled = new TreeMap<>();
        Map<String, LabelReader> readers = new LinkedHashMap<>();
        if (labelProperty != null) {
            for (String label : labels) {
                LabelReader reader = new LabelReader(labelProperty);
                nodes.get(label).forEach(reader::read);
                readers.put(label, reader);
                if (reader.anyLabelled()) {
                    labelled.put(label, reader);
                }
            }
            if (labelled.isEmpty()) {
                throw GraphLoader.notOnProjection("property '" + labelProperty + "' (labelProperty)", "is on",
                        projection);
            }
        }
        target = targetLabel(targetLabels, labels, labelled.keySet(), labelProperty);
        GraphLoader.LabelsAndSplit labelsAndSplit = new GraphLoader.LabelsAndSplit(null, List.of(), null);
        if (labelProperty != null) {
            LabelReader targetReader = readers.get(target);
            if (!targetReader.anyLabelled()) {
                throw new IllegalArgumentException("No node of the target label '" + target + "' has the label "
                        + "property '" + labelProperty + "'; it is on nodes of " + DatabaseNames.quoted(
                        List.copyOf(labelled.keySet())));
            }
            requireClassesOnTarget(target, targetReader, labelled, labelProperty);
            byte[] splitCodes = null;
            if (split != null && split.property() != null) {
                List<Node> targetNodes = nodes.get(target);
                splitCodes = new byte[targetNodes.size()];
                boolean seen = false;
                for (int i = 0; i < splitCodes.length; i++) {
                    splitCodes[i] = GraphLoader.splitCode(targetNodes.get(i), split.property());
                    seen |= splitCodes[i] != 3 || targetNodes.get(i).hasProperty(split.property());
                }
                if (!seen) {
                    throw new IllegalArgumentException("The property '" + split.property() + "' (splitProperty) is on "
                            + "none of the nodes of the target label '" + target + "'");
                }
            }
            labelsAndSplit = GraphLoader.labelsAndSplit(targetReader, labelProperty, split, splitCodes,
                    ids.get(target), tx);
        }

        phase.accept("reading relationships");
        RelationshipType[] types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        long[] edgesPerType = new long[types.length];
        Map<Relation, EdgeList> edges = new TreeMap<>(relationOrder(labels, projection.relationshipTypes()));
        RelationshipFeatureConfig featureConfig = projection.relationshipFeatures();
        RelationshipFeatureReader featureReader = featureConfig == null ? null
                : new RelationshipFeatureReader(featureConfig);
        long relationshipCount = 0;
        for (int t = 0; t < labels.size(); t++) {
            List<Node> ofLabel = nodes.get(labels.get(t));
            for (int i = 0; i < ofLabel.size(); i++) {
                if (i % CHECK_EVERY == 0) {
                    guard.check();
                }
                Node node = ofLabel.get(i);
                Iterable<Relationship> outgoing = types.length == 0 ? node.getRelationships(Direction.OUTGOING)
                        : node.getRelationships(Direction.OUTGOING, types);
                for (Relationship relationship : outgoing) {
                    int end = all.toDense(relationship.getEndNodeId());
                    if (end < 0) {
                        continue;
                    }
                    String type = relationship.getType().name();
                    Relation relation = new Relation(labels.get(t), type, labels.get(typeOf[end]));
                    // The reader's rows follow the order of reading; each edge keeps its row to be sliced per relation.
                    edges.computeIfAbsent(relation, r -> new EdgeList()).add(i, localOf[end], (int) relationshipCount,
                            relationship.getId());
                    if (featureReader != null) {
                        featureReader.read(relationship);
                    }
                    relationshipCount++;
                    int typeIndex = projection.relationshipTypes().indexOf(type);
                    if (typeIndex >= 0) {
                        edgesPerType[typeIndex]++;
                    }
                }
            }
        }
        for (int t = 0; t < types.length; t++) {
            if (edgesPerType[t] == 0) {
                throw GraphLoader.notOnProjection("relationship type '" + types[t].name() + "' (relationshipTypes)",
                        "connects", projection);
            }
        }

        phase.accept("building the graph");
        DenseMatrix featureRows = null;
        if (featureReader != null) {
            featureRows = featureReader.build();
            double[][] statistics = RelationshipFeatureReader.standardize(featureConfig, featureRows);
            if (statistics != null && featureConfig.mean() == null) {
                featureConfig = featureConfig.withStatistics(statistics[0], statistics[1]);
            }
        }
        TypedGraph.Builder builder = TypedGraph.builder();
        labels.forEach(label -> builder.nodeType(label, ids.get(label).size()));
        Map<Relation, FeatureMatrix> relationshipFeatures = new LinkedHashMap<>();
        Map<Relation, long[]> relationshipIds = new LinkedHashMap<>();
        for (Map.Entry<Relation, EdgeList> entry : edges.entrySet()) {
            Relation relation = entry.getKey();
            EdgeList list = entry.getValue();
            Relation given = addRelation(builder, projection.orientation(), relation, list);
            relationshipIds.put(given, list.relationshipIds());
            if (featureRows != null) {
                relationshipFeatures.put(given, list.rowsOf(featureRows));
            }
        }
        if (projection.orientation() == Orientation.UNDIRECTED) {
            builder.undirected();
        }
        TypedGraph graph = builder.build();
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new TypedLoadedGraph(ids, graph, features, featureless, target, labelsAndSplit.labels(),
                labelsAndSplit.classValues(), labelsAndSplit.split(), relationshipCount, millis,
                relationshipFeatures, featureConfig, relationshipIds);
    }

    /**
     * The checks of the configuration's names that {@link #load} makes before reading anything (the feature map
     * against nodeLabels, targetLabels projected), for a caller that sizes the projection first.
     */
    public static void requireNames(ProjectionConfig projection, List<String> targetLabels) {
        requireFeatureMap(projection);
        requireTargetLabelsProjected(targetLabels, projection.nodeLabels());
    }

    /**
     * The projection's labels, once it is one a typed model can be trained on or run over: labels given, self loops
     * kept and duplicates not dropped, a feature map that names projected labels, target labels among the projected
     * ones. Shared by the in-heap loader and the store-backed graph, so both refuse alike.
     */
    static List<String> requireTypedProjection(ProjectionConfig projection, List<String> targetLabels) {
        List<String> labels = projection.nodeLabels();
        if (labels.isEmpty()) {
            throw new IllegalArgumentException("A typed model needs 'nodeLabels': the labels whose nodes become its "
                    + "node types (in order: a node with several of them belongs to the first)");
        }
        if (!projection.selfLoops() || projection.dropDuplicates()) {
            throw new IllegalArgumentException("Typed models do not support " + (!projection.selfLoops()
                    ? "'selfLoops: false'" : "'dropDuplicates: true'") + " yet; leave it out, or give typed: false");
        }
        requireNames(projection, targetLabels);
        return labels;
    }

    /** With featureProperties as a map: one entry for each projected label and none for any other. */
    static void requireFeatureMap(ProjectionConfig projection) {
        Map<String, List<String>> byLabel = projection.featurePropertiesByLabel();
        if (byLabel == null) {
            return;
        }
        String key = TrainKeys.FEATURE_PROPERTIES.name();
        for (String label : byLabel.keySet()) {
            if (!projection.nodeLabels().contains(label)) {
                String closest = ConfigMap.closest(label, projection.nodeLabels());
                throw new IllegalArgumentException("Configuration '" + key + "' names the label '" + label + "', which "
                        + "is not projected" + (closest != null ? "; did you mean '" + closest + "'?" : ".")
                        + " The projected labels (nodeLabels) are " + DatabaseNames.quoted(projection.nodeLabels()));
            }
        }
        for (String label : projection.nodeLabels()) {
            if (!byLabel.containsKey(label)) {
                throw new IllegalArgumentException("Configuration '" + key + "' has no entry for the label '" + label
                        + "'; give it a property, a list of properties, or null for a label without features");
            }
        }
    }

    static void requireTargetLabelsProjected(List<String> targetLabels, List<String> labels) {
        for (String target : targetLabels) {
            if (!labels.contains(target)) {
                String closest = ConfigMap.closest(target, labels);
                throw new IllegalArgumentException("Configuration 'targetLabels' names '" + target + "', which is not "
                        + "projected" + (closest != null ? "; did you mean '" + closest + "'?" : ".")
                        + " The projected labels (nodeLabels) are " + DatabaseNames.quoted(labels));
            }
        }
        if (targetLabels.size() > 1) {
            throw new IllegalArgumentException("Configuration 'targetLabels' lists " + DatabaseNames.quoted(targetLabels)
                    + ", but a typed model takes one target label for now; give one of them");
        }
    }

    /**
     * A label's feature properties: its map entry, or of the properties listed for every label the ones its nodes
     * carry (none: the label is featureless).
     */
    static List<String> featurePropertiesOf(ProjectionConfig projection, String label, List<Node> nodes) {
        if (projection.featurePropertiesByLabel() != null) {
            return projection.featurePropertiesOf(label);
        }
        List<String> carried = new ArrayList<>();
        for (String property : projection.featureProperties()) {
            for (Node node : nodes) {
                if (node.hasProperty(property)) {
                    carried.add(property);
                    break;
                }
            }
        }
        return carried;
    }

    /** The given target label, or the one label whose nodes carry the label property. */
    static String targetLabel(List<String> targetLabels, List<String> labels, Set<String> labelled,
                                      String labelProperty) {
        if (!targetLabels.isEmpty()) {
            return targetLabels.get(0);
        }
        List<String> inOrder = labels.stream().filter(labelled::contains).toList();
        if (inOrder.size() > 1) {
            throw new IllegalArgumentException("The label property '" + labelProperty + "' is on nodes of "
                    + inOrder.size() + " labels " + DatabaseNames.quoted(inOrder) + ", but a typed model takes one "
                    + "target label for now; pass targetLabels: '" + inOrder.get(0) + "' (or another of them)");
        }
        if (inOrder.isEmpty()) {
            throw new IllegalArgumentException("A typed model run needs 'targetLabels': the label whose nodes it "
                    + "predicts");
        }
        return inOrder.get(0);
    }

    /** Fails when a class value is only on nodes of other labels: the model could never predict it. */
    static void requireClassesOnTarget(String target, LabelReader targetReader,
                                               Map<String, LabelReader> labelled, String labelProperty) {
        Set<Object> onTarget = new LinkedHashSet<>(targetReader.classValues());
        labelled.forEach((label, reader) -> {
            if (label.equals(target)) {
                return;
            }
            for (Object value : reader.classValues()) {
                if (!onTarget.contains(value)) {
                    throw new IllegalArgumentException("The class " + (value instanceof String ? "'" + value + "'"
                            : value) + " of '" + labelProperty + "' is on nodes of label '" + label + "' but on no "
                            + "node of the target label '" + target + "'; the model learns and predicts the classes of "
                            + "'" + target + "' only (remove the property from the other labels' nodes, or choose "
                            + "another targetLabels)");
                }
            }
        });
    }

    /** Relations by source label, then relationship type, then target label, in the projection's orders. */
    static Comparator<Relation> relationOrder(List<String> labels, List<String> types) {
        Comparator<String> byType = types.isEmpty() ? Comparator.naturalOrder()
                : Comparator.comparingInt(types::indexOf);
        return Comparator.comparingInt((Relation r) -> labels.indexOf(r.sourceType()))
                .thenComparing(Relation::name, byType)
                .thenComparingInt(r -> labels.indexOf(r.targetType()));
    }

    /** One relation's edges as found, in type-local node ids, with each edge's row among all relationships read. */
    /**
     * Adds the edges read for {@code relation} (source → target as stored) to {@code builder} as the model reads
     * them: REVERSE flips each edge and names the relation from the target's label; returns the relation added.
     */
    static Relation addRelation(TypedGraph.Builder builder, Orientation orientation, Relation relation,
                                EdgeList list) {
        if (orientation == Orientation.REVERSE) {
            Relation given = new Relation(relation.targetType(), relation.name(), relation.sourceType());
            builder.relation(given, list.targets(), list.sources());
            return given;
        }
        builder.relation(relation, list.sources(), list.targets());
        return relation;
    }

    static final class EdgeList extends EdgeArrays {
        private int[] rows = new int[64];

        EdgeList() {
            super(64);
        }

        void add(int source, int target, int row, long relationshipId) {
            int edge = add(source, target, relationshipId); // may grow rows: index it afterwards
            rows[edge] = row;
        }

        @Override
        void grown(int capacity) {
            rows = Arrays.copyOf(rows, capacity);
        }

        /** This relation's rows of {@code all} (one per relationship read), in its edges' order. */
        DenseMatrix rowsOf(DenseMatrix all) {
            int width = all.cols();
            int count = count();
            float[] data = new float[Math.multiplyExact(count, width)];
            for (int e = 0; e < count; e++) {
                System.arraycopy(all.data(), rows[e] * width, data, e * width, width);
            }
            return new DenseMatrix(count, width, data);
        }
    }
}
