package dev.neogat.analysis;

import dev.neogat.nn.Backend;

/**
 * A trained model bound to one target node's neighbourhood, what {@link PredictionExplainer} explains: the
 * neighbourhood ({@link LocalGraph}) and exact forward and backward passes on it. One implementation per kind of model
 * ({@link UntypedLocalModel}, {@link TypedLocalModel}); flow, occlusion, ranking and features are computed from
 * these alike.
 */
interface LocalModel {

    /** The target's logits and, per layer and local slot, the weight its message gets in the attention flow. */
    record BaseRun(float[] logits, double[][] flowWeights) {
    }

    int layerCount();

    int classCount();

    boolean multiLabel();

    /** The neighbourhood's nodes, message slots and stored relationships. */
    LocalGraph neighbourhood();

    /**
     * One forward pass with every slot: the target's logits, and each slot's flow weight per layer: its attention
     * (one head or the heads' mean) times the share its relation has of its target's output, so that the weights
     * into a node that receives messages sum to 1.
     */
    BaseRun base(Backend backend, int head);

    /** The target's logits without the local slots marked in {@code removed} (exact forward pass on {@code runner}). */
    float[] logitsWithout(Backend runner, boolean[] removed);

    /**
     * Gradient × input of {@code Σ_c dTargetLogits[c] · logits[target][c]}, per local node and input feature the
     * model saw; an empty row for a node whose input is learned (a label without features).
     */
    double[][] attribution(Backend backend, float[] dTargetLogits);

    /** The input features the model saw for local node {@code local}; empty for a learned input. */
    float[] inputRow(int local);
}
