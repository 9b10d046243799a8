package dev.neogat.nn;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Variant;
import dev.neogat.testing.RandomGraphs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every variant's forward pass splits into its per-node projection and its per-slot scores: the node tensors are
 * as wide as the variant's activation floats per node (what layer-wise inference keeps per node), and a scorer
 * bound with {@link AttentionVariant#bindProjected} to a slice of the targets, reading those node tensors, scores
 * the slice's slots exactly as the whole graph's forward pass did. A new variant is checked without a new test.
 */
class AttentionVariantNodeTensorsTest {

    private static final int NODES = 12;
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
    void aSliceScoredFromTheNodeTensorsEqualsTheWholeForwardPass(Variant variant, int edgeDim) {
        SplittableRandom random = new SplittableRandom(5);
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            IncomingCsr csr = RandomGraphs.graph(NODES, 40, 9, true);
            LayerSpec spec = new LayerSpec(variant, INPUTS, 3, 4, true, false, true, 0.2, 0, 0, 0, edgeDim);
            AttentionVariant attention = AttentionVariant.of(variant);
            Map<String, Parameter> parameters = new LinkedHashMap<>();
            for (ParameterShape shape : attention.parameters(spec, "p.")) {
                parameters.put(shape.name(), new Parameter(backend, shape.name(),
                        new DenseMatrix(shape.rows(), shape.cols(), values(random, shape.size()))));
            }
            float[] edgeValues = values(random, csr.slotCount() * edgeDim);
            Tensor edgeFeatures = edgeDim == 0 ? null : backend.upload(edgeValues, csr.slotCount(), edgeDim);
            AttentionVariant.Scorer whole = attention.bind(backend, backend.upload(csr), spec, parameters, "p.",
                    edgeFeatures);
            Tensor input = backend.upload(values(random, NODES * INPUTS), NODES, INPUTS);
            CpuTensor scores = (CpuTensor) backend.zeros(csr.slotCount(), spec.heads());
            whole.forward(input, null, scores);

            long columns = 0;
            for (Tensor t : whole.sourceTensors()) {
                columns += t.cols();
            }
            for (Tensor t : whole.targetTensors()) {
                columns += t.cols();
            }
            assertThat(columns).as("node tensor columns").isEqualTo(attention.activationFloats(spec, 1, 0));

            int start = 3;
            int end = 8;
            int firstSlot = csr.offsets()[start];
            int slots = csr.offsets()[end] - firstSlot;
            IncomingCsr slice = csr.targetSlice(start, end);
            List<Tensor> targetRows = new ArrayList<>();
            for (Tensor t : whole.targetTensors()) {
                float[] all = ((CpuTensor) t).data();
                targetRows.add(backend.upload(Arrays.copyOfRange(all, start * t.cols(), end * t.cols()),
                        end - start, t.cols()));
            }
            Tensor sliceEdges = edgeDim == 0 ? null : backend.upload(Arrays.copyOfRange(edgeValues,
                    firstSlot * edgeDim, (firstSlot + slots) * edgeDim), slots, edgeDim);
            GraphTensor sliceGraph = backend.upload(slice);
            AttentionVariant.Scorer sliced = attention.bindProjected(backend, sliceGraph, spec, parameters, "p.",
                    sliceEdges, whole.sourceTensors(), targetRows);
            CpuTensor sliceScores = (CpuTensor) backend.zeros(slots, spec.heads());
            sliced.score(sliceScores);
            assertThat(sliceScores.data()).containsExactly(Arrays.copyOfRange(scores.data(),
                    firstSlot * spec.heads(), (firstSlot + slots) * spec.heads()));

            // The target rows are not every source's.
            assertThatThrownBy(() -> attention.bindProjected(backend, sliceGraph, spec, parameters, "p.", sliceEdges,
                    targetRows, targetRows)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("source side");
        }
    }

    private static float[] values(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
