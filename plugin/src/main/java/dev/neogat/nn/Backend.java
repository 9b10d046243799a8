package dev.neogat.nn;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

/**
 * The operations a GAT needs, each forward beside its backward, on tensors that live where the backend
 * keeps them. {@link GatNetwork} composes them; the CPU backend is the reference, the GPU backend
 * implements the same contract.
 *
 * <p>Shapes: n nodes, E attention slots (edges incl. self loops) in {@link IncomingCsr} order, H heads,
 * C channels per head. Per-node tensors are [n, ·]; per-slot tensors are [E, H]. Attention vectors are
 * [H, C], biases [1, width]. Unless said otherwise an output is overwritten; "+=" marks accumulation.
 * A {@link DropoutMask} or {@link InputDropout} of null means no dropout.
 */
public interface Backend extends AutoCloseable {

    /** What runs the operations, e.g. "cpu (2 threads)". */
    String description();

    // ---- memory -------------------------------------------------------------------------------------

    Tensor zeros(int rows, int cols);

    Tensor upload(float[] values, int rows, int cols);

    /** Node features; sparse features stay sparse. */
    Tensor upload(FeatureMatrix features);

    GraphTensor upload(IncomingCsr graph);

    /** The labels of {@code nodes}, which must all be labelled. */
    Targets upload(NodeLabels labels, int[] nodes);

    void download(Tensor tensor, float[] destination);

    void fill(Tensor tensor, float value);

    void copy(Tensor source, Tensor destination);

    /** x += y. */
    void add(Tensor x, Tensor y);

    /** Frees a tensor's memory now; a no-op where the garbage collector does it. */
    void release(Object tensorOrHandle);

    // ---- projection ---------------------------------------------------------------------------------

    /**
     * out = dropout(in) · weight (+ bias). in: [n, k] dense or sparse, weight: [k, m], bias: [1, m] or null.
     * With grouped dropout, output column j sees the input dropped by its group's mask.
     */
    void linear(Tensor in, InputDropout inDropout, Tensor weight, Tensor bias, Tensor out);

    /**
     * dWeight = dropout(in)ᵀ · dOut; dBias = column sums of dOut (when not null);
     * dIn += (dOut · weightᵀ) ∘ mask (when not null; in must then be dense).
     */
    void linearBackward(Tensor in, InputDropout inDropout, Tensor weight, Tensor dOut, Tensor dWeight, Tensor dBias,
                        Tensor dIn);

    // ---- attention scores: the primitives the variants (AttentionVariant) build their scores from ------

    /** sourceScores[i,h] = Σ_c z[i,hC+c]·attSource[h,c]; targetScores likewise with attTarget. */
    void attentionScores(Tensor z, Tensor attSource, Tensor attTarget, Tensor sourceScores, Tensor targetScores);

    /** dZ += per-node score gradients times the attention vectors; dAttSource, dAttTarget overwritten. */
    void attentionScoresBackward(Tensor z, Tensor attSource, Tensor attTarget, Tensor dSourceScores,
                                 Tensor dTargetScores, Tensor dZ, Tensor dAttSource, Tensor dAttTarget);

    /** scores[r,h] = Σ_c z[r,hC+c]·att[h,c] for any rows r (e.g. edge slots), overwritten. */
    void headScores(Tensor z, Tensor att, Tensor scores);

    /** dZ += dScores times the attention vector; dAtt overwritten. */
    void headScoresBackward(Tensor z, Tensor att, Tensor dScores, Tensor dZ, Tensor dAtt);

    /**
     * GAT: scores[slot,h] = LeakyReLU(sourceScores[source,h] + targetScores[target,h] + edgeScores[slot,h]),
     * overwritten; edgeScores [E, H] may be null (no relationship features).
     */
    void gatScores(GraphTensor graph, Tensor sourceScores, Tensor targetScores, Tensor edgeScores,
                   float negativeSlope, Tensor scores);

    /**
     * dScores is consumed (overwritten with the gradient of the pre-activation, which is also the gradient of
     * the edge scores); dSourceScores and dTargetScores overwritten with its sums over each node's outgoing
     * and incoming slots.
     */
    void gatScoresBackward(GraphTensor graph, Tensor sourceScores, Tensor targetScores, Tensor edgeScores,
                           float negativeSlope, Tensor dScores, Tensor dSourceScores, Tensor dTargetScores);

    /**
     * GATv2: scores[slot,h] = Σ_c att[h,c]·LeakyReLU(xTarget[target,hC+c] + xSource[source,hC+c]
     * + xEdge[slot,hC+c]), overwritten; xEdge [E, H·C] may be null (no relationship features).
     */
    void gatV2Scores(GraphTensor graph, Tensor xSource, Tensor xTarget, Tensor xEdge, Tensor att,
                     float negativeSlope, Tensor scores);

    /** dScores read; dXSource += , dXTarget += , dXEdge overwritten (null exactly when xEdge is), dAtt overwritten. */
    void gatV2ScoresBackward(GraphTensor graph, Tensor xSource, Tensor xTarget, Tensor xEdge, Tensor att,
                             float negativeSlope, Tensor dScores, Tensor dXSource, Tensor dXTarget, Tensor dXEdge,
                             Tensor dAtt);

    // ---- softmax over each target's incoming slots (every variant) -----------------------------------

    /**
     * In place: the raw scores [E, H] become alpha[slot,h] = exp(e - max) / Σ exp(e' - max) over the slots
     * of the slot's target, per head (max over the same slots).
     */
    void edgeSoftmax(GraphTensor graph, Tensor scores);

    /** In place: dAlpha becomes the gradient of the raw scores, alpha ∘ (dAlpha - Σ_target alpha·dAlpha). */
    void edgeSoftmaxBackward(GraphTensor graph, Tensor alpha, Tensor dAlpha);

    // ---- aggregation --------------------------------------------------------------------------------

    /**
     * out[i] = heads concatenated (or averaged) of Σ_slot dropout(alpha)[slot,h] · messages[source, hC..hC+C).
     * messages: [n, H·C]; out: [n, H·C] or [n, C].
     */
    void aggregate(GraphTensor graph, Tensor alpha, DropoutMask attentionDropout, Tensor messages, boolean concat,
                   Tensor out);

    /** dMessages += ; dAlpha overwritten. */
    void aggregateBackward(GraphTensor graph, Tensor alpha, DropoutMask attentionDropout, Tensor messages,
                           boolean concat, Tensor dOut, Tensor dMessages, Tensor dAlpha);

    // ---- dropout ------------------------------------------------------------------------------------

    /** out = in ∘ keep / (1 - p), with the mask's bits over in's elements. */
    void dropout(Tensor in, DropoutMask mask, Tensor out);

    /** dIn += dOut ∘ keep / (1 - p). */
    void dropoutBackward(DropoutMask mask, Tensor dOut, Tensor dIn);

    // ---- bias and activation ------------------------------------------------------------------------

    /** x[i,:] += bias. */
    void addBias(Tensor x, Tensor bias);

    /** dBias = column sums of dX. */
    void biasBackward(Tensor dX, Tensor dBias);

    /** out = ELU(in) with α = 1; out may be in. */
    void elu(Tensor in, Tensor out);

    /** dIn = dOut ∘ ELU'(x), computed from out = ELU(x); dIn may be dOut. */
    void eluBackward(Tensor out, Tensor dOut, Tensor dIn);

    // ---- typed layers: combining the relations into a node type -----------------------------------------

    /**
     * x += scale · y, element-wise over equally shaped tensors (x added to, y read). It is its own
     * backward: for x = Σ_r β_r z_r, dz_r += β_r · dX.
     */
    void scaledAdd(Tensor x, float scale, Tensor y);

    /**
     * Σ over all elements of x ∘ y (both read), summed in double in a fixed order. The gradient of a
     * weight β in x = Σ_r β_r z_r: dβ_r = dot(dX, z_r).
     */
    double dot(Tensor x, Tensor y);

    /** out = tanh(in) element-wise (out overwritten; may be in). */
    void tanh(Tensor in, Tensor out);

    /** dIn = dOut ∘ (1 - out²), from out = tanh(x) (dIn overwritten; may be dOut). */
    void tanhBackward(Tensor out, Tensor dOut, Tensor dIn);

    // ---- losses and metrics -------------------------------------------------------------------------

    /**
     * Mean over the target nodes of the loss (softmax cross-entropy, or sigmoid binary cross-entropy for
     * multi-label targets, averaged over classes too). When dLogits is not null it receives the gradient
     * of that mean (zero on the other nodes).
     */
    double loss(Tensor logits, Targets targets, Tensor dLogits);

    /** Loss and the counts behind accuracy or micro-F1 on the target nodes. */
    MetricCounts evaluate(Tensor logits, Targets targets);

    // ---- optimiser ----------------------------------------------------------------------------------

    /** One Adam step at step number {@code step} (from 1) for one parameter. */
    void adamStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
                  AdamSettings settings, int step);

    @Override
    void close();
}
