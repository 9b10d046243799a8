package dev.neogat.procedures.write;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.graph.TypedGraph;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.spec.Relation;
import dev.neogat.train.Prediction;
import dev.neogat.train.TypedPrediction;

import java.util.ArrayList;
import java.util.List;

/**
 * A typed model's attention as properties, in one index space across labels and relations: nodes numbered label by
 * label (the graph's node type order), stored relationships relation by relation (each declared relation's edges in
 * order). For a stored relationship {@code (a)-[r]->(b)} the properties mean what they mean for an untyped model
 * ({@link WriteBack}); a direction the layer does not attend over (the last layer attends only over the relations
 * into the target label) has no value, so its property is not written. A node's self attention is the mean over
 * the relations within its label that the layer attends over (each has its own self loop and softmax); a label
 * with none has no self attention.
 */
public final class TypedAttentionColumns {

    private final TypedLoadedGraph graph;
    private final TypedPrediction prediction;
    private final int layer;
    private final boolean perHead;
    private final List<String> types;
    private final int[] nodeOffsets;
    private final List<Relation> declared;
    private final int[] edgeOffsets;

    public TypedAttentionColumns(TypedLoadedGraph graph, TypedPrediction prediction, int layer, boolean perHead) {
        this.graph = graph;
        this.prediction = prediction;
        this.layer = layer;
        this.perHead = perHead;
        TypedGraph typed = graph.graph();
        this.types = typed.nodeTypes();
        this.nodeOffsets = new int[types.size() + 1];
        for (int t = 0; t < types.size(); t++) {
            nodeOffsets[t + 1] = nodeOffsets[t] + typed.nodeCount(types.get(t));
        }
        this.declared = new ArrayList<>(graph.relationshipIds().keySet());
        this.edgeOffsets = new int[declared.size() + 1];
        for (int r = 0; r < declared.size(); r++) {
            edgeOffsets[r + 1] = edgeOffsets[r] + graph.relationshipIds().get(declared.get(r)).length;
        }
    }

    public int nodeCount() {
        return nodeOffsets[types.size()];
    }

    public int relationshipCount() {
        return edgeOffsets[declared.size()];
    }

    /** The Neo4j id of node {@code index} of the common node index space. */
    public long nodeId(int index) {
        int type = locate(nodeOffsets, index);
        return graph.nodes().get(types.get(type)).toNeo4j(index - nodeOffsets[type]);
    }

    /** The Neo4j id of relationship {@code index} of the common relationship index space. */
    public long relationshipId(int index) {
        int r = locate(edgeOffsets, index);
        return graph.relationshipIds().get(declared.get(r))[index - edgeOffsets[r]];
    }

    /** The node indices at the start (source of its relation) and end of each relationship, as {@link WriteBack}. */
    public int[][] endNodes() {
        int[] start = new int[relationshipCount()];
        int[] end = new int[relationshipCount()];
        for (int r = 0; r < declared.size(); r++) {
            Relation relation = declared.get(r);
            IncomingCsr csr = graph.graph().graph(relation);
            int sourceOffset = nodeOffsets[types.indexOf(relation.sourceType())];
            int targetOffset = nodeOffsets[types.indexOf(relation.targetType())];
            for (int e = 0; e < edgeOffsets[r + 1] - edgeOffsets[r]; e++) {
                int slot = csr.slotOfEdge(e);
                start[edgeOffsets[r] + e] = sourceOffset + csr.sources()[slot];
                end[edgeOffsets[r] + e] = targetOffset + csr.targetOf(slot);
            }
        }
        return new int[][] {start, end};
    }

    /** The relationship columns of {@code write}, as {@link WriteBack#attentionColumns} gives them untyped. */
    public List<PropertyWriter.Column> relationshipColumns(WriteConfig write, Orientation orientation) {
        List<PropertyWriter.Column> columns = new ArrayList<>();
        if (orientation != Orientation.UNDIRECTED) {
            columns.add(PropertyWriter.column(write.attentionProperty(), this::forward));
        } else if (write.attentionMeanOfDirections()) {
            columns.add(PropertyWriter.column(write.attentionProperty(), e -> meanOf(forward(e), backward(e))));
        } else {
            columns.add(PropertyWriter.column(write.attentionProperty(), this::forward));
            columns.add(PropertyWriter.column(write.reverseAttentionProperty(), this::backward));
        }
        return columns;
    }

    /** Self attention per node of the common index space (null where its label has no self loop at the layer). */
    public PropertyWriter.Column selfAttentionColumn(String property) {
        return PropertyWriter.column(property, index -> {
            int type = locate(nodeOffsets, index);
            int node = index - nodeOffsets[type];
            List<Object> values = new ArrayList<>();
            for (Relation relation : prediction.relations(layer)) {
                if (!relation.isBipartite() && relation.targetType().equals(types.get(type))) {
                    int slot = graph.graph().graph(relation).selfLoopSlot(node);
                    if (slot >= 0) {
                        values.add(value(relation, slot));
                    }
                }
            }
            return values.isEmpty() ? null : mean(values);
        });
    }

    /** How much the relationship's target attends to its source over its relation, or null at a layer without it. */
    private Object forward(int index) {
        int r = locate(edgeOffsets, index);
        Relation relation = declared.get(r);
        if (!prediction.relations(layer).contains(relation)) {
            return null;
        }
        return value(relation, graph.graph().graph(relation).slotOfEdge(index - edgeOffsets[r]));
    }

    /**
     * How much the relationship's source attends to its target (UNDIRECTED): over the rev_ relation between two
     * labels, over the relation's backward slot within one label (a self-loop relationship: its self loop).
     */
    private Object backward(int index) {
        int r = locate(edgeOffsets, index);
        int edge = index - edgeOffsets[r];
        Relation relation = declared.get(r);
        Relation reading = relation.isBipartite() ? relation.reversed() : relation;
        if (!prediction.relations(layer).contains(reading)) {
            return null;
        }
        IncomingCsr csr = graph.graph().graph(reading);
        int slot = relation.isBipartite() || csr.reverseSlotOfEdge(edge) < 0 ? csr.slotOfEdge(edge)
                : csr.reverseSlotOfEdge(edge);
        return value(reading, slot);
    }

    /** A slot's attention: heads averaged into a double, or one value per head. */
    private Object value(Relation relation, int slot) {
        float[] attention = prediction.attention(layer, relation);
        int heads = prediction.heads(layer);
        if (!perHead) {
            return (double) Prediction.meanAttention(attention, slot, heads);
        }
        double[] values = new double[heads];
        for (int h = 0; h < heads; h++) {
            values[h] = attention[slot * heads + h];
        }
        return values;
    }

    /** The mean of the directions the layer attends over; null when it attends over neither. */
    private static Object meanOf(Object forward, Object backward) {
        List<Object> values = new ArrayList<>();
        if (forward != null) {
            values.add(forward);
        }
        if (backward != null) {
            values.add(backward);
        }
        return values.isEmpty() ? null : mean(values);
    }

    /** The mean of doubles, or element-wise of double[]s of one length. */
    private static Object mean(List<Object> values) {
        if (values.get(0) instanceof Double) {
            double sum = 0;
            for (Object value : values) {
                sum += (Double) value;
            }
            return sum / values.size();
        }
        double[] sum = new double[((double[]) values.get(0)).length];
        for (Object value : values) {
            double[] v = (double[]) value;
            for (int h = 0; h < sum.length; h++) {
                sum[h] += v[h] / values.size();
            }
        }
        return sum;
    }

    /** The part {@code index} falls in, given the parts' start offsets (last entry: the total). */
    private static int locate(int[] offsets, int index) {
        int lo = 0;
        int hi = offsets.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (offsets[mid] <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
