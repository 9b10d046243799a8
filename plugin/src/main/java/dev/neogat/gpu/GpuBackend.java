package dev.neogat.gpu;

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

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.Collections;

/**
 * The backend on a GPU: every tensor (graph, features, parameters, activations, gradients, Adam moments)
 * lives in device memory for the whole job and every operation is one or a few kernel launches of
 * src/main/cuda/gat_kernels.cu on one stream; only loss and metric sums come back to the host. Sums
 * over rows are computed as per-chunk partials added in chunk order, never with atomics, so a seed gives
 * the same model on every run. Dropout masks are recomputed from their keys, as on the CPU.
 *
 * <p>Every buffer the backend allocates is tracked and freed by {@link #close()}, so a job leaves no
 * device memory behind.
 */
public final class GpuBackend implements Backend {

    private static final int THREADS = 256;
    private static final int TILE_ROWS = 64;
    private static final int TILE_COLUMNS = 16;
    private static final int MIN_ROWS_PER_CHUNK = 64;
    private static final int MAX_CHUNKS = 65_535;

    private final CudaDriver cuda;
    private final Set<DeviceBuffer> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, DeviceBuffer> scratch = new java.util.HashMap<>();

    public GpuBackend(CudaDriver cuda) {
        this.cuda = cuda;
    }

    @Override
    public String description() {
        return cuda.description();
    }

    /** Waits until the device has run every operation launched so far (for timing). */
    public void synchronize() {
        cuda.makeCurrent();
        cuda.synchronize();
    }

    /** Bytes of device memory this backend holds now. */
    public long allocatedBytes() {
        return live.stream().mapToLong(DeviceBuffer::bytes).sum();
    }

    /** Buffers this backend holds now (tensors and scratch). */
    public int liveBuffers() {
        return live.size();
    }

    // ---- memory -------------------------------------------------------------------------------------

    private DeviceBuffer allocate(long bytes) {
        DeviceBuffer buffer = cuda.allocate(bytes);
        live.add(buffer);
        return buffer;
    }

    private void free(DeviceBuffer buffer) {
        if (buffer != null && live.remove(buffer)) {
            cuda.free(buffer);
        }
    }

    private DeviceBuffer ints(int[] values) {
        DeviceBuffer buffer = allocate(4L * values.length);
        cuda.copyToDevice(values, 0, values.length, buffer, 0);
        return buffer;
    }

    private DeviceBuffer floats(float[] values) {
        DeviceBuffer buffer = allocate(4L * values.length);
        cuda.copyToDevice(values, 0, values.length, buffer, 0);
        return buffer;
    }

    /** A scratch buffer of at least {@code bytes}, reused across operations (they run in stream order). */
    private DeviceBuffer scratch(String purpose, long bytes) {
        DeviceBuffer buffer = scratch.get(purpose);
        if (buffer == null || buffer.bytes() < bytes) {
            free(buffer);
            buffer = allocate(Math.max(bytes, 4));
            scratch.put(purpose, buffer);
        }
        return buffer;
    }

    @Override
    public Tensor zeros(int rows, int cols) {
        cuda.makeCurrent();
        int elements = Math.multiplyExact(rows, cols);
        DeviceBuffer buffer = allocate(4L * elements);
        cuda.fill32(buffer, 0, 0, elements);
        return new GpuTensor(rows, cols, buffer);
    }

    @Override
    public Tensor upload(float[] values, int rows, int cols) {
        cuda.makeCurrent();
        if (values.length != Math.multiplyExact(rows, cols)) {
            throw new IllegalArgumentException(values.length + " values do not fill " + rows + " x " + cols);
        }
        return new GpuTensor(rows, cols, floats(values));
    }

    @Override
    public Tensor upload(FeatureMatrix features) {
        cuda.makeCurrent();
        if (features instanceof SparseMatrix sparse) {
            return uploadSparse(sparse);
        }
        DenseMatrix dense = (DenseMatrix) features;
        return new GpuTensor(dense.rows(), dense.cols(), floats(dense.data()));
    }

    private GpuSparseTensor uploadSparse(SparseMatrix matrix) {
        int cols = matrix.cols();
        int[] rowOffsets = matrix.rowOffsets();
        int[] columns = matrix.columns();
        int[] columnOffsets = new int[cols + 1];
        for (int c : columns) {
            columnOffsets[c + 1]++;
        }
        for (int c = 0; c < cols; c++) {
            columnOffsets[c + 1] += columnOffsets[c];
        }
        int[] cursor = columnOffsets.clone();
        int[] columnRows = new int[columns.length];
        int[] columnEntries = new int[columns.length];
        for (int i = 0; i < matrix.rows(); i++) {
            for (int p = rowOffsets[i]; p < rowOffsets[i + 1]; p++) {
                int q = cursor[columns[p]]++;
                columnRows[q] = i;
                columnEntries[q] = p;
            }
        }
        return new GpuSparseTensor(matrix.rows(), cols, ints(rowOffsets), ints(columns), floats(matrix.values()),
                ints(columnOffsets), ints(columnRows), ints(columnEntries));
    }

    @Override
    public GraphTensor upload(IncomingCsr graph) {
        cuda.makeCurrent();
        int n = graph.nodeCount();
        int[] offsets = graph.offsets();
        int[] slotTargets = new int[graph.slotCount()];
        for (int i = 0; i < n; i++) {
            for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                slotTargets[slot] = i;
            }
        }
        return new GpuGraph(n, graph.sourceCount(), graph.slotCount(), ints(offsets), ints(graph.sources()), ints(slotTargets),
                ints(graph.outOffsets()), ints(graph.outSlots()), ints(graph.outTargets()));
    }

    @Override
    public Targets upload(NodeLabels labels, int[] nodes) {
        cuda.makeCurrent();
        labels.requireLabeled(nodes, "target");
        int classes = labels.classCount();
        DeviceBuffer labelBuffer;
        if (labels.isMultiLabel()) {
            float[] memberships = new float[Math.multiplyExact(nodes.length, classes)];
            for (int q = 0; q < nodes.length; q++) {
                for (int c = 0; c < classes; c++) {
                    memberships[q * classes + c] = labels.isMember(nodes[q], c) ? 1f : 0f;
                }
            }
            labelBuffer = floats(memberships);
        } else {
            int[] classOf = new int[nodes.length];
            for (int q = 0; q < nodes.length; q++) {
                classOf[q] = labels.classOf(nodes[q]);
            }
            labelBuffer = ints(classOf);
        }
        return new GpuTargets(nodes.length, classes, labels.isMultiLabel(), ints(nodes), labelBuffer,
                allocate(4L * nodes.length), allocate(12L * nodes.length));
    }

    @Override
    public void download(Tensor tensor, float[] destination) {
        cuda.makeCurrent();
        GpuTensor t = dense(tensor);
        if (destination.length != t.elements()) {
            throw new IllegalArgumentException("Destination holds " + destination.length + " values, the tensor "
                    + t.elements());
        }
        cuda.copyToHost(t.buffer, 0, destination, 0, destination.length);
    }

    @Override
    public void fill(Tensor tensor, float value) {
        cuda.makeCurrent();
        GpuTensor t = dense(tensor);
        cuda.fill32(t.buffer, 0, Float.floatToRawIntBits(value), t.elements());
    }

    @Override
    public void copy(Tensor source, Tensor destination) {
        cuda.makeCurrent();
        GpuTensor from = dense(source);
        GpuTensor to = dense(destination);
        requireSameSize(from, to);
        cuda.copyOnDevice(from.buffer, 0, to.buffer, 0, 4L * from.elements());
    }

    @Override
    public void add(Tensor x, Tensor y) {
        cuda.makeCurrent();
        GpuTensor to = dense(x);
        GpuTensor from = dense(y);
        requireSameSize(from, to);
        launch1d("add_f32", to.elements(), new KernelArgs().pointer(to.buffer).pointer(from.buffer)
                .i32(to.elements()));
    }

    @Override
    public void release(Object tensorOrHandle) {
        if (tensorOrHandle instanceof GpuTensor t) {
            free(t.buffer);
        } else if (tensorOrHandle instanceof GpuSparseTensor s) {
            freeAll(s.buffers());
        } else if (tensorOrHandle instanceof GpuGraph g) {
            freeAll(g.buffers());
        } else if (tensorOrHandle instanceof GpuTargets t) {
            freeAll(t.buffers());
        }
    }

    private void freeAll(DeviceBuffer[] buffers) {
        for (DeviceBuffer buffer : buffers) {
            free(buffer);
        }
    }

    // ---- projection ---------------------------------------------------------------------------------

    @Override
    public void linear(Tensor in, InputDropout inDropout, Tensor weight, Tensor bias, Tensor out) {
        cuda.makeCurrent();
        GpuTensor w = dense(weight);
        GpuTensor y = dense(out);
        requireShape(w, in.cols(), y.cols, "weight");
        requireShape(y, in.rows(), w.cols, "output");
        GpuTensor b = denseOrNull(bias);
        int m = w.cols;
        int groups = groupCount(inDropout, m);
        int groupWidth = m / groups;
        for (int g = 0; g < groups; g++) {
            DropoutMask mask = inDropout == null ? null : inDropout.group(g);
            int colStart = g * groupWidth;
            if (in instanceof GpuSparseTensor x) {
                KernelArgs args = new KernelArgs().pointer(x.rowOffsets).pointer(x.columns).pointer(x.values)
                        .i32(x.rows).i32(x.cols).pointer(w.buffer).i32(m).pointer(b == null ? null : b.buffer)
                        .pointer(y.buffer).i32(colStart).i32(groupWidth);
                launch1d("sparse_linear_forward", (long) x.rows * groupWidth, withMask(args, mask));
            } else {
                GpuTensor x = dense(in);
                KernelArgs args = new KernelArgs().pointer(x.buffer).i32(x.rows).i32(x.cols).pointer(w.buffer)
                        .i32(m).pointer(b == null ? null : b.buffer).pointer(y.buffer).i32(colStart).i32(groupWidth);
                launch("linear_forward", blocks(x.rows, TILE_ROWS), blocks(groupWidth, TILE_COLUMNS), TILE_COLUMNS,
                        TILE_COLUMNS, withMask(args, mask));
            }
        }
    }

    @Override
    public void linearBackward(Tensor in, InputDropout inDropout, Tensor weight, Tensor dOut, Tensor dWeight,
                               Tensor dBias, Tensor dIn) {
        cuda.makeCurrent();
        GpuTensor w = dense(weight);
        GpuTensor g = dense(dOut);
        GpuTensor dw = dense(dWeight);
        int m = w.cols;
        int groups = groupCount(inDropout, m);
        int groupWidth = m / groups;
        if (in instanceof GpuSparseTensor x) {
            if (dIn != null) {
                throw new IllegalArgumentException("Sparse input features have no gradient");
            }
            for (int grp = 0; grp < groups; grp++) {
                DropoutMask mask = inDropout == null ? null : inDropout.group(grp);
                KernelArgs args = new KernelArgs().pointer(x.columnOffsets).pointer(x.columnRows)
                        .pointer(x.columnEntries).pointer(x.values).i32(x.cols).pointer(g.buffer).i32(m)
                        .i32(grp * groupWidth).i32(groupWidth);
                withMask(args, mask).pointer(dw.buffer);
                launch1d("sparse_linear_weight_gradient", (long) x.cols * groupWidth, args);
            }
        } else {
            GpuTensor x = dense(in);
            int n = x.rows;
            int k = x.cols;
            int rowsPerChunk = rowsPerChunk(n);
            int chunks = blocks(n, rowsPerChunk);
            DeviceBuffer partials = scratch("partials", 4L * chunks * k * groupWidth);
            for (int grp = 0; grp < groups; grp++) {
                DropoutMask mask = inDropout == null ? null : inDropout.group(grp);
                int colStart = grp * groupWidth;
                KernelArgs args = new KernelArgs().pointer(x.buffer).i32(n).i32(k).pointer(g.buffer).i32(m)
                        .i32(colStart).i32(groupWidth);
                withMask(args, mask).i32(rowsPerChunk).pointer(partials);
                launch("linear_weight_partials", blocks((long) k * groupWidth, THREADS), chunks, THREADS, 1, args);
                reducePartials(partials, 0, chunks, k * groupWidth, k * groupWidth, groupWidth, dw.buffer, m,
                        colStart);
            }
            if (dIn != null) {
                GpuTensor dx = dense(dIn);
                for (int grp = 0; grp < groups; grp++) {
                    DropoutMask mask = inDropout == null ? null : inDropout.group(grp);
                    KernelArgs args = new KernelArgs().pointer(g.buffer).i32(n).i32(m).pointer(w.buffer).i32(k)
                            .i32(grp * groupWidth).i32(groupWidth);
                    withMask(args, mask).pointer(dx.buffer);
                    launch1d("linear_input_gradient", (long) n * k, args);
                }
            }
        }
        if (dBias != null) {
            columnSums(g, dense(dBias));
        }
    }

    private static int groupCount(InputDropout inDropout, int outputColumns) {
        if (inDropout == null) {
            return 1;
        }
        inDropout.groupWidth(outputColumns);
        return inDropout.groupCount();
    }

    // ---- attention scores ------------------------------------------------------------------------------

    @Override
    public void attentionScores(Tensor z, Tensor attSource, Tensor attTarget, Tensor sourceScores,
                                Tensor targetScores) {
        cuda.makeCurrent();
        GpuTensor x = dense(z);
        GpuTensor as = dense(attSource);
        int heads = as.rows;
        launch1d("attention_scores", (long) x.rows * heads, new KernelArgs().pointer(x.buffer).i32(x.rows).i32(heads)
                .i32(as.cols).pointer(as.buffer).pointer(dense(attTarget).buffer).pointer(dense(sourceScores).buffer)
                .pointer(dense(targetScores).buffer));
    }

    @Override
    public void attentionScoresBackward(Tensor z, Tensor attSource, Tensor attTarget, Tensor dSourceScores,
                                        Tensor dTargetScores, Tensor dZ, Tensor dAttSource, Tensor dAttTarget) {
        cuda.makeCurrent();
        GpuTensor x = dense(z);
        GpuTensor as = dense(attSource);
        int n = x.rows;
        int heads = as.rows;
        int channels = as.cols;
        int width = heads * channels;
        GpuTensor ds = dense(dSourceScores);
        GpuTensor dt = dense(dTargetScores);
        launch1d("attention_scores_input_gradient", (long) n * width, new KernelArgs().i32(n).i32(heads).i32(channels)
                .pointer(as.buffer).pointer(dense(attTarget).buffer).pointer(ds.buffer).pointer(dt.buffer)
                .pointer(dense(dZ).buffer));
        int rowsPerChunk = rowsPerChunk(n);
        int chunks = blocks(n, rowsPerChunk);
        DeviceBuffer partials = scratch("partials", 8L * chunks * width);
        launch("attention_vector_partials", blocks(2L * width, THREADS), chunks, THREADS, 1, new KernelArgs()
                .pointer(x.buffer).i32(n).i32(heads).i32(channels).pointer(ds.buffer).pointer(dt.buffer)
                .i32(rowsPerChunk).pointer(partials));
        reducePartials(partials, 0, chunks, 2 * width, width, width, dense(dAttSource).buffer, 0, 0);
        reducePartials(partials, 4L * width, chunks, 2 * width, width, width, dense(dAttTarget).buffer, 0, 0);
    }

    @Override
    public void headScores(Tensor z, Tensor att, Tensor scores) {
        cuda.makeCurrent();
        GpuTensor x = dense(z);
        GpuTensor a = dense(att);
        launch1d("head_scores", (long) x.rows * a.rows, new KernelArgs().pointer(x.buffer).i32(x.rows).i32(a.rows)
                .i32(a.cols).pointer(a.buffer).pointer(dense(scores).buffer));
    }

    @Override
    public void headScoresBackward(Tensor z, Tensor att, Tensor dScores, Tensor dZ, Tensor dAtt) {
        cuda.makeCurrent();
        GpuTensor x = dense(z);
        GpuTensor a = dense(att);
        int width = a.rows * a.cols;
        DeviceBuffer contributions = scratch("contributions", 4L * x.rows * width);
        launch1d("head_scores_backward", (long) x.rows * width, new KernelArgs().pointer(x.buffer).i32(x.rows)
                .i32(a.rows).i32(a.cols).pointer(a.buffer).pointer(dense(dScores).buffer).pointer(dense(dZ).buffer)
                .pointer(contributions));
        columnSums(contributions, x.rows, width, dense(dAtt).buffer);
    }

    @Override
    public void gatScores(GraphTensor graph, Tensor sourceScores, Tensor targetScores, Tensor edgeScores,
                          float negativeSlope, Tensor scores) {
        cuda.makeCurrent();
        GpuGraph gr = graph(graph);
        GpuTensor s = dense(sourceScores);
        launch1d("gat_scores", (long) gr.nodeCount * s.cols, new KernelArgs().pointer(gr.offsets)
                .pointer(gr.sources).i32(gr.nodeCount).i32(s.cols).pointer(s.buffer)
                .pointer(dense(targetScores).buffer).pointer(bufferOrNull(edgeScores)).f32(negativeSlope)
                .pointer(dense(scores).buffer));
    }

    @Override
    public void gatScoresBackward(GraphTensor graph, Tensor sourceScores, Tensor targetScores, Tensor edgeScores,
                                  float negativeSlope, Tensor dScores, Tensor dSourceScores, Tensor dTargetScores) {
        cuda.makeCurrent();
        GpuGraph gr = graph(graph);
        GpuTensor s = dense(sourceScores);
        int heads = s.cols;
        GpuTensor ds = dense(dScores);
        launch1d("gat_scores_backward", (long) gr.nodeCount * heads, new KernelArgs().pointer(gr.offsets)
                .pointer(gr.sources).i32(gr.nodeCount).i32(heads).pointer(s.buffer)
                .pointer(dense(targetScores).buffer).pointer(bufferOrNull(edgeScores)).f32(negativeSlope)
                .pointer(ds.buffer).pointer(dense(dTargetScores).buffer));
        launch1d("sum_over_outgoing", (long) gr.sourceCount * heads, new KernelArgs().pointer(gr.outOffsets)
                .pointer(gr.outSlots).i32(gr.sourceCount).i32(heads).pointer(ds.buffer)
                .pointer(dense(dSourceScores).buffer));
    }

    @Override
    public void gatV2Scores(GraphTensor graph, Tensor xSource, Tensor xTarget, Tensor xEdge, Tensor att,
                            float negativeSlope, Tensor scores) {
        cuda.makeCurrent();
        GpuGraph gr = graph(graph);
        GpuTensor a = dense(att);
        launch1d("gatv2_scores", (long) gr.nodeCount * a.rows, new KernelArgs().pointer(gr.offsets)
                .pointer(gr.sources).i32(gr.nodeCount).i32(a.rows).i32(a.cols).pointer(dense(xSource).buffer)
                .pointer(dense(xTarget).buffer).pointer(bufferOrNull(xEdge)).pointer(a.buffer).f32(negativeSlope)
                .pointer(dense(scores).buffer));
    }

    @Override
    public void gatV2ScoresBackward(GraphTensor graph, Tensor xSource, Tensor xTarget, Tensor xEdge, Tensor att,
                                    float negativeSlope, Tensor dScores, Tensor dXSource, Tensor dXTarget,
                                    Tensor dXEdge, Tensor dAtt) {
        cuda.makeCurrent();
        if ((xEdge == null) != (dXEdge == null)) {
            throw new IllegalArgumentException("dXEdge must be given exactly when xEdge is");
        }
        GpuGraph gr = graph(graph);
        GpuTensor a = dense(att);
        int n = gr.nodeCount;
        int heads = a.rows;
        int channels = a.cols;
        int width = heads * channels;
        GpuTensor xs = dense(xSource);
        GpuTensor xt = dense(xTarget);
        DeviceBuffer xe = bufferOrNull(xEdge);
        GpuTensor ds = dense(dScores);
        DeviceBuffer contributions = scratch("contributions", 4L * n * width);
        launch1d("gatv2_backward_target", (long) n * heads, new KernelArgs().pointer(gr.offsets).pointer(gr.sources)
                .i32(n).i32(heads).i32(channels).pointer(xs.buffer).pointer(xt.buffer).pointer(xe).pointer(a.buffer)
                .f32(negativeSlope).pointer(ds.buffer).pointer(dense(dXTarget).buffer).pointer(bufferOrNull(dXEdge))
                .pointer(contributions));
        columnSums(contributions, n, width, dense(dAtt).buffer);
        launch1d("gatv2_backward_source", (long) gr.sourceCount * heads, new KernelArgs().pointer(gr.outOffsets)
                .pointer(gr.outSlots).pointer(gr.outTargets).i32(gr.sourceCount).i32(heads).i32(channels).pointer(xs.buffer)
                .pointer(xt.buffer).pointer(xe).pointer(a.buffer).f32(negativeSlope).pointer(ds.buffer)
                .pointer(dense(dXSource).buffer));
    }

    private static DeviceBuffer bufferOrNull(Tensor tensor) {
        return tensor == null ? null : dense(tensor).buffer;
    }

    // ---- softmax over each target's incoming slots ----------------------------------------------------

    @Override
    public void edgeSoftmax(GraphTensor graph, Tensor scores) {
        cuda.makeCurrent();
        GpuGraph gr = graph(graph);
        GpuTensor a = dense(scores);
        launch1d("edge_softmax", (long) gr.nodeCount * a.cols, new KernelArgs().pointer(gr.offsets)
                .i32(gr.nodeCount).i32(a.cols).pointer(a.buffer));
    }

    @Override
    public void edgeSoftmaxBackward(GraphTensor graph, Tensor alpha, Tensor dAlpha) {
        cuda.makeCurrent();
        GpuGraph gr = graph(graph);
        GpuTensor a = dense(alpha);
        launch1d("edge_softmax_backward", (long) gr.nodeCount * a.cols, new KernelArgs().pointer(gr.offsets)
                .i32(gr.nodeCount).i32(a.cols).pointer(a.buffer).pointer(dense(dAlpha).buffer));
    }

    // ---- aggregation --------------------------------------------------------------------------------

    @Override
    public void aggregate(GraphTensor graph, Tensor alpha, DropoutMask attentionDropout, Tensor messages,
                          boolean concat, Tensor out) {
        cuda.makeCurrent();
        GpuGraph gr = graph(graph);
        GpuTensor a = dense(alpha);
        GpuTensor m = dense(messages);
        GpuTensor y = dense(out);
        int heads = a.cols;
        int channels = m.cols / heads;
        KernelArgs args = new KernelArgs().pointer(gr.offsets).pointer(gr.sources).i32(gr.nodeCount).i32(heads)
                .i32(channels).pointer(a.buffer).pointer(m.buffer).i32(concat ? 1 : 0);
        withMask(args, attentionDropout).pointer(y.buffer);
        launch1d("aggregate", (long) gr.nodeCount * y.cols, args);
    }

    @Override
    public void aggregateBackward(GraphTensor graph, Tensor alpha, DropoutMask attentionDropout, Tensor messages,
                                  boolean concat, Tensor dOut, Tensor dMessages, Tensor dAlpha) {
        cuda.makeCurrent();
        GpuGraph gr = graph(graph);
        GpuTensor a = dense(alpha);
        GpuTensor m = dense(messages);
        GpuTensor g = dense(dOut);
        int heads = a.cols;
        int channels = m.cols / heads;
        KernelArgs alphaArgs = new KernelArgs().pointer(gr.slotTargets).pointer(gr.sources).i32(gr.slotCount)
                .i32(heads).i32(channels).pointer(m.buffer).pointer(g.buffer).i32(concat ? 1 : 0);
        withMask(alphaArgs, attentionDropout).pointer(dense(dAlpha).buffer);
        launch1d("aggregate_backward_alpha", (long) gr.slotCount * heads, alphaArgs);
        KernelArgs messageArgs = new KernelArgs().pointer(gr.outOffsets).pointer(gr.outSlots).pointer(gr.outTargets)
                .i32(gr.sourceCount).i32(heads).i32(channels).pointer(a.buffer).pointer(g.buffer).i32(concat ? 1 : 0);
        withMask(messageArgs, attentionDropout).pointer(dense(dMessages).buffer);
        launch1d("aggregate_backward_messages", (long) gr.sourceCount * m.cols, messageArgs);
    }

    // ---- dropout ------------------------------------------------------------------------------------

    @Override
    public void dropout(Tensor in, DropoutMask mask, Tensor out) {
        cuda.makeCurrent();
        GpuTensor x = dense(in);
        GpuTensor y = dense(out);
        requireSameSize(x, y);
        KernelArgs args = new KernelArgs().pointer(x.buffer).pointer(y.buffer).i32(x.elements());
        launch1d("dropout_forward", x.elements(), withMask(args, mask));
    }

    @Override
    public void dropoutBackward(DropoutMask mask, Tensor dOut, Tensor dIn) {
        cuda.makeCurrent();
        GpuTensor g = dense(dOut);
        GpuTensor dx = dense(dIn);
        requireSameSize(g, dx);
        KernelArgs args = new KernelArgs().pointer(g.buffer).pointer(dx.buffer).i32(g.elements());
        launch1d("dropout_backward", g.elements(), withMask(args, mask));
    }

    // ---- bias and activation ------------------------------------------------------------------------

    @Override
    public void addBias(Tensor x, Tensor bias) {
        cuda.makeCurrent();
        GpuTensor t = dense(x);
        launch1d("add_bias", t.elements(), new KernelArgs().pointer(t.buffer).pointer(dense(bias).buffer).i32(t.rows)
                .i32(t.cols));
    }

    @Override
    public void biasBackward(Tensor dX, Tensor dBias) {
        cuda.makeCurrent();
        columnSums(dense(dX), dense(dBias));
    }

    @Override
    public void elu(Tensor in, Tensor out) {
        cuda.makeCurrent();
        GpuTensor x = dense(in);
        launch1d("elu_forward", x.elements(), new KernelArgs().pointer(x.buffer).pointer(dense(out).buffer)
                .i32(x.elements()));
    }

    @Override
    public void eluBackward(Tensor out, Tensor dOut, Tensor dIn) {
        cuda.makeCurrent();
        GpuTensor y = dense(out);
        launch1d("elu_backward", y.elements(), new KernelArgs().pointer(y.buffer).pointer(dense(dOut).buffer)
                .pointer(dense(dIn).buffer).i32(y.elements()));
    }

    // ---- typed layers ---------------------------------------------------------------------------------

    @Override
    public void scaledAdd(Tensor x, float scale, Tensor y) {
        cuda.makeCurrent();
        GpuTensor to = dense(x);
        GpuTensor from = dense(y);
        requireSameSize(from, to);
        launch1d("scaled_add_f32", to.elements(), new KernelArgs().pointer(to.buffer).f32(scale).pointer(from.buffer)
                .i32(to.elements()));
    }

    /** Per-block sums of the products on the device (a tree, fixed order), blocks added here in order. */
    @Override
    public double dot(Tensor x, Tensor y) {
        cuda.makeCurrent();
        GpuTensor a = dense(x);
        GpuTensor b = dense(y);
        requireSameSize(a, b);
        int count = a.elements();
        if (count == 0) {
            return 0;
        }
        int blocks = blocks(count, THREADS);
        DeviceBuffer sums = scratch("blockSums", 8L * blocks);
        launch("block_dots_f32", blocks, 1, THREADS, 1, new KernelArgs().pointer(a.buffer).pointer(b.buffer).i32(count)
                .pointer(sums));
        double[] host = new double[blocks];
        cuda.copyToHost(sums, 0, host, 0, blocks);
        double total = 0;
        for (double part : host) {
            total += part;
        }
        return total;
    }

    @Override
    public void tanh(Tensor in, Tensor out) {
        cuda.makeCurrent();
        GpuTensor x = dense(in);
        requireSameSize(x, dense(out));
        launch1d("tanh_forward", x.elements(), new KernelArgs().pointer(x.buffer).pointer(dense(out).buffer)
                .i32(x.elements()));
    }

    @Override
    public void tanhBackward(Tensor out, Tensor dOut, Tensor dIn) {
        cuda.makeCurrent();
        GpuTensor y = dense(out);
        requireSameSize(y, dense(dOut));
        requireSameSize(y, dense(dIn));
        launch1d("tanh_backward", y.elements(), new KernelArgs().pointer(y.buffer).pointer(dense(dOut).buffer)
                .pointer(dense(dIn).buffer).i32(y.elements()));
    }

    // ---- losses and metrics -------------------------------------------------------------------------

    @Override
    public double loss(Tensor logits, Targets targets, Tensor dLogits) {
        cuda.makeCurrent();
        return run(dense(logits), (GpuTargets) targets, denseOrNull(dLogits)).loss();
    }

    @Override
    public MetricCounts evaluate(Tensor logits, Targets targets) {
        cuda.makeCurrent();
        return run(dense(logits), (GpuTargets) targets, null);
    }

    private MetricCounts run(GpuTensor logits, GpuTargets targets, GpuTensor dLogits) {
        int count = targets.size;
        int classes = logits.cols;
        if (dLogits != null) {
            cuda.fill32(dLogits.buffer, 0, 0, dLogits.elements());
        }
        if (count == 0) {
            return new MetricCounts(Double.NaN, 0, 0, 0, 0, 0, targets.multiLabel);
        }
        DeviceBuffer gradient = dLogits == null ? null : dLogits.buffer;
        if (targets.multiLabel) {
            float scale = 1f / ((float) count * classes);
            launch1d("binary_cross_entropy", count, new KernelArgs().pointer(logits.buffer).i32(classes)
                    .pointer(targets.nodes).pointer(targets.labels).i32(count).pointer(gradient).f32(scale)
                    .pointer(targets.losses).pointer(targets.counts));
            double loss = sumFloats(targets.losses, count) / ((double) count * classes);
            long truePositives = sumInts(targets.counts, 0, count);
            long falsePositives = sumInts(targets.counts, 4L * count, count);
            long falseNegatives = sumInts(targets.counts, 8L * count, count);
            return new MetricCounts(loss, 0, count, truePositives, falsePositives, falseNegatives, true);
        }
        launch1d("cross_entropy", count, new KernelArgs().pointer(logits.buffer).i32(classes).pointer(targets.nodes)
                .pointer(targets.labels).i32(count).pointer(gradient).f32(1f / count).pointer(targets.losses)
                .pointer(targets.counts));
        double loss = sumFloats(targets.losses, count) / count;
        long correct = sumInts(targets.counts, 0, count);
        return new MetricCounts(loss, correct, count, 0, 0, 0, false);
    }

    /** Sum of {@code count} floats as doubles: per-block sums on the device, blocks added here in order. */
    private double sumFloats(DeviceBuffer values, int count) {
        int blocks = blocks(count, THREADS);
        DeviceBuffer sums = scratch("blockSums", 8L * blocks);
        launch("block_sums_f32", blocks, 1, THREADS, 1, new KernelArgs().pointer(values).i32(count).pointer(sums));
        double[] host = new double[blocks];
        cuda.copyToHost(sums, 0, host, 0, blocks);
        double total = 0;
        for (double part : host) {
            total += part;
        }
        return total;
    }

    private long sumInts(DeviceBuffer values, long byteOffset, int count) {
        int blocks = blocks(count, THREADS);
        DeviceBuffer sums = scratch("blockSums", 8L * blocks);
        launch("block_sums_i32", blocks, 1, THREADS, 1, new KernelArgs().pointer(values, byteOffset).i32(count)
                .pointer(sums));
        long[] host = new long[blocks];
        cuda.copyToHost(sums, 0, host, 0, blocks);
        long total = 0;
        for (long part : host) {
            total += part;
        }
        return total;
    }

    // ---- optimiser ----------------------------------------------------------------------------------

    @Override
    public void adamStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment,
                         AdamSettings settings, int step) {
        cuda.makeCurrent();
        GpuTensor p = dense(parameter);
        launch1d("adam_step", p.elements(), new KernelArgs().pointer(p.buffer).pointer(dense(gradient).buffer)
                .pointer(dense(firstMoment).buffer).pointer(dense(secondMoment).buffer).i32(p.elements())
                .f32((float) settings.beta1()).f32((float) settings.beta2()).f32((float) settings.weightDecay())
                .f32((float) settings.epsilon()).f32((float) settings.stepSize(step))
                .f32((float) settings.secondMomentCorrection(step)));
    }

    /** Frees every buffer this backend allocated; the device itself stays open for other jobs. */
    @Override
    public void close() {
        cuda.makeCurrent();
        for (DeviceBuffer buffer : live.toArray(new DeviceBuffer[0])) {
            free(buffer);
        }
        scratch.clear();
    }

    // ---- helpers ------------------------------------------------------------------------------------

    /** Appends a mask's key, threshold and scale (no mask: threshold 0, every element kept unscaled). */
    private static KernelArgs withMask(KernelArgs args, DropoutMask mask) {
        return mask == null ? args.u64(0).i32(0).f32(1f)
                : args.u64(mask.key()).i32(mask.threshold()).f32((float) mask.scale());
    }

    /** dBias-like column sums of a dense tensor into {@code sums}. */
    private void columnSums(GpuTensor x, GpuTensor sums) {
        columnSums(x.buffer, x.rows, x.cols, sums.buffer);
    }

    private void columnSums(DeviceBuffer x, int rows, int cols, DeviceBuffer sums) {
        if (rows == 0) {
            cuda.fill32(sums, 0, 0, cols);
            return;
        }
        int rowsPerChunk = rowsPerChunk(rows);
        int chunks = blocks(rows, rowsPerChunk);
        DeviceBuffer partials = scratch("columnPartials", 4L * chunks * cols);
        launch("column_partials", blocks(cols, THREADS), chunks, THREADS, 1, new KernelArgs().pointer(x).i32(rows)
                .i32(cols).i32(rowsPerChunk).pointer(partials));
        reducePartials(partials, 0, chunks, cols, cols, cols, sums, 0, 0);
    }

    private void reducePartials(DeviceBuffer partials, long byteOffset, int chunks, int partialStride, int count,
                                int width, DeviceBuffer out, int outRowStride, int outColumn) {
        launch1d("reduce_partials", count, new KernelArgs().pointer(partials, byteOffset).i32(chunks)
                .i32(partialStride).i32(count).i32(width).pointer(out).i32(outRowStride).i32(outColumn));
    }

    private static int rowsPerChunk(int rows) {
        return Math.max(MIN_ROWS_PER_CHUNK, (rows + MAX_CHUNKS - 1) / MAX_CHUNKS);
    }

    private void launch1d(String kernel, long threads, KernelArgs args) {
        if (threads > 0) {
            launch(kernel, blocks(threads, THREADS), 1, THREADS, 1, args);
        }
    }

    private void launch(String kernel, int gridX, int gridY, int blockX, int blockY, KernelArgs args) {
        if (gridX > 0 && gridY > 0) {
            cuda.launch(kernel, gridX, gridY, blockX, blockY, args);
        }
    }

    private static int blocks(long items, int perBlock) {
        return Math.toIntExact((items + perBlock - 1) / perBlock);
    }

    private static GpuTensor dense(Tensor tensor) {
        if (tensor instanceof GpuTensor gpu) {
            return gpu;
        }
        throw new IllegalArgumentException("Expected a dense GPU tensor, got " + tensor);
    }

    private static GpuTensor denseOrNull(Tensor tensor) {
        return tensor == null ? null : dense(tensor);
    }

    private static GpuGraph graph(GraphTensor graph) {
        if (graph instanceof GpuGraph gpu) {
            return gpu;
        }
        throw new IllegalArgumentException("Expected a graph on the GPU, got " + graph);
    }

    private static void requireSameSize(GpuTensor a, GpuTensor b) {
        if (a.elements() != b.elements()) {
            throw new IllegalArgumentException("Tensors differ in size: " + a.elements() + " and " + b.elements());
        }
    }

    private static void requireShape(GpuTensor tensor, int rows, int cols, String what) {
        if (tensor.rows != rows || tensor.cols != cols) {
            throw new IllegalArgumentException("The " + what + " is " + tensor.rows + " x " + tensor.cols
                    + ", expected " + rows + " x " + cols);
        }
    }
}
