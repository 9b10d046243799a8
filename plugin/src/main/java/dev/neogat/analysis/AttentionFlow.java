package dev.neogat.analysis;

import dev.neogat.graph.IncomingCsr;

/**
 * Attention rollout towards one target node: how the prediction's share spreads backwards over the
 * attention of every layer.
 *
 * <p>With {@code A_l(i←j)} the attention of layer l (0 reads the input features, L-1 gives the logits) on
 * the slot j → i, per head or averaged over heads:
 * <pre>
 *   share_L(i)      = 1 for the target, 0 elsewhere
 *   flow_l(j → i)   = A_l(i←j) · share_{l+1}(i)       (the flow through slot j → i at layer l)
 *   share_l(j)      = Σ_i flow_l(j → i)
 * </pre>
 * so {@code share_0(j)} is the sum, over all attention paths from j's input to the target's output, of the
 * product of the attention along the path. Each target's attention sums to 1, hence every layer's shares
 * sum to 1. Residual projections and the layers' weights are not attention paths and are not counted:
 * flow says where the model looks, occlusion says what changes the answer. A typed model's weights are each
 * slot's attention times its relation's share of the target's output ({@link TypedLocalModel}), which again sum
 * to 1 into every node that receives messages.
 */
public final class AttentionFlow {

    private final double[][] share;
    private final double[][] slotFlow;

    private AttentionFlow(double[][] share, double[][] slotFlow) {
        this.share = share;
        this.slotFlow = slotFlow;
    }

    /**
     * @param attention per layer, one weight per slot of {@code graph} (already one head or the heads' mean)
     */
    public static AttentionFlow of(IncomingCsr graph, int target, double[][] attention) {
        int layers = attention.length;
        int n = graph.nodeCount();
        int[] offsets = graph.offsets();
        int[] sources = graph.sources();
        double[][] share = new double[layers + 1][n];
        double[][] slotFlow = new double[layers][graph.slotCount()];
        share[layers][target] = 1;
        for (int l = layers - 1; l >= 0; l--) {
            double[] above = share[l + 1];
            for (int i = 0; i < n; i++) {
                if (above[i] == 0) {
                    continue;
                }
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    double flow = attention[l][slot] * above[i];
                    slotFlow[l][slot] = flow;
                    share[l][sources[slot]] += flow;
                }
            }
        }
        return new AttentionFlow(share, slotFlow);
    }

    public int layerCount() {
        return slotFlow.length;
    }

    /** share_l(node): l = 0 is the share reaching the node's input features, l = L the target's output. */
    public double share(int layer, int node) {
        return share[layer][node];
    }

    /** flow_l through a slot of the graph given to {@link #of}. */
    public double slotFlow(int layer, int slot) {
        return slotFlow[layer][slot];
    }
}
