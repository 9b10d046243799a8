package dev.neogat.train;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.AttentionVariant;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatLayer;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.Parameter;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Tensor;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Layer-wise inference ("layer-wise inference" of DGL and PyG): the same outputs as {@link Inference}, exactly (no
 * sampling), in memory bounded by a budget instead of by slots × heads × layers.
 *
 * <p>Layer by layer, through the layer's {@link AttentionVariant}: first its scorer projects every node (over ranges
 * of nodes) and its node tensors ({@link AttentionVariant.Scorer#sourceTensors()}, {@code targetTensors()}: GAT the
 * messages z = x·W and the per-node score halves, GATv2 both projections) are kept in [n, ·] host arrays. Then the
 * targets are taken in chunks of consecutive nodes; a chunk's incoming slots (a contiguous slot range of the
 * {@link IncomingCsr}) become a graph from all nodes to the chunk's targets ({@link IncomingCsr#targetSlice}), a
 * scorer bound to it ({@link AttentionVariant#bindProjected}) reads the source side's node tensors whole and the
 * targets' rows of the target side, with the slots' relationship features ({@link EdgeFeatures#perSlot}, self loops
 * the mean of their node's incoming ones), and scores the slots; the backend's own operations (per-target softmax,
 * aggregation, then residual, bias and ELU) run on those chunk-sized tensors. Each row of every
 * operation depends only on that row's inputs, in the same order as in the full graph, so the results are the
 * full-batch ones bit for bit on the CPU backend, at any thread count.
 *
 * <p>Held at once: the previous layer's output [n, in] (the features for the first layer, whose rows are normalised
 * as they are read rather than copied whole), the node tensors (the variant's activation floats per node, n times),
 * the current layer's output [n, out] (not for the last layer, whose rows go straight to the consumer) and the
 * chunk graph's [n] outgoing index (two ints per node): the resident bytes, {@link Plan#residentBytes()}. Plus one
 * chunk's arrays.
 *
 * <p>Chunk rule: the chunk budget is the memory budget minus the resident bytes. A chunk of T targets with S
 * incoming slots takes {@link #chunkBytes} bytes (every array it allocates: the variant's per-node activation
 * floats for its T targets' rows, its per-slot ones for S slots, and per slot 28 + 8·heads + 4·edgeDim bytes, per
 * target 16 + 12·out, and the targets' input rows when the layer has a residual). Targets are added in node order while the chunk stays within the chunk budget and below
 * {@link #MAX_CHUNK_TARGETS} (so progress and termination are seen often); a chunk has at least one target. The
 * projection runs over node ranges under the same budget. A budget that cannot hold the resident arrays plus the
 * largest single-target chunk is refused, naming the minimum.
 *
 * <p>The graph and its features come through a {@link Source}: the in-heap CSR and matrix, or a store's reader that
 * reads each chunk's slot lists and each projection range's feature rows when they are needed, so a store-backed run
 * reads every feature row once and every slot list once per layer.
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
     * What a run reads of the graph and its features: the in-heap CSR and matrix ({@link #of}), or a reader of a
     * store that reads a chunk's incoming slots and a node range's feature rows when the run asks for them.
     */
    public interface Source {

        int nodeCount();

        /** Each target's first incoming slot, {@code nodeCount() + 1} ascending entries (the CSR's offsets). */
        int[] offsets();

        /** The targets [start, end) with their incoming slots in slot order, sources over all nodes. */
        IncomingCsr targetSlice(int start, int end);

        /** Features per node. */
        int featureCols();

        /** The feature rows [start, end), stored as the whole matrix's (dense or sparse). */
        FeatureMatrix featureRows(int start, int end);

        /** Bytes the feature row {@code row} takes at most once read (see {@link #plan}). */
        long featureRowBytes(int row);

        /** Relationship features of the slots of targets [start, end), [slots, edgeDim], or null without them. */
        default DenseMatrix slotFeatures(int start, int end) {
            return null;
        }

        /**
         * A graph read slot list by slot list from {@code graph} (a store's reader), whose targets' first slots are
         * {@code offsets}, with feature rows read from {@code features}, each at most {@code featureRowBytes} bytes
         * once read. Each chunk reads its targets' incoming slots once; each projection range its rows once.
         */
        static Source read(NeighbourSource graph, int[] offsets, FeatureRows features, long featureRowBytes) {
            if (offsets.length != graph.nodeCount() + 1) {
                throw new IllegalArgumentException("There are " + offsets.length + " slot offsets for "
                        + graph.nodeCount() + " nodes");
            }
            return new Source() {
                @Override
                public int nodeCount() {
                    return graph.nodeCount();
                }

                @Override
                public int[] offsets() {
                    return offsets;
                }

                @Override
                public IncomingCsr targetSlice(int start, int end) {
                    int[] sliceOffsets = new int[end - start + 1];
                    int[] slotSources = new int[offsets[end] - offsets[start]];
                    NeighbourSource.Slots slots = new NeighbourSource.Slots();
                    for (int t = start; t < end; t++) {
                        graph.incoming(t, slots);
                        int expected = offsets[t + 1] - offsets[t];
                        if (slots.count() != expected) {
                            throw new IllegalStateException("Node " + t + " has " + slots.count() + " incoming "
                                    + "slots now but had " + expected + " when counted: the graph changed during "
                                    + "the run");
                        }
                        int at = sliceOffsets[t - start];
                        for (int k = 0; k < expected; k++) {
                            slotSources[at + k] = slots.source(k);
                        }
                        sliceOffsets[t - start + 1] = at + expected;
                    }
                    return GraphBuilder.targetSlice(graph.nodeCount(), sliceOffsets, slotSources);
                }

                @Override
                public int featureCols() {
                    return features.cols();
                }

                @Override
                public FeatureMatrix featureRows(int start, int end) {
                    int[] nodes = new int[end - start];
                    Arrays.setAll(nodes, i -> start + i);
                    return features.rows(nodes);
                }

                @Override
                public long featureRowBytes(int row) {
                    return featureRowBytes;
                }
            };
        }

        /** An in-heap graph, its features and its relationship features (one row per edge given to the builder). */
        static Source of(IncomingCsr graph, FeatureMatrix features, DenseMatrix relationshipFeatures) {
            return new Source() {
                @Override
                public int nodeCount() {
                    return graph.nodeCount();
                }

                @Override
                public int[] offsets() {
                    return graph.offsets();
                }

                @Override
                public IncomingCsr targetSlice(int start, int end) {
                    return graph.targetSlice(start, end);
                }

                @Override
                public int featureCols() {
                    return features.cols();
                }

                @Override
                public FeatureMatrix featureRows(int start, int end) {
                    return rows(features, start, end);
                }

                @Override
                public long featureRowBytes(int row) {
                    return LayerWiseInference.featureRowBytes(features, row);
                }

                @Override
                public DenseMatrix slotFeatures(int start, int end) {
                    return relationshipFeatures == null ? null
                            : EdgeFeatures.perSlot(graph, relationshipFeatures, start, end);
                }
            };
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
        return plan(config, Source.of(graph, features, null), budgetBytes);
    }

    /** As {@link #plan(GatConfig, IncomingCsr, FeatureMatrix, long)} over any {@link Source}. */
    public static Plan plan(GatConfig config, Source graph, long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("The memory budget must be positive, got " + budgetBytes + " bytes");
        }
        long n = graph.nodeCount();
        long resident = 0;
        for (int l = 0; l < config.layerCount(); l++) {
            LayerSpec spec = config.layer(l);
            long layerBytes = 4 * (nodeFloats(spec, n) + n * ((l > 0 ? spec.inputDim() : 0)
                    + (config.isOutputLayer(l) ? 0 : spec.outputDim()) + 2));
            resident = Math.max(resident, layerBytes);
        }
        long chunkBudget = budgetBytes - resident;
        long largestSingle = 0;
        int[][] chunks = new int[config.layerCount()][];
        int[][] projections = new int[config.layerCount()][];
        for (int l = 0; l < config.layerCount(); l++) {
            LayerSpec spec = config.layer(l);
            Source input = l == 0 ? graph : null;
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
        requireFits(budgetBytes, resident, largestSingle);
        return new Plan(budgetBytes, resident, chunkBudget, chunks, projections);
    }

    /** Fails unless {@code budgetBytes} holds the resident arrays and the largest single-node chunk, naming the minimum. */
    static void requireFits(long budgetBytes, long resident, long largestSingle) {
        if (budgetBytes - resident < largestSingle) {
            throw new IllegalArgumentException("A memory budget of " + MemoryEstimate.humanReadable(budgetBytes)
                    + " is too small for this inference: the per-node arrays take "
                    + MemoryEstimate.humanReadable(resident) + " and the largest node's chunk "
                    + MemoryEstimate.humanReadable(largestSingle) + "; give at least "
                    + MemoryEstimate.humanReadable(resident + largestSingle) + " (" + (resident + largestSingle)
                    + " bytes)");
        }
    }

    /** Bytes a feature row takes once read: dense, or sparse with its transposed index. */
    static long featureRowBytes(FeatureMatrix features, int row) {
        if (features instanceof SparseMatrix sparse) {
            return 20L * (sparse.rowOffsets()[row + 1] - sparse.rowOffsets()[row]) + 8;
        }
        return 4L * features.cols();
    }

    /** Floats of the variant's node tensors for {@code nodes} nodes: its activations without slots. */
    static long nodeFloats(LayerSpec spec, long nodes) {
        return AttentionVariant.of(spec.variant()).activationFloats(spec, nodes, 0);
    }

    /** Bytes a chunk of {@code targets} targets with {@code slots} incoming slots allocates (see the class comment). */
    static long chunkBytes(LayerSpec spec, long targets, long slots, long targetInputBytes) {
        long slotFloats = AttentionVariant.of(spec.variant()).activationFloats(spec, 0, slots);
        long perSlot = 28 + 8L * spec.heads() + 4L * spec.edgeDim();
        long perTarget = 16 + 12L * spec.outputDim();
        return 4 * nodeFloats(spec, targets) + 4 * slotFloats + perSlot * slots + perTarget * targets
                + (spec.residual() ? targetInputBytes : 0);
    }

    /** Bytes the projection of one node takes: its input row, its node tensors and their host copies. */
    static long projectionBytes(LayerSpec spec, long inputRowBytes) {
        return inputRowBytes + 8 * nodeFloats(spec, 1);
    }

    /**
     * Bytes of row {@code row} of a layer's input: dense, or sparse with its transposed index (null: hidden); twice
     * that for the features, whose slice may be normalised into a copy.
     */
    private static long inputRowBytes(LayerSpec spec, Source input, int row) {
        return input == null ? 4L * spec.inputDim() : 2 * input.featureRowBytes(row);
    }

    private static int[] targetChunks(LayerSpec spec, Source graph, Source input, long chunkBudget) {
        int[] offsets = graph.offsets();
        return splitRows(graph.nodeCount(), chunkBudget, row -> inputRowBytes(spec, input, row),
                (start, end, inputBytes) -> chunkBytes(spec, end - start, offsets[end] - offsets[start], inputBytes));
    }

    private static int[] projectionRanges(LayerSpec spec, int n, Source input, long chunkBudget) {
        return splitRows(n, chunkBudget, row -> projectionBytes(spec, inputRowBytes(spec, input, row)),
                (start, end, bytes) -> bytes);
    }

    /** The bytes a range of rows takes, given the sum of its rows' own bytes. */
    @FunctionalInterface
    interface RangeBytes {
        long bytes(int start, int end, long rowBytes);
    }

    /**
     * Boundaries of consecutive ranges over [0, n), ascending from 0 to n: rows are added in order while the range
     * stays within {@code budget} and below {@link #MAX_CHUNK_TARGETS} rows; a range has at least one row.
     */
    static int[] splitRows(int n, long budget, java.util.function.IntToLongFunction rowBytes, RangeBytes rangeBytes) {
        List<Integer> starts = new ArrayList<>();
        int start = 0;
        while (start < n) {
            starts.add(start);
            long bytes = rowBytes.applyAsLong(start);
            int end = start + 1;
            while (end < n && end - start < MAX_CHUNK_TARGETS) {
                long withNext = bytes + rowBytes.applyAsLong(end);
                if (rangeBytes.bytes(start, end + 1, withNext) > budget) {
                    break;
                }
                bytes = withNext;
                end++;
            }
            start = end;
        }
        starts.add(n);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** As {@link #run(Backend, TrainedModel, IncomingCsr, FeatureMatrix, DenseMatrix, long, Inference.Request, Consumer, TerminationFlag)} for a model without relationship features. */
    public static Plan run(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                           long budgetBytes, Inference.Request request, Consumer consumer,
                           TerminationFlag terminationFlag) {
        return run(backend, model, graph, features, null, budgetBytes, request, consumer, terminationFlag);
    }

    /**
     * Runs {@code model} over {@code graph} layer by layer within {@code budgetBytes} (see the class comment),
     * handing each chunk's results to {@code consumer}: logits always, attention and hidden outputs as
     * {@code request} asks. {@code relationshipFeatures}: one row per edge given to the graph builder, in that order,
     * for a model that attends over them (null for none). {@code terminationFlag} is asked between chunks.
     */
    public static Plan run(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                           DenseMatrix relationshipFeatures, long budgetBytes, Inference.Request request,
                           Consumer consumer, TerminationFlag terminationFlag) {
        Inference.requireInput(model.config(), graph, features);
        EdgeFeatures.requireFits(model.config().edgeDim(), graph, relationshipFeatures);
        return run(backend, model, Source.of(graph, features, relationshipFeatures), budgetBytes, request, consumer,
                terminationFlag);
    }

    /**
     * As {@link #run(Backend, TrainedModel, IncomingCsr, FeatureMatrix, DenseMatrix, long, Inference.Request,
     * Consumer, TerminationFlag)} over any {@link Source}: the first layer reads the feature rows of each projection
     * range from it and each chunk's incoming slots, so a store-backed source reads every node's features once and
     * every slot once per layer.
     */
    public static Plan run(Backend backend, TrainedModel model, Source graph, long budgetBytes,
                           Inference.Request request, Consumer consumer, TerminationFlag terminationFlag) {
        GatConfig config = model.config();
        if (graph.featureCols() != config.inputDim()) {
            throw new IllegalArgumentException("The model was trained on " + config.inputDim()
                    + " features per node but these nodes have " + graph.featureCols());
        }
        model.weights().requireMatches(config);
        Plan plan = plan(config, graph, budgetBytes);
        int n = graph.nodeCount();
        long total = plan.chunkCount();
        long done = 0;
        // The first layer's rows are normalised as they are read, which gives the same rows as normalising them all.
        FeatureMatrix hidden = null;
        for (int l = 0; l < config.layerCount(); l++) {
            terminationFlag.assertRunning();
            LayerSpec spec = config.layer(l);
            LayerParameters layer = new LayerParameters(backend, model, spec, ParameterShape.layerPrefix(l));
            boolean last = config.isOutputLayer(l);
            int out = spec.outputDim();
            FeatureMatrix previous = hidden;
            boolean normalizeRows = l == 0 && config.normalizeFeatures();
            RowRange layerInput = (start, end) -> {
                FeatureMatrix rows = previous == null ? graph.featureRows(start, end) : rows(previous, start, end);
                return normalizeRows ? rows.rowNormalized() : rows;
            };
            try {
                NodeRows projected = project(backend, n, layerInput, layer, plan.projectionRanges()[l],
                        terminationFlag);
                // Every chunk reads the sources' node tensors whole: on the backend once per layer.
                for (DenseMatrix rows : projected.source()) {
                    layer.sourceTensors.add(backend.upload(rows));
                }
                float[] output = last ? null : new float[Math.multiplyExact(n, out)];
                int[] bounds = plan.chunks()[l];
                for (int c = 0; c + 1 < bounds.length; c++) {
                    terminationFlag.assertRunning();
                    int start = bounds[c];
                    int end = bounds[c + 1];
                    ChunkResult result = chunk(backend, graph, layerInput, projected, layer, start, end,
                            request.attention());
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
                hidden = last ? null : new DenseMatrix(n, out, output);
            } finally {
                layer.release();
            }
        }
        return plan;
    }

    /** Rows [start, end) of a layer's input, as the layer reads them. */
    @FunctionalInterface
    interface RowRange {
        FeatureMatrix rows(int start, int end);
    }

    /** As {@link #predict(Backend, TrainedModel, IncomingCsr, FeatureMatrix, DenseMatrix, long, Inference.Request, TerminationFlag)} without relationship features. */
    public static Prediction predict(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                                     long budgetBytes, Inference.Request request, TerminationFlag terminationFlag) {
        return predict(backend, model, graph, features, null, budgetBytes, request, terminationFlag);
    }

    /** As {@link #run}, collecting everything {@code request} asks for into a {@link Prediction}. */
    public static Prediction predict(Backend backend, TrainedModel model, IncomingCsr graph, FeatureMatrix features,
                                     DenseMatrix relationshipFeatures, long budgetBytes, Inference.Request request,
                                     TerminationFlag terminationFlag) {
        GatConfig config = model.config();
        boolean[] attention = new boolean[config.layerCount()];
        boolean[] embeddings = new boolean[config.layerCount()];
        Arrays.fill(attention, request.attention());
        for (int l = 0; l + 1 < config.layerCount(); l++) {
            embeddings[l] = request.embeddings();
        }
        PredictionCollector collector = new PredictionCollector(config, graph, attention, embeddings);
        run(backend, model, graph, features, relationshipFeatures, budgetBytes, request, collector, terminationFlag);
        return collector.prediction();
    }

    /** Every node's rows of the variant's node tensors, source side and target side, [n, cols] row-major each. */
    record NodeRows(List<DenseMatrix> source, List<DenseMatrix> target) {
    }

    /** A scorer of a layer (or of a typed relation) bound to {@code graph}, with its relationship features per slot. */
    @FunctionalInterface
    interface Binder {
        AttentionVariant.Scorer bind(GraphTensor graph, Tensor edgeFeatures);
    }

    /** The variant's node tensors of every node, projected over node ranges. */
    private static NodeRows project(Backend backend, int n, RowRange input, LayerParameters layer, int[] ranges,
                                    TerminationFlag terminationFlag) {
        return project(backend, (graph, edges) -> layer.bind(backend, graph, edges), layer.spec.edgeDim(), n, input, n,
                null, ranges, terminationFlag);
    }

    /**
     * The node tensors of {@code sources} source rows and {@code targets} target rows, projected over the ranges
     * {@code ranges} (each side clipped to its own rows). {@code targetInput} null: one node set, whose rows feed
     * both sides (an untyped layer, a relation within one node type); else a bipartite relation's target rows.
     */
    static NodeRows project(Backend backend, Binder binder, int edgeDim, int sources, RowRange sourceInput,
                            int targets, RowRange targetInput, int[] ranges, TerminationFlag terminationFlag) {
        List<DenseMatrix> source = null;
        List<DenseMatrix> target = null;
        for (int r = 0; r + 1 < ranges.length; r++) {
            terminationFlag.assertRunning();
            // A side past its last row projects its first row again, discarded: no backend sees an empty input.
            boolean sourceRows = ranges[r] < sources;
            boolean targetRows = ranges[r] < targets;
            int sourceStart = sourceRows ? ranges[r] : 0;
            int sourceEnd = sourceRows ? Math.min(ranges[r + 1], sources) : Math.min(1, sources);
            int targetStart = targetRows ? ranges[r] : 0;
            int targetEnd = targetRows ? Math.min(ranges[r + 1], targets) : Math.min(1, targets);
            List<Object> owned = new ArrayList<>();
            AttentionVariant.Scorer scorer = null;
            try {
                // The projection reads no slots: a graph of the range's nodes without any.
                GraphBuilder builder = targetInput == null ? new GraphBuilder(sourceEnd - sourceStart).selfLoops(false)
                        : GraphBuilder.bipartite(sourceEnd - sourceStart, targetEnd - targetStart);
                GraphTensor nodesOnly = own(owned, backend.upload(builder.build(new int[0], new int[0])));
                Tensor edges = edgeDim > 0 ? own(owned, backend.zeros(0, edgeDim)) : null;
                scorer = binder.bind(nodesOnly, edges);
                Tensor sourceInputRows = own(owned, backend.upload(sourceInput.rows(sourceStart, sourceEnd)));
                Tensor targetInputRows = targetInput == null ? sourceInputRows
                        : own(owned, backend.upload(targetInput.rows(targetStart, targetEnd)));
                scorer.project(sourceInputRows, null, targetInputRows, null);
                if (source == null) {
                    source = allocate(scorer.sourceTensors(), sources);
                    target = allocate(scorer.targetTensors(), targets);
                }
                if (sourceRows) {
                    downloadRows(backend, scorer.sourceTensors(), source, sourceStart);
                }
                if (targetRows) {
                    downloadRows(backend, scorer.targetTensors(), target, targetStart);
                }
            } finally {
                if (scorer != null) {
                    scorer.release();
                }
                owned.forEach(backend::release);
            }
        }
        return new NodeRows(source, target);
    }

    /** [n, cols] host arrays, one for each of {@code tensors}. */
    static List<DenseMatrix> allocate(List<Tensor> tensors, int n) {
        List<DenseMatrix> rows = new ArrayList<>();
        for (Tensor tensor : tensors) {
            rows.add(new DenseMatrix(n, tensor.cols(), new float[Math.multiplyExact(n, tensor.cols())]));
        }
        return rows;
    }

    /** Each tensor into rows {@code first ..} of its host array. */
    static void downloadRows(Backend backend, List<Tensor> tensors, List<DenseMatrix> into, int first) {
        for (int k = 0; k < tensors.size(); k++) {
            Tensor tensor = tensors.get(k);
            float[] values = new float[tensor.rows() * tensor.cols()];
            backend.download(tensor, values);
            System.arraycopy(values, 0, into.get(k).data(), first * tensor.cols(), values.length);
        }
    }

    /** Rows [start, end) of each host array on the backend. */
    static List<Tensor> uploadRows(Backend backend, List<DenseMatrix> from, int start, int end,
                                           List<Object> owned) {
        List<Tensor> tensors = new ArrayList<>();
        for (DenseMatrix all : from) {
            int cols = all.cols();
            tensors.add(own(owned, backend.upload(new DenseMatrix(end - start, cols,
                    Arrays.copyOfRange(all.data(), start * cols, end * cols)))));
        }
        return tensors;
    }

    private record ChunkResult(float[] output, float[] attention) {
    }

    /** One layer's output for the targets [start, end), and their attention when asked for. */
    private static ChunkResult chunk(Backend backend, Source graph, RowRange layerInput, NodeRows projected,
                                     LayerParameters layer, int start, int end, boolean keepAttention) {
        LayerSpec spec = layer.spec;
        int targets = end - start;
        List<Object> owned = new ArrayList<>();
        try {
            Attended attended = attend(backend, graph.targetSlice(start, end), graph.slotFeatures(start, end),
                    (chunkGraph, edges, targetTensors) -> layer.variant.bindProjected(backend, chunkGraph, spec,
                            layer.byName, layer.prefix, edges, layer.sourceTensors, targetTensors),
                    spec, projected.target(), start, end, owned);
            Tensor output = attended.output();
            if (layer.residual != null) {
                Tensor targetInput = own(owned, backend.upload(layerInput.rows(start, end)));
                Tensor residual = own(owned, backend.zeros(targets, spec.outputDim()));
                backend.linear(targetInput, null, layer.residual.value(), null, residual);
                backend.add(output, residual);
            }
            backend.addBias(output, layer.bias.value());
            if (spec.elu()) {
                backend.elu(output, output);
            }
            float[] result = new float[targets * spec.outputDim()];
            backend.download(output, result);
            return new ChunkResult(result, keepAttention ? download(backend, attended.attention()) : null);
        } finally {
            owned.forEach(backend::release);
        }
    }

    /** A chunk's attention [slots, heads] after the softmax, and its aggregated messages [targets, outputDim]. */
    record Attended(Tensor attention, Tensor output) {
    }

    /** A scorer on a chunk's graph reading the given target tensors (the source tensors are the binder's). */
    @FunctionalInterface
    interface ProjectedBinder {
        AttentionVariant.Scorer bind(GraphTensor chunkGraph, Tensor edgeFeatures, List<Tensor> targetTensors);
    }

    /**
     * The targets [start, end) of {@code slice}'s graph: their slots scored from the projected node tensors
     * ({@code targetRows}: every target's rows, of which these targets' are read), the softmax over each target's
     * slots and the attention-weighted sum of the messages; no bias. The tensors returned are in {@code owned}.
     */
    static Attended attend(Backend backend, IncomingCsr slice, DenseMatrix slotFeatures, ProjectedBinder binder,
                           LayerSpec spec, List<DenseMatrix> targetRows, int start, int end, List<Object> owned) {
        AttentionVariant.Scorer scorer = null;
        try {
            GraphTensor chunkGraph = own(owned, backend.upload(slice));
            Tensor edges = slotFeatures == null ? null : own(owned, backend.upload(slotFeatures));
            scorer = binder.bind(chunkGraph, edges, uploadRows(backend, targetRows, start, end, owned));
            Tensor alpha = own(owned, backend.zeros(slice.slotCount(), spec.heads()));
            scorer.score(alpha);
            backend.edgeSoftmax(chunkGraph, alpha);
            Tensor output = own(owned, backend.zeros(end - start, spec.outputDim()));
            backend.aggregate(chunkGraph, alpha, null, scorer.sourceTensors().get(0), spec.concat(), output);
            return new Attended(alpha, output);
        } finally {
            if (scorer != null) {
                scorer.release();
            }
        }
    }

    /** A tensor's values on the host. */
    static float[] download(Backend backend, Tensor tensor) {
        float[] values = new float[Math.multiplyExact(tensor.rows(), tensor.cols())];
        backend.download(tensor, values);
        return values;
    }

    static <T> T own(List<Object> owned, T tensor) {
        owned.add(tensor);
        return tensor;
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

    /**
     * One layer's parameters on the backend, by name ({@link GatLayer#parameterShapes}), and the variant that
     * binds them to a graph.
     */
    private static final class LayerParameters {
        private final Backend backend;
        final String prefix;
        final LayerSpec spec;
        final AttentionVariant variant;
        final Map<String, Parameter> byName = new LinkedHashMap<>();
        final Parameter residual;
        final Parameter bias;
        /** The sources' node tensors of the layer's projection, once computed. */
        final List<Tensor> sourceTensors = new ArrayList<>();

        LayerParameters(Backend backend, TrainedModel model, LayerSpec spec, String prefix) {
            this.backend = backend;
            this.prefix = prefix;
            this.spec = spec;
            this.variant = AttentionVariant.of(spec.variant());
            try {
                for (ParameterShape shape : GatLayer.parameterShapes(spec, prefix)) {
                    byName.put(shape.name(), new Parameter(backend, shape.name(), model.weights().get(shape.name())));
                }
            } catch (RuntimeException e) {
                release();
                throw e;
            }
            residual = byName.get(prefix + "weight_res");
            bias = AttentionVariant.require(byName, prefix + "bias");
        }

        /** The variant's own scorer on {@code graph}, with its relationship features per slot (null for none). */
        AttentionVariant.Scorer bind(Backend backend, GraphTensor graph, Tensor edgeFeatures) {
            return variant.bind(backend, graph, spec, byName, prefix, edgeFeatures);
        }

        void release() {
            byName.values().forEach(p -> backend.release(p.value()));
            sourceTensors.forEach(backend::release);
        }
    }
}
