package dev.neogat.analysis;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.spec.Relation;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The L-hop in-neighbourhood of one node of a {@link TypedGraph}, as a typed graph of its own on which an L-layer
 * typed GAT gives the node exactly the output it gets on the whole graph: the typed counterpart of
 * {@link Neighbourhood}, by the same argument: every node closer than L keeps all its incoming slots of every
 * relation, in the whole graph's slot order; nodes at distance L only give their input.
 *
 * <p>Local nodes are numbered over all types in breadth-first order (0: the target) and, per type, in the same order
 * ({@link #typeNodes}); local slots are listed over all relations, target by target. A stored relationship is an
 * edge of a declared relation ({@link TypedIds}): its slots are those of that relation whose {@link
 * IncomingCsr#originalEdge} it is, and those of the {@code rev_} relation reading it backwards.
 */
public final class TypedNeighbourhood extends LocalSlots {

    private final TypedGraph graph;
    private final TypedIds ids;
    private final List<String> types;
    private final List<Relation> relations;
    private final int[] nodeType;
    private final int[] nodeIndex;
    private final int[] typeLocal;
    private final int[][] typeNodes;
    private final int[] slotRelation;
    private final int[][] relationSlots;
    private final int[] slotPosition;

    private TypedNeighbourhood(TypedGraph graph, TypedIds ids, Walk walk, int[] slotRelation) {
        super(walk, storedRelationships(graph, ids, slotRelation, walk.slotGlobal()));
        this.graph = graph;
        this.ids = ids;
        this.types = graph.nodeTypes();
        int[] nodeType = new int[walk.nodeCount()];
        int[] nodeIndex = new int[walk.nodeCount()];
        for (int v = 0; v < nodeType.length; v++) {
            nodeType[v] = types.indexOf(ids.type(walk.node(v)));
            nodeIndex[v] = ids.index(walk.node(v));
        }
        this.relations = graph.relations();
        this.nodeType = nodeType;
        this.nodeIndex = nodeIndex;
        this.slotRelation = slotRelation;
        int[] perType = new int[types.size()];
        typeLocal = new int[nodeType.length];
        for (int v = 0; v < nodeType.length; v++) {
            typeLocal[v] = perType[nodeType[v]]++;
        }
        typeNodes = new int[types.size()][];
        for (int t = 0; t < types.size(); t++) {
            typeNodes[t] = new int[perType[t]];
        }
        for (int v = 0; v < nodeType.length; v++) {
            typeNodes[nodeType[v]][typeLocal[v]] = nodeIndex[v];
        }
        int[] perRelation = new int[relations.size()];
        slotPosition = new int[slotCount()];
        for (int k = 0; k < slotCount(); k++) {
            slotPosition[k] = perRelation[slotRelation[k]]++;
        }
        relationSlots = new int[relations.size()][];
        for (int r = 0; r < relations.size(); r++) {
            relationSlots[r] = new int[perRelation[r]];
        }
        for (int k = 0; k < slotCount(); k++) {
            relationSlots[slotRelation[k]][slotPosition[k]] = k;
        }
    }

    /**
     * The {@link TypedIds} number of each slot's stored relationship (-1 for a self loop the graph added): the edge
     * of its declared relation, which a {@code rev_} relation's slot reads backwards.
     */
    private static int[] storedRelationships(TypedGraph graph, TypedIds ids, int[] slotRelation, int[] slotGlobal) {
        List<Relation> relations = graph.relations();
        int[] stored = new int[slotGlobal.length];
        for (int k = 0; k < slotGlobal.length; k++) {
            Relation r = relations.get(slotRelation[k]);
            int edge = graph.graph(r).originalEdge(slotGlobal[k]);
            Relation declared = graph.reversedFrom(r) == null ? r : graph.reversedFrom(r);
            stored[k] = edge == IncomingCsr.ADDED_SELF_LOOP ? -1 : ids.relationship(declared, edge);
        }
        return stored;
    }

    /** The nodes within {@code hops} incoming steps of node {@code target} of {@code targetType}, over every relation. */
    public static TypedNeighbourhood of(TypedGraph graph, String targetType, int target, int hops) {
        if (hops < 1) {
            throw new IllegalArgumentException("A neighbourhood needs at least 1 hop, got " + hops);
        }
        TypedIds ids = new TypedIds(graph);
        List<Relation> relations = graph.relations();
        Walk walk = new Walk(ids.node(targetType, target));
        Growable slotRelation = new Growable();
        for (int local = 0; local < walk.nodeCount(); local++) {
            if (walk.distance(local) == hops) {
                continue;
            }
            int node = walk.node(local);
            String type = ids.type(node);
            int index = ids.index(node);
            for (int r = 0; r < relations.size(); r++) {
                Relation relation = relations.get(r);
                if (!relation.targetType().equals(type)) {
                    continue;
                }
                IncomingCsr csr = graph.graph(relation);
                int[] offsets = csr.offsets();
                int[] sources = csr.sources();
                for (int slot = offsets[index]; slot < offsets[index + 1]; slot++) {
                    walk.slot(slot, ids.node(relation.sourceType(), sources[slot]), local);
                    slotRelation.add(r);
                }
            }
        }
        return new TypedNeighbourhood(graph, ids, walk, slotRelation.toArray());
    }

    public TypedIds ids() {
        return ids;
    }

    /** The {@link TypedIds} number of local node {@code local}. */
    public int node(int local) {
        return ids.node(types.get(nodeType[local]), nodeIndex[local]);
    }

    public String type(int local) {
        return types.get(nodeType[local]);
    }

    /** Local node {@code local}'s index among the neighbourhood's nodes of its type. */
    public int typeLocal(int local) {
        return typeLocal[local];
    }

    /** The whole graph's index (within the type) of each of the neighbourhood's nodes of {@code type}, in order. */
    public int[] typeNodes(String type) {
        return typeNodes[types.indexOf(type)].clone();
    }

    public Relation slotRelation(int k) {
        return relations.get(slotRelation[k]);
    }

    /** Local slot {@code k}'s edge index in its relation's graph of {@link #build}(null). */
    public int slotPosition(int k) {
        return slotPosition[k];
    }

    /** Whether local slot {@code k} reads its stored relationship backwards (end node to start node). */
    public boolean isReversed(int k) {
        Relation r = relations.get(slotRelation[k]);
        return graph.graph(r).isReversed(globalSlot(k)) != (graph.reversedFrom(r) != null);
    }

    /**
     * The neighbourhood as a typed graph without the local slots marked in {@code removed} (null: none): every node
     * type and relation of the whole graph, each relation's graph holding its kept slots as edges in order (self
     * loops included, none added), so each target's softmax sums the same terms in the same order.
     */
    public TypedGraph build(boolean[] removed) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int t = 0; t < types.size(); t++) {
            counts.put(types.get(t), typeNodes[t].length);
        }
        Map<Relation, IncomingCsr> graphs = new LinkedHashMap<>();
        for (int r = 0; r < relations.size(); r++) {
            Relation relation = relations.get(r);
            int[] slots = kept(relationSlots[r], removed);
            int[] sources = new int[slots.length];
            int[] targets = new int[slots.length];
            for (int e = 0; e < slots.length; e++) {
                sources[e] = typeLocal[slotSource(slots[e])];
                targets[e] = typeLocal[slotTarget(slots[e])];
            }
            int targetCount = counts.get(relation.targetType());
            graphs.put(relation, relation.isBipartite()
                    ? GraphBuilder.bipartite(counts.get(relation.sourceType()), targetCount).build(sources, targets)
                    : new GraphBuilder(targetCount).selfLoops(false).build(sources, targets));
        }
        return TypedGraph.of(counts, graphs);
    }

    /**
     * The relationship features of the edges of {@link #build}({@code removed}), per relation that has them:
     * {@code perEdge} holds one row per edge of each declared relation (a {@code rev_} relation reads its declared
     * one's). A kept slot carries its relationship's row; a self loop the whole graph added carries the mean over its
     * node's other kept incoming slots of the relation (zeros when none is kept), as {@link
     * dev.neogat.nn.EdgeFeatures#perSlot} gives it on the whole graph without the removed ones.
     */
    public Map<Relation, DenseMatrix> slotFeatures(Map<Relation, ? extends FeatureMatrix> perEdge,
                                                   boolean[] removed) {
        Map<Relation, DenseMatrix> out = new LinkedHashMap<>();
        for (int r = 0; r < relations.size(); r++) {
            Relation relation = relations.get(r);
            FeatureMatrix given = perEdge.get(relation);
            if (given == null && graph.reversedFrom(relation) != null) {
                given = perEdge.get(graph.reversedFrom(relation));
            }
            if (given == null) {
                continue;
            }
            float[] edges = given instanceof SparseMatrix sparse ? sparse.toDense() : ((DenseMatrix) given).data();
            int d = given.cols();
            IncomingCsr csr = graph.graph(relation);
            int[] slots = kept(relationSlots[r], removed);
            Map<Integer, float[]> sums = new HashMap<>();
            Map<Integer, Integer> counted = new HashMap<>();
            for (int k : slots) {
                int edge = csr.originalEdge(globalSlot(k));
                int target = slotTarget(k);
                if (edge != IncomingCsr.ADDED_SELF_LOOP && csr.sources()[globalSlot(k)] != nodeIndex[target]) {
                    float[] sum = sums.computeIfAbsent(target, t -> new float[d]);
                    for (int c = 0; c < d; c++) {
                        sum[c] += edges[edge * d + c];
                    }
                    counted.merge(target, 1, Integer::sum);
                }
            }
            float[] rows = new float[Math.multiplyExact(slots.length, d)];
            for (int e = 0; e < slots.length; e++) {
                int k = slots[e];
                int edge = csr.originalEdge(globalSlot(k));
                if (edge != IncomingCsr.ADDED_SELF_LOOP) {
                    System.arraycopy(edges, edge * d, rows, e * d, d);
                } else if (counted.containsKey(slotTarget(k))) {
                    float[] sum = sums.get(slotTarget(k));
                    int n = counted.get(slotTarget(k));
                    for (int c = 0; c < d; c++) {
                        rows[e * d + c] = sum[c] / n;
                    }
                }
            }
            out.put(relation, new DenseMatrix(slots.length, d, rows));
        }
        return out;
    }

    /** The rows of each given type's features for the neighbourhood's nodes of that type, in order. */
    public Map<String, FeatureMatrix> features(Map<String, FeatureMatrix> features) {
        Map<String, FeatureMatrix> out = new LinkedHashMap<>();
        features.forEach((type, x) -> out.put(type, Neighbourhood.rows(x, typeNodes(type))));
        return out;
    }

    private static int[] kept(int[] slots, boolean[] removed) {
        if (removed == null) {
            return slots;
        }
        return Arrays.stream(slots).filter(k -> !removed[k]).toArray();
    }
}
