package dev.neogat.nn;

import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.TypedLayerSpec;
import dev.neogat.spec.Variant;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HAN's semantic attention (relationAggregation 'attention') against a direct evaluation of its equations
 * from the layer's own relation outputs z_r and parameters: w_r = (1/n) Σ_i q·tanh(z_r[i]·W + b), β =
 * softmax_r(w), out = Σ_r β_r z_r (then ELU in a hidden layer). The finite-difference tests only prove the
 * backward consistent with the forward; this pins the forward itself, so a β taken over the wrong rows, a
 * missing tanh or bias, or a weight left at its uniform start would fail here.
 */
class TypedSemanticAttentionTest {

    private static final String PAPER = "paper";

    @Test
    void relationWeightsAndOutputsFollowHansEquations() {
        TypedGraph graph = TypedModelGradientTest.graph();
        TypedGatConfig config = TypedGatConfig.builder(TypedModelGradientTest.widths(), graph.relations(), PAPER, 3)
                .variant(Variant.GAT).aggregation(RelationAggregation.ATTENTION).semanticDim(5).layers(2)
                .hiddenChannels(3).hiddenHeads(2).outputHeads(1).build();
        SplittableRandom random = new SplittableRandom(41);
        Weights weights = withLargeSemanticQueries(TypedModelGradientTest.genericWeights(config, random));
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            Map<String, Tensor> features = new LinkedHashMap<>();
            for (String type : graph.nodeTypes()) {
                int rows = graph.nodeCount(type);
                int cols = config.inputWidths().get(type);
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (random.nextDouble() * 4 - 2);
                }
                features.put(type, backend.upload(x, rows, cols));
            }
            TypedGatNetwork network = new TypedGatNetwork(backend, config, weights, graph, features, false);
            network.forward();
            for (int layer = 0; layer < config.layers(); layer++) {
                TypedLayerSpec spec = config.layer(layer);
                List<Relation> into = spec.relationsInto(PAPER);
                assertEquals(3, into.size(), "cites, writes and hosts point into papers");
                String prefix = TypedLayerSpec.typePrefix(TypedGatConfig.layerPrefix(layer), PAPER) + "semantic.";
                float[] w = Precision.download(backend, network.parameter(prefix + "weight"));
                float[] b = Precision.download(backend, network.parameter(prefix + "bias"));
                float[] q = Precision.download(backend, network.parameter(prefix + "query"));
                int nodes = graph.nodeCount(PAPER);
                int dim = spec.outputDim();
                int semantic = spec.semanticDim();
                float[][] z = new float[into.size()][];
                double[] score = new double[into.size()];
                for (int r = 0; r < into.size(); r++) {
                    z[r] = Precision.download(backend, network.layer(layer).relationOutput(into.get(r)));
                    for (int i = 0; i < nodes; i++) {
                        for (int a = 0; a < semantic; a++) {
                            double h = b[a];
                            for (int c = 0; c < dim; c++) {
                                h += z[r][i * dim + c] * w[c * semantic + a];
                            }
                            score[r] += q[a] * Math.tanh(h) / nodes;
                        }
                    }
                }
                double[] beta = softmax(score);
                Map<Relation, Double> actual = network.relationWeights(layer, PAPER);
                for (int r = 0; r < into.size(); r++) {
                    assertEquals(beta[r], actual.get(into.get(r)), 1e-5, "layer " + layer + " β of " + into.get(r));
                }
                double spread = java.util.Arrays.stream(beta).max().orElseThrow()
                        - java.util.Arrays.stream(beta).min().orElseThrow();
                assertTrue(spread > 0.05, "the check needs unequal weights, got β " + actual);

                double[] expected = new double[nodes * dim];
                for (int k = 0; k < expected.length; k++) {
                    double sum = 0;
                    for (int r = 0; r < into.size(); r++) {
                        sum += beta[r] * z[r][k];
                    }
                    expected[k] = spec.elu() ? (sum > 0 ? sum : Math.expm1(sum)) : sum;
                }
                Precision.assertClose(expected, Precision.download(backend, network.layer(layer).output(PAPER)), 1e-5,
                        "layer " + layer + " paper output");
            }
            network.release();
        }
    }

    /** Queries four times their initial size, so the relations' scores differ enough to tell β from uniform. */
    private static Weights withLargeSemanticQueries(Weights weights) {
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>();
        weights.asMap().forEach((name, tensor) -> {
            float[] values = tensor.data().clone();
            if (name.endsWith("semantic.query")) {
                for (int i = 0; i < values.length; i++) {
                    values[i] *= 4f;
                }
            }
            tensors.put(name, new DenseMatrix(tensor.rows(), tensor.cols(), values));
        });
        return new Weights(tensors);
    }

    private static double[] softmax(double[] scores) {
        double max = java.util.Arrays.stream(scores).max().orElseThrow();
        double[] out = new double[scores.length];
        double sum = 0;
        for (int r = 0; r < scores.length; r++) {
            out[r] = Math.exp(scores[r] - max);
            sum += out[r];
        }
        for (int r = 0; r < scores.length; r++) {
            out[r] /= sum;
        }
        return out;
    }
}
