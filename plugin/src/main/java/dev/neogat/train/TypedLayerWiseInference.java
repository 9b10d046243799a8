package dev.neogat.train;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.AttentionVariant;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.Parameter;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatLayer;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.TypedLayerSpec;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToLongFunction;

/**
 * Layer-wise inference of a typed model: the outputs of {@link TypedInference#run} (logits, embeddings, attention of
 * every relation, relation weights), exactly (no sampling), in memory bounded by a budget, as
 * {@link LayerWiseInference} does for an untyped model and with its planning and chunk pieces.
 *
 * <p>Layer by layer: first each active relation's attention variant projects its sources (and, between two node
 * types, its targets) over row ranges into [rows, ·] host arrays, the source side uploaded once for the layer
 * ({@link LayerWiseInference#project}). Then each output type's nodes are taken in chunks of consecutive rows; for a
 * chunk every relation into the type scores its slice of slots from those node tensors, takes the softmax over each
 * target's slots and the weighted sum of the messages, plus the relation's bias ({@link LayerWiseInference#attend});
 * the relations are combined as the full layer combines them ('sum', 'mean', 'attention'), then the residual, or the
 * skip projection of a type no relation points into, and ELU. The output rows are kept for the next layer (not after
 * the last, whose rows go straight to the consumer). A featureless type's input is read per range: its learned label
 * vector repeated, or its nodes' trained rows; relationship features are read per slot of each slice.
 *
 * <p>Semantic attention ('attention' with two or more relations into a type) weighs each relation by β, a softmax
 * of {@code w_r = (1/n) Σ_i q·tanh(z_r[i]·W + b)} over every node of the type: no chunk can be finished before every
 * chunk's {@code z_r} is known. Such a type therefore takes two passes over its chunks: the first computes each
 * chunk's {@code z_r} and adds the column sums of {@code tanh(z_r·W + b)} into one double vector per relation (then
 * drops the chunk), which gives β exactly; the second computes the chunks again and combines them with that β. The
 * extra cost is one more attention pass over that type's relations; the memory is the same as one pass. β differs
 * from the full layer's only by the order in which the column sums are added (float rounding, ~1e-7 relative);
 * 'sum' and 'mean' run the same operations in the same order as the full layer, row by row, so their results are
 * the full-batch ones bit for bit on the CPU backend, at any thread count.
 *
 * <p>Held at once ({@link Plan#residentBytes()}, the most over the layers): every type's previous output (not the
 * features, which are the caller's), every output type's current output (not in the last layer), each active
 * relation's node tensors over its larger side and its chunk graph's outgoing index, plus what the caller keeps
 * ({@code keptBytes}: a collector's arrays). A chunk of t rows of a type takes, per relation into it, the untyped
 * chunk's bytes ({@link LayerWiseInference#chunkBytes}) for its t targets and their slots, plus per row the
 * combination's two [outputDim] rows and the semantic hidden row, plus the rows of its input read for the residual
 * or skip projection; a projection range takes the untyped projection's bytes of its source and target rows.
 * Chunks and ranges grow row by row while they fit the budget minus the resident bytes
 * ({@link LayerWiseInference#splitRows}); a budget that cannot hold the resident bytes and the largest single-row
 * chunk is refused, naming the minimum.
 */
public final class TypedLayerWiseInference {

    /** Receives the results chunk by chunk; every array handed over is the consumer's to keep. */
    public interface Consumer {
        /** Logits of the target type's nodes [first, end), [end - first, classes] row-major. */
        default void logits(int first, int end, float[] values) {
        }

        /** Output (after ELU) of hidden layer {@code layer} for the nodes [first, end) of {@code type}. */
        default void embeddings(int layer, String type, int first, int end, float[] values) {
        }

        /**
         * Attention of {@code relation} in layer {@code layer} on the incoming slots of its targets [first, end):
         * its graph's slots {@code firstSlot ..}, [slots, heads] row-major.
         */
        default void attention(int layer, Relation relation, int first, int end, int firstSlot, float[] values) {
        }

        /** The weight of each relation into {@code type} at {@code layer} (1, 1/R or β), before its chunks. */
        default void relationWeights(int layer, String type, double[] weights) {
        }

        /** After each chunk: chunks done of all chunks of all layers. */
        default void progress(long chunksDone, long chunkTotal) {
        }
    }

    /**
     * How a run splits its work: per layer, chunk boundaries over each output type's rows and projection ranges
     * per active relation; the bytes held across chunks and the most a chunk may take.
     */
    public record Plan(long budgetBytes, long residentBytes, long chunkBudgetBytes,
                       List<Map<String, int[]>> chunks, List<Map<Relation, int[]>> projectionRanges,
                       long chunkCount) {
    }

    private TypedLayerWiseInference() {
    }

    /**
     * Splits a run of {@code config} over {@code graph} within {@code budgetBytes}, of which the caller keeps
     * {@code keptBytes}; fails with the minimum budget when even one row per chunk does not fit.
     */
    public static Plan plan(TypedGatConfig config, TypedGraph graph, Map<String, FeatureMatrix> features,
                            long budgetBytes, long keptBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("The memory budget must be positive, got " + budgetBytes + " bytes");
        }
        long resident = 0;
        for (int l = 0; l < config.layers(); l++) {
            TypedLayerSpec spec = config.layer(l);
            long bytes = keptBytes;
            for (String type : config.nodeTypes()) {
                long n = graph.nodeCount(type);
                bytes += (l > 0 ? 4 * n * spec.inputWidth(type) : 0)
                        + (!config.isOutputLayer(l) && spec.outputTypes().contains(type) ? 4 * n * spec.outputDim() : 0);
            }
            for (Relation r : spec.activeRelations()) {
                long rows = Math.max(graph.nodeCount(r.sourceType()), graph.nodeCount(r.targetType()));
                bytes += 4 * LayerWiseInference.nodeFloats(spec.relationSpec(r), rows) + 8 * rows;
            }
            resident = Math.max(resident, bytes);
        }
        long chunkBudget = budgetBytes - resident;
        long largestSingle = 0;
        long chunkCount = 0;
        List<Map<String, int[]>> chunks = new ArrayList<>();
        List<Map<Relation, int[]>> projections = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            TypedLayerSpec spec = config.layer(l);
            boolean first = l == 0;
            Map<Relation, int[]> ranges = new LinkedHashMap<>();
            for (Relation r : spec.activeRelations()) {
                LayerSpec relation = spec.relationSpec(r);
                int sources = graph.nodeCount(r.sourceType());
                int targets = r.isBipartite() ? graph.nodeCount(r.targetType()) : 0;
                IntToLongFunction sourceRow = inputRowBytes(config, spec, features, r.sourceType(), first);
                IntToLongFunction targetRow = inputRowBytes(config, spec, features, r.targetType(), first);
                IntToLongFunction rowBytes = row -> LayerWiseInference.projectionBytes(relation,
                        (row < sources ? sourceRow.applyAsLong(row) : 0)
                                + (row < targets ? targetRow.applyAsLong(row) : 0));
                int rows = Math.max(sources, targets);
                for (int i = 0; i < rows; i++) {
                    largestSingle = Math.max(largestSingle, rowBytes.applyAsLong(i));
                }
                if (chunkBudget >= largestSingle) {
                    ranges.put(r, LayerWiseInference.splitRows(rows, chunkBudget, rowBytes, (s, e, sum) -> sum));
                }
            }
            Map<String, int[]> bounds = new LinkedHashMap<>();
            for (String type : spec.outputTypes()) {
                IntToLongFunction inputRow = inputRowBytes(config, spec, features, type, first);
                LayerWiseInference.RangeBytes chunk = (s, e, inputBytes) -> typeChunkBytes(spec, graph, type, s, e,
                        inputBytes);
                int n = graph.nodeCount(type);
                for (int i = 0; i < n; i++) {
                    largestSingle = Math.max(largestSingle, chunk.bytes(i, i + 1, inputRow.applyAsLong(i)));
                }
                if (chunkBudget >= largestSingle) {
                    int[] split = LayerWiseInference.splitRows(n, chunkBudget, inputRow, chunk);
                    bounds.put(type, split);
                    chunkCount += (long) (split.length - 1) * (spec.usesSemanticAttention(type) ? 2 : 1);
                }
            }
            chunks.add(bounds);
            projections.add(ranges);
        }
        LayerWiseInference.requireFits(budgetBytes, resident, largestSingle);
        return new Plan(budgetBytes, resident, chunkBudget, chunks, projections, chunkCount);
    }

    /** Bytes of a chunk of the rows [start, end) of {@code type} (see the class comment). */
    private static long typeChunkBytes(TypedLayerSpec spec, TypedGraph graph, String type, int start, int end,
                                       long inputBytes) {
        long targets = end - start;
        long bytes = inputBytes + targets * 4L * (2L * spec.outputDim()
                + (spec.usesSemanticAttention(type) ? spec.semanticDim() : 0));
        for (Relation r : spec.relationsInto(type)) {
            int[] offsets = graph.graph(r).offsets();
            bytes += LayerWiseInference.chunkBytes(spec.relationSpec(r), targets, offsets[end] - offsets[start], 0);
        }
        return bytes;
    }

    /**
     * Bytes of one row of a type's input to layer {@code spec}: a feature row (twice, for its normalised copy), a
     * learned input row, or a hidden row.
     */
    private static IntToLongFunction inputRowBytes(TypedGatConfig config, TypedLayerSpec spec,
                                                   Map<String, FeatureMatrix> features, String type, boolean first) {
        FeatureMatrix x = features.get(type);
        if (!first || x == null) {
            return row -> 4L * spec.inputWidth(type);
        }
        return row -> 2 * LayerWiseInference.featureRowBytes(x, row);
    }

    /** As {@link #run} with the model's config and weights, collecting what {@code request} asks for. */
    public static TypedPrediction predict(Backend backend, TypedTrainedModel model, TypedGraph graph,
                                          Map<String, FeatureMatrix> features,
                                          Map<Relation, FeatureMatrix> relationshipFeatures,
                                          Map<String, int[]> embeddingRows, long budgetBytes,
                                          Inference.Request request, TerminationFlag terminationFlag) {
        TypedPredictionCollector collector = new TypedPredictionCollector(model.config(), graph, request);
        run(backend, model.config(), model.weights(), graph, features, relationshipFeatures, embeddingRows,
                budgetBytes, collector.keptBytes(), request, collector, terminationFlag);
        return collector.prediction();
    }

    /**
     * Runs the model over {@code graph} layer by layer within {@code budgetBytes} (see the class comment), of which
     * the consumer keeps {@code keptBytes}, handing each chunk's results to {@code consumer}: logits always,
     * attention and hidden outputs as {@code request} asks. The inputs are those of {@link TypedInference#run}.
     * {@code terminationFlag} is asked between chunks and projection ranges.
     */
    public static Plan run(Backend backend, TypedGatConfig config, Weights weights, TypedGraph graph,
                           Map<String, FeatureMatrix> features, Map<Relation, FeatureMatrix> relationshipFeatures,
                           Map<String, int[]> embeddingRows, long budgetBytes, long keptBytes,
                           Inference.Request request, Consumer consumer, TerminationFlag terminationFlag) {
        TypedInference.requireInput(config, graph, features);
        TypedInference.requireEmbeddingRows(config, embeddingRows);
        weights.requireMatches(TypedGatNetwork.parameterShapes(config));
        config.featureless().forEach((type, input) -> {
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                TypedInference.requireTrainedRows(type, weights, graph.nodeCount(type), embeddingRows.get(type));
            }
        });
        Map<Relation, DenseMatrix> perEdge = perEdgeFeatures(config, graph, TypedTrainer.dense(relationshipFeatures));
        Plan plan = plan(config, graph, features, budgetBytes, keptBytes);
        Progress progress = new Progress(consumer, plan.chunkCount());
        Map<String, DenseMatrix> hidden = null;
        for (int l = 0; l < config.layers(); l++) {
            terminationFlag.assertRunning();
            Map<String, LayerWiseInference.RowRange> inputs = new LinkedHashMap<>();
            for (String type : config.nodeTypes()) {
                inputs.put(type, hidden == null ? firstLayerInput(config, weights, features, embeddingRows, type)
                        : rowsOf(hidden.get(type)));
            }
            Layer layer = new Layer(backend, config, weights, l, graph, perEdge, inputs, plan, terminationFlag);
            try {
                hidden = layer.run(request, consumer, progress, terminationFlag);
            } finally {
                layer.release();
            }
        }
        return plan;
    }

    private static LayerWiseInference.RowRange rowsOf(DenseMatrix matrix) {
        return (start, end) -> LayerWiseInference.rows(matrix, start, end);
    }

    /** The first layer's rows of a type: its features (normalised as the model does), or its learned input. */
    private static LayerWiseInference.RowRange firstLayerInput(TypedGatConfig config, Weights weights,
                                                               Map<String, FeatureMatrix> features,
                                                               Map<String, int[]> embeddingRows, String type) {
        FeaturelessInput learned = config.featureless().get(type);
        if (learned == null) {
            FeatureMatrix x = features.get(type);
            boolean normalize = config.normalizeFeatures();
            // Row scaling is per row, so scaling a range's rows equals scaling them all (TypedInference.modelInput).
            return (start, end) -> {
                FeatureMatrix rows = LayerWiseInference.rows(x, start, end);
                return normalize ? rows.rowNormalized() : rows;
            };
        }
        if (learned.mode() == FeaturelessInput.Mode.NODE) {
            int[] rows = embeddingRows.get(type);
            return (start, end) -> TypedInference.trainedRows(type, weights, rows, start, end);
        }
        DenseMatrix vector = weights.get(TypedGatNetwork.embeddingName(type));
        return (start, end) -> {
            float[] repeated = new float[Math.multiplyExact(end - start, vector.cols())];
            for (int i = 0; i < end - start; i++) {
                System.arraycopy(vector.data(), 0, repeated, i * vector.cols(), vector.cols());
            }
            return new DenseMatrix(end - start, vector.cols(), repeated);
        };
    }

    /** Each relation's relationship features per edge, as {@link TypedGatNetwork} reads them. */
    private static Map<Relation, DenseMatrix> perEdgeFeatures(TypedGatConfig config, TypedGraph graph,
                                                              Map<Relation, DenseMatrix> given) {
        Map<Relation, DenseMatrix> perEdge = new LinkedHashMap<>();
        TypedGatNetwork.relationshipFeatureSources(config, graph, given)
                .forEach((relation, reads) -> perEdge.put(relation, given.get(reads)));
        return perEdge;
    }

    /** Counts chunks across layers and hands each count to the consumer. */
    private static final class Progress {
        private final Consumer consumer;
        private final long total;
        private long done;

        Progress(Consumer consumer, long total) {
            this.consumer = consumer;
            this.total = total;
        }

        void chunkDone() {
            consumer.progress(++done, total);
        }
    }

    /** One layer on the backend: its parameters, each relation's projected node tensors, its chunks. */
    private static final class Layer {
        private final Backend backend;
        private final TypedGatConfig config;
        private final TypedLayerSpec spec;
        private final int index;
        private final String prefix;
        private final TypedGraph graph;
        private final Map<Relation, DenseMatrix> perEdge;
        private final Map<String, LayerWiseInference.RowRange> inputs;
        private final Plan plan;
        private final Map<String, Parameter> byName = new LinkedHashMap<>();
        /** Per active relation: its source side's node tensors on the backend, its target side's rows on the host. */
        private final Map<Relation, List<Tensor>> sourceTensors = new LinkedHashMap<>();
        private final Map<Relation, List<DenseMatrix>> targetRows = new LinkedHashMap<>();

        Layer(Backend backend, TypedGatConfig config, Weights weights, int index, TypedGraph graph,
              Map<Relation, DenseMatrix> perEdge, Map<String, LayerWiseInference.RowRange> inputs, Plan plan,
              TerminationFlag terminationFlag) {
            this.backend = backend;
            this.config = config;
            this.spec = config.layer(index);
            this.index = index;
            this.prefix = TypedGatConfig.layerPrefix(index);
            this.graph = graph;
            this.perEdge = perEdge;
            this.inputs = inputs;
            this.plan = plan;
            try {
                for (ParameterShape shape : TypedGatLayer.parameterShapes(spec, prefix)) {
                    byName.put(shape.name(), new Parameter(backend, shape.name(), weights.get(shape.name())));
                }
                for (Relation r : spec.activeRelations()) {
                    LayerWiseInference.NodeRows projected = LayerWiseInference.project(backend,
                            (nodesOnly, edges) -> variant().bind(backend, nodesOnly, spec.relationSpec(r), sides(r),
                                    byName, relationPrefix(r), edges),
                            spec.edgeDim(r), graph.nodeCount(r.sourceType()), inputs.get(r.sourceType()),
                            graph.nodeCount(r.targetType()), r.isBipartite() ? inputs.get(r.targetType()) : null,
                            plan.projectionRanges().get(index).get(r), terminationFlag);
                    List<Tensor> uploaded = new ArrayList<>();
                    sourceTensors.put(r, uploaded);
                    for (DenseMatrix rows : projected.source()) {
                        uploaded.add(backend.upload(rows));
                    }
                    targetRows.put(r, projected.target());
                }
            } catch (RuntimeException e) {
                release();
                throw e;
            }
        }

        private AttentionVariant variant() {
            return AttentionVariant.of(spec.variant());
        }

        private AttentionVariant.Sides sides(Relation r) {
            return AttentionVariant.Sides.relation(spec.relationSpec(r), r.isBipartite(),
                    spec.inputWidth(r.targetType()));
        }

        private String relationPrefix(Relation r) {
            return TypedLayerSpec.relationPrefix(prefix, r);
        }

        private Parameter typeParameter(String type, String name) {
            return AttentionVariant.require(byName, TypedLayerSpec.typePrefix(prefix, type) + name);
        }

        /** Every output type's rows; the outputs kept for the next layer (none after the last). */
        Map<String, DenseMatrix> run(Inference.Request request, Consumer consumer, Progress progress,
                                     TerminationFlag terminationFlag) {
            boolean last = config.isOutputLayer(index);
            int out = spec.outputDim();
            Map<String, DenseMatrix> outputs = new LinkedHashMap<>();
            for (String type : spec.outputTypes()) {
                int n = graph.nodeCount(type);
                int[] bounds = plan.chunks().get(index).get(type);
                List<Relation> into = spec.relationsInto(type);
                double[] weights = new double[into.size()];
                Arrays.fill(weights, spec.aggregation() == RelationAggregation.MEAN ? 1.0 / into.size() : 1.0);
                if (spec.usesSemanticAttention(type)) {
                    weights = semanticWeights(type, into, bounds, progress, terminationFlag);
                }
                if (!into.isEmpty()) {
                    consumer.relationWeights(index, type, weights.clone());
                }
                float[] kept = last ? null : new float[Math.multiplyExact(n, out)];
                for (int c = 0; c + 1 < bounds.length; c++) {
                    terminationFlag.assertRunning();
                    int start = bounds[c];
                    int end = bounds[c + 1];
                    float[] rows = chunk(type, into, weights, start, end, request.attention(), consumer);
                    if (last) {
                        consumer.logits(start, end, rows);
                    } else {
                        System.arraycopy(rows, 0, kept, start * out, rows.length);
                        if (request.embeddings()) {
                            consumer.embeddings(index, type, start, end, rows);
                        }
                    }
                    progress.chunkDone();
                }
                if (!last) {
                    outputs.put(type, new DenseMatrix(n, out, kept));
                }
            }
            return outputs;
        }

        /** The relations' outputs z_r [targets, outputDim] (bias included) for the rows [start, end) of their type. */
        private List<Tensor> relationOutputs(List<Relation> into, int start, int end, List<Object> owned,
                                             List<Tensor> attention) {
            List<Tensor> outputs = new ArrayList<>();
            for (Relation r : into) {
                IncomingCsr relationGraph = graph.graph(r);
                DenseMatrix edges = perEdge.get(r);
                LayerSpec relation = spec.relationSpec(r);
                LayerWiseInference.Attended attended = LayerWiseInference.attend(backend,
                        relationGraph.targetSlice(start, end),
                        edges == null ? null : EdgeFeatures.perSlot(relationGraph, edges, start, end),
                        (chunkGraph, slotFeatures, targetTensors) -> variant().bindProjected(backend, chunkGraph,
                                relation, sides(r), byName, relationPrefix(r), slotFeatures, sourceTensors.get(r),
                                targetTensors),
                        relation, targetRows.get(r), start, end, owned);
                backend.addBias(attended.output(), AttentionVariant.require(byName, relationPrefix(r) + "bias")
                        .value());
                outputs.add(attended.output());
                attention.add(attended.attention());
            }
            return outputs;
        }

        /**
         * The first pass of a type with semantic attention: β from the column sums of tanh(z_r·W + b) over every
         * chunk, added in double (see the class comment).
         */
        private double[] semanticWeights(String type, List<Relation> into, int[] bounds, Progress progress,
                                         TerminationFlag terminationFlag) {
            Parameter weight = typeParameter(type, "semantic.weight");
            Parameter bias = typeParameter(type, "semantic.bias");
            float[] query = LayerWiseInference.download(backend, typeParameter(type, "semantic.query").value());
            int dim = spec.semanticDim();
            double[][] sums = new double[into.size()][dim];
            for (int c = 0; c + 1 < bounds.length; c++) {
                terminationFlag.assertRunning();
                int start = bounds[c];
                int end = bounds[c + 1];
                List<Object> owned = new ArrayList<>();
                try {
                    List<Tensor> z = relationOutputs(into, start, end, owned, new ArrayList<>());
                    Tensor hiddenRows = LayerWiseInference.own(owned, backend.zeros(end - start, dim));
                    Tensor columnSums = LayerWiseInference.own(owned, backend.zeros(1, dim));
                    for (int r = 0; r < z.size(); r++) {
                        backend.linear(z.get(r), null, weight.value(), bias.value(), hiddenRows);
                        backend.tanh(hiddenRows, hiddenRows);
                        backend.biasBackward(hiddenRows, columnSums);
                        float[] chunkSums = LayerWiseInference.download(backend, columnSums);
                        for (int a = 0; a < dim; a++) {
                            sums[r][a] += chunkSums[a];
                        }
                    }
                } finally {
                    owned.forEach(backend::release);
                }
                progress.chunkDone();
            }
            int n = graph.nodeCount(type);
            double[] scores = new double[into.size()];
            for (int r = 0; r < scores.length; r++) {
                double dot = 0;
                for (int a = 0; a < dim; a++) {
                    dot += sums[r][a] * query[a];
                }
                scores[r] = n == 0 ? 0 : dot / n;
            }
            return TypedGatLayer.semanticSoftmax(scores);
        }

        /** The output rows [start, end) of {@code type}, as the full layer computes them; attention to the consumer. */
        private float[] chunk(String type, List<Relation> into, double[] weights, int start, int end,
                              boolean keepAttention, Consumer consumer) {
            int targets = end - start;
            List<Object> owned = new ArrayList<>();
            try {
                Tensor output = LayerWiseInference.own(owned, backend.zeros(targets, spec.outputDim()));
                if (into.isEmpty()) {
                    Tensor x = LayerWiseInference.own(owned, backend.upload(inputs.get(type).rows(start, end)));
                    backend.linear(x, null, typeParameter(type, "skip.weight").value(),
                            typeParameter(type, "skip.bias").value(), output);
                } else {
                    List<Tensor> attention = new ArrayList<>();
                    List<Tensor> z = relationOutputs(into, start, end, owned, attention);
                    if (spec.aggregation() == RelationAggregation.SUM) {
                        backend.copy(z.get(0), output);
                        for (int r = 1; r < z.size(); r++) {
                            backend.add(output, z.get(r));
                        }
                    } else {
                        for (int r = 0; r < z.size(); r++) {
                            backend.scaledAdd(output, (float) weights[r], z.get(r));
                        }
                    }
                    if (spec.residual()) {
                        Tensor x = LayerWiseInference.own(owned, backend.upload(inputs.get(type).rows(start, end)));
                        Tensor residual = LayerWiseInference.own(owned, backend.zeros(targets, spec.outputDim()));
                        backend.linear(x, null, typeParameter(type, "res.weight").value(), null, residual);
                        backend.add(output, residual);
                    }
                    if (keepAttention) {
                        for (int r = 0; r < into.size(); r++) {
                            Relation relation = into.get(r);
                            consumer.attention(index, relation, start, end, graph.graph(relation).offsets()[start],
                                    LayerWiseInference.download(backend, attention.get(r)));
                        }
                    }
                }
                if (spec.elu()) {
                    backend.elu(output, output);
                }
                return LayerWiseInference.download(backend, output);
            } finally {
                owned.forEach(backend::release);
            }
        }

        void release() {
            byName.values().forEach(p -> backend.release(p.value()));
            sourceTensors.values().forEach(tensors -> tensors.forEach(backend::release));
        }
    }
}
