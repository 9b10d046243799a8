package dev.neogat.nn;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.util.DropoutMask;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static dev.neogat.nn.FiniteDifferences.check;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The operations typed layers add (scaledAdd, dot, tanh), and the attention operations on a bipartite
 * relation (7 sources, 5 targets, a target without incoming edges and a source without outgoing ones),
 * against finite differences of {@code L = Σ out ∘ R}.
 */
class TypedOpGradientTest {

    private static final int SOURCES = 7;
    private static final int TARGETS = 5;
    private static final int HEADS = 2;
    private static final int CHANNELS = 3;

    private final SplittableRandom random = new SplittableRandom(23);
    private CpuBackend backend;
    private IncomingCsr csr;
    private GraphTensor graph;

    @BeforeEach
    void setUp() {
        FiniteDifferences.requireFloat64();
        backend = new CpuBackend(2, () -> false);
        // Target 4 has no incoming edge, source 6 no outgoing one; (2 → 1) is there twice.
        int[] sources = {0, 1, 2, 3, 4, 5, 0, 2, 2, 5, 1, 3};
        int[] targets = {0, 0, 1, 1, 2, 2, 3, 3, 1, 0, 3, 2};
        csr = GraphBuilder.bipartite(SOURCES, TARGETS).build(sources, targets);
        graph = backend.upload(csr);
    }

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    private CpuTensor randomTensor(int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return (CpuTensor) backend.upload(values, rows, cols);
    }

    private CpuTensor zeros(int rows, int cols) {
        return (CpuTensor) backend.zeros(rows, cols);
    }

    private static double dot(CpuTensor a, CpuTensor b) {
        double sum = 0;
        for (int i = 0; i < a.data().length; i++) {
            sum += a.data()[i] * b.data()[i];
        }
        return sum;
    }

    @Test
    void bipartiteGraphShape() {
        assertEquals(TARGETS, graph.nodeCount());
        assertEquals(SOURCES, graph.sourceCount());
        assertEquals(12, graph.slotCount());
        assertEquals(0, csr.inDegree(4));
        assertEquals(-1, csr.selfLoopSlot(0), "a bipartite relation has no self loops, even for equal indices");
    }

    @Test
    void scaledAddAndDot() {
        CpuTensor x = randomTensor(TARGETS, 4);
        CpuTensor y = randomTensor(TARGETS, 4);
        CpuTensor r = randomTensor(TARGETS, 4);
        float[] start = x.data().clone();
        float[] scale = {0.7f};
        // L(β, y) = Σ (x0 + β·y) ∘ r: dL/dβ = dot(r, y), dL/dy = β·r, the op's own backward.
        CpuTensor dY = zeros(TARGETS, 4);
        backend.scaledAdd(dY, scale[0], r);
        DoubleSupplier loss = () -> {
            System.arraycopy(start, 0, x.data(), 0, start.length);
            backend.scaledAdd(x, scale[0], y);
            return dot(x, r);
        };
        check("scaledAdd d/dy", y.data(), dY.data(), loss);
        check("scaledAdd d/dscale", scale, new float[]{(float) backend.dot(r, y)}, loss);
        assertEquals(dot(r, y), backend.dot(r, y), 1e-12, "dot is the sum of the element-wise product");
    }

    @Test
    void tanh() {
        CpuTensor x = randomTensor(TARGETS, 6);
        for (int i = 0; i < x.data().length; i++) {
            x.data()[i] *= 3;
        }
        CpuTensor out = zeros(TARGETS, 6);
        CpuTensor r = randomTensor(TARGETS, 6);
        CpuTensor dX = zeros(TARGETS, 6);
        backend.tanh(x, out);
        backend.tanhBackward(out, r, dX);
        check("tanh d/dx", x.data(), dX.data(), () -> { backend.tanh(x, out); return dot(out, r); });
    }

    @Test
    void bipartiteAttentionScoresAndSoftmax() {
        CpuTensor source = randomTensor(SOURCES, HEADS);
        CpuTensor target = randomTensor(TARGETS, HEADS);
        CpuTensor alpha = zeros(csr.slotCount(), HEADS);
        CpuTensor r = randomTensor(csr.slotCount(), HEADS);
        CpuTensor dAlpha = zeros(csr.slotCount(), HEADS);
        CpuTensor dSource = zeros(SOURCES, HEADS);
        CpuTensor dTarget = zeros(TARGETS, HEADS);
        backend.gatScores(graph, source, target, null, 0.2f, alpha);
        backend.edgeSoftmax(graph, alpha);
        backend.copy(r, dAlpha);
        backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
        backend.gatScoresBackward(graph, source, target, null, 0.2f, dAlpha, dSource, dTarget);
        DoubleSupplier loss = () -> {
            backend.gatScores(graph, source, target, null, 0.2f, alpha);
            backend.edgeSoftmax(graph, alpha);
            return dot(alpha, r);
        };
        check("bipartite softmax d/dsource", source.data(), dSource.data(), loss);
        check("bipartite softmax d/dtarget", target.data(), dTarget.data(), loss);
    }

    @Test
    void bipartiteGatV2Softmax() {
        CpuTensor xs = randomTensor(SOURCES, HEADS * CHANNELS);
        CpuTensor xt = randomTensor(TARGETS, HEADS * CHANNELS);
        CpuTensor att = randomTensor(HEADS, CHANNELS);
        CpuTensor alpha = zeros(csr.slotCount(), HEADS);
        CpuTensor r = randomTensor(csr.slotCount(), HEADS);
        CpuTensor dAlpha = zeros(csr.slotCount(), HEADS);
        CpuTensor dXs = zeros(SOURCES, HEADS * CHANNELS);
        CpuTensor dXt = zeros(TARGETS, HEADS * CHANNELS);
        CpuTensor dAtt = zeros(HEADS, CHANNELS);
        backend.gatV2Scores(graph, xs, xt, null, att, 0.2f, alpha);
        backend.edgeSoftmax(graph, alpha);
        backend.copy(r, dAlpha);
        backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
        backend.gatV2ScoresBackward(graph, xs, xt, null, att, 0.2f, dAlpha, dXs, dXt, null, dAtt);
        DoubleSupplier loss = () -> {
            backend.gatV2Scores(graph, xs, xt, null, att, 0.2f, alpha);
            backend.edgeSoftmax(graph, alpha);
            return dot(alpha, r);
        };
        check("bipartite gatv2 d/dxs", xs.data(), dXs.data(), loss);
        check("bipartite gatv2 d/dxt", xt.data(), dXt.data(), loss);
        check("bipartite gatv2 d/datt", att.data(), dAtt.data(), loss);
    }

    @ParameterizedTest(name = "concat={0}")
    @ValueSource(booleans = {true, false})
    void bipartiteAggregation(boolean concat) {
        CpuTensor alpha = randomTensor(csr.slotCount(), HEADS);
        CpuTensor messages = randomTensor(SOURCES, HEADS * CHANNELS);
        int outWidth = concat ? HEADS * CHANNELS : CHANNELS;
        CpuTensor out = zeros(TARGETS, outWidth);
        CpuTensor r = randomTensor(TARGETS, outWidth);
        DropoutMask mask = new DropoutMask(8, 0.3);
        CpuTensor dAlpha = zeros(csr.slotCount(), HEADS);
        CpuTensor dMessages = zeros(SOURCES, HEADS * CHANNELS);
        backend.aggregateBackward(graph, alpha, mask, messages, concat, r, dMessages, dAlpha);
        DoubleSupplier loss = () -> {
            backend.aggregate(graph, alpha, mask, messages, concat, out);
            return dot(out, r);
        };
        check("bipartite aggregate d/dalpha", alpha.data(), dAlpha.data(), loss);
        check("bipartite aggregate d/dmessages", messages.data(), dMessages.data(), loss);
    }
}
