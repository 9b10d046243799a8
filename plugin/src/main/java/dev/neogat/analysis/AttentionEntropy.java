package dev.neogat.analysis;

import dev.neogat.graph.IncomingCsr;

/**
 * How concentrated each node's incoming attention is, per head: the entropy {@code H = -Σ α ln α} over its
 * incoming edges (self loop included), next to {@code ln(degree)}, the entropy of uniform attention over
 * the same neighbours. Their ratio is 1 for attention that does not discriminate and falls towards 0 as
 * attention concentrates on few neighbours; it is undefined (NaN) for a node with a single incoming edge.
 */
public final class AttentionEntropy {

    private final int heads;
    private final double[] entropy;
    private final double[] uniform;
    private final int[] degree;

    private AttentionEntropy(int heads, double[] entropy, double[] uniform, int[] degree) {
        this.heads = heads;
        this.entropy = entropy;
        this.uniform = uniform;
        this.degree = degree;
    }

    /** {@code attention} is one layer's [slots, heads] in the graph's slot order. */
    public static AttentionEntropy of(IncomingCsr graph, float[] attention, int heads) {
        int n = graph.nodeCount();
        double[] entropy = new double[n * heads];
        double[] uniform = new double[n];
        int[] degree = new int[n];
        int[] offsets = graph.offsets();
        for (int i = 0; i < n; i++) {
            degree[i] = offsets[i + 1] - offsets[i];
            uniform[i] = degree[i] == 0 ? Double.NaN : Math.log(degree[i]);
            for (int h = 0; h < heads; h++) {
                double sum = 0;
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    double a = attention[slot * heads + h];
                    if (a > 0) {
                        sum -= a * Math.log(a);
                    }
                }
                entropy[i * heads + h] = degree[i] == 0 ? Double.NaN : sum;
            }
        }
        return new AttentionEntropy(heads, entropy, uniform, degree);
    }

    public int heads() {
        return heads;
    }

    public int nodeCount() {
        return degree.length;
    }

    public double entropy(int node, int head) {
        return entropy[node * heads + head];
    }

    /** Entropy averaged over heads. */
    public double meanEntropy(int node) {
        double sum = 0;
        for (int h = 0; h < heads; h++) {
            sum += entropy[node * heads + h];
        }
        return sum / heads;
    }

    /** ln(degree): the entropy of uniform attention over the node's incoming edges. */
    public double uniformEntropy(int node) {
        return uniform[node];
    }

    /** entropy / ln(degree); NaN when the node has fewer than two incoming edges. */
    public double ratio(int node, int head) {
        return degree[node] < 2 ? Double.NaN : entropy(node, head) / uniform[node];
    }

    public int degree(int node) {
        return degree[node];
    }
}
