package dev.neogat.nn;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.testing.RandomGraphs;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static dev.neogat.nn.FiniteDifferences.check;

/**
 * Every backend operation's backward against finite differences of {@code L = Σ out ∘ R} (R random),
 * on a random graph with duplicate edges, a node without incoming edges and dropout masks in place.
 */
class OpGradientTest {

    private static final int NODES = 9;
    private static final int HEADS = 3;
    private static final int CHANNELS = 4;

    private final SplittableRandom random = new SplittableRandom(7);
    private CpuBackend backend;
    private IncomingCsr csr;
    private GraphTensor graph;

    @BeforeEach
    void setUp() {
        FiniteDifferences.requireFloat64();
        backend = new CpuBackend(2, () -> false);
        csr = RandomGraphs.graph(NODES, 30, 3, false);
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

    /**
     * Output widths and dropout groups covering Linear's narrow (k-long) and wide (blocked) loops, with one
     * shared mask or one mask per group of output columns; 9 rows and 37 inputs leave partial row and input
     * blocks.
     */
    @ParameterizedTest(name = "output width {0}, {1} dropout group(s), {2} inputs")
    @CsvSource({"4, 1, 5", "20, 1, 5", "6, 3, 5", "32, 2, 5", "20, 1, 37", "32, 2, 37"})
    void denseLinearWithDropout(int width, int groups, int inputs) {
        CpuTensor in = randomTensor(NODES, inputs);
        CpuTensor weight = randomTensor(inputs, width);
        CpuTensor bias = randomTensor(1, width);
        CpuTensor out = zeros(NODES, width);
        CpuTensor r = randomTensor(NODES, width);
        InputDropout dropout = dropout(groups, 11);
        CpuTensor dWeight = zeros(inputs, width);
        CpuTensor dBias = zeros(1, width);
        CpuTensor dIn = zeros(NODES, inputs);
        backend.linearBackward(in, dropout, weight, r, dWeight, dBias, dIn);
        Runnable forward = () -> backend.linear(in, dropout, weight, bias, out);
        check("linear d/dW", weight.data(), dWeight.data(), () -> { forward.run(); return dot(out, r); });
        check("linear d/db", bias.data(), dBias.data(), () -> { forward.run(); return dot(out, r); });
        check("linear d/dx", in.data(), dIn.data(), () -> { forward.run(); return dot(out, r); });
    }

    private static InputDropout dropout(int groups, long key) {
        DropoutMask[] masks = new DropoutMask[groups];
        for (int g = 0; g < groups; g++) {
            masks[g] = new DropoutMask(key + 100 * g, 0.3 + 0.1 * g);
        }
        return groups == 1 ? InputDropout.shared(masks[0]) : InputDropout.perGroup(masks);
    }

    @ParameterizedTest(name = "{0} dropout group(s)")
    @ValueSource(ints = {1, 2})
    void sparseLinearWithDropout(int groups) {
        float[] dense = new float[NODES * 6];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = random.nextDouble() < 0.4 ? (float) random.nextDouble() : 0f;
        }
        SparseMatrix sparse = SparseMatrix.fromDense(NODES, 6, dense);
        Tensor in = backend.upload(sparse);
        CpuTensor weight = randomTensor(6, 4);
        CpuTensor bias = randomTensor(1, 4);
        CpuTensor out = zeros(NODES, 4);
        CpuTensor r = randomTensor(NODES, 4);
        InputDropout dropout = dropout(groups, 12);
        CpuTensor dWeight = zeros(6, 4);
        CpuTensor dBias = zeros(1, 4);
        backend.linearBackward(in, dropout, weight, r, dWeight, dBias, null);
        Runnable forward = () -> backend.linear(in, dropout, weight, bias, out);
        check("sparse linear d/dW", weight.data(), dWeight.data(), () -> { forward.run(); return dot(out, r); });
        check("sparse linear d/db", bias.data(), dBias.data(), () -> { forward.run(); return dot(out, r); });

        // Sparse storage drops the same values as dense storage: the masks are keyed by the dense index.
        CpuTensor denseOut = zeros(NODES, 4);
        CpuTensor denseIn = (CpuTensor) backend.upload(dense, NODES, 6);
        backend.linear(denseIn, dropout, weight, bias, denseOut);
        forward.run();
        Precision.assertClose(Precision.widen(denseOut.data()), out.data(), 1e-12, "sparse vs dense projection");
        CpuTensor denseWeightGradient = zeros(6, 4);
        backend.linearBackward(denseIn, dropout, weight, r, denseWeightGradient, null, null);
        Precision.assertClose(Precision.widen(denseWeightGradient.data()), dWeight.data(), 1e-12,
                "sparse vs dense weight gradient");
    }

    @Test
    void attentionScores() {
        CpuTensor z = randomTensor(NODES, HEADS * CHANNELS);
        CpuTensor attSource = randomTensor(HEADS, CHANNELS);
        CpuTensor attTarget = randomTensor(HEADS, CHANNELS);
        CpuTensor source = zeros(NODES, HEADS);
        CpuTensor target = zeros(NODES, HEADS);
        CpuTensor rs = randomTensor(NODES, HEADS);
        CpuTensor rt = randomTensor(NODES, HEADS);
        CpuTensor dZ = zeros(NODES, HEADS * CHANNELS);
        CpuTensor dAttSource = zeros(HEADS, CHANNELS);
        CpuTensor dAttTarget = zeros(HEADS, CHANNELS);
        backend.attentionScoresBackward(z, attSource, attTarget, rs, rt, dZ, dAttSource, dAttTarget);
        java.util.function.DoubleSupplier loss = () -> {
            backend.attentionScores(z, attSource, attTarget, source, target);
            return dot(source, rs) + dot(target, rt);
        };
        check("scores d/dz", z.data(), dZ.data(), loss);
        check("scores d/da_src", attSource.data(), dAttSource.data(), loss);
        check("scores d/da_dst", attTarget.data(), dAttTarget.data(), loss);
    }

    @Test
    void edgeSoftmax() {
        CpuTensor scores = randomTensor(csr.slotCount(), HEADS);
        CpuTensor alpha = zeros(csr.slotCount(), HEADS);
        CpuTensor r = randomTensor(csr.slotCount(), HEADS);
        CpuTensor dAlpha = zeros(csr.slotCount(), HEADS);
        backend.copy(scores, alpha);
        backend.edgeSoftmax(graph, alpha);
        backend.copy(r, dAlpha);
        backend.edgeSoftmaxBackward(graph, alpha, dAlpha);
        java.util.function.DoubleSupplier loss = () -> {
            backend.copy(scores, alpha);
            backend.edgeSoftmax(graph, alpha);
            return dot(alpha, r);
        };
        check("softmax d/dscores", scores.data(), dAlpha.data(), loss);
    }

    @Test
    void headScores() {
        CpuTensor z = randomTensor(csr.slotCount(), HEADS * CHANNELS);
        CpuTensor att = randomTensor(HEADS, CHANNELS);
        CpuTensor scores = zeros(csr.slotCount(), HEADS);
        CpuTensor r = randomTensor(csr.slotCount(), HEADS);
        CpuTensor dZ = zeros(csr.slotCount(), HEADS * CHANNELS);
        CpuTensor dAtt = zeros(HEADS, CHANNELS);
        backend.headScoresBackward(z, att, r, dZ, dAtt);
        java.util.function.DoubleSupplier loss = () -> {
            backend.headScores(z, att, scores);
            return dot(scores, r);
        };
        check("head scores d/dz", z.data(), dZ.data(), loss);
        check("head scores d/datt", att.data(), dAtt.data(), loss);
    }

    @ParameterizedTest(name = "relationship features: {0}")
    @ValueSource(booleans = {false, true})
    void gatScores(boolean withEdgeScores) {
        CpuTensor source = randomTensor(NODES, HEADS);
        CpuTensor target = randomTensor(NODES, HEADS);
        CpuTensor edge = withEdgeScores ? randomTensor(csr.slotCount(), HEADS) : null;
        CpuTensor scores = zeros(csr.slotCount(), HEADS);
        CpuTensor r = randomTensor(csr.slotCount(), HEADS);
        CpuTensor dScores = zeros(csr.slotCount(), HEADS);
        CpuTensor dSource = zeros(NODES, HEADS);
        CpuTensor dTarget = zeros(NODES, HEADS);
        backend.copy(r, dScores);
        backend.gatScoresBackward(graph, source, target, edge, 0.2f, dScores, dSource, dTarget);
        java.util.function.DoubleSupplier loss = () -> {
            backend.gatScores(graph, source, target, edge, 0.2f, scores);
            return dot(scores, r);
        };
        check("gat scores d/dsource", source.data(), dSource.data(), loss);
        check("gat scores d/dtarget", target.data(), dTarget.data(), loss);
        if (edge != null) {
            check("gat scores d/dedge", edge.data(), dScores.data(), loss);
        }
    }

    @ParameterizedTest(name = "relationship features: {0}")
    @ValueSource(booleans = {false, true})
    void gatV2Scores(boolean withEdgeProjection) {
        CpuTensor xs = randomTensor(NODES, HEADS * CHANNELS);
        CpuTensor xt = randomTensor(NODES, HEADS * CHANNELS);
        CpuTensor xe = withEdgeProjection ? randomTensor(csr.slotCount(), HEADS * CHANNELS) : null;
        CpuTensor att = randomTensor(HEADS, CHANNELS);
        CpuTensor scores = zeros(csr.slotCount(), HEADS);
        CpuTensor r = randomTensor(csr.slotCount(), HEADS);
        CpuTensor dXs = zeros(NODES, HEADS * CHANNELS);
        CpuTensor dXt = zeros(NODES, HEADS * CHANNELS);
        CpuTensor dXe = withEdgeProjection ? zeros(csr.slotCount(), HEADS * CHANNELS) : null;
        CpuTensor dAtt = zeros(HEADS, CHANNELS);
        backend.gatV2ScoresBackward(graph, xs, xt, xe, att, 0.2f, r, dXs, dXt, dXe, dAtt);
        java.util.function.DoubleSupplier loss = () -> {
            backend.gatV2Scores(graph, xs, xt, xe, att, 0.2f, scores);
            return dot(scores, r);
        };
        check("gatv2 scores d/dxs", xs.data(), dXs.data(), loss);
        check("gatv2 scores d/dxt", xt.data(), dXt.data(), loss);
        check("gatv2 scores d/datt", att.data(), dAtt.data(), loss);
        if (xe != null) {
            check("gatv2 scores d/dxe", xe.data(), dXe.data(), loss);
        }
    }

    /** Self loops carry the mean of their node's other incoming features; the gradient flows back through it. */
    @Test
    void relationshipFeaturesPerSlot() {
        // Self loops added (some replacing input loops) and duplicate edges.
        IncomingCsr looped = RandomGraphs.graph(NODES, 30, 3, true);
        CpuTensor perEdge = randomTensor(looped.originalEdgeCount(), 2);
        CpuTensor r = randomTensor(looped.slotCount(), 2);
        DenseMatrix dEdges = EdgeFeatures.edgeGradient(looped,
                new DenseMatrix(looped.slotCount(), 2, r.data().clone()));
        java.util.function.DoubleSupplier loss = () -> {
            DenseMatrix slots = EdgeFeatures.perSlot(looped, new DenseMatrix(looped.originalEdgeCount(), 2,
                    perEdge.data().clone()));
            double sum = 0;
            for (int i = 0; i < slots.data().length; i++) {
                sum += slots.data()[i] * r.data()[i];
            }
            return sum;
        };
        check("slot features d/dedge features", perEdge.data(), dEdges.data(), loss);
    }

    @Test
    void dropout() {
        CpuTensor x = randomTensor(NODES, 6);
        CpuTensor out = zeros(NODES, 6);
        CpuTensor r = randomTensor(NODES, 6);
        DropoutMask mask = new DropoutMask(21, 0.45);
        CpuTensor dX = randomTensor(NODES, 6);
        float[] before = dX.data().clone();
        backend.dropoutBackward(mask, r, dX);
        float[] added = new float[before.length];
        for (int i = 0; i < added.length; i++) {
            added[i] = dX.data()[i] - before[i];
        }
        check("dropout d/dx (accumulated)", x.data(), added, () -> { backend.dropout(x, mask, out); return dot(out, r); });
    }

    @Test
    void eluAndBias() {
        CpuTensor x = randomTensor(NODES, 5);
        CpuTensor out = zeros(NODES, 5);
        CpuTensor r = randomTensor(NODES, 5);
        CpuTensor dX = zeros(NODES, 5);
        backend.elu(x, out);
        backend.eluBackward(out, r, dX);
        check("elu d/dx", x.data(), dX.data(), () -> { backend.elu(x, out); return dot(out, r); });

        CpuTensor bias = randomTensor(1, 5);
        CpuTensor dBias = zeros(1, 5);
        backend.biasBackward(r, dBias);
        check("bias d/db", bias.data(), dBias.data(), () -> {
            backend.copy(x, out);
            backend.addBias(out, bias);
            return dot(out, r);
        });
    }

    @Test
    void softmaxCrossEntropy() {
        int classes = 4;
        int[] classOf = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            classOf[i] = i % 3 == 0 ? NodeLabels.NO_LABEL : random.nextInt(classes);
        }
        Targets targets = backend.upload(NodeLabels.singleLabel(classOf, classes), new int[]{1, 2, 4, 5, 7});
        CpuTensor logits = randomTensor(NODES, classes);
        CpuTensor dLogits = zeros(NODES, classes);
        backend.loss(logits, targets, dLogits);
        check("cross-entropy d/dlogits", logits.data(), dLogits.data(), () -> backend.loss(logits, targets, null));
    }

    @Test
    void sigmoidBinaryCrossEntropy() {
        int classes = 3;
        byte[] memberships = new byte[NODES * classes];
        boolean[] labeled = new boolean[NODES];
        for (int i = 0; i < NODES; i++) {
            labeled[i] = i != 4;
            for (int c = 0; c < classes; c++) {
                memberships[i * classes + c] = (byte) (random.nextBoolean() ? 1 : 0);
            }
        }
        Targets targets = backend.upload(NodeLabels.multiLabel(classes, memberships, labeled), new int[]{0, 2, 3, 8});
        CpuTensor logits = randomTensor(NODES, classes);
        for (int i = 0; i < logits.data().length; i++) {
            logits.data()[i] *= 4;
        }
        CpuTensor dLogits = zeros(NODES, classes);
        backend.loss(logits, targets, dLogits);
        check("binary cross-entropy d/dlogits", logits.data(), dLogits.data(),
                () -> backend.loss(logits, targets, null));
    }
}
