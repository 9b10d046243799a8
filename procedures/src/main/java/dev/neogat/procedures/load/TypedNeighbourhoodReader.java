package dev.neogat.procedures.load;

import dev.neogat.graph.Orientation;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.RelationshipFeatureConfig;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.NotFoundException;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.TerminationGuard;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * Reads from the store only the typed L-hop in-neighbourhood of given nodes, as the typed graph a stored typed model
 * runs on: every node within L message steps of a given node (against the projection's orientation, over every
 * projected relationship type; both directions on UNDIRECTED), each with its label's features (or its learned input),
 * and every relationship that carries a message into a node closer than L. Each such node then has all its incoming
 * slots of every relation, listed in the order {@link TypedGraphLoader} lists them (edges by start node, as its label
 * scan meets them), so an L-layer typed model gives the given nodes the whole projection's outputs, and the attention
 * into them in any layer, up to float sums in another order. Nodes at distance L only give their input.
 *
 * <p>The model says which labels are featureless and how wide each label's features are; with one list of feature
 * properties for every label, a label reads those of the listed properties its nodes here carry.
 */
public final class TypedNeighbourhoodReader {

    private static final int CHECK_EVERY = 1 << 8;

    private TypedNeighbourhoodReader() {
    }

    /**
     * @param givenIds the nodes' Neo4j ids
     * @param what     names given node i in errors
     * @param covered  the labels the given nodes may have; another projected label fails, with {@code coverage}
     *                 saying why
     */
    @SuppressWarnings("deprecation")
    public static TypedLoadedGraph read(Transaction tx, ProjectionConfig projection, TypedGatConfig model,
                                        long[] givenIds, IntFunction<String> what, List<String> covered,
                                        String coverage, TerminationGuard guard) {
        long start = System.nanoTime();
        List<String> labels = projection.nodeLabels();
        DatabaseNames.requireProjection(tx, projection, null, null);
        Label[] projected = labels.stream().map(Label::label).toArray(Label[]::new);
        int hops = model.layers();
        NodeIdMap all = new NodeIdMap(Math.max(64, 4 * givenIds.length));
        List<Node> nodes = new ArrayList<>();
        Growing typeOf = new Growing();
        Growing localOf = new Growing();
        Growing distance = new Growing();
        Map<String, NodeIdMap> ids = new LinkedHashMap<>();
        Map<String, List<Node>> nodesOf = new LinkedHashMap<>();
        for (String label : labels) {
            ids.put(label, new NodeIdMap(64));
            nodesOf.put(label, new ArrayList<>());
        }
        for (int i = 0; i < givenIds.length; i++) {
            Node node;
            try {
                node = tx.getNodeById(givenIds[i]);
            } catch (NotFoundException e) {
                throw new IllegalArgumentException(what.apply(i) + ": there is no node with id " + givenIds[i]);
            }
            int type = typeOf(node, projected);
            if (type < 0) {
                throw new IllegalArgumentException(what.apply(i) + " (id " + givenIds[i] + ") is not in the model's "
                        + "projection (node labels " + labels + ")");
            }
            if (!covered.contains(labels.get(type))) {
                throw new IllegalArgumentException(what.apply(i) + " (id " + givenIds[i] + ") is a '" + labels.get(type)
                        + "' node; " + coverage);
            }
            if (all.toDense(node.getId()) < 0) {
                add(node, type, 0, all, nodes, typeOf, localOf, distance, ids, nodesOf, labels);
            }
        }

        RelationshipType[] types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        Direction messagesFrom = switch (projection.orientation()) {
            case NATURAL -> Direction.INCOMING;
            case REVERSE -> Direction.OUTGOING;
            case UNDIRECTED -> Direction.BOTH;
        };
        // Read both ways, a relationship between two nodes closer than L is met from each end: kept at the end
        // walked first (a loop is returned once).
        boolean bothEnds = messagesFrom == Direction.BOTH;
        RelationshipFeatureConfig featureConfig = projection.relationshipFeatures();
        RelationshipFeatureReader featureReader = featureConfig == null ? null
                : new RelationshipFeatureReader(featureConfig);
        Map<Relation, List<Found>> found = new TreeMap<>(TypedGraphLoader.relationOrder(labels,
                projection.relationshipTypes()));
        int row = 0;
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
                long otherId = relationship.getOtherNodeId(node.getId());
                int j = all.toDense(otherId);
                if (j < 0) {
                    Node other = tx.getNodeById(otherId);
                    int type = typeOf(other, projected);
                    if (type < 0) {
                        continue;
                    }
                    j = add(other, type, distance.get(i) + 1, all, nodes, typeOf, localOf, distance, ids, nodesOf,
                            labels);
                } else if (bothEnds && j < i && distance.get(j) < hops) {
                    continue;
                }
                boolean outgoing = relationship.getStartNodeId() == node.getId();
                int from = outgoing ? i : j;
                int to = outgoing ? j : i;
                Relation relation = new Relation(labels.get(typeOf.get(from)), relationship.getType().name(),
                        labels.get(typeOf.get(to)));
                if (featureReader != null) {
                    featureReader.read(relationship);
                }
                found.computeIfAbsent(relation, r -> new ArrayList<>()).add(new Found(
                        relationship.getStartNodeId(), relationship.getId(), localOf.get(from), localOf.get(to),
                        row++));
            }
        }

        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        List<String> featureless = new ArrayList<>();
        for (String label : labels) {
            List<String> properties = model.featureless().containsKey(label) ? List.of()
                    : TypedGraphLoader.featurePropertiesOf(projection, label, nodesOf.get(label));
            if (properties.isEmpty()) {
                featureless.add(label);
            } else if (nodesOf.get(label).isEmpty()) {
                Integer width = model.inputWidths().get(label);
                features.put(label, new DenseMatrix(0, width == null ? 0 : width, new float[0]));
            } else {
                FeatureReader reader = new FeatureReader(properties, projection.zeroMissingFeatures());
                try {
                    nodesOf.get(label).forEach(reader::read);
                    features.put(label, reader.build());
                } catch (IllegalArgumentException e) {
                    IllegalArgumentException named = new IllegalArgumentException("featureProperties of label '"
                            + label + "': " + e.getMessage());
                    named.addSuppressed(e);
                    throw named;
                }
            }
        }

        DenseMatrix featureRows = null;
        if (featureReader != null) {
            featureRows = featureReader.build();
            if (featureRows.rows() > 0) {
                RelationshipFeatureReader.standardize(featureConfig, featureRows);
            }
        }
        // Each relation's edges as the whole projection's loader lists them: by start node in its label scan's
        // order (ascending id), then by relationship.
        Comparator<Found> loaderOrder = Comparator.comparingLong(Found::startId).thenComparingLong(Found::id);
        TypedGraph.Builder builder = TypedGraph.builder();
        labels.forEach(label -> builder.nodeType(label, ids.get(label).size()));
        for (Relation relation : declaredRelations(model, projection.orientation())) {
            Relation stored = projection.orientation() == Orientation.REVERSE
                    ? new Relation(relation.targetType(), relation.name(), relation.sourceType()) : relation;
            found.putIfAbsent(stored, new ArrayList<>());
        }
        Map<Relation, FeatureMatrix> relationshipFeatures = new LinkedHashMap<>();
        Map<Relation, long[]> relationshipIds = new LinkedHashMap<>();
        long relationshipCount = 0;
        for (Map.Entry<Relation, List<Found>> entry : found.entrySet()) {
            Relation relation = entry.getKey();
            List<Found> edges = entry.getValue();
            edges.sort(loaderOrder);
            TypedGraphLoader.EdgeList list = new TypedGraphLoader.EdgeList();
            for (Found edge : edges) {
                list.add(edge.source(), edge.target(), edge.row(), edge.id());
            }
            relationshipCount += edges.size();
            Relation given = TypedGraphLoader.addRelation(builder, projection.orientation(), relation, list);
            relationshipIds.put(given, list.relationshipIds());
            if (featureRows != null) {
                int width = model.relations().contains(given) ? model.edgeDim(given) : featureRows.cols();
                relationshipFeatures.put(given, featureRows.rows() == 0 || edges.isEmpty()
                        ? new DenseMatrix(0, width, new float[0]) : list.rowsOf(featureRows));
            }
        }
        if (projection.orientation() == Orientation.UNDIRECTED) {
            builder.undirected();
        }
        TypedGraph graph = builder.build();
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new TypedLoadedGraph(ids, graph, features, featureless, model.targetType(), null, List.of(), null,
                relationshipCount, millis, relationshipFeatures, featureConfig, relationshipIds);
    }

    /** The model's relations as the loader declares them: without those UNDIRECTED adds by reversing another. */
    private static List<Relation> declaredRelations(TypedGatConfig model, Orientation orientation) {
        List<Relation> declared = new ArrayList<>();
        for (Relation r : model.relations()) {
            boolean added = orientation == Orientation.UNDIRECTED && r.isBipartite()
                    && r.name().startsWith(Relation.REVERSE_PREFIX) && model.relations().contains(new Relation(
                    r.targetType(), r.name().substring(Relation.REVERSE_PREFIX.length()), r.sourceType()));
            if (!added) {
                declared.add(r);
            }
        }
        return declared;
    }

    /** The index in nodeLabels of the first projected label the node has (its type), or -1. */
    private static int typeOf(Node node, Label[] projected) {
        for (int t = 0; t < projected.length; t++) {
            if (node.hasLabel(projected[t])) {
                return t;
            }
        }
        return -1;
    }

    @SuppressWarnings("deprecation")
    private static int add(Node node, int type, int hops, NodeIdMap all, List<Node> nodes, Growing typeOf,
                           Growing localOf, Growing distance, Map<String, NodeIdMap> ids,
                           Map<String, List<Node>> nodesOf, List<String> labels) {
        int dense = all.add(node.getId());
        nodes.add(node);
        typeOf.add(type);
        String label = labels.get(type);
        localOf.add(ids.get(label).add(node.getId()));
        nodesOf.get(label).add(node);
        distance.add(hops);
        return dense;
    }

    /** A relationship read: its start node and id (the loader's order), its type-local ends and its feature row. */
    private record Found(long startId, long id, int source, int target, int row) {
    }

    /** A growable int list. */
    private static final class Growing {
        private int[] values = new int[64];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int get(int i) {
            return values[i];
        }
    }
}
