package dev.neogat.nn;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Variant;
import dev.neogat.testing.RandomGraphs;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static dev.neogat.nn.FiniteDifferences.check;

/**
 * Every attention variant's projection and scores as one op, against finite differences of
 * {@code L = Σ scores ∘ R + Σ messages ∘ M}: the gradients of the input and of each parameter the variant
 * declares (and of the relationship features per slot when the layer has them), with input dropout in
 * place. A new variant is checked without a new test.
 */
class AttentionVariantGradientTest {

    private static final int NODES = 9;
    private static final int INPUTS = 5;

    static List<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Variant variant : Variant.values()) {
            cases.add(Arguments.of(variant, 0));
            cases.add(Arguments.of(variant, 2));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}, edgeDim {1}")
    @MethodSource("cases")
    void scoresAndMessagesMatchFiniteDifferences(Variant variant, int edgeDim) {
        FiniteDifferences.requireFloat64();
        SplittableRandom random = new SplittableRandom(11);
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            IncomingCsr csr = RandomGraphs.graph(NODES, 30, 3, false);
            GraphTensor graph = backend.upload(csr);
            LayerSpec spec = new LayerSpec(variant, INPUTS, 3, 4, true, false, true, 0.2, 0, 0, 0, edgeDim);
            AttentionVariant attention = AttentionVariant.of(variant);
            Map<String, Parameter> parameters = new LinkedHashMap<>();
            for (ParameterShape shape : attention.parameters(spec, "p.")) {
                parameters.put(shape.name(), new Parameter(backend, shape.name(),
                        new DenseMatrix(shape.rows(), shape.cols(), randomValues(random, shape.size()))));
            }
            CpuTensor edgeFeatures = edgeDim == 0 ? null : (CpuTensor) backend.upload(
                    randomValues(random, csr.slotCount() * edgeDim), csr.slotCount(), edgeDim);
            AttentionVariant.Scorer scorer = attention.bind(backend, graph, spec, parameters, "p.", edgeFeatures);
            CpuTensor input = (CpuTensor) backend.upload(randomValues(random, NODES * INPUTS), NODES, INPUTS);
            InputDropout dropout = InputDropout.shared(new DropoutMask(5, 0.3));
            CpuTensor scores = (CpuTensor) backend.zeros(csr.slotCount(), spec.heads());
            CpuTensor r = (CpuTensor) backend.upload(randomValues(random, csr.slotCount() * spec.heads()),
                    csr.slotCount(), spec.heads());
            CpuTensor m = (CpuTensor) backend.upload(randomValues(random, NODES * spec.width()), NODES,
                    spec.width());
            DoubleSupplier loss = () -> {
                CpuTensor messages = (CpuTensor) scorer.forward(input, dropout, scores);
                return dot(scores, r) + dot(messages, m);
            };
            loss.getAsDouble();
            CpuTensor dScores = (CpuTensor) backend.zeros(csr.slotCount(), spec.heads());
            CpuTensor dMessages = (CpuTensor) backend.zeros(NODES, spec.width());
            CpuTensor dIn = (CpuTensor) backend.zeros(NODES, INPUTS);
            CpuTensor dEdgeFeatures = edgeDim == 0 ? null : (CpuTensor) backend.zeros(csr.slotCount(), edgeDim);
            backend.copy(r, dScores);
            backend.copy(m, dMessages);
            scorer.backward(input, dropout, dScores, dMessages, dIn, dEdgeFeatures);

            check(variant + " d/dinput", input.data(), dIn.data(), loss);
            if (edgeFeatures != null) {
                check(variant + " d/dedge features", edgeFeatures.data(), dEdgeFeatures.data(), loss);
            }
            for (Parameter p : parameters.values()) {
                check(variant + " d/d" + p.name(), ((CpuTensor) p.value()).data(),
                        ((CpuTensor) p.gradient()).data(), loss);
            }
        }
    }

    private static float[] randomValues(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    private static double dot(CpuTensor a, CpuTensor b) {
        double sum = 0;
        for (int i = 0; i < a.data().length; i++) {
            sum += a.data()[i] * b.data()[i];
        }
        return sum;
    }
}
