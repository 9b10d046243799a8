package dev.neogat.train;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;
import dev.neogat.util.Exponential;

import java.util.List;

/**
 * The outputs of one inference pass: logits per node, and on request the attention of every layer
 * ([slots, heads] in the graph's slot order) and the hidden layers' embeddings.
 */
public final class Prediction {

    private final GatConfig config;
    private final IncomingCsr graph;
    private final float[] logits;
    private final List<float[]> attention;
    private final List<float[]> embeddings;

    Prediction(GatConfig config, IncomingCsr graph, float[] logits, List<float[]> attention, List<float[]> embeddings) {
        this.config = config;
        this.graph = graph;
        this.logits = logits;
        this.attention = attention;
        this.embeddings = embeddings;
    }

    /**
     * The logits of some nodes alone (e.g. one chunk of a {@link LayerWiseInference} run), their rows in the given
     * order; no graph, attention or embeddings.
     */
    public static Prediction ofLogits(GatConfig config, float[] logits) {
        return new Prediction(config, null, logits, List.of(), List.of());
    }

    public int nodeCount() {
        return logits.length / config.classCount();
    }

    public int classCount() {
        return config.classCount();
    }

    public int layerCount() {
        return config.layerCount();
    }

    public boolean multiLabel() {
        return config.multiLabel();
    }

    /** The graph it ran on; null for {@link #ofLogits}. */
    public IncomingCsr graph() {
        return graph;
    }

    /** Raw scores [nodes, classes]. */
    public float[] logits() {
        return logits;
    }

    /** The class with the highest score (the first one on ties). */
    public int predictedClass(int node) {
        return predictedClass(logits, node * config.classCount(), config.classCount());
    }

    /** The class with the highest of the {@code classes} scores from {@code row} (ties: the lowest class). */
    static int predictedClass(float[] logits, int row, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[row + c] > logits[row + best]) {
                best = c;
            }
        }
        return best;
    }

    /** Multi-label: the classes whose probability exceeds 0.5. */
    public int[] predictedClasses(int node) {
        int classes = config.classCount();
        return java.util.stream.IntStream.range(0, classes).filter(c -> logits[node * classes + c] > 0).toArray();
    }

    /** Softmax of the scores, or per-class sigmoids for a multi-label model. */
    public double[] probabilities(int node) {
        return probabilities(logits, node * config.classCount(), config.classCount(), config.multiLabel());
    }

    /** Softmax of the {@code classes} scores from {@code row}, or their sigmoids when {@code multiLabel}. */
    static double[] probabilities(float[] logits, int row, int classes, boolean multiLabel) {
        double[] p = new double[classes];
        if (multiLabel) {
            for (int c = 0; c < classes; c++) {
                p[c] = 1 / (1 + Exponential.exp(-(double) logits[row + c]));
            }
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[row + c]);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            p[c] = Exponential.exp(logits[row + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < classes; c++) {
            p[c] /= sum;
        }
        return p;
    }

    public boolean hasAttention() {
        return !attention.isEmpty();
    }

    /** Heads of a layer. */
    public int heads(int layer) {
        return config.heads(layer);
    }

    /** Attention of layer {@code layer}, [slots, heads] row-major. */
    public float[] attention(int layer) {
        if (attention.isEmpty()) {
            throw new IllegalStateException("Attention was not requested");
        }
        float[] values = attention.get(layer);
        if (values == null) {
            throw new IllegalStateException("The attention of layer " + layer + " was not kept");
        }
        return values;
    }

    /** Attention of one slot and head. */
    public float attention(int layer, int slot, int head) {
        return attention(layer)[slot * config.heads(layer) + head];
    }

    /** Mean attention over the heads of one slot. */
    public float meanAttention(int layer, int slot) {
        return meanAttention(attention(layer), slot, config.heads(layer));
    }

    /** Mean over the heads of row {@code slot} of attention values [slots, heads]. */
    public static float meanAttention(float[] values, int slot, int heads) {
        float sum = 0;
        for (int h = 0; h < heads; h++) {
            sum += values[slot * heads + h];
        }
        return sum / heads;
    }

    /** Embeddings of hidden layer {@code layer} (after ELU), [nodes, width] row-major. */
    public float[] embeddings(int layer) {
        if (embeddings.isEmpty()) {
            throw new IllegalStateException("Embeddings were not requested");
        }
        float[] values = embeddings.get(layer);
        if (values == null) {
            throw new IllegalStateException("The embeddings of layer " + layer + " were not kept");
        }
        return values;
    }

    public int embeddingWidth(int layer) {
        return config.outputDim(layer);
    }
}
