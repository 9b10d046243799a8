package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.Variant;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

import java.util.Map;

/**
 * One attention layer on one graph, the counterpart of PyG's {@code GATConv} / {@code GATv2Conv}.
 *
 * <p>Forward reads as the equations: dropout(x) → project → score each edge → softmax over each
 * target's incoming edges → dropout(alpha) → weighted sum of (dropped-out) messages → concat or mean
 * over heads (+ residual projection) → + bias → ELU (hidden layers). Backward runs the same steps in
 * reverse, with the dropout masks of the forward pass.
 */
public final class GatLayer {

    private final Backend backend;
    private final GraphTensor graph;
    private final LayerSpec spec;
    private final boolean gatV2;
    private final float negativeSlope;

    private final Parameter weight;
    private final Parameter weightTarget;
    private final Parameter biasSource;
    private final Parameter biasTarget;
    private final Parameter attSource;
    private final Parameter attTarget;
    private final Parameter residual;
    private final Parameter bias;

    /** GAT: the projection z (also the message); GATv2: the source-side projection (also the message). */
    private final Tensor projected;
    /** GATv2: the target-side projection. */
    private final Tensor projectedTarget;
    private final Tensor sourceScores;
    private final Tensor targetScores;
    private final Tensor alpha;
    private final Tensor residualOut;
    private final Tensor out;

    private Tensor dProjected;
    private Tensor dProjectedTarget;
    private Tensor dSourceScores;
    private Tensor dTargetScores;
    private Tensor dAlpha;
    /** Messages after message dropout, and their gradient (only when that dropout is on). */
    private Tensor droppedMessages;
    private Tensor dDroppedMessages;

    private InputDropout inputMask;
    private InputDropout residualMask;
    private DropoutMask attentionMask;
    private DropoutMask messageMask;

    /** {@code parameters} holds this layer's tensors under {@code prefix + local name}. */
    public GatLayer(Backend backend, GraphTensor graph, LayerSpec spec, Map<String, Parameter> parameters,
                    String prefix) {
        this.backend = backend;
        this.graph = graph;
        this.spec = spec;
        this.gatV2 = spec.variant() == Variant.GATV2;
        this.negativeSlope = (float) spec.negativeSlope();
        int n = graph.nodeCount();
        if (gatV2) {
            weight = require(parameters, prefix + "weight_src");
            biasSource = require(parameters, prefix + "bias_src");
            weightTarget = require(parameters, prefix + "weight_dst");
            biasTarget = require(parameters, prefix + "bias_dst");
            attSource = require(parameters, prefix + "att");
            attTarget = null;
            projectedTarget = backend.zeros(n, spec.width());
            sourceScores = null;
            targetScores = null;
        } else {
            weight = require(parameters, prefix + "weight");
            biasSource = null;
            weightTarget = null;
            biasTarget = null;
            attSource = require(parameters, prefix + "att_src");
            attTarget = require(parameters, prefix + "att_dst");
            projectedTarget = null;
            sourceScores = backend.zeros(n, spec.heads());
            targetScores = backend.zeros(n, spec.heads());
        }
        residual = spec.residual() ? require(parameters, prefix + "weight_res") : null;
        bias = require(parameters, prefix + "bias");
        projected = backend.zeros(n, spec.width());
        alpha = backend.zeros(graph.slotCount(), spec.heads());
        out = backend.zeros(n, spec.outputDim());
        residualOut = residual == null ? null : backend.zeros(n, spec.outputDim());
    }

    private static Parameter require(Map<String, Parameter> parameters, String name) {
        Parameter p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("Missing layer parameter '" + name + "'");
        }
        return p;
    }

    public LayerSpec spec() {
        return spec;
    }

    /** Output of the last forward pass (after ELU for hidden layers). */
    public Tensor output() {
        return out;
    }

    /** Attention [slots, heads] of the last forward pass, before attention dropout. */
    public Tensor attention() {
        return alpha;
    }

    /**
     * Masks are null for no dropout (inference). The input mask may have one group per head; the residual
     * projection then uses them per head when heads are concatenated, the first one when they are averaged.
     * Returns the output tensor.
     */
    public Tensor forward(Tensor input, InputDropout inputMask, DropoutMask attentionMask, DropoutMask messageMask) {
        this.inputMask = inputMask;
        this.residualMask = inputMask == null || spec.concat() ? inputMask : InputDropout.shared(inputMask.group(0));
        this.attentionMask = attentionMask;
        this.messageMask = messageMask;
        if (gatV2) {
            backend.linear(input, inputMask, weight.value(), biasSource.value(), projected);
            backend.linear(input, inputMask, weightTarget.value(), biasTarget.value(), projectedTarget);
            backend.gatV2Softmax(graph, projected, projectedTarget, attSource.value(), negativeSlope, alpha);
        } else {
            backend.linear(input, inputMask, weight.value(), null, projected);
            backend.attentionScores(projected, attSource.value(), attTarget.value(), sourceScores, targetScores);
            backend.edgeSoftmax(graph, sourceScores, targetScores, negativeSlope, alpha);
        }
        backend.aggregate(graph, alpha, attentionMask, messages(), spec.concat(), out);
        if (residual != null) {
            backend.linear(input, residualMask, residual.value(), null, residualOut);
            backend.add(out, residualOut);
        }
        backend.addBias(out, bias.value());
        if (spec.elu()) {
            backend.elu(out, out);
        }
        return out;
    }

    /**
     * Parameter gradients for the last forward pass, given {@code dOutput} = d loss / d output, which is
     * consumed (overwritten). When {@code dIn} is not null, d loss / d input is added to it.
     */
    public void backward(Tensor input, Tensor dOutput, Tensor dIn) {
        allocateGradients();
        if (spec.elu()) {
            backend.eluBackward(out, dOutput, dOutput);
        }
        backend.biasBackward(dOutput, bias.gradient());
        if (residual != null) {
            backend.linearBackward(input, residualMask, residual.value(), dOutput, residual.gradient(), null, dIn);
        }
        backend.fill(dProjected, 0f);
        if (messageMask == null) {
            backend.aggregateBackward(graph, alpha, attentionMask, projected, spec.concat(), dOutput, dProjected,
                    dAlpha);
        } else {
            backend.fill(dDroppedMessages, 0f);
            backend.aggregateBackward(graph, alpha, attentionMask, droppedMessages, spec.concat(), dOutput,
                    dDroppedMessages, dAlpha);
            backend.dropoutBackward(messageMask, dDroppedMessages, dProjected);
        }
        if (gatV2) {
            backend.fill(dProjectedTarget, 0f);
            backend.gatV2SoftmaxBackward(graph, projected, projectedTarget, attSource.value(), negativeSlope, alpha,
                    dAlpha, dProjected, dProjectedTarget, attSource.gradient());
            backend.linearBackward(input, inputMask, weight.value(), dProjected, weight.gradient(),
                    biasSource.gradient(), dIn);
            backend.linearBackward(input, inputMask, weightTarget.value(), dProjectedTarget, weightTarget.gradient(),
                    biasTarget.gradient(), dIn);
        } else {
            backend.edgeSoftmaxBackward(graph, sourceScores, targetScores, negativeSlope, alpha, dAlpha,
                    dSourceScores, dTargetScores);
            backend.attentionScoresBackward(projected, attSource.value(), attTarget.value(), dSourceScores,
                    dTargetScores, dProjected, attSource.gradient(), attTarget.gradient());
            backend.linearBackward(input, inputMask, weight.value(), dProjected, weight.gradient(), null, dIn);
        }
    }

    /** The projected messages, dropped out when message dropout is on (the attention scores see them whole). */
    private Tensor messages() {
        if (messageMask == null) {
            return projected;
        }
        if (droppedMessages == null) {
            droppedMessages = backend.zeros(graph.nodeCount(), spec.width());
        }
        backend.dropout(projected, messageMask, droppedMessages);
        return droppedMessages;
    }

    private void allocateGradients() {
        if (dAlpha != null) {
            return;
        }
        int n = graph.nodeCount();
        dProjected = backend.zeros(n, spec.width());
        dAlpha = backend.zeros(graph.slotCount(), spec.heads());
        if (gatV2) {
            dProjectedTarget = backend.zeros(n, spec.width());
        } else {
            dSourceScores = backend.zeros(n, spec.heads());
            dTargetScores = backend.zeros(n, spec.heads());
        }
        if (spec.messageDropout() > 0) {
            dDroppedMessages = backend.zeros(n, spec.width());
        }
    }

    /** Frees the activations and gradient buffers (the parameters belong to the caller). */
    public void release() {
        for (Tensor t : new Tensor[]{projected, projectedTarget, sourceScores, targetScores, alpha, residualOut, out,
                dProjected, dProjectedTarget, dSourceScores, dTargetScores, dAlpha, droppedMessages,
                dDroppedMessages}) {
            if (t != null) {
                backend.release(t);
            }
        }
    }
}
