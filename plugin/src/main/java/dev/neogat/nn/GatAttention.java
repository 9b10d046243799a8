package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.util.InputDropout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GAT (Veličković et al. 2018), PyG's {@code GATConv}: one projection z = x·W, the message; the score
 * of edge j→i is {@code LeakyReLU(a_src·z_j + a_dst·z_i + a_edge·(W_e f_ji))} per head, computed through
 * the per-node halves {@code a_src·z} and {@code a_dst·z} and, with relationship features f, a per-slot
 * third. Parameters: {@code weight} [in, H·C], {@code att_src} and {@code att_dst} [H, C]; with
 * relationship features also {@code weight_edge} [edgeDim, H·C] (PyG's {@code lin_edge}, no bias) and
 * {@code att_edge} [H, C].
 */
final class GatAttention implements AttentionVariant {

    static final GatAttention INSTANCE = new GatAttention();

    private GatAttention() {
    }

    @Override
    public List<ParameterShape> parameters(LayerSpec layer, String prefix) {
        List<ParameterShape> shapes = new ArrayList<>(List.of(
                ParameterShape.glorot(prefix + "weight", layer.inputDim(), layer.width()),
                ParameterShape.glorot(prefix + "att_src", layer.heads(), layer.channels()),
                ParameterShape.glorot(prefix + "att_dst", layer.heads(), layer.channels())));
        if (layer.edgeDim() > 0) {
            shapes.add(ParameterShape.glorot(prefix + "weight_edge", layer.edgeDim(), layer.width()));
            shapes.add(ParameterShape.glorot(prefix + "att_edge", layer.heads(), layer.channels()));
        }
        return shapes;
    }

    @Override
    public long activationFloats(LayerSpec layer, long nodes, long slots) {
        long edges = layer.edgeDim() > 0 ? slots * ((long) layer.width() + layer.heads()) : 0;
        return nodes * (layer.width() + 2L * layer.heads()) + edges;
    }

    @Override
    public long gradientFloats(LayerSpec layer, long nodes, long slots) {
        return nodes * 2L * layer.heads() + (layer.edgeDim() > 0 ? slots * layer.width() : 0);
    }

    @Override
    public Scorer bind(Backend backend, GraphTensor graph, LayerSpec layer, Map<String, Parameter> parameters,
                       String prefix, Tensor edgeFeatures) {
        return new Bound(backend, graph, layer, parameters, prefix, edgeFeatures);
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
        /** Relationship features per slot and what the layer makes of them; all null without them. */
        private final Tensor edgeFeatures;
        private final Parameter weightEdge;
        private final Parameter attEdge;
        private final Tensor edgeProjected;
        private final Tensor edgeScores;
        private Tensor dEdgeProjected;

        Bound(Backend backend, GraphTensor graph, LayerSpec layer, Map<String, Parameter> parameters,
              String prefix, Tensor edgeFeatures) {
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
            this.edgeFeatures = AttentionVariant.requireEdgeFeatures(layer, graph, edgeFeatures);
            if (edgeFeatures != null) {
                weightEdge = AttentionVariant.require(parameters, prefix + "weight_edge");
                attEdge = AttentionVariant.require(parameters, prefix + "att_edge");
                edgeProjected = backend.zeros(graph.slotCount(), layer.width());
                edgeScores = backend.zeros(graph.slotCount(), layer.heads());
            } else {
                weightEdge = null;
                attEdge = null;
                edgeProjected = null;
                edgeScores = null;
            }
        }

        @Override
        public Tensor forward(Tensor input, InputDropout inputMask, Tensor scores) {
            backend.linear(input, inputMask, weight.value(), null, projected);
            backend.attentionScores(projected, attSource.value(), attTarget.value(), sourceScores, targetScores);
            if (edgeFeatures != null) {
                backend.linear(edgeFeatures, null, weightEdge.value(), null, edgeProjected);
                backend.headScores(edgeProjected, attEdge.value(), edgeScores);
            }
            backend.gatScores(graph, sourceScores, targetScores, edgeScores, negativeSlope, scores);
            return projected;
        }

        @Override
        public void backward(Tensor input, InputDropout inputMask, Tensor dScores, Tensor dMessages, Tensor dIn,
                             Tensor dEdgeFeatures) {
            if (dSourceScores == null) {
                dSourceScores = backend.zeros(graph.nodeCount(), sourceScores.cols());
                dTargetScores = backend.zeros(graph.nodeCount(), targetScores.cols());
                if (edgeFeatures != null) {
                    dEdgeProjected = backend.zeros(graph.slotCount(), edgeProjected.cols());
                }
            }
            backend.gatScoresBackward(graph, sourceScores, targetScores, edgeScores, negativeSlope, dScores,
                    dSourceScores, dTargetScores);
            if (edgeFeatures != null) {
                // dScores now holds the pre-activation's gradient, which is the edge scores' gradient too.
                backend.fill(dEdgeProjected, 0f);
                backend.headScoresBackward(edgeProjected, attEdge.value(), dScores, dEdgeProjected,
                        attEdge.gradient());
                backend.linearBackward(edgeFeatures, null, weightEdge.value(), dEdgeProjected, weightEdge.gradient(),
                        null, dEdgeFeatures);
            }
            backend.attentionScoresBackward(projected, attSource.value(), attTarget.value(), dSourceScores,
                    dTargetScores, dMessages, attSource.gradient(), attTarget.gradient());
            backend.linearBackward(input, inputMask, weight.value(), dMessages, weight.gradient(), null, dIn);
        }

        @Override
        public void release() {
            for (Tensor t : new Tensor[]{projected, sourceScores, targetScores, dSourceScores, dTargetScores,
                    edgeProjected, edgeScores, dEdgeProjected}) {
                if (t != null) {
                    backend.release(t);
                }
            }
        }
    }
}
