package dev.neogat.graph;

import dev.neogat.spec.Relation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A typed graph's topology: node types with their node counts (nodes are numbered 0..count-1 within their
 * type) and relations, each turned into an {@link IncomingCsr} over its target type's nodes. A relation
 * between two types is bipartite (sources in the source type's ids, no self loops, PyG's
 * {@code GATConv((in_src, in_dst), add_self_loops=False)}); a relation within one type has self loops as
 * the untyped graph (PyG's {@code GATConv} default). Features live beside it, one matrix per type.
 *
 * <p>{@link Builder#undirected()} reads a projection as undirected the way PyG's
 * {@code ToUndirected(merge=True)} does: a relation between two types gains its reverse
 * {@code (target)-[rev_name]->(source)} as a relation of its own; a relation within one type carries both
 * directions of each edge ({@link Orientation#UNDIRECTED}).
 */
public final class TypedGraph {

    private final Map<String, Integer> nodeCounts;
    private final Map<Relation, IncomingCsr> graphs;
    private final Map<Relation, Relation> reversedFrom;

    private TypedGraph(Map<String, Integer> nodeCounts, Map<Relation, IncomingCsr> graphs,
                       Map<Relation, Relation> reversedFrom) {
        this.nodeCounts = Collections.unmodifiableMap(nodeCounts);
        this.graphs = Collections.unmodifiableMap(graphs);
        this.reversedFrom = Collections.unmodifiableMap(reversedFrom);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A typed graph of relations whose CSRs are already built, none reversed from another (an explanation's
     * neighbourhood, built slot by slot): each CSR's targets are its target type's nodes, its sources its source
     * type's.
     */
    public static TypedGraph of(Map<String, Integer> nodeCounts, Map<Relation, IncomingCsr> graphs) {
        for (Map.Entry<Relation, IncomingCsr> entry : graphs.entrySet()) {
            Relation r = entry.getKey();
            IncomingCsr csr = entry.getValue();
            Integer targets = nodeCounts.get(r.targetType());
            Integer sources = nodeCounts.get(r.sourceType());
            if (targets == null || sources == null) {
                throw new IllegalArgumentException("Relation " + r + " names a node type that is not given; the node "
                        + "types are " + nodeCounts.keySet());
            }
            if (csr.nodeCount() != targets || csr.sourceCount() != sources) {
                throw new IllegalArgumentException("Relation " + r + " has a graph of " + csr.sourceCount()
                        + " sources and " + csr.nodeCount() + " targets for " + sources + " and " + targets + " nodes");
            }
        }
        return new TypedGraph(new LinkedHashMap<>(nodeCounts), new LinkedHashMap<>(graphs), new LinkedHashMap<>());
    }

    /** Node types in the order they were declared. */
    public List<String> nodeTypes() {
        return List.copyOf(nodeCounts.keySet());
    }

    public int nodeCount(String type) {
        Integer count = nodeCounts.get(type);
        if (count == null) {
            throw unknownType(type, nodeCounts.keySet().stream().toList(), "node type");
        }
        return count;
    }

    /** Relations in the order they were declared, each reverse right after its relation. */
    public List<Relation> relations() {
        return List.copyOf(graphs.keySet());
    }

    /** The incoming CSR of a relation: targets are its target type's nodes. */
    public IncomingCsr graph(Relation relation) {
        IncomingCsr csr = graphs.get(relation);
        if (csr == null) {
            throw new IllegalArgumentException("The graph has no relation " + relation + "; its relations are "
                    + graphs.keySet());
        }
        return csr;
    }

    /**
     * For a relation added by {@link Builder#undirected()}, the declared relation it reads backwards (its
     * slots' {@link IncomingCsr#originalEdge(int)} index that relation's edges); null for a declared one.
     */
    public Relation reversedFrom(Relation relation) {
        return reversedFrom.get(relation);
    }

    private static IllegalArgumentException unknownType(String type, List<String> known, String role) {
        return new IllegalArgumentException("Unknown " + role + " '" + type + "'; the node types are " + known);
    }

    /** Collects node types and relations; {@link #build()} checks them and builds the CSRs. */
    public static final class Builder {

        private final Map<String, Integer> nodeCounts = new LinkedHashMap<>();
        private final Map<Relation, int[][]> edges = new LinkedHashMap<>();
        private boolean undirected;

        private Builder() {
        }

        public Builder nodeType(String type, int count) {
            if (type == null || type.isBlank()) {
                throw new IllegalArgumentException("A node type needs a name");
            }
            if (count < 0) {
                throw new IllegalArgumentException("Node type '" + type + "' has a negative node count " + count);
            }
            if (nodeCounts.putIfAbsent(type, count) != null) {
                throw new IllegalArgumentException("Node type '" + type + "' is declared twice");
            }
            return this;
        }

        /** Edge e of the relation goes from source node {@code sources[e]} to target node {@code targets[e]}. */
        public Builder relation(Relation relation, int[] sources, int[] targets) {
            if (edges.putIfAbsent(relation, new int[][]{sources, targets}) != null) {
                throw new IllegalArgumentException("Relation " + relation + " is declared twice");
            }
            return this;
        }

        public Builder relation(String sourceType, String name, String targetType, int[] sources, int[] targets) {
            return relation(new Relation(sourceType, name, targetType), sources, targets);
        }

        /** Reads every relation in both directions, as PyG's {@code ToUndirected(merge=True)}. */
        public Builder undirected() {
            this.undirected = true;
            return this;
        }

        public TypedGraph build() {
            List<String> types = List.copyOf(nodeCounts.keySet());
            Map<Relation, IncomingCsr> graphs = new LinkedHashMap<>();
            Map<Relation, Relation> reversedFrom = new LinkedHashMap<>();
            List<Relation> declared = new ArrayList<>(edges.keySet());
            for (Relation r : declared) {
                for (String type : new String[]{r.sourceType(), r.targetType()}) {
                    if (!nodeCounts.containsKey(type)) {
                        throw new IllegalArgumentException("Relation " + r + " names the node type '" + type
                                + "', which is not declared; the node types are " + types);
                    }
                }
                if (undirected && r.isBipartite() && edges.containsKey(r.reversed())) {
                    throw new IllegalArgumentException("Relation " + r.reversed() + " is declared, so the reverse of "
                            + r + " cannot take its name");
                }
            }
            for (Relation r : declared) {
                int[][] e = edges.get(r);
                graphs.put(r, build(r, e[0], e[1], undirected));
                if (undirected && r.isBipartite()) {
                    Relation reverse = r.reversed();
                    graphs.put(reverse, build(reverse, e[1], e[0], false));
                    reversedFrom.put(reverse, r);
                }
            }
            return new TypedGraph(new LinkedHashMap<>(nodeCounts), graphs, reversedFrom);
        }

        private IncomingCsr build(Relation r, int[] sources, int[] targets, boolean bothDirections) {
            int sourceCount = nodeCounts.get(r.sourceType());
            int targetCount = nodeCounts.get(r.targetType());
            try {
                if (r.isBipartite()) {
                    return GraphBuilder.bipartite(sourceCount, targetCount).build(sources, targets);
                }
                return new GraphBuilder(targetCount)
                        .orientation(bothDirections ? Orientation.UNDIRECTED : Orientation.NATURAL)
                        .build(sources, targets);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Relation " + r + ": " + e.getMessage(), e);
            }
        }
    }
}
