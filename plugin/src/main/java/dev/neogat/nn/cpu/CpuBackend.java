package dev.neogat.nn.cpu;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;
import dev.neogat.util.Parallel;
import dev.neogat.util.TerminationFlag;

import java.util.Arrays;

/**
 * The reference backend: tensors are heap arrays, every operation runs on {@link Parallel}'s threads
 * over fixed chunks, so results do not depend on the number of threads.
 */
public final class CpuBackend implements Backend {

    private static final int ELEMENTWISE_GRAIN = 1 << 14;

    private final Parallel parallel;
    private final MaskCache masks = new MaskCache();

    public CpuBackend(int concurrency, TerminationFlag terminationFlag) {
        this.parallel = new Parallel(concurrency, terminationFlag);
    }

    /** One thread, never terminated. */
    public static CpuBackend sequential() {
        return new CpuBackend(1, TerminationFlag.RUNNING);
    }

    public int concurrency() {
        return parallel.concurrency();
    }

    @Override
    public String description() {
        int threads = parallel.concurrency();
        return "cpu (" + threads + (threads == 1 ? " thread)" : " threads)");
    }

    @Override
    public Tensor zeros(int rows, int cols) {
        return new CpuTensor(rows, cols, new float[Math.multiplyExact(rows, cols)]);
    }

    @Override
    public Tensor upload(float[] values, int rows, int cols) {
        return new CpuTensor(rows, cols, values.clone());
    }

    @Override
    public Tensor upload(FeatureMatrix features) {
        if (features instanceof SparseMatrix sparse) {
            return new CpuSparseTensor(sparse);
        }
        DenseMatrix dense = (DenseMatrix) features;
        return new CpuTensor(dense.rows(), dense.cols(), dense.data());
    }

    @Override
    public GraphTensor upload(IncomingCsr graph) {
        return new CpuGraph(graph);
    }

    @Override
    public Targets upload(NodeLabels labels, int[] nodes) {
        labels.requireLabeled(nodes, "target");
        return new CpuTargets(labels, nodes.clone());
    }

    @Override
    public void download(Tensor tensor, float[] destination) {
        float[] data = dense(tensor).data;
        if (destination.length != data.length) {
            throw new IllegalArgumentException("Destination holds " + destination.length + " values, the tensor "
                    + data.length);
        }
        System.arraycopy(data, 0, destination, 0, data.length);
    }

    @Override
    public void fill(Tensor tensor, float value) {
        float[] data = dense(tensor).data;
        parallel.forRange(data.length, ELEMENTWISE_GRAIN, (start, end) -> Arrays.fill(data, start, end, value));
    }

    @Override
    public void copy(Tensor source, Tensor destination) {
        float[] from = dense(source).data;
        float[] to = dense(destination).data;
        requireSameLength(from, to);
        parallel.forRange(from.length, ELEMENTWISE_GRAIN,
                (start, end) -> System.arraycopy(from, start, to, start, end - start));
    }

    @Override
    public void add(Tensor x, Tensor y) {
        float[] to = dense(x).data;
        float[] from = dense(y).data;
        requireSameLength(from, to);
        parallel.forRange(to.length, ELEMENTWISE_GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                to[p] += from[p];
            }
        });
    }

    @Override
    public void release(Object tensorOrHandle) {
        // The garbage collector frees heap tensors.
    }

    @Override
    public void linear(Tensor in, InputDropout inDropout, Tensor weight, Tensor bias, Tensor out) {
        requireShape(weight, in.cols(), out.cols(), "weight");
        requireShape(out, in.rows(), weight.cols(), "output");
        if (inDropout != null) {
            inDropout.groupWidth(weight.cols());
        }
        if (in instanceof CpuSparseTensor sparse) {
            SparseLinear.forward(parallel, sparse, masks.overEntries(parallel, inDropout, sparse.matrix), dense(weight),
                    denseOrNull(bias), dense(out));
        } else {
            Linear.forward(parallel, dense(in), masks.overElements(parallel, inDropout, elements(in)), dense(weight),
                    denseOrNull(bias), dense(out));
        }
    }

    @Override
    public void linearBackward(Tensor in, InputDropout inDropout, Tensor weight, Tensor dOut, Tensor dWeight,
                               Tensor dBias, Tensor dIn) {
        if (inDropout != null) {
            inDropout.groupWidth(weight.cols());
        }
        if (in instanceof CpuSparseTensor sparse) {
            if (dIn != null) {
                throw new IllegalArgumentException("Sparse input features have no gradient");
            }
            SparseLinear.weightGradient(parallel, sparse, masks.overEntries(parallel, inDropout, sparse.matrix),
                    dense(dOut), dense(dWeight));
            if (dBias != null) {
                ColumnSums.compute(parallel, dense(dOut), dense(dBias));
            }
        } else {
            Linear.backward(parallel, dense(in), masks.overElements(parallel, inDropout, elements(in)), dense(weight),
                    dense(dOut), dense(dWeight), denseOrNull(dBias), denseOrNull(dIn));
        }
    }

    @Override
    public void attentionScores(Tensor z, Tensor attSource, Tensor attTarget, Tensor sourceScores,
                                Tensor targetScores) {
        AttentionScores.forward(parallel, dense(z), dense(attSource), dense(attTarget), dense(sourceScores),
                dense(targetScores));
    }

    @Override
    public void attentionScoresBackward(Tensor z, Tensor attSource, Tensor attTarget, Tensor dSourceScores,
                                        Tensor dTargetScores, Tensor dZ, Tensor dAttSource, Tensor dAttTarget) {
        AttentionScores.backward(parallel, dense(z), dense(attSource), dense(attTarget), dense(dSourceScores),
                dense(dTargetScores), dense(dZ), dense(dAttSource), dense(dAttTarget));
    }

    @Override
    public void headScores(Tensor z, Tensor att, Tensor scores) {
        HeadScores.forward(parallel, dense(z), dense(att), dense(scores));
    }

    @Override
    public void headScoresBackward(Tensor z, Tensor att, Tensor dScores, Tensor dZ, Tensor dAtt) {
        HeadScores.backward(parallel, dense(z), dense(att), dense(dScores), dense(dZ), dense(dAtt));
    }

    @Override
    public void gatScores(GraphTensor graph, Tensor sourceScores, Tensor targetScores, Tensor edgeScores,
                          float negativeSlope, Tensor scores) {
        GatScores.forward(parallel, (CpuGraph) graph, dense(sourceScores), dense(targetScores),
                denseOrNull(edgeScores), negativeSlope, dense(scores));
    }

    @Override
    public void gatScoresBackward(GraphTensor graph, Tensor sourceScores, Tensor targetScores, Tensor edgeScores,
                                  float negativeSlope, Tensor dScores, Tensor dSourceScores, Tensor dTargetScores) {
        GatScores.backward(parallel, (CpuGraph) graph, dense(sourceScores), dense(targetScores),
                denseOrNull(edgeScores), negativeSlope, dense(dScores), dense(dSourceScores), dense(dTargetScores));
    }

    @Override
    public void gatV2Scores(GraphTensor graph, Tensor xSource, Tensor xTarget, Tensor xEdge, Tensor att,
                            float negativeSlope, Tensor scores) {
        GatV2Scores.forward(parallel, (CpuGraph) graph, dense(xSource), dense(xTarget), denseOrNull(xEdge),
                dense(att), negativeSlope, dense(scores));
    }

    @Override
    public void gatV2ScoresBackward(GraphTensor graph, Tensor xSource, Tensor xTarget, Tensor xEdge, Tensor att,
                                    float negativeSlope, Tensor dScores, Tensor dXSource, Tensor dXTarget,
                                    Tensor dXEdge, Tensor dAtt) {
        GatV2Scores.backward(parallel, (CpuGraph) graph, dense(xSource), dense(xTarget), denseOrNull(xEdge),
                dense(att), negativeSlope, dense(dScores), dense(dXSource), dense(dXTarget), denseOrNull(dXEdge),
                dense(dAtt));
    }

    @Override
    public void edgeSoftmax(GraphTensor graph, Tensor scores) {
        EdgeSoftmax.forward(parallel, (CpuGraph) graph, dense(scores));
    }

    @Override
    public void edgeSoftmaxBackward(GraphTensor graph, Tensor alpha, Tensor dAlpha) {
        EdgeSoftmax.backward(parallel, (CpuGraph) graph, dense(alpha), dense(dAlpha));
    }

    @Override
    public void aggregate(GraphTensor graph, Tensor alpha, DropoutMask attentionDropout, Tensor messages,
                          boolean concat, Tensor out) {
        Aggregation.forward(parallel, (CpuGraph) graph, dense(alpha), keepBits(attentionDropout, alpha),
                dense(messages), concat, dense(out));
    }

    @Override
    public void aggregateBackward(GraphTensor graph, Tensor alpha, DropoutMask attentionDropout, Tensor messages,
                                  boolean concat, Tensor dOut, Tensor dMessages, Tensor dAlpha) {
        Aggregation.backward(parallel, (CpuGraph) graph, dense(alpha), keepBits(attentionDropout, alpha),
                dense(messages), concat, dense(dOut), dense(dMessages), dense(dAlpha));
    }

    @Override
    public void dropout(Tensor in, DropoutMask mask, Tensor out) {
        float[] x = dense(in).data;
        float[] y = dense(out).data;
        requireSameLength(x, y);
        KeepBits keep = keepBits(mask, in);
        parallel.forRange(x.length, ELEMENTWISE_GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                y[p] = x[p] * keep.factor(p);
            }
        });
    }

    @Override
    public void dropoutBackward(DropoutMask mask, Tensor dOut, Tensor dIn) {
        float[] g = dense(dOut).data;
        float[] dx = dense(dIn).data;
        requireSameLength(g, dx);
        KeepBits keep = keepBits(mask, dOut);
        parallel.forRange(g.length, ELEMENTWISE_GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                dx[p] += g[p] * keep.factor(p);
            }
        });
    }

    @Override
    public void addBias(Tensor x, Tensor bias) {
        float[] data = dense(x).data;
        float[] b = dense(bias).data;
        int width = b.length;
        parallel.forRange(x.rows(), Chunking.grain(width), (start, end) -> {
            for (int i = start; i < end; i++) {
                int row = i * width;
                for (int j = 0; j < width; j++) {
                    data[row + j] += b[j];
                }
            }
        });
    }

    @Override
    public void biasBackward(Tensor dX, Tensor dBias) {
        ColumnSums.compute(parallel, dense(dX), dense(dBias));
    }

    @Override
    public void elu(Tensor in, Tensor out) {
        Elu.forward(parallel, dense(in), dense(out));
    }

    @Override
    public void eluBackward(Tensor out, Tensor dOut, Tensor dIn) {
        Elu.backward(parallel, dense(out), dense(dOut), dense(dIn));
    }

    @Override
    public void scaledAdd(Tensor x, float scale, Tensor y) {
        requireSameLength(dense(x).data, dense(y).data);
        WeightedSum.scaledAdd(parallel, dense(x), scale, dense(y));
    }

    @Override
    public double dot(Tensor x, Tensor y) {
        requireSameLength(dense(x).data, dense(y).data);
        return WeightedSum.dot(parallel, dense(x), dense(y));
    }

    @Override
    public void tanh(Tensor in, Tensor out) {
        requireSameLength(dense(in).data, dense(out).data);
        Tanh.forward(parallel, dense(in), dense(out));
    }

    @Override
    public void tanhBackward(Tensor out, Tensor dOut, Tensor dIn) {
        requireSameLength(dense(out).data, dense(dOut).data);
        requireSameLength(dense(out).data, dense(dIn).data);
        Tanh.backward(parallel, dense(out), dense(dOut), dense(dIn));
    }

    @Override
    public double loss(Tensor logits, Targets targets, Tensor dLogits) {
        return Losses.loss(parallel, dense(logits), (CpuTargets) targets, denseOrNull(dLogits));
    }

    @Override
    public MetricCounts evaluate(Tensor logits, Targets targets) {
        return Losses.evaluate(parallel, dense(logits), (CpuTargets) targets);
    }

    @Override
    public void adamStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
                         AdamSettings settings, int step) {
        AdamUpdate.step(parallel, dense(parameter), dense(gradient), dense(firstMoment), dense(secondMoment),
                settings, step);
    }

    @Override
    public void close() {
        masks.clear();
        parallel.close();
    }

    /** The mask over a dense tensor's elements as bits, shared by a step's forward and backward passes. */
    private KeepBits keepBits(DropoutMask mask, Tensor over) {
        return masks.overElements(parallel, mask, elements(over));
    }

    private static int elements(Tensor tensor) {
        return Math.multiplyExact(tensor.rows(), tensor.cols());
    }

    private static CpuTensor dense(Tensor tensor) {
        if (tensor instanceof CpuTensor cpu) {
            return cpu;
        }
        throw new IllegalArgumentException("Expected a dense CPU tensor, got " + tensor);
    }

    private static CpuTensor denseOrNull(Tensor tensor) {
        return tensor == null ? null : dense(tensor);
    }

    private static void requireSameLength(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("Tensors differ in size: " + a.length + " and " + b.length);
        }
    }

    private static void requireShape(Tensor tensor, int rows, int cols, String what) {
        if (tensor.rows() != rows || tensor.cols() != cols) {
            throw new IllegalArgumentException("The " + what + " is " + tensor.rows() + " x " + tensor.cols()
                    + ", expected " + rows + " x " + cols);
        }
    }
}
