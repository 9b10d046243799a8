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
 * {@code att_edge} [H, C]. Typed relations name them as PyG does ({@code lin.weight}, {@code
 * lin_edge.weight}).
 *
 * <p>Between two node types ({@code GATConv((in_src, in_dst), ...)}) the sources are projected by
 * {@code lin_src} into the messages and the targets by {@code lin_dst}, which only score:
 * {@code e_ij = LeakyReLU(a_src·z_s[j] + a_dst·z_t[i] + ...)}. The backend's two-sided score operation is
 * then called once per side (the other side's half is discarded and its gradient fed zeros), so every
 * backend runs a bipartite relation with the operations it already has.
 */
final class GatAttention implements AttentionVariant {

    static final GatAttention INSTANCE = new GatAttention();

    private GatAttention() {
    }

    @Override
    public List<ParameterShape> parameters(LayerSpec layer, Sides sides, String prefix) {
        List<ParameterShape> shapes = new ArrayList<>();
        shapes.add(ParameterShape.glorot(prefix + sides.name("weight", "lin.weight", "lin_src.weight"),
                layer.inputDim(), layer.width()));
        if (sides.bipartite()) {
            shapes.add(ParameterShape.glorot(prefix + "lin_dst.weight", sides.targetDim(), layer.width()));
        }
        shapes.add(ParameterShape.glorot(prefix + "att_src", layer.heads(), layer.channels()));
        shapes.add(ParameterShape.glorot(prefix + "att_dst", layer.heads(), layer.channels()));
        if (layer.edgeDim() > 0) {
            shapes.add(ParameterShape.glorot(prefix + edgeWeightName(sides), layer.edgeDim(), layer.width()));
            shapes.add(ParameterShape.glorot(prefix + "att_edge", layer.heads(), layer.channels()));
        }
        return shapes;
    }

    private static String edgeWeightName(Sides sides) {
        return sides.name("weight_edge", "lin_edge.weight", "lin_edge.weight");
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
    public Scorer bind(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides,
                       Map<String, Parameter> parameters, String prefix, Tensor edgeFeatures) {
        return new Bound(backend, graph, layer, sides, parameters, prefix, edgeFeatures, null, null);
    }

    @Override
    public Scorer bindProjected(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides,
                                Map<String, Parameter> parameters, String prefix, Tensor edgeFeatures,
                                List<Tensor> sourceTensors, List<Tensor> targetTensors) {
        return new Bound(backend, graph, layer, sides, parameters, prefix, edgeFeatures,
                AttentionVariant.requireNodeTensors(sourceTensors, graph.sourceCount(),
                        new int[]{layer.width(), layer.heads()}, "source"),
                AttentionVariant.requireNodeTensors(targetTensors, graph.nodeCount(), new int[]{layer.heads()},
                        "target"));
    }

    private static final class Bound implements Scorer {
        private final Backend backend;
        private final GraphTensor graph;
        private final LayerSpec layer;
        private final boolean bipartite;
        private final float negativeSlope;
        private final Parameter weight;
        private final Parameter attSource;
        private final Parameter attTarget;
        private final Tensor projected;
        private final Tensor sourceScores;
        private final Tensor targetScores;
        private Tensor dSourceScores;
        private Tensor dTargetScores;
        /** Between two types: the targets' projection, and each side's discarded half; all null otherwise. */
        private final Parameter weightTarget;
        private final Tensor projectedTarget;
        private final Tensor unusedSourceSide;
        private final Tensor unusedTargetSide;
        private Tensor dProjectedTarget;
        private Tensor zerosSourceSide;
        private Tensor zerosTargetSide;
        private Tensor dAttUnused;
        /** Relationship features per slot and what the layer makes of them; all null without them. */
        private final Tensor edgeFeatures;
        private final Parameter weightEdge;
        private final Parameter attEdge;
        private final Tensor edgeProjected;
        private final Tensor edgeScores;
        private Tensor dEdgeProjected;
        /** Whether the node tensors were given (bindProjected): then the caller frees them. */
        private final boolean nodeTensorsGiven;

        /** {@code givenSources} and {@code givenTargets}: the node tensors to read, or null to allocate them. */
        Bound(Backend backend, GraphTensor graph, LayerSpec layer, Sides sides, Map<String, Parameter> parameters,
              String prefix, Tensor edgeFeatures, List<Tensor> givenSources, List<Tensor> givenTargets) {
            this.backend = backend;
            this.graph = graph;
            this.layer = layer;
            this.bipartite = sides.bipartite();
            this.negativeSlope = (float) layer.negativeSlope();
            weight = AttentionVariant.require(parameters, prefix + sides.name("weight", "lin.weight", "lin_src.weight"));
            attSource = AttentionVariant.require(parameters, prefix + "att_src");
            attTarget = AttentionVariant.require(parameters, prefix + "att_dst");
            int sources = graph.sourceCount();
            int targets = graph.nodeCount();
            nodeTensorsGiven = givenSources != null;
            projected = nodeTensorsGiven ? givenSources.get(0) : backend.zeros(sources, layer.width());
            sourceScores = nodeTensorsGiven ? givenSources.get(1) : backend.zeros(sources, layer.heads());
            targetScores = nodeTensorsGiven ? givenTargets.get(0) : backend.zeros(targets, layer.heads());
            if (bipartite) {
                weightTarget = AttentionVariant.require(parameters, prefix + "lin_dst.weight");
                // Only project() writes them, which a scorer on given node tensors does not run.
                projectedTarget = nodeTensorsGiven ? null : backend.zeros(targets, layer.width());
                unusedSourceSide = nodeTensorsGiven ? null : backend.zeros(targets, layer.heads());
                unusedTargetSide = nodeTensorsGiven ? null : backend.zeros(sources, layer.heads());
            } else {
                weightTarget = null;
                projectedTarget = null;
                unusedSourceSide = null;
                unusedTargetSide = null;
            }
            this.edgeFeatures = AttentionVariant.requireEdgeFeatures(layer, graph, edgeFeatures);
            if (edgeFeatures != null) {
                weightEdge = AttentionVariant.require(parameters, prefix + edgeWeightName(sides));
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
        public Tensor project(Tensor source, InputDropout sourceMask, Tensor target, InputDropout targetMask) {
            backend.linear(source, sourceMask, weight.value(), null, projected);
            if (bipartite) {
                backend.linear(target, targetMask, weightTarget.value(), null, projectedTarget);
                backend.attentionScores(projected, attSource.value(), attTarget.value(), sourceScores,
                        unusedTargetSide);
                backend.attentionScores(projectedTarget, attSource.value(), attTarget.value(), unusedSourceSide,
                        targetScores);
            } else {
                backend.attentionScores(projected, attSource.value(), attTarget.value(), sourceScores, targetScores);
            }
            return projected;
        }

        @Override
        public void score(Tensor scores) {
            if (edgeFeatures != null) {
                backend.linear(edgeFeatures, null, weightEdge.value(), null, edgeProjected);
                backend.headScores(edgeProjected, attEdge.value(), edgeScores);
            }
            backend.gatScores(graph, sourceScores, targetScores, edgeScores, negativeSlope, scores);
        }

        @Override
        public List<Tensor> sourceTensors() {
            return List.of(projected, sourceScores);
        }

        @Override
        public List<Tensor> targetTensors() {
            return List.of(targetScores);
        }

        @Override
        public void backward(Tensor source, InputDropout sourceMask, Tensor target, InputDropout targetMask,
                             Tensor dScores, Tensor dMessages, Tensor dSource, Tensor dTarget,
                             Tensor dEdgeFeatures) {
            allocateGradients();
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
            if (bipartite) {
                backend.attentionScoresBackward(projected, attSource.value(), attTarget.value(), dSourceScores,
                        zerosTargetSide, dMessages, attSource.gradient(), dAttUnused);
                backend.fill(dProjectedTarget, 0f);
                backend.attentionScoresBackward(projectedTarget, attSource.value(), attTarget.value(), zerosSourceSide,
                        dTargetScores, dProjectedTarget, dAttUnused, attTarget.gradient());
                backend.linearBackward(source, sourceMask, weight.value(), dMessages, weight.gradient(), null, dSource);
                backend.linearBackward(target, targetMask, weightTarget.value(), dProjectedTarget,
                        weightTarget.gradient(), null, dTarget);
            } else {
                backend.attentionScoresBackward(projected, attSource.value(), attTarget.value(), dSourceScores,
                        dTargetScores, dMessages, attSource.gradient(), attTarget.gradient());
                backend.linearBackward(source, sourceMask, weight.value(), dMessages, weight.gradient(), null, dSource);
            }
        }

        private void allocateGradients() {
            if (dSourceScores != null) {
                return;
            }
            dSourceScores = backend.zeros(graph.sourceCount(), layer.heads());
            dTargetScores = backend.zeros(graph.nodeCount(), layer.heads());
            if (bipartite) {
                dProjectedTarget = backend.zeros(graph.nodeCount(), layer.width());
                zerosSourceSide = backend.zeros(graph.nodeCount(), layer.heads());
                zerosTargetSide = backend.zeros(graph.sourceCount(), layer.heads());
                dAttUnused = backend.zeros(layer.heads(), layer.channels());
            }
            if (edgeFeatures != null) {
                dEdgeProjected = backend.zeros(graph.slotCount(), layer.width());
            }
        }

        @Override
        public void release() {
            if (!nodeTensorsGiven) {
                backend.release(projected);
                backend.release(sourceScores);
                backend.release(targetScores);
            }
            for (Tensor t : new Tensor[]{dSourceScores, dTargetScores,
                    projectedTarget, unusedSourceSide, unusedTargetSide, dProjectedTarget, zerosSourceSide,
                    zerosTargetSide, dAttUnused, edgeProjected, edgeScores, dEdgeProjected}) {
                if (t != null) {
                    backend.release(t);
                }
            }
        }
    }
}
