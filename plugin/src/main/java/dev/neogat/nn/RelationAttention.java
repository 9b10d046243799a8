package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.Relation;
import dev.neogat.spec.Variant;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

import java.util.Map;

/**
 * One relation of a typed layer, PyG's {@code GATConv} / {@code GATv2Conv} on that relation's edges:
 * project → score each edge → softmax over each target's incoming edges of this relation → dropout(alpha)
 * → weighted sum of (dropped-out) messages → concat or mean over heads → + bias. Residual and ELU belong
 * to the target type ({@link TypedGatLayer}).
 *
 * <p>Within one node type it is the untyped layer's computation (one projection {@code lin}, self loops
 * in the graph). Between two types (PyG's {@code GATConv((in_src, in_dst), ...)}): sources are projected
 * by {@code lin_src} into the messages, {@code z_s = x_src·W_src}; targets by {@code lin_dst},
 * {@code z_t = x_dst·W_dst}, which only score: {@code e_ij = LeakyReLU(a_src·z_s[j] + a_dst·z_t[i])}.
 * GATv2 scores {@code a·LeakyReLU(lin_r x_i + lin_l x_j)} with lin_l on the source side and lin_r on the
 * target side, within a type or between two.
 *
 * <p>The GAT scores of the two sides come from the backend's two-sided score operation called once per
 * side (the other side's half is discarded, and its gradient is fed zeros), so every backend runs a
 * bipartite relation with the operations it already has.
 */
final class RelationAttention {

    private final Backend backend;
    private final Relation relation;
    private final GraphTensor graph;
    private final LayerSpec spec;
    private final boolean bipartite;
    private final boolean gatV2;
    private final float negativeSlope;

    /** GAT: lin / lin_src; GATv2: lin_l. Projects the sources into the messages. */
    private final Parameter weightSource;
    /** GAT between two types: lin_dst; GATv2: lin_r. Null for GAT within a type. */
    private final Parameter weightTarget;
    private final Parameter biasSource;
    private final Parameter biasTarget;
    /** GAT: att_src; GATv2: att. */
    private final Parameter attSource;
    private final Parameter attTarget;
    private final Parameter bias;

    private final Tensor projected;
    private final Tensor projectedTarget;
    private final Tensor sourceScores;
    private final Tensor targetScores;
    /** Bipartite GAT: the halves computed and discarded on the other side. */
    private final Tensor unusedSourceSide;
    private final Tensor unusedTargetSide;
    private final Tensor alpha;
    private final Tensor out;

    private Tensor dProjected;
    private Tensor dProjectedTarget;
    private Tensor dSourceScores;
    private Tensor dTargetScores;
    private Tensor zerosSourceSide;
    private Tensor zerosTargetSide;
    private Tensor dAttUnused;
    private Tensor dAlpha;
    private Tensor droppedMessages;
    private Tensor dDroppedMessages;

    private DropoutMask attentionMask;
    private DropoutMask messageMask;

    /** {@code parameters} holds this relation's tensors under {@code prefix} + PyG name. */
    RelationAttention(Backend backend, Relation relation, GraphTensor graph, LayerSpec spec,
                      Map<String, Parameter> parameters, String prefix) {
        this.backend = backend;
        this.relation = relation;
        this.graph = graph;
        this.spec = spec;
        this.bipartite = relation.isBipartite();
        this.gatV2 = spec.variant() == Variant.GATV2;
        this.negativeSlope = (float) spec.negativeSlope();
        int sources = graph.sourceCount();
        int targets = graph.nodeCount();
        int heads = spec.heads();
        if (gatV2) {
            weightSource = require(parameters, prefix + "lin_l.weight");
            biasSource = require(parameters, prefix + "lin_l.bias");
            weightTarget = require(parameters, prefix + "lin_r.weight");
            biasTarget = require(parameters, prefix + "lin_r.bias");
            attSource = require(parameters, prefix + "att");
            attTarget = null;
            projectedTarget = backend.zeros(targets, spec.width());
            sourceScores = null;
            targetScores = null;
            unusedSourceSide = null;
            unusedTargetSide = null;
        } else {
            weightSource = require(parameters, prefix + (bipartite ? "lin_src.weight" : "lin.weight"));
            weightTarget = bipartite ? require(parameters, prefix + "lin_dst.weight") : null;
            biasSource = null;
            biasTarget = null;
            attSource = require(parameters, prefix + "att_src");
            attTarget = require(parameters, prefix + "att_dst");
            projectedTarget = bipartite ? backend.zeros(targets, spec.width()) : null;
            sourceScores = backend.zeros(sources, heads);
            targetScores = backend.zeros(targets, heads);
            unusedSourceSide = bipartite ? backend.zeros(targets, heads) : null;
            unusedTargetSide = bipartite ? backend.zeros(sources, heads) : null;
        }
        bias = require(parameters, prefix + "bias");
        projected = backend.zeros(sources, spec.width());
        alpha = backend.zeros(graph.slotCount(), heads);
        out = backend.zeros(targets, spec.outputDim());
    }

    static Parameter require(Map<String, Parameter> parameters, String name) {
        Parameter p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("Missing layer parameter '" + name + "'");
        }
        return p;
    }

    Relation relation() {
        return relation;
    }

    /** This relation's output [targets, outputDim] of the last forward pass, bias included. */
    Tensor output() {
        return out;
    }

    /** Attention [slots, heads] of the last forward pass, before attention dropout. */
    Tensor attention() {
        return alpha;
    }

    /** Within one type, source and target input (and masks) are the same tensor. */
    Tensor forward(Tensor sourceInput, InputDropout sourceMask, Tensor targetInput, InputDropout targetMask,
                   DropoutMask attentionMask, DropoutMask messageMask) {
        this.attentionMask = attentionMask;
        this.messageMask = messageMask;
        if (gatV2) {
            backend.linear(sourceInput, sourceMask, weightSource.value(), biasSource.value(), projected);
            backend.linear(targetInput, targetMask, weightTarget.value(), biasTarget.value(), projectedTarget);
            backend.gatV2Scores(graph, projected, projectedTarget, null, attSource.value(), negativeSlope, alpha);
            backend.edgeSoftmax(graph, alpha);
        } else if (bipartite) {
            backend.linear(sourceInput, sourceMask, weightSource.value(), null, projected);
            backend.linear(targetInput, targetMask, weightTarget.value(), null, projectedTarget);
            backend.attentionScores(projected, attSource.value(), attTarget.value(), sourceScores, unusedTargetSide);
            backend.attentionScores(projectedTarget, attSource.value(), attTarget.value(), unusedSourceSide,
                    targetScores);
            backend.gatScores(graph, sourceScores, targetScores, null, negativeSlope, alpha);
            backend.edgeSoftmax(graph, alpha);
        } else {
            backend.linear(sourceInput, sourceMask, weightSource.value(), null, projected);
            backend.attentionScores(projected, attSource.value(), attTarget.value(), sourceScores, targetScores);
            backend.gatScores(graph, sourceScores, targetScores, null, negativeSlope, alpha);
            backend.edgeSoftmax(graph, alpha);
        }
        backend.aggregate(graph, alpha, attentionMask, messages(), spec.concat(), out);
        backend.addBias(out, bias.value());
        return out;
    }

    /**
     * Parameter gradients for the last forward pass given {@code dOut} = d loss / d output (read, not
     * changed, so that relations summed into one type can share it); d loss / d input is added to
     * {@code dSourceInput} and {@code dTargetInput} where not null (the same tensor within one type).
     */
    void backward(Tensor sourceInput, InputDropout sourceMask, Tensor targetInput, InputDropout targetMask,
                  Tensor dOut, Tensor dSourceInput, Tensor dTargetInput) {
        allocateGradients();
        backend.biasBackward(dOut, bias.gradient());
        backend.fill(dProjected, 0f);
        if (messageMask == null) {
            backend.aggregateBackward(graph, alpha, attentionMask, projected, spec.concat(), dOut, dProjected, dAlpha);
        } else {
            backend.fill(dDroppedMessages, 0f);
            backend.aggregateBackward(graph, alpha, attentionMask, droppedMessages, spec.concat(), dOut,
                    dDroppedMessages, dAlpha);
            backend.dropoutBackward(messageMask, dDroppedMessages, dProjected);
        }
        if (gatV2) {
            backend.fill(dProjectedTarget, 0f);
            backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
            backend.gatV2ScoresBackward(graph, projected, projectedTarget, null, attSource.value(), negativeSlope,
                    dAlpha, dProjected, dProjectedTarget, null, attSource.gradient());
            backend.linearBackward(sourceInput, sourceMask, weightSource.value(), dProjected, weightSource.gradient(),
                    biasSource.gradient(), dSourceInput);
            backend.linearBackward(targetInput, targetMask, weightTarget.value(), dProjectedTarget,
                    weightTarget.gradient(), biasTarget.gradient(), dTargetInput);
        } else if (bipartite) {
            backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
            backend.gatScoresBackward(graph, sourceScores, targetScores, null, negativeSlope, dAlpha, dSourceScores,
                    dTargetScores);
            backend.attentionScoresBackward(projected, attSource.value(), attTarget.value(), dSourceScores,
                    zerosTargetSide, dProjected, attSource.gradient(), dAttUnused);
            backend.fill(dProjectedTarget, 0f);
            backend.attentionScoresBackward(projectedTarget, attSource.value(), attTarget.value(), zerosSourceSide,
                    dTargetScores, dProjectedTarget, dAttUnused, attTarget.gradient());
            backend.linearBackward(sourceInput, sourceMask, weightSource.value(), dProjected, weightSource.gradient(),
                    null, dSourceInput);
            backend.linearBackward(targetInput, targetMask, weightTarget.value(), dProjectedTarget,
                    weightTarget.gradient(), null, dTargetInput);
        } else {
            backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
            backend.gatScoresBackward(graph, sourceScores, targetScores, null, negativeSlope, dAlpha, dSourceScores,
                    dTargetScores);
            backend.attentionScoresBackward(projected, attSource.value(), attTarget.value(), dSourceScores,
                    dTargetScores, dProjected, attSource.gradient(), attTarget.gradient());
            backend.linearBackward(sourceInput, sourceMask, weightSource.value(), dProjected, weightSource.gradient(),
                    null, dSourceInput);
        }
    }

    /** The projected messages, dropped out when message dropout is on (the scores see them whole). */
    private Tensor messages() {
        if (messageMask == null) {
            return projected;
        }
        if (droppedMessages == null) {
            droppedMessages = backend.zeros(graph.sourceCount(), spec.width());
        }
        backend.dropout(projected, messageMask, droppedMessages);
        return droppedMessages;
    }

    private void allocateGradients() {
        if (dAlpha != null) {
            return;
        }
        int sources = graph.sourceCount();
        int targets = graph.nodeCount();
        dProjected = backend.zeros(sources, spec.width());
        dAlpha = backend.zeros(graph.slotCount(), spec.heads());
        if (gatV2 || bipartite) {
            dProjectedTarget = backend.zeros(targets, spec.width());
        }
        if (!gatV2) {
            dSourceScores = backend.zeros(sources, spec.heads());
            dTargetScores = backend.zeros(targets, spec.heads());
        }
        if (!gatV2 && bipartite) {
            zerosSourceSide = backend.zeros(targets, spec.heads());
            zerosTargetSide = backend.zeros(sources, spec.heads());
            dAttUnused = backend.zeros(spec.heads(), spec.channels());
        }
        if (spec.messageDropout() > 0) {
            dDroppedMessages = backend.zeros(sources, spec.width());
        }
    }

    void release() {
        for (Tensor t : new Tensor[]{projected, projectedTarget, sourceScores, targetScores, unusedSourceSide,
                unusedTargetSide, alpha, out, dProjected, dProjectedTarget, dSourceScores, dTargetScores,
                zerosSourceSide, zerosTargetSide, dAttUnused, dAlpha, droppedMessages, dDroppedMessages}) {
            if (t != null) {
                backend.release(t);
            }
        }
    }
}
