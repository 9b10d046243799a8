package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.util.InputDropout;

import java.util.List;
import java.util.Map;

/**
 * GAT (Veličković et al. 2018), PyG's {@code GATConv}: one projection z = x·W, the message; the score
 * of edge j→i is {@code LeakyReLU(a_src·z_j + a_dst·z_i)} per head, computed through the per-node halves
 * {@code a_src·z} and {@code a_dst·z}. Parameters: {@code weight} [in, H·C], {@code att_src} and
 * {@code att_dst} [H, C].
 */
final class GatAttention implements AttentionVariant {

    static final GatAttention INSTANCE = new GatAttention();

    private GatAttention() {
    }

    @Override
    public List<ParameterShape> parameters(LayerSpec layer, String prefix) {
        return List.of(ParameterShape.glorot(prefix + "weight", layer.inputDim(), layer.width()),
                ParameterShape.glorot(prefix + "att_src", layer.heads(), layer.channels()),
                ParameterShape.glorot(prefix + "att_dst", layer.heads(), layer.channels()));
    }

    @Override
    public long activationFloats(LayerSpec layer, long nodes, long slots) {
        return nodes * (layer.width() + 2L * layer.heads());
    }

    @Override
    public long gradientFloats(LayerSpec layer, long nodes, long slots) {
        return nodes * 2L * layer.heads();
    }

    @Override
    public Scorer bind(Backend backend, GraphTensor graph, LayerSpec layer, Map<String, Parameter> parameters,
                       String prefix) {
        return new Bound(backend, graph, layer, parameters, prefix);
    }

    private static final class Bound implements Scorer {
        private final Backend backend;
        private final GraphTensor graph;
        private final float negativeSlope;
        private final Parameter weight;
        private final Parameter attSource;
        private final Parameter attTarget;
        private final Tensor projected;
        private final Tensor sourceScores;
        private final Tensor targetScores;
        private Tensor dSourceScores;
        private Tensor dTargetScores;

        Bound(Backend backend, GraphTensor graph, LayerSpec layer, Map<String, Parameter> parameters,
              String prefix) {
            this.backend = backend;
            this.graph = graph;
            this.negativeSlope = (float) layer.negativeSlope();
            weight = AttentionVariant.require(parameters, prefix + "weight");
            attSource = AttentionVariant.require(parameters, prefix + "att_src");
            attTarget = AttentionVariant.require(parameters, prefix + "att_dst");
            int n = graph.nodeCount();
            projected = backend.zeros(n, layer.width());
            sourceScores = backend.zeros(n, layer.heads());
            targetScores = backend.zeros(n, layer.heads());
        }

        @Override
        public Tensor forward(Tensor input, InputDropout inputMask, Tensor scores) {
            backend.linear(input, inputMask, weight.value(), null, projected);
            backend.attentionScores(projected, attSource.value(), attTarget.value(), sourceScores, targetScores);
            backend.gatScores(graph, sourceScores, targetScores, negativeSlope, scores);
            return projected;
        }

        @Override
        public void backward(Tensor input, InputDropout inputMask, Tensor dScores, Tensor dMessages, Tensor dIn) {
            if (dSourceScores == null) {
                dSourceScores = backend.zeros(graph.nodeCount(), sourceScores.cols());
                dTargetScores = backend.zeros(graph.nodeCount(), targetScores.cols());
            }
            backend.gatScoresBackward(graph, sourceScores, targetScores, negativeSlope, dScores, dSourceScores,
                    dTargetScores);
            backend.attentionScoresBackward(projected, attSource.value(), attTarget.value(), dSourceScores,
                    dTargetScores, dMessages, attSource.gradient(), attTarget.gradient());
            backend.linearBackward(input, inputMask, weight.value(), dMessages, weight.gradient(), null, dIn);
        }

        @Override
        public void release() {
            for (Tensor t : new Tensor[]{projected, sourceScores, targetScores, dSourceScores, dTargetScores}) {
                if (t != null) {
                    backend.release(t);
                }
            }
        }
    }
}
