package dev.neogat.graph;

import dev.neogat.spec.Relation;

import java.util.List;

/**
 * Where a {@link TypedNeighbourSampler} reads a node's incoming slots per relation, as {@link NeighbourSource} is for
 * the untyped sampler: the in-heap {@link TypedGraph} is one source ({@link #of}), a reader of the database's store
 * another. Sources that number nodes (within their type), relations and slots alike give the sampler the same draws.
 */
public interface TypedNeighbourSource {

    /** Node types in declaration order. */
    List<String> nodeTypes();

    /** Nodes of {@code type}; node ids are [0, count) within the type. */
    int nodeCount(String type);

    /** Relations in the order the whole graph declares them (the sampler keys its draws by this index). */
    List<Relation> relations();

    /**
     * Fills {@code into} with {@code node}'s (of the relation's target type) incoming slots of relation
     * {@code relations().get(relation)} in ascending slot order, sources in the relation's source type, its self loop
     * (within one type) included and marked.
     */
    void incoming(int relation, int node, NeighbourSource.Slots into);

    /** The slots of an in-heap typed graph as they are. */
    static TypedNeighbourSource of(TypedGraph graph) {
        List<Relation> relations = graph.relations();
        IncomingCsr[] csrs = relations.stream().map(graph::graph).toArray(IncomingCsr[]::new);
        return new TypedNeighbourSource() {
            @Override
            public List<String> nodeTypes() {
                return graph.nodeTypes();
            }

            @Override
            public int nodeCount(String type) {
                return graph.nodeCount(type);
            }

            @Override
            public List<Relation> relations() {
                return relations;
            }

            @Override
            public void incoming(int relation, int node, NeighbourSource.Slots into) {
                into.clear();
                IncomingCsr csr = csrs[relation];
                int[] offsets = csr.offsets();
                int[] sources = csr.sources();
                int selfLoop = csr.isBipartite() ? -1 : csr.selfLoopSlot(node);
                for (int slot = offsets[node]; slot < offsets[node + 1]; slot++) {
                    into.add(sources[slot], slot, slot == selfLoop);
                }
            }
        };
    }
}
