package dev.neogat.gpu;

import dev.neogat.model.ModelMetadata;
import dev.neogat.data.NodeLabels;
import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.model.TrainedModel;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.RandomGraphs;
import dev.neogat.train.Inference;
import dev.neogat.train.LayerWiseInference;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.Prediction;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The GPU backend against the CPU reference, operation by operation and for whole networks and trainings:
 * same inputs, same dropout keys, results equal within float32 rounding. Subclasses supply the driver:
 * the CPU emulation of the kernels (runs everywhere with g++) or a real GPU (skips without one).
 */
abstract class GpuBackendParityTest {

    /** Float32 sums in a different order: relative 2e-5, absolute 2e-6 near zero. */
    private static final double TOLERANCE = 2e-5;
    private static final int NODES = 23;
    private static final int HEADS = 3;
    private static final int CHANNELS = 4;

    private final SplittableRandom random = new SplittableRandom(11);
    private CudaDriver driver;
    private CpuBackend cpu;
    private GpuBackend gpu;
    private IncomingCsr csr;
    private GraphTensor cpuGraph;
    private GraphTensor gpuGraph;

    /** The driver under test; skips the test (an assumption) where it cannot run. */
    protected abstract CudaDriver openDriver();

    /** Device memory in use now, as the driver sees it. */
    protected abstract long deviceBytesInUse(CudaDriver driver);

    @BeforeEach
    void setUp() {
        driver = openDriver();
        cpu = CpuBackend.sequential();
        gpu = new GpuBackend(driver);
        // Duplicate edges, and node 0 without incoming edges (no self loops): the softmax's edge cases.
        csr = RandomGraphs.graph(NODES, 70, 5, false);
        cpuGraph = cpu.upload(csr);
        gpuGraph = gpu.upload(csr);
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) {
            gpu.close();
            assertEquals(0, gpu.liveBuffers(), "device buffers left after close");
            cpu.close();
        }
    }

    /** The same values on both backends. */
    private record Pair(Tensor cpu, Tensor gpu) {
    }

    private float[] randomValues(int count) {
        float[] values = new float[count];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    private Pair random(int rows, int cols) {
        float[] values = randomValues(rows * cols);
        return new Pair(cpu.upload(values, rows, cols), gpu.upload(values, rows, cols));
    }

    private Pair zeros(int rows, int cols) {
        return new Pair(cpu.zeros(rows, cols), gpu.zeros(rows, cols));
    }

    private void assertSame(Pair pair, String what) {
        float[] expected = download(cpu, pair.cpu);
        float[] actual = download(gpu, pair.gpu);
        assertClose(expected, actual, what);
    }

    private static float[] download(Backend backend, Tensor tensor) {
        float[] values = new float[tensor.rows() * tensor.cols()];
        backend.download(tensor, values);
        return values;
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": size");
        for (int i = 0; i < expected.length; i++) {
            double allowed = TOLERANCE * Math.max(0.1, Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= allowed)) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + " on the GPU, "
                        + expected[i] + " on the CPU");
            }
        }
    }

    private static DropoutMask mask(long key, double p) {
        return new DropoutMask(key, p);
    }

    // ---- memory -------------------------------------------------------------------------------------

    @Test
    void fillCopyAddAndDownload() {
        Pair x = random(5, 7);
        Pair y = random(5, 7);
        cpu.add(x.cpu, y.cpu);
        gpu.add(x.gpu, y.gpu);
        assertSame(x, "x + y");
        cpu.copy(x.cpu, y.cpu);
        gpu.copy(x.gpu, y.gpu);
        assertSame(y, "copy");
        cpu.fill(x.cpu, 2.5f);
        gpu.fill(x.gpu, 2.5f);
        assertSame(x, "fill");
        gpu.release(x.gpu);
        gpu.release(x.gpu);
    }

    // ---- projection ---------------------------------------------------------------------------------

    @ParameterizedTest(name = "dropout groups: {0}")
    @ValueSource(ints = {0, 1, HEADS})
    void denseLinearForwardAndBackward(int groups) {
        int k = 37;
        int m = HEADS * CHANNELS;
        Pair x = random(NODES, k);
        Pair w = random(k, m);
        Pair b = random(1, m);
        InputDropout dropout = dropout(groups, 0.4);
        Pair out = zeros(NODES, m);
        cpu.linear(x.cpu, dropout, w.cpu, b.cpu, out.cpu);
        gpu.linear(x.gpu, dropout, w.gpu, b.gpu, out.gpu);
        assertSame(out, "out");

        Pair dOut = random(NODES, m);
        Pair dW = zeros(k, m);
        Pair dB = zeros(1, m);
        Pair dX = random(NODES, k);
        cpu.linearBackward(x.cpu, dropout, w.cpu, dOut.cpu, dW.cpu, dB.cpu, dX.cpu);
        gpu.linearBackward(x.gpu, dropout, w.gpu, dOut.gpu, dW.gpu, dB.gpu, dX.gpu);
        assertSame(dW, "dW");
        assertSame(dB, "dBias");
        assertSame(dX, "dX (accumulated)");
    }

    @ParameterizedTest(name = "dropout groups: {0}")
    @ValueSource(ints = {0, 1, HEADS})
    void sparseLinearForwardAndWeightGradient(int groups) {
        int k = 41;
        int m = HEADS * CHANNELS;
        float[] dense = randomValues(NODES * k);
        for (int i = 0; i < dense.length; i++) {
            dense[i] = random.nextDouble() < 0.8 ? 0f : dense[i];
        }
        FeatureMatrix sparse = SparseMatrix.fromDense(NODES, k, dense);
        Tensor xCpu = cpu.upload(sparse);
        Tensor xGpu = gpu.upload(sparse);
        Pair w = random(k, m);
        InputDropout dropout = dropout(groups, 0.5);
        Pair out = zeros(NODES, m);
        cpu.linear(xCpu, dropout, w.cpu, null, out.cpu);
        gpu.linear(xGpu, dropout, w.gpu, null, out.gpu);
        assertSame(out, "out");

        Pair dOut = random(NODES, m);
        Pair dW = random(k, m);
        Pair dB = zeros(1, m);
        cpu.linearBackward(xCpu, dropout, w.cpu, dOut.cpu, dW.cpu, dB.cpu, null);
        gpu.linearBackward(xGpu, dropout, w.gpu, dOut.gpu, dW.gpu, dB.gpu, null);
        assertSame(dW, "dW");
        assertSame(dB, "dBias");
        gpu.release(xGpu);
    }

    private static InputDropout dropout(int groups, double p) {
        if (groups == 0) {
            return null;
        }
        if (groups == 1) {
            return InputDropout.shared(mask(77, p));
        }
        DropoutMask[] masks = new DropoutMask[groups];
        for (int g = 0; g < groups; g++) {
            masks[g] = mask(100 + g, p);
        }
        return InputDropout.perGroup(masks);
    }

    // ---- attention ----------------------------------------------------------------------------------

    @ParameterizedTest(name = "relationship features: {0}")
    @ValueSource(booleans = {false, true})
    void gatScoresAndSoftmaxWithGradients(boolean withEdgeScores) {
        int width = HEADS * CHANNELS;
        Pair z = random(NODES, width);
        Pair attS = random(HEADS, CHANNELS);
        Pair attT = random(HEADS, CHANNELS);
        Pair s = zeros(NODES, HEADS);
        Pair t = zeros(NODES, HEADS);
        cpu.attentionScores(z.cpu, attS.cpu, attT.cpu, s.cpu, t.cpu);
        gpu.attentionScores(z.gpu, attS.gpu, attT.gpu, s.gpu, t.gpu);
        assertSame(s, "source scores");
        assertSame(t, "target scores");

        Pair edge = withEdgeScores ? random(csr.slotCount(), HEADS) : null;
        Pair alpha = zeros(csr.slotCount(), HEADS);
        cpu.gatScores(cpuGraph, s.cpu, t.cpu, edge == null ? null : edge.cpu, 0.2f, alpha.cpu);
        gpu.gatScores(gpuGraph, s.gpu, t.gpu, edge == null ? null : edge.gpu, 0.2f, alpha.gpu);
        assertSame(alpha, "raw scores");
        cpu.edgeSoftmax(cpuGraph, alpha.cpu);
        gpu.edgeSoftmax(gpuGraph, alpha.gpu);
        assertSame(alpha, "alpha");

        Pair dAlpha = random(csr.slotCount(), HEADS);
        cpu.edgeSoftmaxBackward(cpuGraph, alpha.cpu, dAlpha.cpu);
        gpu.edgeSoftmaxBackward(gpuGraph, alpha.gpu, dAlpha.gpu);
        assertSame(dAlpha, "score gradient");
        Pair dS = zeros(NODES, HEADS);
        Pair dT = zeros(NODES, HEADS);
        cpu.gatScoresBackward(cpuGraph, s.cpu, t.cpu, edge == null ? null : edge.cpu, 0.2f, dAlpha.cpu, dS.cpu,
                dT.cpu);
        gpu.gatScoresBackward(gpuGraph, s.gpu, t.gpu, edge == null ? null : edge.gpu, 0.2f, dAlpha.gpu, dS.gpu,
                dT.gpu);
        assertSame(dAlpha, "pre-activation gradient");
        assertSame(dS, "dSource");
        assertSame(dT, "dTarget");

        Pair dZ = random(NODES, width);
        Pair dAttS = zeros(HEADS, CHANNELS);
        Pair dAttT = zeros(HEADS, CHANNELS);
        cpu.attentionScoresBackward(z.cpu, attS.cpu, attT.cpu, dS.cpu, dT.cpu, dZ.cpu, dAttS.cpu, dAttT.cpu);
        gpu.attentionScoresBackward(z.gpu, attS.gpu, attT.gpu, dS.gpu, dT.gpu, dZ.gpu, dAttS.gpu, dAttT.gpu);
        assertSame(dZ, "dZ (accumulated)");
        assertSame(dAttS, "dAttSource");
        assertSame(dAttT, "dAttTarget");
    }

    @ParameterizedTest(name = "relationship features: {0}")
    @ValueSource(booleans = {false, true})
    void gatV2ScoresWithGradients(boolean withEdgeProjection) {
        int width = HEADS * CHANNELS;
        Pair xs = random(NODES, width);
        Pair xt = random(NODES, width);
        Pair xe = withEdgeProjection ? random(csr.slotCount(), width) : null;
        Pair att = random(HEADS, CHANNELS);
        Pair scores = zeros(csr.slotCount(), HEADS);
        cpu.gatV2Scores(cpuGraph, xs.cpu, xt.cpu, xe == null ? null : xe.cpu, att.cpu, 0.2f, scores.cpu);
        gpu.gatV2Scores(gpuGraph, xs.gpu, xt.gpu, xe == null ? null : xe.gpu, att.gpu, 0.2f, scores.gpu);
        assertSame(scores, "raw scores");

        Pair dScores = random(csr.slotCount(), HEADS);
        Pair dXs = random(NODES, width);
        Pair dXt = random(NODES, width);
        Pair dXe = withEdgeProjection ? zeros(csr.slotCount(), width) : null;
        Pair dAtt = zeros(HEADS, CHANNELS);
        cpu.gatV2ScoresBackward(cpuGraph, xs.cpu, xt.cpu, xe == null ? null : xe.cpu, att.cpu, 0.2f, dScores.cpu,
                dXs.cpu, dXt.cpu, dXe == null ? null : dXe.cpu, dAtt.cpu);
        gpu.gatV2ScoresBackward(gpuGraph, xs.gpu, xt.gpu, xe == null ? null : xe.gpu, att.gpu, 0.2f, dScores.gpu,
                dXs.gpu, dXt.gpu, dXe == null ? null : dXe.gpu, dAtt.gpu);
        if (dXe != null) {
            assertSame(dXe, "dXEdge");
        }
        assertSame(dXs, "dXSource (accumulated)");
        assertSame(dXt, "dXTarget (accumulated)");
        assertSame(dAtt, "dAtt");
    }

    @Test
    void headScoresWithGradients() {
        int width = HEADS * CHANNELS;
        Pair z = random(csr.slotCount(), width);
        Pair att = random(HEADS, CHANNELS);
        Pair scores = zeros(csr.slotCount(), HEADS);
        cpu.headScores(z.cpu, att.cpu, scores.cpu);
        gpu.headScores(z.gpu, att.gpu, scores.gpu);
        assertSame(scores, "head scores");
        Pair dScores = random(csr.slotCount(), HEADS);
        Pair dZ = random(csr.slotCount(), width);
        Pair dAtt = zeros(HEADS, CHANNELS);
        cpu.headScoresBackward(z.cpu, att.cpu, dScores.cpu, dZ.cpu, dAtt.cpu);
        gpu.headScoresBackward(z.gpu, att.gpu, dScores.gpu, dZ.gpu, dAtt.gpu);
        assertSame(dZ, "dZ (accumulated)");
        assertSame(dAtt, "dAtt");
    }

    @ParameterizedTest(name = "concat: {0}")
    @ValueSource(booleans = {true, false})
    void aggregationWithAttentionDropout(boolean concat) {
        int width = HEADS * CHANNELS;
        Pair alpha = random(csr.slotCount(), HEADS);
        Pair messages = random(NODES, width);
        DropoutMask dropout = mask(5, 0.3);
        Pair out = zeros(NODES, concat ? width : CHANNELS);
        cpu.aggregate(cpuGraph, alpha.cpu, dropout, messages.cpu, concat, out.cpu);
        gpu.aggregate(gpuGraph, alpha.gpu, dropout, messages.gpu, concat, out.gpu);
        assertSame(out, "out");

        Pair dOut = random(NODES, concat ? width : CHANNELS);
        Pair dMessages = random(NODES, width);
        Pair dAlpha = zeros(csr.slotCount(), HEADS);
        cpu.aggregateBackward(cpuGraph, alpha.cpu, dropout, messages.cpu, concat, dOut.cpu, dMessages.cpu, dAlpha.cpu);
        gpu.aggregateBackward(gpuGraph, alpha.gpu, dropout, messages.gpu, concat, dOut.gpu, dMessages.gpu, dAlpha.gpu);
        assertSame(dMessages, "dMessages (accumulated)");
        assertSame(dAlpha, "dAlpha");
    }

    // ---- element-wise -------------------------------------------------------------------------------

    @Test
    void dropoutBiasAndElu() {
        Pair x = random(NODES, 9);
        Pair y = zeros(NODES, 9);
        DropoutMask dropout = mask(9, 0.6);
        cpu.dropout(x.cpu, dropout, y.cpu);
        gpu.dropout(x.gpu, dropout, y.gpu);
        assertSame(y, "dropout");
        Pair dIn = random(NODES, 9);
        cpu.dropoutBackward(dropout, x.cpu, dIn.cpu);
        gpu.dropoutBackward(dropout, x.gpu, dIn.gpu);
        assertSame(dIn, "dropout backward (accumulated)");

        Pair bias = random(1, 9);
        cpu.addBias(x.cpu, bias.cpu);
        gpu.addBias(x.gpu, bias.gpu);
        assertSame(x, "bias added");
        cpu.biasBackward(x.cpu, bias.cpu);
        gpu.biasBackward(x.gpu, bias.gpu);
        assertSame(bias, "bias gradient");

        Pair e = zeros(NODES, 9);
        cpu.elu(x.cpu, e.cpu);
        gpu.elu(x.gpu, e.gpu);
        assertSame(e, "ELU");
        Pair dE = random(NODES, 9);
        Pair dX = zeros(NODES, 9);
        cpu.eluBackward(e.cpu, dE.cpu, dX.cpu);
        gpu.eluBackward(e.gpu, dE.gpu, dX.gpu);
        assertSame(dX, "ELU backward");
    }

    // ---- losses, metrics, optimiser -----------------------------------------------------------------

    @Test
    void crossEntropyLossGradientAndAccuracy() {
        int classes = 5;
        int[] classOf = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            classOf[i] = random.nextInt(classes);
        }
        NodeLabels labels = NodeLabels.singleLabel(classOf, classes);
        int[] nodes = {1, 4, 5, 8, 13, 21, 22};
        Targets cpuTargets = cpu.upload(labels, nodes);
        Targets gpuTargets = gpu.upload(labels, nodes);
        Pair logits = random(NODES, classes);
        Pair dLogits = random(NODES, classes);
        double expected = cpu.loss(logits.cpu, cpuTargets, dLogits.cpu);
        double actual = gpu.loss(logits.gpu, gpuTargets, dLogits.gpu);
        assertEquals(expected, actual, 1e-6 * Math.abs(expected), "loss");
        assertSame(dLogits, "dLogits");
        assertMetrics(cpu.evaluate(logits.cpu, cpuTargets), gpu.evaluate(logits.gpu, gpuTargets));
        assertMetrics(cpu.evaluate(logits.cpu, cpu.upload(labels, new int[0])),
                gpu.evaluate(logits.gpu, gpu.upload(labels, new int[0])));
    }

    @Test
    void binaryCrossEntropyLossGradientAndMicroF1Counts() {
        int classes = 4;
        byte[] memberships = new byte[NODES * classes];
        boolean[] labeled = new boolean[NODES];
        for (int i = 0; i < memberships.length; i++) {
            memberships[i] = (byte) (random.nextBoolean() ? 1 : 0);
        }
        java.util.Arrays.fill(labeled, true);
        NodeLabels labels = NodeLabels.multiLabel(classes, memberships, labeled);
        int[] nodes = {0, 2, 3, 7, 11, 19};
        Pair logits = random(NODES, classes);
        Pair dLogits = random(NODES, classes);
        Targets cpuTargets = cpu.upload(labels, nodes);
        Targets gpuTargets = gpu.upload(labels, nodes);
        double expected = cpu.loss(logits.cpu, cpuTargets, dLogits.cpu);
        double actual = gpu.loss(logits.gpu, gpuTargets, dLogits.gpu);
        assertEquals(expected, actual, 1e-6 * Math.abs(expected), "loss");
        assertSame(dLogits, "dLogits");
        assertMetrics(cpu.evaluate(logits.cpu, cpuTargets), gpu.evaluate(logits.gpu, gpuTargets));
    }

    private static void assertMetrics(MetricCounts expected, MetricCounts actual) {
        if (Double.isNaN(expected.loss())) {
            assertThat(actual.loss()).isNaN();
        } else {
            assertEquals(expected.loss(), actual.loss(), 1e-6 * Math.abs(expected.loss()), "loss");
        }
        assertEquals(expected.score(), actual.score(), 1e-12, "score");
        assertEquals(expected, new MetricCounts(expected.loss(), actual.correct(), actual.total(),
                actual.truePositives(), actual.falsePositives(), actual.falseNegatives(), actual.multiLabel()),
                "counts");
    }

    @Test
    void adamSteps() {
        Pair p = random(6, 5);
        Pair m = zeros(6, 5);
        Pair v = zeros(6, 5);
        AdamSettings settings = AdamSettings.of(0.01, 5e-4);
        for (int step = 1; step <= 3; step++) {
            Pair g = random(6, 5);
            cpu.adamStep(p.cpu, g.cpu, m.cpu, v.cpu, settings, step);
            gpu.adamStep(p.gpu, g.gpu, m.gpu, v.gpu, settings, step);
        }
        assertSame(p, "parameter");
        assertSame(m, "first moment");
        assertSame(v, "second moment");
    }

    // ---- whole networks and trainings ---------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gat", "gatv2-residual-mean-heads", "gat-multi-label-dense", "gat-relationship-features",
            "gatv2-relationship-features"})
    void networkStepsMatchTheCpu(String variant) {
        boolean multiLabel = variant.contains("multi-label");
        int classes = 4;
        int featureCount = 30;
        GatConfig config = GatConfig.builder(featureCount, classes).hiddenHeads(HEADS).hiddenChannels(CHANNELS)
                .outputHeads(2).variant(variant.startsWith("gatv2") ? Variant.GATV2 : Variant.GAT)
                .residual(variant.contains("residual")).concatHidden(!variant.contains("mean-heads"))
                .multiLabel(multiLabel).dropout(0.4).messageDropout(0.2).inputDropoutPerHead(true)
                .normalizeFeatures(false).edgeDim(variant.contains("relationship-features") ? 2 : 0).build();
        float[] dense = randomValues(NODES * featureCount);
        for (int i = 0; i < dense.length; i++) {
            dense[i] = random.nextDouble() < 0.7 ? 0f : Math.abs(dense[i]);
        }
        FeatureMatrix features = variant.contains("dense") ? new DenseMatrix(NODES, featureCount, dense)
                : SparseMatrix.fromDense(NODES, featureCount, dense);
        NodeLabels labels;
        if (multiLabel) {
            byte[] memberships = new byte[NODES * classes];
            for (int i = 0; i < memberships.length; i++) {
                memberships[i] = (byte) (random.nextBoolean() ? 1 : 0);
            }
            boolean[] labeled = new boolean[NODES];
            java.util.Arrays.fill(labeled, true);
            labels = NodeLabels.multiLabel(classes, memberships, labeled);
        } else {
            int[] classOf = new int[NODES];
            for (int i = 0; i < NODES; i++) {
                classOf[i] = random.nextInt(classes);
            }
            labels = NodeLabels.singleLabel(classOf, classes);
        }
        int[] train = {0, 1, 2, 3, 5, 8, 13, 17, 20};
        Weights weights = Weights.initialize(config, 3);
        DenseMatrix relationshipFeatures = config.edgeDim() == 0 ? null : new DenseMatrix(csr.originalEdgeCount(),
                config.edgeDim(), randomValues(csr.originalEdgeCount() * config.edgeDim()));
        GatNetwork onCpu = new GatNetwork(cpu, config, weights, cpuGraph, cpu.upload(features),
                EdgeFeatures.upload(cpu, csr, relationshipFeatures), false);
        GatNetwork onGpu = new GatNetwork(gpu, config, weights, gpuGraph, gpu.upload(features),
                EdgeFeatures.upload(gpu, csr, relationshipFeatures), false);
        Targets cpuTargets = cpu.upload(labels, train);
        Targets gpuTargets = gpu.upload(labels, train);
        AdamSettings adam = AdamSettings.of(0.01, 5e-4);
        for (int step = 1; step <= 3; step++) {
            onCpu.forward(true, 9, step);
            onGpu.forward(true, 9, step);
            assertClose(download(cpu, onCpu.logits()), download(gpu, onGpu.logits()), "logits at step " + step);
            double expected = onCpu.lossAndGradients(cpuTargets);
            double actual = onGpu.lossAndGradients(gpuTargets);
            assertEquals(expected, actual, 1e-5 * Math.abs(expected), "loss at step " + step);
            for (String name : onCpu.parameterNames()) {
                assertClose(download(cpu, onCpu.gradient(name)), download(gpu, onGpu.gradient(name)),
                        "gradient of " + name + " at step " + step);
            }
            onCpu.adamStep(adam);
            onGpu.adamStep(adam);
        }
        for (String name : onCpu.parameterNames()) {
            assertClose(download(cpu, onCpu.parameter(name)), download(gpu, onGpu.parameter(name)),
                    name + " after 3 Adam steps");
        }
        for (int layer = 0; layer < config.layerCount(); layer++) {
            onCpu.forward();
            onGpu.forward();
            assertClose(download(cpu, onCpu.attention(layer)), download(gpu, onGpu.attention(layer)),
                    "attention of layer " + layer + " in inference");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gat", "gatv2-residual-mean-heads"})
    void layerWiseInferenceMatchesTheCpuFullBatch(String variant) {
        int featureCount = 12;
        GatConfig config = GatConfig.builder(featureCount, 3).layers(3).hiddenHeads(HEADS).hiddenChannels(CHANNELS)
                .outputHeads(2).variant(variant.startsWith("gatv2") ? Variant.GATV2 : Variant.GAT)
                .residual(variant.contains("residual")).concatHidden(!variant.contains("mean-heads")).build();
        FeatureMatrix features = new DenseMatrix(NODES, featureCount, randomValues(NODES * featureCount));
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 5), ModelMetadata.NONE);
        Prediction full = Inference.run(cpu, model, csr, features, Inference.Request.EVERYTHING);
        // Chunks of a few nodes; node 0 has no incoming edge, so some chunk may have no slots at all.
        long budget = LayerWiseInference.plan(config, csr, features, Long.MAX_VALUE / 4).residentBytes() + 3_000;
        assertThat(LayerWiseInference.plan(config, csr, features, budget).chunkCount()).isGreaterThan(6L);
        Prediction layerWise = LayerWiseInference.predict(gpu, model, csr, features, budget,
                Inference.Request.EVERYTHING, TerminationFlag.RUNNING);
        assertClose(full.logits(), layerWise.logits(), "logits");
        for (int layer = 0; layer < config.layerCount(); layer++) {
            assertClose(full.attention(layer), layerWise.attention(layer), "attention of layer " + layer);
            if (!config.isOutputLayer(layer)) {
                assertClose(full.embeddings(layer), layerWise.embeddings(layer), "output of layer " + layer);
            }
        }
    }

    @Test
    void trainingIsReproducibleAndFreesItsMemory() {
        Dataset data = SyntheticGraphs.generate(new SyntheticGraphs.Spec(140, 4, 3, 40, true, 6, 0.8, 0.5, 30, 40, 2));
        GatConfig config = GatConfig.builder(40, 3).hiddenHeads(2).hiddenChannels(4).messageDropout(0)
                .normalizeFeatures(false).build();
        TrainingConfig training = TrainingConfig.defaults().withEpochs(12).withPatience(0);
        TrainingResult first = trainOnGpu(data, config, training);
        TrainingResult second = trainOnGpu(data, config, training);
        TrainingResult reference;
        try (CpuBackend backend = CpuBackend.sequential()) {
            reference = Trainer.train(backend, data.trainingData(), config, training, TrainingListener.NONE,
                    TerminationFlag.RUNNING);
        }
        for (String name : first.model().weights().asMap().keySet()) {
            assertArrayEquals(first.model().weights().get(name).data(), second.model().weights().get(name).data(),
                    name + " differs between two GPU trainings with the same seed");
            assertClose(reference.model().weights().get(name).data(), first.model().weights().get(name).data(),
                    name + " after 12 epochs, GPU vs CPU");
        }
        assertEquals(reference.history().get(11).loss(), first.history().get(11).loss(), 1e-4);
    }

    @Test
    void miniBatchTrainingMatchesTheCpuAndLeavesNoDeviceMemoryBehind() {
        Dataset data = SyntheticGraphs.generate(new SyntheticGraphs.Spec(140, 4, 3, 40, true, 6, 0.8, 0.5, 30, 40, 2));
        // Without dropout: the GPU draws a mini-batch's dropout by the batch's own ids, the CPU by the whole graph's.
        GatConfig config = GatConfig.builder(40, 3).hiddenHeads(2).hiddenChannels(4).dropout(0).messageDropout(0)
                .build();
        TrainingConfig training = TrainingConfig.defaults().withEpochs(4).withPatience(0);
        MiniBatchConfig miniBatch = new MiniBatchConfig(16, new int[]{3, 3});
        TrainingResult reference;
        try (CpuBackend backend = CpuBackend.sequential()) {
            reference = Trainer.train(backend, data.trainingData(), config, training, miniBatch,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
        }
        gpu.close();
        long before = deviceBytesInUse(driver);
        try (GpuBackend backend = new GpuBackend(driver)) {
            TrainingResult onGpu = Trainer.train(backend, data.trainingData(), config, training, miniBatch,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            int scratch = backend.liveBuffers();
            Trainer.train(backend, data.trainingData(), config, training.withSeed(5), miniBatch,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            assertEquals(scratch, backend.liveBuffers(), "buffers kept between trainings: scratch only, no batch's");
            for (String name : reference.model().weights().asMap().keySet()) {
                assertClose(reference.model().weights().get(name).data(), onGpu.model().weights().get(name).data(),
                        name + " after 4 mini-batch epochs, GPU vs CPU");
            }
        }
        assertThat(deviceBytesInUse(driver)).isLessThanOrEqualTo(before);
    }

    @Test
    void hundredTrainingsLeaveNoDeviceMemoryBehind() {
        Dataset data = SyntheticGraphs.generate(new SyntheticGraphs.Spec(100, 3, 2, 20, true, 4, 0.8, 0.5, 20, 20, 4));
        GatConfig config = GatConfig.builder(20, 2).hiddenHeads(2).hiddenChannels(3).messageDropout(0)
                .normalizeFeatures(false).build();
        TrainingConfig training = TrainingConfig.defaults().withEpochs(2).withPatience(0);
        gpu.close();
        trainOnGpu(data, config, training);
        long afterFirst = deviceBytesInUse(driver);
        for (int run = 0; run < 100; run++) {
            trainOnGpu(data, config.toBuilder().variant(run % 2 == 0 ? Variant.GAT : Variant.GATV2).build(),
                    training.withSeed(run));
        }
        assertThat(deviceBytesInUse(driver)).as("device memory in use after 100 more trainings")
                .isLessThanOrEqualTo(afterFirst + (2L << 20));
    }

    private TrainingResult trainOnGpu(Dataset data, GatConfig config, TrainingConfig training) {
        try (GpuBackend backend = new GpuBackend(driver)) {
            TrainingResult result = Trainer.train(backend, data.trainingData(), config, training,
                    TrainingListener.NONE, TerminationFlag.RUNNING);
            backend.close();
            assertEquals(0, backend.liveBuffers(), "buffers left after a training");
            return result;
        }
    }
}
