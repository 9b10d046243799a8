package dev.neogat.data;

import java.util.Arrays;

/**
 * Class labels of nodes: one class per node (single-label, softmax + cross-entropy) or a set of
 * classes per node (multi-label, sigmoid + binary cross-entropy). A node may have no label; it then
 * takes part in message passing but not in any loss or metric.
 */
public final class NodeLabels {

    public static final int NO_LABEL = -1;

    private final int nodeCount;
    private final int classCount;
    private final int[] classOf;
    private final byte[] memberships;

    private NodeLabels(int nodeCount, int classCount, int[] classOf, byte[] memberships) {
        this.nodeCount = nodeCount;
        this.classCount = classCount;
        this.classOf = classOf;
        this.memberships = memberships;
    }

    /** {@code classOf[i]} in [0, classCount) or {@link #NO_LABEL}. */
    public static NodeLabels singleLabel(int[] classOf, int classCount) {
        requirePositiveClassCount(classCount);
        for (int i = 0; i < classOf.length; i++) {
            int c = classOf[i];
            if (c != NO_LABEL && (c < 0 || c >= classCount)) {
                throw new IllegalArgumentException("Label " + c + " of node " + i + " is outside the class range [0, "
                        + classCount + ")");
            }
        }
        return new NodeLabels(classOf.length, classCount, classOf, null);
    }

    /**
     * {@code memberships[i * classCount + c]} is 1 when node i belongs to class c, 0 when it does not;
     * a node whose {@code labeled[i]} is false has no label.
     */
    public static NodeLabels multiLabel(int classCount, byte[] memberships, boolean[] labeled) {
        requirePositiveClassCount(classCount);
        if ((long) labeled.length * classCount != memberships.length) {
            throw new IllegalArgumentException("Multi-label targets need " + (long) labeled.length * classCount
                    + " entries for " + labeled.length + " nodes and " + classCount + " classes, got "
                    + memberships.length);
        }
        int[] classOf = new int[labeled.length];
        for (int i = 0; i < labeled.length; i++) {
            classOf[i] = labeled[i] ? 0 : NO_LABEL;
            for (int c = 0; c < classCount; c++) {
                byte m = memberships[i * classCount + c];
                if (m != 0 && m != 1) {
                    throw new IllegalArgumentException("Multi-label target of node " + i + ", class " + c
                            + " is " + m + "; it must be 0 or 1");
                }
            }
        }
        return new NodeLabels(labeled.length, classCount, classOf, memberships);
    }

    private static void requirePositiveClassCount(int classCount) {
        if (classCount < 1) {
            throw new IllegalArgumentException("There must be at least one class, got " + classCount);
        }
    }

    /** A copy in which {@code nodes} have no label, so that code given it cannot read theirs. */
    public NodeLabels withoutLabels(int[] nodes) {
        int[] keptClassOf = classOf.clone();
        byte[] keptMemberships = memberships == null ? null : memberships.clone();
        for (int node : nodes) {
            keptClassOf[node] = NO_LABEL;
            if (keptMemberships != null) {
                java.util.Arrays.fill(keptMemberships, node * classCount, (node + 1) * classCount, (byte) 0);
            }
        }
        return new NodeLabels(nodeCount, classCount, keptClassOf, keptMemberships);
    }

    public int nodeCount() {
        return nodeCount;
    }

    public int classCount() {
        return classCount;
    }

    public boolean isMultiLabel() {
        return memberships != null;
    }

    public boolean hasLabel(int node) {
        return classOf[node] != NO_LABEL;
    }

    /** The class of a single-label node, or {@link #NO_LABEL}. */
    public int classOf(int node) {
        if (memberships != null) {
            throw new IllegalStateException("Multi-label nodes have no single class");
        }
        return classOf[node];
    }

    /** Whether a multi-label node belongs to class c (for single-label: whether c is its class). */
    public boolean isMember(int node, int c) {
        return memberships == null ? classOf[node] == c : memberships[node * classCount + c] == 1;
    }

    /** Single-label classes (shared, not a copy). */
    public int[] classes() {
        return classOf;
    }

    /** Multi-label memberships (shared, not a copy), or null for single-label. */
    public byte[] memberships() {
        return memberships;
    }

    /** Checks that every listed node exists and has a label; {@code what} names the set in the message. */
    public void requireLabeled(int[] nodes, String what) {
        for (int node : nodes) {
            if (node < 0 || node >= nodeCount) {
                throw new IllegalArgumentException("The " + what + " set lists node " + node
                        + ", outside the node range [0, " + nodeCount + ")");
            }
            if (!hasLabel(node)) {
                throw new IllegalArgumentException("Node " + node + " is in the " + what + " set but has no label");
            }
        }
    }

    @Override
    public String toString() {
        return "NodeLabels{nodes=" + nodeCount + ", classes=" + classCount + ", multiLabel=" + isMultiLabel()
                + ", labeled=" + Arrays.stream(classOf).filter(c -> c != NO_LABEL).count() + "}";
    }
}
