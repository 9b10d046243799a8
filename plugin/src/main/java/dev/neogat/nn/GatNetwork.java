package dev.neogat.nn;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.ParameterShape;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;

import java.util.ArrayList;
import java.util.List;

/**
 * A stack of {@link GatLayer}s bound to one graph and its features on a {@link Backend}: forward in
 * training or inference mode, backward to parameter gradients, Adam steps, and the attention and hidden
 * embeddings of the last forward pass.
 *
 * <p>Training-mode dropout masks are keyed by (seed, step, layer), so a forward pass can be replayed
 * exactly, by backward or by a finite-difference check. On a sampled subgraph they are keyed by the whole
 * graph's node and slot ids too, so that a subgraph holding every neighbour drops what the whole graph does.
 *
 * <p>Networks made by {@link #sharingParameters} run other graphs (mini-batches, the whole graph for
 * validation) with the same parameters, gradients, Adam moments and step count.
 */
public final class GatNetwork extends ParameterizedNetwork {

    private static final int INPUT_DROPOUT = 0;
    private static final int ATTENTION_DROPOUT = 1;
    private static final int MESSAGE_DROPOUT = 2;
    /** Per-head input masks use purposes PER_HEAD_INPUT_DROPOUT + head. */
    private static final int PER_HEAD_INPUT_DROPOUT = 16;

    private final Backend backend;
    private final GatConfig config;
    /** False for a network made by sharingParameters: its parameters (and Adam step count) are its owner's. */
    private final boolean ownsParameters;
    private final GraphTensor graph;
    private final Tensor features;
    private final boolean computeInputGradient;
    private final ParameterSet parameters;
    private final GatLayer[] layers;
    private final Tensor[] outputGradients;
    private Tensor dLogits;
    private Tensor dInput;

    public GatNetwork(Backend backend, GatConfig config, Weights weights, GraphTensor graph, Tensor features) {
        this(backend, config, weights, graph, features, false);
    }

    /** With {@code computeInputGradient}, backward also yields d loss / d features (dense features only). */
    public GatNetwork(Backend backend, GatConfig config, Weights weights, GraphTensor graph, Tensor features,
                      boolean computeInputGradient) {
        this(backend, config, weights, graph, features, null, computeInputGradient);
    }

    /**
     * With relationship features in attention: {@code edgeFeatures} [slots, config.edgeDim()] per attention
     * slot of {@code graph}, as {@link EdgeFeatures#perSlot} makes them from the features of the caller's
     * edges, uploaded to {@code backend}; every layer's scores see them. Null exactly when the model has none
     * (edgeDim 0). The network reads them and does not own them.
     */
    public GatNetwork(Backend backend, GatConfig config, Weights weights, GraphTensor graph, Tensor features,
                      Tensor edgeFeatures, boolean computeInputGradient) {
        if (config.edgeDim() > 0 && edgeFeatures == null) {
            throw new IllegalArgumentException("The model attends over " + config.edgeDim()
                    + " relationship features per relationship, but none were given");
        }
        if (config.edgeDim() == 0 && edgeFeatures != null) {
            throw new IllegalArgumentException("Relationship features were given to a model without them"
                    + " (edgeDim 0)");
        }
        if (features.rows() != graph.nodeCount()) {
            throw new IllegalArgumentException("There are " + features.rows() + " feature rows for "
                    + graph.nodeCount() + " nodes");
        }
        if (features.cols() != config.inputDim()) {
            throw new IllegalArgumentException("The features have " + features.cols()
                    + " columns but the model expects " + config.inputDim());
        }
        if (computeInputGradient && features.isSparse()) {
            throw new IllegalArgumentException("Sparse input features have no gradient");
        }
        weights.requireMatches(config);
        this.backend = backend;
        this.config = config;
        this.ownsParameters = true;
        this.graph = graph;
        this.features = features;
        this.computeInputGradient = computeInputGradient;
        this.parameters = new ParameterSet(backend, parameterShapes(config), weights);
        layers = new GatLayer[config.layerCount()];
        outputGradients = new Tensor[config.layerCount()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new GatLayer(backend, graph, config.layer(l), parameters.byName(), ParameterShape.layerPrefix(l),
                    edgeFeatures);
        }
    }

    /** All parameters of a model, in their fixed order (initialisation and file order). */
    public static List<ParameterShape> parameterShapes(GatConfig config) {
        List<ParameterShape> shapes = new ArrayList<>();
        for (int l = 0; l < config.layerCount(); l++) {
            shapes.addAll(GatLayer.parameterShapes(config.layer(l), ParameterShape.layerPrefix(l)));
        }
        return shapes;
    }

    private GatNetwork(GatNetwork owner, GraphTensor graph, Tensor features, Tensor edgeFeatures) {
        if (features.rows() != graph.nodeCount()) {
            throw new IllegalArgumentException("There are " + features.rows() + " feature rows for "
                    + graph.nodeCount() + " nodes");
        }
        if (features.cols() != owner.config.inputDim()) {
            throw new IllegalArgumentException("The features have " + features.cols()
                    + " columns but the model expects " + owner.config.inputDim());
        }
        this.backend = owner.backend;
        this.config = owner.config;
        this.ownsParameters = false;
        this.graph = graph;
        this.features = features;
        this.computeInputGradient = false;
        this.parameters = owner.parameters;
        layers = new GatLayer[config.layerCount()];
        outputGradients = new Tensor[config.layerCount()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new GatLayer(backend, graph, config.layer(l), parameters.byName(), ParameterShape.layerPrefix(l),
                    edgeFeatures);
        }
    }

    /**
     * A network over another graph and its features with this network's parameters (shared, not copied):
     * its gradients and Adam steps act on them. Its {@link #release} leaves the parameters to their owner.
     */
    public GatNetwork sharingParameters(GraphTensor otherGraph, Tensor otherFeatures) {
        return sharingParameters(otherGraph, otherFeatures, null);
    }

    /** As {@link #sharingParameters(GraphTensor, Tensor)}, with the other graph's relationship features per slot. */
    public GatNetwork sharingParameters(GraphTensor otherGraph, Tensor otherFeatures, Tensor otherEdgeFeatures) {
        return new GatNetwork(this, otherGraph, otherFeatures, otherEdgeFeatures);
    }

    public GatConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    /** Inference: no dropout. Returns the logits [n, classes]. */
    @Override
    public Tensor forward() {
        return forward(false, 0, 0);
    }

    /**
     * Runs every layer. In training mode, dropout masks are drawn from (seed, step): the same pair gives
     * the same masks. Returns the logits [n, classes].
     */
    @Override
    public Tensor forward(boolean training, long seed, long step) {
        return forward(training, seed, step, null, null);
    }

    /**
     * As {@link #forward(boolean, long, long)} on a subgraph of a whole graph: {@code wholeNodes[i]} is the
     * whole graph's id of node i and {@code wholeSlots[s]} its slot of slot s, so that each dropout mask
     * drops what it would drop on the whole graph. Both null: this graph is the whole graph.
     */
    public Tensor forward(boolean training, long seed, long step, int[] wholeNodes, int[] wholeSlots) {
        if ((wholeNodes == null) != (wholeSlots == null)) {
            throw new IllegalArgumentException("Give both the whole graph's node ids and its slot ids, or neither");
        }
        if (wholeNodes != null && (wholeNodes.length != graph.nodeCount() || wholeSlots.length != graph.slotCount())) {
            throw new IllegalArgumentException("The subgraph has " + graph.nodeCount() + " nodes and "
                    + graph.slotCount() + " slots but " + wholeNodes.length + " node ids and " + wholeSlots.length
                    + " slot ids were given");
        }
        Tensor input = features;
        for (int l = 0; l < layers.length; l++) {
            InputDropout inputMask = inputDropout(training, seed, step, l, wholeNodes);
            DropoutMask attentionMask = DropoutMasks.draw(training, config.attentionDropout(), seed, step, l, ATTENTION_DROPOUT,
                    wholeSlots, config.heads(l));
            DropoutMask messageMask = DropoutMasks.draw(training, config.messageDropout(), seed, step, l, MESSAGE_DROPOUT,
                    wholeNodes, config.layer(l).width());
            input = layers[l].forward(input, inputMask, attentionMask, messageMask);
        }
        return logits();
    }

    private InputDropout inputDropout(boolean training, long seed, long step, int layer, int[] wholeNodes) {
        int heads = config.heads(layer);
        int inputWidth = config.inputDim(layer);
        if (!config.inputDropoutPerHead() || heads == 1) {
            return InputDropout.shared(DropoutMasks.draw(training, config.featureDropout(), seed, step, layer, INPUT_DROPOUT,
                    wholeNodes, inputWidth));
        }
        if (!training || config.featureDropout() == 0) {
            return null;
        }
        DropoutMask[] perHead = new DropoutMask[heads];
        for (int h = 0; h < heads; h++) {
            perHead[h] = DropoutMasks.draw(true, config.featureDropout(), seed, step, layer, PER_HEAD_INPUT_DROPOUT + h,
                    wholeNodes, inputWidth);
        }
        return InputDropout.perGroup(perHead);
    }

    /** Output of the last layer from the last forward pass. */
    public Tensor logits() {
        return layers[layers.length - 1].output();
    }

    /** Attention [slots, heads] of a layer from the last forward pass, before attention dropout. */
    public Tensor attention(int layer) {
        return layers[layer].attention();
    }

    /** Output of a layer from the last forward pass: after ELU for hidden layers, the logits for the last. */
    public Tensor layerOutput(int layer) {
        return layers[layer].output();
    }

    /**
     * Mean loss on {@code targets} for the last forward pass and, by backward, the gradient of every
     * parameter (and of the features when asked for).
     */
    @Override
    public double lossAndGradients(Targets targets) {
        if (dLogits == null) {
            dLogits = backend.zeros(graph.nodeCount(), config.classCount());
        }
        double loss = backend.loss(logits(), targets, dLogits);
        backward(dLogits);
        return loss;
    }

    /** Gradients of {@code Σ logits ∘ dLogits} for the last forward pass; dLogits is consumed. */
    public void backward(Tensor dLogitsGiven) {
        Tensor dOut = dLogitsGiven;
        for (int l = layers.length - 1; l >= 0; l--) {
            Tensor input = l == 0 ? features : layers[l - 1].output();
            Tensor dIn = l > 0 ? outputGradient(l - 1) : computeInputGradient ? inputGradientBuffer() : null;
            if (dIn != null) {
                backend.fill(dIn, 0f);
            }
            layers[l].backward(input, dOut, dIn);
            dOut = dIn;
        }
    }

    private Tensor outputGradient(int layer) {
        if (outputGradients[layer] == null) {
            Tensor out = layers[layer].output();
            outputGradients[layer] = backend.zeros(out.rows(), out.cols());
        }
        return outputGradients[layer];
    }

    private Tensor inputGradientBuffer() {
        if (dInput == null) {
            dInput = backend.zeros(features.rows(), features.cols());
        }
        return dInput;
    }

    /** d loss / d features of the last backward pass (only with computeInputGradient). */
    public Tensor inputGradient() {
        return dInput;
    }

    @Override
    ParameterSet parameterSet() {
        return parameters;
    }

    /** Frees everything this network allocated on its backend (not the graph and the features). */
    public void release() {
        if (ownsParameters) {
            parameters.release();
        }
        for (GatLayer layer : layers) {
            layer.release();
        }
        for (Tensor t : outputGradients) {
            if (t != null) {
                backend.release(t);
            }
        }
        if (dLogits != null) {
            backend.release(dLogits);
        }
        if (dInput != null) {
            backend.release(dInput);
        }
    }
}
