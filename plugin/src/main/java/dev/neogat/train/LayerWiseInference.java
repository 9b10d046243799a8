package dev.neogat.train;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Variant;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Layer-wise inference ("layer-wise inference" of DGL and PyG): the same outputs as {@link Inference}, exactly (no
 * sampling), in memory bounded by a budget instead of by slots × heads × layers.
 *
 * <p>Layer by layer: first every node's projection (GAT: z = x·W and its per-node attention scores; GATv2: the
 * source side x·W_l + b_l) is computed over ranges of nodes into [n, ·] arrays. Then the targets are taken in chunks
 * of consecutive nodes; a chunk's incoming slots (a contiguous slot range of the {@link IncomingCsr}) become a small
 * CSR over the chunk's "local" nodes (its targets first, then their other sources), the local nodes' projected rows
 * are gathered, and the backend's own operations (per-target softmax, aggregation, then residual, bias and ELU on the
 * targets' rows) run on those chunk-sized tensors. Each row of every operation depends only on that row's inputs, in
 * the same order as in the full graph, so the results are the full-batch ones bit for bit on the CPU backend, at any
 * thread count.
 *
 * <p>Held at once: the previous layer's output [n, in] (the features for the first layer, whose rows are normalised
 * as they are read rather than copied whole), the projection [n, width]
 * (GAT: and its scores [n, 2·heads]), the current layer's output [n, out] (not for the last layer, whose rows go
 * straight to the consumer) and an [n] int map: the resident bytes, {@link Plan#residentBytes()}. Plus one chunk's
 * tensors.
 *
 * <p>Chunk rule: the chunk budget is the memory budget minus the resident bytes. A chunk of T targets with S
 * incoming slots has at most L = T + S local nodes and takes {@link #chunkBytes} bytes (every array it allocates,
 * host copies included: about 32 + 8·heads bytes per slot, 20 + 8·width + 8·out (+ 16·heads for GAT, 8·width more for
 * GATv2) per local node, 20·out per target, and the targets' input rows when the layer reads them). Targets are added
 * in node order while the chunk stays within the chunk budget and below {@link #MAX_CHUNK_TARGETS} (so progress and
 * termination are seen often); a chunk has at least one target. The projection runs over node ranges under the same
 * budget. A budget that cannot hold the resident arrays plus the largest single-target chunk is refused, naming the
 * minimum.
 */
public final class LayerWiseInference {

    /** At most this many targets per chunk, so that progress is reported and termination seen often. */
    public static final int MAX_CHUNK_TARGETS = 1 << 16;

    /** Receives the results chunk by chunk; every array handed over is the consumer's to keep. */
    public interface Consumer {
        /** Logits of the nodes [first, end), [end - first, classes] row-major. */
        default void logits(int first, int end, float[] values) {
        }

        /** Output (after ELU) of hidden layer {@code layer} for the nodes [first, end), [end - first, width]. */
        default void embeddings(int layer, int first, int end, float[] values) {
        }

        /**
         * Attention of layer {@code layer} on the incoming slots of the nodes [first, end): the slots
         * {@code firstSlot ..} in the graph's slot order, [slots, heads] row-major.
         */
        default void attention(int layer, int first, int end, int firstSlot, float[] values) {
        }

        /** After each chunk: chunks done of all chunks of all layers. */
        default void progress(long chunksDone, long chunkTotal) {
        }
    }

    /**
     * How a run splits its work: per layer, chunk boundaries over the targets ({@code chunks[l]} ascending from 0
     * to n) and node ranges for the projection; the bytes held across chunks and the most a chunk may take.
     */
    public record Plan(long budgetBytes, long residentBytes, long chunkBudgetBytes, int[][] chunks,
                       int[][] projectionRanges) {

        public long chunkCount() {
            long total = 0;
            for (int[] bounds : chunks) {
                total += bounds.length - 1;
            }
            return total;
        }
    }

    private LayerWiseInference() {
    }

    /**
     * Splits the work of a run within {@code budgetBytes}; fails with the minimum budget when even one target per
     * chunk does not fit.
     */
    public static Plan plan(GatConfig config, IncomingCsr graph, FeatureMatrix features, long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("The memory budget must be positive, got " + budgetBytes + " bytes");
        }
        if (config.edgeDim() > 0) {
            throw new IllegalArgumentException("Layer-wise inference does not read relationship features yet, and "
                    + "this model attends over " + config.edgeDim() + " per relationship; give a memoryBudget that "
                    + "fits full-batch inference");
        }
        long n = graph.nodeCount();
        long resident = 0;
        for (int l = 0; l < config.layerCount(); l++) {
            LayerSpec spec = config.layer(l);
            long layerBytes = 4 * n * (spec.width() + (spec.variant() == Variant.GAT ? 2L * spec.heads() : 0)
                    + (l > 0 ? spec.inputDim() : 0) + (config.isOutputLayer(l) ? 0 : spec.outputDim()) + 1);
            resident = Math.max(resident, layerBytes);
        }
        long chunkBudget = budgetBytes - resident;
        long largestSingle = 0;
        int[][] chunks = new int[config.layerCount()][];
        int[][] projections = new int[config.layerCount()][];
        for (int l = 0; l < config.layerCount(); l++) {
            LayerSpec spec = config.layer(l);
            FeatureMatrix input = l == 0 ? features : null;
            int[] offsets = graph.offsets();
            for (int i = 0; i < n; i++) {
                long single = Math.max(chunkBytes(spec, 1, offsets[i + 1] - offsets[i], inputRowBytes(spec, input, i)),
                        projectionBytes(spec, inputRowBytes(spec, input, i)));
                largestSingle = Math.max(largestSingle, single);
            }
            if (chunkBudget < largestSingle) {
                continue;
            }
            chunks[l] = targetChunks(spec, graph, input, chunkBudget);
            projections[l] = projectionRanges(spec, graph.nodeCount(), input, chunkBudget);
        }
        if (chunkBudget < largestSingle) {
            throw new IllegalArgumentException("A memory budget of " + MemoryEstimate.humanReadable(budgetBytes)
                    + " is too small for this inference: the per-node arrays take "
                    + MemoryEstimate.humanReadable(resident) + " and the largest node's chunk "
                    + MemoryEstimate.humanReadable(largestSingle) + "; give at least "
                    + MemoryEstimate.humanReadable(resident + largestSingle) + " (" + (resident + largestSingle)
                    + " bytes)");
        }
        return new Plan(budgetBytes, resident, chunkBudget, chunks, projections);
    }

    /** Bytes a chunk of {@code targets} targets with {@code slots} incoming slots allocates (see the class comment). */
    static long chunkBytes(LayerSpec spec, long targets, long slots, long targetInputBytes) {
        long width = spec.width();
        long heads = spec.heads();
        long out = spec.outputDim();
        boolean gatV2 = spec.variant() == Variant.GATV2;
        long locals = targets + slots;
        long perLocal = 20 + 8 * width + 8 * out + (gatV2 ? 8 * width : 16 * heads);
        long perSlot = 32 + 8 * heads;
        long perTarget = 20 * out + (gatV2 ? 8 * width : 0);
        return perLocal * locals + perSlot * slots + perTarget * targets
                + (needsTargetInput(spec) ? targetInputBytes : 0);
    }

    /** Bytes the projection of one node takes: its input row, its projected row and scores (tensor and host copy). */
    private static long projectionBytes(LayerSpec spec, long inputRowBytes) {
        return inputRowBytes + 8L * spec.width() + (spec.variant() == Variant.GAT ? 16L * spec.heads() : 0);
    }

    private static boolean needsTargetInput(LayerSpec spec) {
        return spec.variant() == Variant.GATV2 || spec.residual();
    }

    /**
     * Bytes of row {@code row} of a layer's input: dense, or sparse with its transposed index (null: hidden); twice
     * that for the features, whose slice may be normalised into a copy.
     */
    private static long inputRowBytes(LayerSpec spec, FeatureMatrix input, int row) {
        if (input instanceof SparseMatrix sparse) {
            return 2 * (20L * (sparse.rowOffsets()[row + 1] - sparse.rowOffsets()[row]) + 8);
        }
        return (input == null ? 4L : 8L) * spec.inputDim();
    }

    private static int[] targetChunks(LayerSpec spec, IncomingCsr graph, FeatureMatrix input, long chunkBudget) {
        int n = graph.nodeCount();
        int[] offsets = graph.offsets();
        List<Integer> starts = new ArrayList<>();
        int start = 0;
        while (start < n) {
            starts.add(start);
            long inputBytes = inputRowBytes(spec, input, start);
            int end = start + 1;
            while (end < n && end - start < MAX_CHUNK_TARGETS) {
                long withNext = inputBytes + inputRowBytes(spec, input, end);
                if (chunkBytes(spec, end + 1 - start, offsets[end + 1] - offsets[start], withNext) > chunkBudget) {
                    break;
                }
                inputBytes = withNext;
                end++;
            }
            start = end;
        }
        starts.add(n);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] projectionRanges(LayerSpec spec, int n, FeatureMatrix input, long chunkBudget) {
        List<Integer> starts = new ArrayList<>();
        int start = 0;
        while (start < n) {
            starts.add(start);
            long bytes = projectionBytes(spec, inputRowBytes(spec, input, start));
            int end = start + 1;
            while (end < n && end - start < MAX_CHUNK_TARGETS) {
                long next = projectionBytes(spec, inputRowBytes(spec, input, end));
                if (bytes + next > chunkBudget) {
                    break;
                }
                bytes += next;
                end++;
            }
            start = end;
        }
        starts.add(n);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Runs {@code model} over {@code graph} layer by layer within {@code budgetBytes} (see the class comment),
     * handing each chunk's results to {@code consumer}: logits always, attention and hidden outputs as
     * {@code request} asks. {@code terminationFlag} is asked between chunks.
     */
    public static Plan run(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                           long budgetBytes, Inference.Request request, Consumer consumer,
                           TerminationFlag terminationFlag) {
        GatConfig config = model.config();
        Inference.requireInput(config, graph, features);
        model.weights().requireMatches(config);
        Plan plan = plan(config, graph, features, budgetBytes);
        int n = graph.nodeCount();
        int[] localOf = new int[n];
        Arrays.fill(localOf, -1);
        long total = plan.chunkCount();
        long done = 0;
        // The first layer's rows are normalised as they are read, which gives the same rows as normalising them all.
        FeatureMatrix layerInput = features;
        boolean normalizeRows = config.normalizeFeatures();
        for (int l = 0; l < config.layerCount(); l++) {
            terminationFlag.assertRunning();
            LayerSpec spec = config.layer(l);
            LayerTensors layer = new LayerTensors(backend, model, spec, ParameterShape.layerPrefix(l));
            boolean last = config.isOutputLayer(l);
            int out = spec.outputDim();
            try {
                Projection projected = project(backend, layerInput, normalizeRows, layer, spec,
                        plan.projectionRanges()[l], terminationFlag);
                float[] output = last ? null : new float[Math.multiplyExact(n, out)];
                int[] bounds = plan.chunks()[l];
                for (int c = 0; c + 1 < bounds.length; c++) {
                    terminationFlag.assertRunning();
                    int start = bounds[c];
                    int end = bounds[c + 1];
                    ChunkResult result = chunk(backend, graph, layerInput, normalizeRows, projected, layer, spec,
                            start, end, localOf, request.attention());
                    if (last) {
                        consumer.logits(start, end, result.output);
                    } else {
                        System.arraycopy(result.output, 0, output, start * out, result.output.length);
                        if (request.embeddings()) {
                            consumer.embeddings(l, start, end, result.output);
                        }
                    }
                    if (request.attention()) {
                        consumer.attention(l, start, end, graph.offsets()[start], result.attention);
                    }
                    consumer.progress(++done, total);
                }
                layerInput = last ? null : new DenseMatrix(n, out, output);
                normalizeRows = false;
            } finally {
                layer.release();
            }
        }
        return plan;
    }

    /** As {@link #run}, collecting everything {@code request} asks for into a {@link Prediction}. */
    public static Prediction predict(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                                     long budgetBytes, Inference.Request request, TerminationFlag terminationFlag) {
        GatConfig config = model.config();
        boolean[] attention = new boolean[config.layerCount()];
        boolean[] embeddings = new boolean[config.layerCount()];
        Arrays.fill(attention, request.attention());
        for (int l = 0; l + 1 < config.layerCount(); l++) {
            embeddings[l] = request.embeddings();
        }
        PredictionCollector collector = new PredictionCollector(config, graph, attention, embeddings);
        run(backend, model, graph, features, budgetBytes, request, collector, terminationFlag);
        return collector.prediction();
    }

    /** Every node's projection [n, width] and, for GAT, its source and target scores [n, heads]. */
    private record Projection(float[] values, float[] sourceScores, float[] targetScores) {
    }

    /** Every node's projection, computed over node ranges. */
    private static Projection project(Backend backend, FeatureMatrix input, boolean normalizeRows,
                                      LayerTensors layer, LayerSpec spec, int[] ranges,
                                      TerminationFlag terminationFlag) {
        int n = input.rows();
        int width = spec.width();
        int heads = spec.heads();
        boolean gat = spec.variant() == Variant.GAT;
        float[] projected = new float[Math.multiplyExact(n, width)];
        float[] sourceScores = gat ? new float[Math.multiplyExact(n, heads)] : null;
        float[] targetScores = gat ? new float[Math.multiplyExact(n, heads)] : null;
        for (int r = 0; r + 1 < ranges.length; r++) {
            terminationFlag.assertRunning();
            int start = ranges[r];
            int end = ranges[r + 1];
            List<Object> owned = new ArrayList<>();
            try {
                Tensor rows = own(owned, backend.upload(rows(input, start, end, normalizeRows)));
                Tensor result = own(owned, backend.zeros(end - start, width));
                backend.linear(rows, null, layer.weight, layer.biasSource, result);
                downloadInto(backend, result, projected, start * width);
                if (gat) {
                    Tensor source = own(owned, backend.zeros(end - start, heads));
                    Tensor target = own(owned, backend.zeros(end - start, heads));
                    backend.attentionScores(result, layer.attSource, layer.attTarget, source, target);
                    downloadInto(backend, source, sourceScores, start * heads);
                    downloadInto(backend, target, targetScores, start * heads);
                }
            } finally {
                owned.forEach(backend::release);
            }
        }
        return new Projection(projected, sourceScores, targetScores);
    }

    private static void downloadInto(Backend backend, Tensor tensor, float[] destination, int offset) {
        float[] values = new float[tensor.rows() * tensor.cols()];
        backend.download(tensor, values);
        System.arraycopy(values, 0, destination, offset, values.length);
    }

    /** A host array as a backend tensor (a copy). */
    private static Tensor upload(Backend backend, List<Object> owned, float[] values, int rows, int cols) {
        return own(owned, backend.upload(values, rows, cols));
    }

    private record ChunkResult(float[] output, float[] attention) {
    }

    /** One layer's output for the targets [start, end), and their attention when asked for. */
    private static ChunkResult chunk(Backend backend, IncomingCsr graph, FeatureMatrix layerInput,
                                     boolean normalizeRows, Projection projected,
                                     LayerTensors layer, LayerSpec spec, int start, int end, int[] localOf,
                                     boolean keepAttention) {
        int[] offsets = graph.offsets();
        int[] sources = graph.sources();
        int targets = end - start;
        int firstSlot = offsets[start];
        int slots = offsets[end] - firstSlot;
        int width = spec.width();
        int heads = spec.heads();
        int out = spec.outputDim();
        // Local ids: the targets first, then their other sources in order of first appearance.
        int[] local = new int[targets + slots];
        int locals = 0;
        for (int i = start; i < end; i++) {
            localOf[i] = locals;
            local[locals++] = i;
        }
        int[] localSources = new int[slots];
        int[] localTargets = new int[slots];
        for (int i = start; i < end; i++) {
            for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                int j = sources[slot];
                if (localOf[j] < 0) {
                    localOf[j] = locals;
                    local[locals++] = j;
                }
                localSources[slot - firstSlot] = localOf[j];
                localTargets[slot - firstSlot] = i - start;
            }
        }
        for (int k = 0; k < locals; k++) {
            localOf[local[k]] = -1;
        }
        // No self loops added and no duplicates dropped: the slots keep the full graph's order per target.
        IncomingCsr chunkCsr = new GraphBuilder(locals).selfLoops(false).build(localSources, localTargets);
        List<Object> owned = new ArrayList<>();
        try {
            GraphTensor chunkGraph = own(owned, backend.upload(chunkCsr));
            Tensor messages = upload(backend, owned, gather(projected.values(), width, local, locals), locals, width);
            Tensor alpha = own(owned, backend.zeros(slots, heads));
            Tensor targetInput = needsTargetInput(spec)
                    ? own(owned, backend.upload(rows(layerInput, start, end, normalizeRows))) : null;
            float negativeSlope = (float) spec.negativeSlope();
            if (spec.variant() == Variant.GATV2) {
                Tensor targetRows = own(owned, backend.zeros(targets, width));
                backend.linear(targetInput, null, layer.weightTarget, layer.biasTarget, targetRows);
                // The softmax reads target rows by local id; the targets are the first local nodes.
                float[] padded = new float[locals * width];
                downloadInto(backend, targetRows, padded, 0);
                Tensor projectedTargets = upload(backend, owned, padded, locals, width);
                backend.gatV2Scores(chunkGraph, messages, projectedTargets, null, layer.attSource, negativeSlope,
                        alpha);
            } else {
                Tensor sourceScores = upload(backend, owned, gather(projected.sourceScores(), heads, local, locals),
                        locals, heads);
                Tensor targetScores = upload(backend, owned, gather(projected.targetScores(), heads, local, locals),
                        locals, heads);
                backend.gatScores(chunkGraph, sourceScores, targetScores, null, negativeSlope, alpha);
            }
            backend.edgeSoftmax(chunkGraph, alpha);
            Tensor aggregated = own(owned, backend.zeros(locals, out));
            backend.aggregate(chunkGraph, alpha, null, messages, spec.concat(), aggregated);
            // Residual, bias and ELU on the targets' rows only.
            float[] targetRows = new float[targets * out];
            float[] all = new float[locals * out];
            backend.download(aggregated, all);
            System.arraycopy(all, 0, targetRows, 0, targetRows.length);
            Tensor output = upload(backend, owned, targetRows, targets, out);
            if (layer.residual != null) {
                Tensor residual = own(owned, backend.zeros(targets, out));
                backend.linear(targetInput, null, layer.residual, null, residual);
                backend.add(output, residual);
            }
            backend.addBias(output, layer.bias);
            if (spec.elu()) {
                backend.elu(output, output);
            }
            float[] result = new float[targets * out];
            backend.download(output, result);
            float[] attention = null;
            if (keepAttention) {
                attention = new float[slots * heads];
                backend.download(alpha, attention);
            }
            return new ChunkResult(result, attention);
        } finally {
            for (Object tensor : owned) {
                backend.release(tensor);
            }
        }
    }

    private static <T> T own(List<Object> owned, T tensor) {
        owned.add(tensor);
        return tensor;
    }

    /** Rows {@code nodes[0 .. count)} of a row-major [n, width] array. */
    private static float[] gather(float[] values, int width, int[] nodes, int count) {
        float[] rows = new float[count * width];
        for (int k = 0; k < count; k++) {
            System.arraycopy(values, nodes[k] * width, rows, k * width, width);
        }
        return rows;
    }

    /** Rows [start, end) of a feature matrix, in the same storage, each scaled to sum to 1 when asked. */
    static FeatureMatrix rows(FeatureMatrix matrix, int start, int end, boolean normalize) {
        FeatureMatrix rows = rows(matrix, start, end);
        return normalize ? rows.rowNormalized() : rows;
    }

    /** Rows [start, end) of a feature matrix, in the same storage. */
    static FeatureMatrix rows(FeatureMatrix matrix, int start, int end) {
        if (matrix instanceof SparseMatrix sparse) {
            int[] rowOffsets = sparse.rowOffsets();
            int first = rowOffsets[start];
            int[] offsets = new int[end - start + 1];
            for (int i = start; i <= end; i++) {
                offsets[i - start] = rowOffsets[i] - first;
            }
            return new SparseMatrix(end - start, sparse.cols(), offsets,
                    Arrays.copyOfRange(sparse.columns(), first, rowOffsets[end]),
                    Arrays.copyOfRange(sparse.values(), first, rowOffsets[end]));
        }
        DenseMatrix dense = (DenseMatrix) matrix;
        return new DenseMatrix(end - start, dense.cols(),
                Arrays.copyOfRange(dense.data(), start * dense.cols(), end * dense.cols()));
    }

    /** One layer's parameters on the backend. */
    private static final class LayerTensors {
        private final Backend backend;
        private final List<Tensor> all = new ArrayList<>();
        final Tensor weight;
        final Tensor biasSource;
        final Tensor weightTarget;
        final Tensor biasTarget;
        final Tensor attSource;
        final Tensor attTarget;
        final Tensor residual;
        final Tensor bias;

        LayerTensors(Backend backend, TrainedModel model, LayerSpec spec, String prefix) {
            this.backend = backend;
            boolean gatV2 = spec.variant() == Variant.GATV2;
            weight = upload(model, prefix + (gatV2 ? "weight_src" : "weight"));
            biasSource = gatV2 ? upload(model, prefix + "bias_src") : null;
            weightTarget = gatV2 ? upload(model, prefix + "weight_dst") : null;
            biasTarget = gatV2 ? upload(model, prefix + "bias_dst") : null;
            attSource = upload(model, prefix + (gatV2 ? "att" : "att_src"));
            attTarget = gatV2 ? null : upload(model, prefix + "att_dst");
            residual = spec.residual() ? upload(model, prefix + "weight_res") : null;
            bias = upload(model, prefix + "bias");
        }

        private Tensor upload(TrainedModel model, String name) {
            DenseMatrix values = model.weights().get(name);
            Tensor tensor = backend.upload(values.data(), values.rows(), values.cols());
            all.add(tensor);
            return tensor;
        }

        void release() {
            all.forEach(backend::release);
        }
    }
}
