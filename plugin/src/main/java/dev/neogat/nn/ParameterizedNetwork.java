package dev.neogat.nn;

import java.util.List;
import java.util.Map;

/**
 * What training needs of {@link GatNetwork} and {@link TypedGatNetwork}: forward passes, loss and gradients, Adam
 * steps, weights and snapshots.
 */
public abstract class ParameterizedNetwork {

    /** Inference: no dropout. Returns the logits of the nodes the loss is about. */
    public abstract Tensor forward();

    /** Runs every layer; in training mode with the dropout masks of (seed, step). Returns the logits. */
    public abstract Tensor forward(boolean training, long seed, long step);

    /** Mean loss on {@code targets} and, by backward through the last forward pass, every gradient. */
    public abstract double lossAndGradients(Targets targets);

    /** The parameters this network trains (shared with its owner for a network made by sharingParameters). */
    abstract ParameterSet parameterSet();

    /** One Adam step over all parameters, using the gradients of the last backward pass. */
    public final void adamStep(AdamSettings settings) {
        parameterSet().adamStep(settings);
    }

    public final int adamSteps() {
        return parameterSet().adamSteps();
    }

    /** Parameter names in file order (the network's parameterShapes). */
    public final List<String> parameterNames() {
        return parameterSet().names();
    }

    public final Tensor parameter(String name) {
        return parameterSet().require(name).value();
    }

    public final Tensor gradient(String name) {
        return parameterSet().require(name).gradient();
    }

    /** Copies the current parameters to the host. */
    public final Weights weights() {
        return parameterSet().weights();
    }

    /** Backend-side copies of the parameters (e.g. the best epoch's), reusing {@code reuse} when given. */
    public final Map<String, Tensor> snapshot(Map<String, Tensor> reuse) {
        return parameterSet().snapshot(reuse);
    }

    /** Puts the parameters of a {@link #snapshot} back. */
    public final void restore(Map<String, Tensor> snapshot) {
        parameterSet().restore(snapshot);
    }
}
