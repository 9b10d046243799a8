package dev.neogat.train;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Assembles the chunks of a {@link LayerWiseInference} run into a {@link Prediction}: the logits of every node, and
 * the attention and hidden outputs of only the layers asked for (the others stay absent, which is what bounds the
 * memory of a run that needs one layer's attention or embeddings).
 */
public final class PredictionCollector implements LayerWiseInference.Consumer {

    private final GatConfig config;
    private final IncomingCsr graph;
    private final float[] logits;
    private final List<float[]> attention = new ArrayList<>();
    private final List<float[]> embeddings = new ArrayList<>();
    private final boolean anyAttention;
    private final boolean anyEmbeddings;

    /** {@code attentionLayers[l]}, {@code embeddingLayers[l]}: whether to keep layer l's attention, output. */
    public PredictionCollector(GatConfig config, IncomingCsr graph, boolean[] attentionLayers,
                               boolean[] embeddingLayers) {
        this.config = config;
        this.graph = graph;
        this.logits = new float[Math.multiplyExact(graph.nodeCount(), config.classCount())];
        boolean keepsAttention = false;
        boolean keepsEmbeddings = false;
        for (int l = 0; l < config.layerCount(); l++) {
            attention.add(attentionLayers[l] ? new float[Math.multiplyExact(graph.slotCount(), config.heads(l))]
                    : null);
            boolean hidden = !config.isOutputLayer(l) && embeddingLayers[l];
            embeddings.add(hidden ? new float[Math.multiplyExact(graph.nodeCount(), config.outputDim(l))] : null);
            keepsAttention |= attentionLayers[l];
            keepsEmbeddings |= hidden;
        }
        this.anyAttention = keepsAttention;
        this.anyEmbeddings = keepsEmbeddings;
    }

    @Override
    public void logits(int first, int end, float[] values) {
        System.arraycopy(values, 0, logits, first * config.classCount(), values.length);
    }

    @Override
    public void embeddings(int layer, int first, int end, float[] values) {
        float[] kept = embeddings.get(layer);
        if (kept != null) {
            System.arraycopy(values, 0, kept, first * config.outputDim(layer), values.length);
        }
    }

    @Override
    public void attention(int layer, int first, int end, int firstSlot, float[] values) {
        float[] kept = attention.get(layer);
        if (kept != null) {
            System.arraycopy(values, 0, kept, firstSlot * config.heads(layer), values.length);
        }
    }

    /** What was collected; layers not kept answer with an error. */
    public Prediction prediction() {
        return new Prediction(config, graph, logits, anyAttention ? attention : List.of(),
                anyEmbeddings ? embeddings : List.of());
    }
}
