package dev.neogat.analysis;

import dev.neogat.graph.TypedGraph;
import dev.neogat.spec.Relation;

import java.util.ArrayList;
import java.util.List;

/**
 * One number per node and per stored relationship of a {@link TypedGraph}, as an {@link Explanation} of a typed
 * model names them: node {@code (type, i)} is i plus the node counts of the types before it (in the graph's order);
 * edge e of a declared relation (one given to the builder, not a {@code rev_} one) is e plus the edge counts of the
 * declared relations before it.
 */
public final class TypedIds {

    private final List<String> types;
    private final int[] typeOffsets;
    private final List<Relation> declared = new ArrayList<>();
    private final int[] relationOffsets;

    public TypedIds(TypedGraph graph) {
        types = graph.nodeTypes();
        typeOffsets = new int[types.size() + 1];
        for (int t = 0; t < types.size(); t++) {
            typeOffsets[t + 1] = Math.addExact(typeOffsets[t], graph.nodeCount(types.get(t)));
        }
        for (Relation r : graph.relations()) {
            if (graph.reversedFrom(r) == null) {
                declared.add(r);
            }
        }
        relationOffsets = new int[declared.size() + 1];
        for (int r = 0; r < declared.size(); r++) {
            relationOffsets[r + 1] = Math.addExact(relationOffsets[r],
                    graph.graph(declared.get(r)).originalEdgeCount());
        }
    }

    public int nodeCount() {
        return typeOffsets[types.size()];
    }

    public int node(String type, int index) {
        int t = types.indexOf(type);
        if (t < 0 || index < 0 || index >= typeOffsets[t + 1] - typeOffsets[t]) {
            throw new IllegalArgumentException("No node " + index + " of type '" + type + "'; the node types are "
                    + types);
        }
        return typeOffsets[t] + index;
    }

    public String type(int node) {
        return types.get(find(typeOffsets, node, "node"));
    }

    /** The node's index within its type. */
    public int index(int node) {
        return node - typeOffsets[find(typeOffsets, node, "node")];
    }

    public int relationship(Relation declaredRelation, int edge) {
        int r = declared.indexOf(declaredRelation);
        if (r < 0 || edge < 0 || edge >= relationOffsets[r + 1] - relationOffsets[r]) {
            throw new IllegalArgumentException("No edge " + edge + " of the declared relation " + declaredRelation
                    + "; the declared relations are " + declared);
        }
        return relationOffsets[r] + edge;
    }

    /** The declared relation a relationship belongs to. */
    public Relation relation(int relationship) {
        return declared.get(find(relationOffsets, relationship, "relationship"));
    }

    /** The relationship's edge index within its declared relation. */
    public int edge(int relationship) {
        return relationship - relationOffsets[find(relationOffsets, relationship, "relationship")];
    }

    /** The last part p whose offset is at most id: an empty part shares its offset with the next one. */
    private static int find(int[] offsets, int id, String what) {
        int parts = offsets.length - 1;
        if (id < 0 || id >= offsets[parts]) {
            throw new IllegalArgumentException("No " + what + " " + id + "; there are " + offsets[parts]);
        }
        int low = 0;
        int high = parts - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (offsets[mid] <= id) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }
}
