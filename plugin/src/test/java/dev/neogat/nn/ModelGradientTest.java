package dev.neogat.nn;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.testing.RandomGraphs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;

import static dev.neogat.nn.FiniteDifferences.check;

/**
 * Whole networks against finite differences of the training loss: every parameter and the input
 * features, in training mode with dropout (its masks are fixed by the step), for GAT and GATv2 with
 * and without residual projections, concatenated and averaged hidden heads, three layers,
 * multi-label targets, and relationship features in attention.
 */
class ModelGradientTest {

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("GAT 2 layers, dropout", base(Variant.GAT).build(), false),
                Arguments.of("GAT 2 layers, message dropout too", base(Variant.GAT).messageDropout(0.35).build(),
                        false),
                Arguments.of("GATv2 2 layers, dropout", base(Variant.GATV2).build(), false),
                Arguments.of("GATv2 residual, message dropout", base(Variant.GATV2).residual(true)
                        .messageDropout(0.3).build(), false),
                Arguments.of("GAT input dropout per head, residual", base(Variant.GAT).inputDropoutPerHead(true)
                        .residual(true).messageDropout(0.2).build(), false),
                Arguments.of("GATv2 input dropout per head, mean heads, residual", base(Variant.GATV2)
                        .inputDropoutPerHead(true).concatHidden(false).residual(true).build(), false),
                Arguments.of("GAT residual", base(Variant.GAT).residual(true).build(), false),
                Arguments.of("GATv2 residual, mean heads", base(Variant.GATV2).residual(true).concatHidden(false)
                        .build(), false),
                Arguments.of("GAT 3 layers, 2 output heads", base(Variant.GAT).layers(3).hiddenHeads(2, 3)
                        .hiddenChannels(3, 2).outputHeads(2).build(), false),
                Arguments.of("GAT multi-label", base(Variant.GAT).multiLabel(true).build(), true),
                Arguments.of("GATv2 multi-label, no dropout", base(Variant.GATV2).multiLabel(true).dropout(0).build(),
                        true),
                Arguments.of("GAT relationship features, residual", base(Variant.GAT).edgeDim(3).residual(true)
                        .messageDropout(0.2).build(), false),
                Arguments.of("GATv2 relationship features, mean heads", base(Variant.GATV2).edgeDim(2)
                        .concatHidden(false).build(), false));
    }

    private static GatConfig.Builder base(Variant variant) {
        return GatConfig.builder(5, 3).variant(variant).layers(2).hiddenChannels(3).hiddenHeads(2).outputHeads(1)
                .featureDropout(0.3).attentionDropout(0.25).messageDropout(0).normalizeFeatures(false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void gradientsMatchFiniteDifferences(String name, GatConfig config, boolean multiLabel) {
        FiniteDifferences.requireFloat64();
        int nodes = 10;
        IncomingCsr csr = RandomGraphs.graph(nodes, 26, 5, true);
        SplittableRandom random = new SplittableRandom(17);
        float[] x = new float[nodes * config.inputDim()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        NodeLabels labels = multiLabel ? multiLabels(nodes, config.classCount(), random)
                : singleLabels(nodes, config.classCount(), random);
        int[] train = {0, 2, 3, 5, 6, 9};
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            CpuTensor features = (CpuTensor) backend.upload(x, nodes, config.inputDim());
            float[] perEdge = new float[csr.originalEdgeCount() * config.edgeDim()];
            for (int i = 0; i < perEdge.length; i++) {
                perEdge[i] = (float) (random.nextDouble() * 2 - 1);
            }
            Tensor edgeFeatures = EdgeFeatures.upload(backend, csr, config.edgeDim() == 0 ? null
                    : new DenseMatrix(csr.originalEdgeCount(), config.edgeDim(), perEdge));
            GatNetwork network = new GatNetwork(backend, config, genericWeights(config, random), backend.upload(csr),
                    features, edgeFeatures, true);
            Targets targets = backend.upload(labels, train);
            network.forward(true, 99, 4);
            network.lossAndGradients(targets);
            DoubleSupplier loss = () -> {
                network.forward(true, 99, 4);
                return backend.loss(network.logits(), targets, null);
            };
            for (String parameter : network.parameterNames()) {
                check(name + " d/d" + parameter, ((CpuTensor) network.parameter(parameter)).data(),
                        ((CpuTensor) network.gradient(parameter)).data(), loss);
            }
            check(name + " d/dx", features.data(), ((CpuTensor) network.inputGradient()).data(), loss);
        }
    }

    /**
     * Glorot weights plus noise on every entry, biases included: with zero biases, dropout can make a
     * score exactly 0, where LeakyReLU has a corner and finite differences see the mean of both slopes.
     */
    private static Weights genericWeights(GatConfig config, SplittableRandom random) {
        java.util.Map<String, DenseMatrix> tensors = new java.util.LinkedHashMap<>();
        Weights.initialize(config, 3).asMap().forEach((name, tensor) -> {
            float[] values = tensor.data().clone();
            for (int i = 0; i < values.length; i++) {
                values[i] += (float) (0.2 * random.nextDouble() - 0.1);
            }
            tensors.put(name, new DenseMatrix(tensor.rows(), tensor.cols(), values));
        });
        return new Weights(tensors);
    }

    private static NodeLabels singleLabels(int nodes, int classes, SplittableRandom random) {
        int[] classOf = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            classOf[i] = random.nextInt(classes);
        }
        return NodeLabels.singleLabel(classOf, classes);
    }

    private static NodeLabels multiLabels(int nodes, int classes, SplittableRandom random) {
        byte[] memberships = new byte[nodes * classes];
        boolean[] labeled = new boolean[nodes];
        for (int i = 0; i < nodes; i++) {
            labeled[i] = true;
            for (int c = 0; c < classes; c++) {
                memberships[i * classes + c] = (byte) (random.nextBoolean() ? 1 : 0);
            }
        }
        return NodeLabels.multiLabel(classes, memberships, labeled);
    }
}
