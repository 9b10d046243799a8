package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One attention layer on one graph, the counterpart of PyG's {@code GATConv} / {@code GATv2Conv}.
 *
 * <p>Forward reads as the equations: dropout(x) → project and score each edge (the layer's
 * {@link AttentionVariant}) → softmax over each target's incoming edges → dropout(alpha) → weighted sum
 * of (dropped-out) messages → concat or mean over heads (+ residual projection) → + bias → ELU (hidden
 * layers). Backward runs the same steps in reverse, with the dropout masks of the forward pass.
 */
public final class GatLayer {

    private final Backend backend;
    private final GraphTensor graph;
    private final LayerSpec spec;
    private final AttentionVariant.Scorer scorer;

    private final Parameter residual;
    private final Parameter bias;

    /** The variant's messages of the last forward pass (the scorer owns them). */
    private Tensor messages;
    /** Raw scores, turned into attention in place by the softmax. */
    private final Tensor alpha;
    private final Tensor residualOut;
    private final Tensor out;

    private Tensor dMessages;
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
        this(backend, graph, spec, parameters, prefix, null);
    }

    /**
     * With relationship features {@code edgeFeatures} [slots, spec.edgeDim()] ({@link EdgeFeatures#perSlot}),
     * which the layer reads and does not own; null exactly when {@code spec.edgeDim()} is 0.
     */
    public GatLayer(Backend backend, GraphTensor graph, LayerSpec spec, Map<String, Parameter> parameters,
                    String prefix, Tensor edgeFeatures) {
        this.backend = backend;
        this.graph = graph;
        this.spec = spec;
        this.scorer = AttentionVariant.of(spec.variant()).bind(backend, graph, spec, parameters, prefix,
                edgeFeatures);
        residual = spec.residual() ? AttentionVariant.require(parameters, prefix + "weight_res") : null;
        bias = AttentionVariant.require(parameters, prefix + "bias");
        int n = graph.nodeCount();
        alpha = backend.zeros(graph.slotCount(), spec.heads());
        out = backend.zeros(n, spec.outputDim());
        residualOut = residual == null ? null : backend.zeros(n, spec.outputDim());
    }

    /** The parameters of one layer: its variant's, then the residual projection and the bias. */
    public static List<ParameterShape> parameterShapes(LayerSpec layer, String prefix) {
        List<ParameterShape> shapes = new ArrayList<>(AttentionVariant.of(layer.variant()).parameters(layer, prefix));
        if (layer.residual()) {
            shapes.add(ParameterShape.glorot(prefix + "weight_res", layer.inputDim(), layer.outputDim()));
        }
        shapes.add(ParameterShape.zeroBias(prefix + "bias", layer.outputDim()));
        return shapes;
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
        messages = scorer.forward(input, inputMask, alpha);
        backend.edgeSoftmax(graph, alpha);
        backend.aggregate(graph, alpha, attentionMask, droppedMessages(), spec.concat(), out);
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
        backward(input, dOutput, dIn, null);
    }

    /** As {@link #backward(Tensor, Tensor, Tensor)}, also adding d loss / d edge features to {@code dEdgeFeatures}. */
    public void backward(Tensor input, Tensor dOutput, Tensor dIn, Tensor dEdgeFeatures) {
        allocateGradients();
        if (spec.elu()) {
            backend.eluBackward(out, dOutput, dOutput);
        }
        backend.biasBackward(dOutput, bias.gradient());
        if (residual != null) {
            backend.linearBackward(input, residualMask, residual.value(), dOutput, residual.gradient(), null, dIn);
        }
        backend.fill(dMessages, 0f);
        if (messageMask == null) {
            backend.aggregateBackward(graph, alpha, attentionMask, messages, spec.concat(), dOutput, dMessages,
                    dAlpha);
        } else {
            backend.fill(dDroppedMessages, 0f);
            backend.aggregateBackward(graph, alpha, attentionMask, droppedMessages, spec.concat(), dOutput,
                    dDroppedMessages, dAlpha);
            backend.dropoutBackward(messageMask, dDroppedMessages, dMessages);
        }
        backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
        scorer.backward(input, inputMask, dAlpha, dMessages, dIn, dEdgeFeatures);
    }

    /** The messages, dropped out when message dropout is on (the scores see them whole). */
    private Tensor droppedMessages() {
        if (messageMask == null) {
            return messages;
        }
        if (droppedMessages == null) {
            droppedMessages = backend.zeros(graph.nodeCount(), spec.width());
        }
        backend.dropout(messages, messageMask, droppedMessages);
        return droppedMessages;
    }

    private void allocateGradients() {
        if (dAlpha != null) {
            return;
        }
        int n = graph.nodeCount();
        dMessages = backend.zeros(n, spec.width());
        dAlpha = backend.zeros(graph.slotCount(), spec.heads());
        if (spec.messageDropout() > 0) {
            dDroppedMessages = backend.zeros(n, spec.width());
        }
    }

    /** Frees the activations and gradient buffers (the parameters belong to the caller). */
    public void release() {
        scorer.release();
        for (Tensor t : new Tensor[]{alpha, residualOut, out, dMessages, dAlpha, droppedMessages, dDroppedMessages}) {
            if (t != null) {
                backend.release(t);
            }
        }
    }
}
