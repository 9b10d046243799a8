package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Relation;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One relation of a typed layer, PyG's {@code GATConv} / {@code GATv2Conv} on that relation's edges:
 * the attention variant projects and scores each edge ({@link AttentionVariant}, bound to the relation's
 * graph, bipartite between two node types) → softmax over each target's incoming edges of this relation
 * → dropout(alpha) → weighted sum of (dropped-out) messages → concat or mean over heads → + bias. Residual
 * and ELU belong to the target type ({@link TypedGatLayer}).
 */
final class RelationAttention {

    private final Backend backend;
    private final Relation relation;
    private final GraphTensor graph;
    private final LayerSpec spec;
    private final AttentionVariant.Scorer scorer;
    private final Parameter bias;

    private final Tensor alpha;
    private final Tensor out;
    /** The messages [sources, width] of the last forward pass; the scorer owns them. */
    private Tensor messages;

    private Tensor dMessages;
    private Tensor dAlpha;
    private Tensor droppedMessages;
    private Tensor dDroppedMessages;

    private DropoutMask attentionMask;
    private DropoutMask messageMask;

    /**
     * {@code parameters} holds this relation's tensors under {@code prefix} + PyG name; {@code edgeFeatures}
     * [slots, spec.edgeDim()] its relationship features per slot, null exactly when it has none.
     */
    RelationAttention(Backend backend, Relation relation, GraphTensor graph, LayerSpec spec, int targetDim,
                      Map<String, Parameter> parameters, String prefix, Tensor edgeFeatures) {
        this.backend = backend;
        this.relation = relation;
        this.graph = graph;
        this.spec = spec;
        this.scorer = AttentionVariant.of(spec.variant()).bind(backend, graph, spec, sides(relation, spec, targetDim),
                parameters, prefix, edgeFeatures);
        bias = AttentionVariant.require(parameters, prefix + "bias");
        alpha = backend.zeros(graph.slotCount(), spec.heads());
        out = backend.zeros(graph.nodeCount(), spec.outputDim());
    }

    private static AttentionVariant.Sides sides(Relation relation, LayerSpec spec, int targetDim) {
        return AttentionVariant.Sides.relation(spec, relation.isBipartite(), targetDim);
    }

    /**
     * A relation's parameters as PyG's {@code HeteroConv} stores them (PyTorch's state_dict order): the
     * conv's own tensors (the variant's attention vectors, then the bias), then those of its projections.
     */
    static List<ParameterShape> parameterShapes(Relation relation, LayerSpec spec, int targetDim, String prefix) {
        List<ParameterShape> own = new ArrayList<>();
        List<ParameterShape> projections = new ArrayList<>();
        for (ParameterShape shape : AttentionVariant.of(spec.variant())
                .parameters(spec, sides(relation, spec, targetDim), prefix)) {
            (shape.name().substring(prefix.length()).contains(".") ? projections : own).add(shape);
        }
        own.add(ParameterShape.zeroBias(prefix + "bias", spec.outputDim()));
        own.addAll(projections);
        return own;
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
        messages = scorer.forward(sourceInput, sourceMask, targetInput, targetMask, alpha);
        backend.edgeSoftmax(graph, alpha);
        backend.aggregate(graph, alpha, attentionMask, droppedMessages(), spec.concat(), out);
        backend.addBias(out, bias.value());
        return out;
    }

    /**
     * Parameter gradients for the last forward pass given {@code dOut} = d loss / d output (read, not
     * changed, so that relations summed into one type can share it); d loss / d input is added to
     * {@code dSourceInput} and {@code dTargetInput} where not null (the same tensor within one type), and
     * d loss / d relationship features per slot to {@code dEdgeFeatures} where not null.
     */
    void backward(Tensor sourceInput, InputDropout sourceMask, Tensor targetInput, InputDropout targetMask,
                  Tensor dOut, Tensor dSourceInput, Tensor dTargetInput, Tensor dEdgeFeatures) {
        allocateGradients();
        backend.biasBackward(dOut, bias.gradient());
        backend.fill(dMessages, 0f);
        if (messageMask == null) {
            backend.aggregateBackward(graph, alpha, attentionMask, messages, spec.concat(), dOut, dMessages, dAlpha);
        } else {
            backend.fill(dDroppedMessages, 0f);
            backend.aggregateBackward(graph, alpha, attentionMask, droppedMessages, spec.concat(), dOut,
                    dDroppedMessages, dAlpha);
            backend.dropoutBackward(messageMask, dDroppedMessages, dMessages);
        }
        backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
        scorer.backward(sourceInput, sourceMask, targetInput, targetMask, dAlpha, dMessages, dSourceInput,
                dTargetInput, dEdgeFeatures);
    }

    /** The projected messages, dropped out when message dropout is on (the scores see them whole). */
    private Tensor droppedMessages() {
        if (messageMask == null) {
            return messages;
        }
        if (droppedMessages == null) {
            droppedMessages = backend.zeros(graph.sourceCount(), spec.width());
        }
        backend.dropout(messages, messageMask, droppedMessages);
        return droppedMessages;
    }

    private void allocateGradients() {
        if (dAlpha != null) {
            return;
        }
        dMessages = backend.zeros(graph.sourceCount(), spec.width());
        dAlpha = backend.zeros(graph.slotCount(), spec.heads());
        if (spec.messageDropout() > 0) {
            dDroppedMessages = backend.zeros(graph.sourceCount(), spec.width());
        }
    }

    void release() {
        scorer.release();
        for (Tensor t : new Tensor[]{alpha, out, dMessages, dAlpha, droppedMessages, dDroppedMessages}) {
            if (t != null) {
                backend.release(t);
            }
        }
    }
}
