package dev.neogat.nn;

import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.util.InputDropout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GATv2 (Brody et al. 2022), PyG's {@code GATv2Conv(share_weights=False)}: two projections with bias,
 * the source side xs = x·W_l + b_l (also the message) and the target side xt = x·W_r + b_r; the score of
 * edge j→i is {@code Σ_c a[h,c]·LeakyReLU(xt_i + xs_j + W_e f_ji)[h,c]}, the nonlinearity before the
 * attention vector, the relationship-feature term f only when the layer has them. Parameters:
 * {@code weight_src}, {@code bias_src}, {@code weight_dst}, {@code bias_dst}, {@code att} [H, C]; with
 * relationship features also {@code weight_edge} [edgeDim, H·C] (PyG's {@code lin_edge}, no bias). Typed
 * relations name them as PyG does: {@code lin_l}, {@code lin_r}, {@code lin_edge}; between two node types
 * lin_l reads the sources and lin_r the targets.
 */
final class GatV2Attention implements AttentionVariant {

    static final GatV2Attention INSTANCE = new GatV2Attention();

    private GatV2Attention() {
    }

    @Override
    public List<ParameterShape> parameters(LayerSpec layer, Sides sides, String prefix) {
        int in = layer.inputDim();
        int width = layer.width();
        List<ParameterShape> shapes = new ArrayList<>(List.of(
                ParameterShape.glorot(prefix + name(sides, "weight_src"), in, width),
                ParameterShape.linearBias(prefix + name(sides, "bias_src"), width, in),
                ParameterShape.glorot(prefix + name(sides, "weight_dst"), sides.targetDim(), width),
                ParameterShape.linearBias(prefix + name(sides, "bias_dst"), width, sides.targetDim()),
                ParameterShape.glorot(prefix + "att", layer.heads(), layer.channels())));
        if (layer.edgeDim() > 0) {
            shapes.add(ParameterShape.glorot(prefix + name(sides, "weight_edge"), layer.edgeDim(), width));
        }
        return shapes;
    }

    /** A tensor's name: the untyped model's, or PyG's (lin_l source side, lin_r target side) in typed models. */
    private static String name(Sides sides, String untyped) {
        String typed = switch (untyped) {
            case "weight_src" -> "lin_l.weight";
            case "bias_src" -> "lin_l.bias";
            case "weight_dst" -> "lin_r.weight";
            case "bias_dst" -> "lin_r.bias";
            case "weight_edge" -> "lin_edge.weight";
            default -> throw new IllegalArgumentException("No GATv2 tensor '" + untyped + "'");
        };
        return sides.name(untyped, typed, typed);
    }

    @Override
    public long activationFloats(LayerSpec layer, long nodes, long slots) {
        return nodes * 2L * layer.width() + (layer.edgeDim() > 0 ? slots * layer.width() : 0);
    }

    @Override
    public long gradientFloats(LayerSpec layer, long nodes, long slots) {
        return nodes * layer.width() + (layer.edgeDim() > 0 ? slots * layer.width() : 0);
    }

    @Override
    public Scorer bind(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides,
                       Map<String, Parameter> parameters, String prefix, Tensor edgeFeatures) {
        return new Bound(backend, graph, layer, sides, parameters, prefix, edgeFeatures, null, null);
    }

    @Override
    public Scorer bindProjected(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides,
                                Map<String, Parameter> parameters, String prefix, Tensor edgeFeatures,
                                List<Tensor> sourceTensors, List<Tensor> targetTensors) {
        return new Bound(backend, graph, layer, sides, parameters, prefix, edgeFeatures,
                AttentionVariant.requireNodeTensors(sourceTensors, graph.sourceCount(), new int[]{layer.width()},
                        "source"),
                AttentionVariant.requireNodeTensors(targetTensors, graph.nodeCount(), new int[]{layer.width()},
                        "target"));
    }

    private static final class Bound implements Scorer {
        private final Backend backend;
        private final GraphTensor graph;
        private final float negativeSlope;
        private final Parameter weightSource;
        private final Parameter biasSource;
        private final Parameter weightTarget;
        private final Parameter biasTarget;
        private final Parameter att;
        private final Tensor projectedSource;
        private final Tensor projectedTarget;
        private Tensor dProjectedTarget;
        /** Relationship features per slot, their projection and its gradient; all null without them. */
        private final Tensor edgeFeatures;
        private final Parameter weightEdge;
        private final Tensor projectedEdge;
        private Tensor dProjectedEdge;
        /** Whether the node tensors were given (bindProjected): then the caller frees them. */
        private final boolean nodeTensorsGiven;

        /** {@code givenSources} and {@code givenTargets}: the node tensors to read, or null to allocate them. */
        Bound(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides, Map<String, Parameter> parameters,
              String prefix, Tensor edgeFeatures, List<Tensor> givenSources, List<Tensor> givenTargets) {
            this.backend = backend;
            this.graph = graph;
            this.negativeSlope = (float) layer.negativeSlope();
            weightSource = AttentionVariant.require(parameters, prefix + name(sides, "weight_src"));
            biasSource = AttentionVariant.require(parameters, prefix + name(sides, "bias_src"));
            weightTarget = AttentionVariant.require(parameters, prefix + name(sides, "weight_dst"));
            biasTarget = AttentionVariant.require(parameters, prefix + name(sides, "bias_dst"));
            att = AttentionVariant.require(parameters, prefix + "att");
            nodeTensorsGiven = givenSources != null;
            projectedSource = nodeTensorsGiven ? givenSources.get(0)
                    : backend.zeros(graph.sourceCount(), layer.width());
            projectedTarget = nodeTensorsGiven ? givenTargets.get(0)
                    : backend.zeros(graph.nodeCount(), layer.width());
            this.edgeFeatures = AttentionVariant.requireEdgeFeatures(layer, graph, edgeFeatures);
            if (edgeFeatures != null) {
                weightEdge = AttentionVariant.require(parameters, prefix + name(sides, "weight_edge"));
                projectedEdge = backend.zeros(graph.slotCount(), layer.width());
            } else {
                weightEdge = null;
                projectedEdge = null;
            }
        }

        @Override
        public Tensor project(Tensor source, InputDropout sourceMask, Tensor target, InputDropout targetMask) {
            backend.linear(source, sourceMask, weightSource.value(), biasSource.value(), projectedSource);
            backend.linear(target, targetMask, weightTarget.value(), biasTarget.value(), projectedTarget);
            return projectedSource;
        }

        @Override
        public void score(Tensor scores) {
            if (edgeFeatures != null) {
                backend.linear(edgeFeatures, null, weightEdge.value(), null, projectedEdge);
            }
            backend.gatV2Scores(graph, projectedSource, projectedTarget, projectedEdge, att.value(), negativeSlope,
                    scores);
        }

        @Override
        public List<Tensor> sourceTensors() {
            return List.of(projectedSource);
        }

        @Override
        public List<Tensor> targetTensors() {
            return List.of(projectedTarget);
        }

        @Override
        public void backward(Tensor source, InputDropout sourceMask, Tensor target, InputDropout targetMask,
                             Tensor dScores, Tensor dMessages, Tensor dSource, Tensor dTarget,
                             Tensor dEdgeFeatures) {
            if (dProjectedTarget == null) {
                dProjectedTarget = backend.zeros(graph.nodeCount(), projectedTarget.cols());
                if (edgeFeatures != null) {
                    dProjectedEdge = backend.zeros(graph.slotCount(), projectedEdge.cols());
                }
            }
            backend.fill(dProjectedTarget, 0f);
            backend.gatV2ScoresBackward(graph, projectedSource, projectedTarget, projectedEdge, att.value(),
                    negativeSlope, dScores, dMessages, dProjectedTarget, dProjectedEdge, att.gradient());
            if (edgeFeatures != null) {
                backend.linearBackward(edgeFeatures, null, weightEdge.value(), dProjectedEdge, weightEdge.gradient(),
                        null, dEdgeFeatures);
            }
            backend.linearBackward(source, sourceMask, weightSource.value(), dMessages, weightSource.gradient(),
                    biasSource.gradient(), dSource);
            backend.linearBackward(target, targetMask, weightTarget.value(), dProjectedTarget, weightTarget.gradient(),
                    biasTarget.gradient(), dTarget);
        }

        @Override
        public void release() {
            if (!nodeTensorsGiven) {
                backend.release(projectedSource);
                backend.release(projectedTarget);
            }
            for (Tensor t : new Tensor[]{dProjectedTarget, projectedEdge, dProjectedEdge}) {
                if (t != null) {
                    backend.release(t);
                }
            }
        }
    }
}
