package dev.neogat.model;

import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.AttentionVariant;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.TypedLayerSpec;
import dev.neogat.spec.Variant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bytes a training (or an inference) of a model needs on the CPU backend, before anything runs:
 * graph, features, parameters with gradients and Adam moments, activations, gradients of activations,
 * and dropout masks, of an untyped ({@link #of}) or a typed ({@link #typed}) model. Each part follows the
 * arrays the engine allocates; EngineBenchmark's scaling run prints it next to the measured peak heap.
 */
public record MemoryEstimate(long graphBytes, long featureBytes, long parameterBytes, long activationBytes,
                             long gradientBytes, long maskBytes) {

    /**
     * @param nodes          nodes of the graph
     * @param slots          message edges including self loops
     * @param originalEdges  edges as stored (each maps to one or two slots)
     * @param featureValues  stored feature values (rows × columns when dense, non-zeros when sparse); the
     *                       relationship features per stored edge and per slot ((edges + slots) × edgeDim)
     *                       come on top
     * @param sparseFeatures whether features are stored sparse (then a transposed copy is kept too)
     * @param training       whether gradients and optimiser state are needed
     */
    public static MemoryEstimate of(GatConfig config, long nodes, long slots, long originalEdges, long featureValues,
                                    boolean sparseFeatures, boolean training) {
        long graph = 4 * (2 * (nodes + 1) + 4 * slots + 2 * originalEdges + nodes);
        long features = (sparseFeatures ? 4 * (nodes + 1) + 8 * featureValues + (training ? 12 * featureValues : 0)
                : 4 * featureValues) + 4 * (originalEdges + slots) * config.edgeDim();
        long parameterCount = GatNetwork.parameterShapes(config).stream().mapToLong(ParameterShape::size).sum();
        long parameters = 4 * parameterCount * (training ? 4 : 1);
        long activations = 0;
        long gradients = 0;
        long masks = 0;
        int masksPerStep = 0;
        for (int l = 0; l < config.layerCount(); l++) {
            LayerSpec layer = config.layer(l);
            long width = layer.width();
            long heads = layer.heads();
            long out = layer.outputDim();
            AttentionVariant variant = AttentionVariant.of(layer.variant());
            long perNode = out * (layer.residual() ? 2 : 1)
                    + (training && layer.messageDropout() > 0 ? width : 0);
            activations += 4 * (variant.activationFloats(layer, nodes, slots) + nodes * perNode + slots * heads);
            if (training) {
                long gradientPerNode = width + out + (layer.messageDropout() > 0 ? width : 0);
                gradients += 4 * (variant.gradientFloats(layer, nodes, slots) + nodes * gradientPerNode
                        + slots * heads);
                // Only a dropout with a rate above 0 draws a mask (per head for a per-head input dropout).
                long inputElements = l == 0 ? featureValues : nodes * config.inputDim(l);
                long inputMasks = layer.featureDropout() > 0 ? (config.inputDropoutPerHead() ? heads : 1) : 0;
                boolean attentionDropout = layer.attentionDropout() > 0;
                boolean messageDropout = layer.messageDropout() > 0;
                masks += (inputElements * inputMasks + (attentionDropout ? slots * heads : 0)
                        + (messageDropout ? nodes * width : 0)) / 8;
                masksPerStep += inputMasks + (attentionDropout ? 1 : 0) + (messageDropout ? 1 : 0);
            }
        }
        return new MemoryEstimate(graph, features, parameters, activations, gradients,
                masks * stepsOfMasksKept(masksPerStep));
    }

    /**
     * Bytes a training (or an inference) of a typed model needs on the CPU backend: per relation its graph,
     * relationship features (per stored edge and per slot), scores, attention and output, and the gradients of
     * those (GAT between two types also the gradient of the targets' own projection); per node type its features,
     * output (and residual), semantic attention's hidden states, and the learned input of a featureless type; the
     * gradient of the logits; all parameters with gradients and Adam moments; dropout mask bits, of as many steps as
     * the CPU backend's mask cache keeps ({@link #CPU_MASKS_KEPT} masks). The counts are per node type and per
     * relation as the {@link TypedGraph} holds them; TypedMemoryEstimateTest holds them to what a step allocates.
     *
     * @param nodes          nodes per node type
     * @param slots          message slots per relation (its edges, reversed copies and self loops included)
     * @param originalEdges  edges per relation as stored (the relationship features' rows)
     * @param featureValues  stored feature values per node type with features (rows × columns when dense)
     * @param training       whether gradients and optimiser state are needed
     */
    public static MemoryEstimate typed(TypedGatConfig config, Map<String, Long> nodes, Map<Relation, Long> slots,
                                       Map<Relation, Long> originalEdges, Map<String, Long> featureValues,
                                       boolean training) {
        long graph = 0;
        long features = 0;
        for (Relation r : config.relations()) {
            long targets = nodes.get(r.targetType());
            long sources = nodes.get(r.sourceType());
            long relationSlots = slots.get(r);
            long edges = originalEdges.get(r);
            // Incoming offsets, outgoing offsets of the sources, per slot source, edge and both out-maps, per edge
            // its two slots, and the self-loop slot of each target (as the untyped count).
            graph += 4 * ((targets + 1) + (sources + 1) + 4 * relationSlots + 2 * edges + targets);
            features += 4 * (edges + relationSlots) * config.edgeDim(r);
        }
        for (long values : featureValues.values()) {
            features += 4 * values;
        }
        long parameterCount = TypedGatNetwork.parameterShapes(config).stream().mapToLong(ParameterShape::size).sum();
        long parameters = 4 * parameterCount * (training ? 4 : 1);
        long activations = 0;
        long gradients = 0;
        long masks = 0;
        int masksPerStep = 0;
        for (Map.Entry<String, FeaturelessInput> e : config.featureless().entrySet()) {
            if (e.getValue().mode() == FeaturelessInput.Mode.LABEL) {
                // The one learned vector broadcast to every node of the type, and its gradient.
                long broadcast = nodes.get(e.getKey()) * e.getValue().width();
                activations += 4 * broadcast;
                gradients += training ? 4 * broadcast : 0;
            }
        }
        for (int l = 0; l < config.layers(); l++) {
            TypedLayerSpec layer = config.layer(l);
            AttentionVariant variant = AttentionVariant.of(layer.variant());
            long heads = layer.heads();
            long width = layer.width();
            long out = layer.outputDim();
            boolean messageDropout = training && layer.messageDropout() > 0;
            for (Relation r : layer.activeRelations()) {
                LayerSpec spec = layer.relationSpec(r);
                long targets = nodes.get(r.targetType());
                long sources = nodes.get(r.sourceType());
                long relationSlots = slots.get(r);
                // A relation between two types projects and scores both sides (GATv2 is then counted with two
                // projections per side where it has one: the estimate leans high there, about 1.2x).
                long scored = r.isBipartite() ? sources + targets : targets;
                activations += 4 * (variant.activationFloats(spec, scored, relationSlots) + relationSlots * heads
                        + targets * out + (messageDropout ? sources * width : 0));
                if (training) {
                    // GAT between two types keeps the targets' own projection's gradient [targets, width] too, and
                    // the gradient of the attention vector the other side's scores leave unused [heads, channels].
                    boolean targetProjection = r.isBipartite() && layer.variant() == Variant.GAT;
                    gradients += 4 * (variant.gradientFloats(spec, scored, relationSlots) + sources * width
                            + relationSlots * heads + (messageDropout ? sources * width : 0)
                            + (targetProjection ? targets * width + width : 0));
                    boolean attentionDropout = layer.attentionDropout() > 0;
                    masks += ((attentionDropout ? relationSlots * heads : 0) + (messageDropout ? sources * width : 0))
                            / 8;
                    masksPerStep += (attentionDropout ? 1 : 0) + (messageDropout ? 1 : 0);
                }
            }
            for (String type : layer.outputTypes()) {
                long n = nodes.get(type);
                int into = layer.relationsInto(type).size();
                boolean residual = into > 0 && layer.residual();
                boolean semantic = layer.usesSemanticAttention(type);
                activations += 4 * (n * out * (residual ? 2 : 1)
                        + (semantic ? into * (n + 1) * layer.semanticDim() : 0));
                if (training) {
                    // Summed relations share the output's gradient; a mean or semantic attention gives them one.
                    boolean combined = layer.aggregation() == RelationAggregation.MEAN || semantic;
                    // The gradient of this output (kept by the network for every layer but the last; the logits'
                    // for the target type of the last), the relations' shared one, semantic attention's.
                    long outputGradient = !config.isOutputLayer(l) ? n * out
                            : type.equals(config.targetType()) ? n * out : 0;
                    gradients += 4 * (outputGradient + (combined ? n * out : 0)
                            + (semantic ? n * layer.semanticDim() : 0));
                }
            }
            if (training && layer.featureDropout() > 0) {
                for (String type : config.nodeTypes()) {
                    long inputElements = l == 0 ? featureValues.getOrDefault(type,
                            nodes.get(type) * config.inputWidths().get(type)) : nodes.get(type) * layer.inputWidth(type);
                    masks += inputElements / 8;
                    masksPerStep++;
                }
            }
        }
        return new MemoryEstimate(graph, features, parameters, activations, gradients,
                masks * stepsOfMasksKept(masksPerStep));
    }

    /**
     * Steps whose masks the CPU backend keeps reachable when a step draws {@code masksPerStep} masks: it keeps the
     * last {@link #CPU_MASKS_KEPT} it drew (a step uses each in forward and backward), several steps' worth when one
     * step draws fewer (measured by MemoryEstimateMasksTest and TypedMemoryEstimateTest).
     */
    private static long stepsOfMasksKept(int masksPerStep) {
        return masksPerStep == 0 ? 1 : (CPU_MASKS_KEPT + masksPerStep - 1) / masksPerStep;
    }

    /** Dropout masks the CPU backend keeps drawn (its mask cache's capacity). */
    public static final int CPU_MASKS_KEPT = 64;

    /** {@link #typed(TypedGatConfig, Map, Map, Map, Map, boolean)} with the counts of a built typed graph. */
    public static MemoryEstimate typed(TypedGatConfig config, TypedGraph graph, Map<String, Long> featureValues,
                                       boolean training) {
        GraphCounts counts = GraphCounts.of(graph);
        return typed(config, counts.nodes(), counts.slots(), counts.edges(), featureValues, training);
    }

    /**
     * Bytes of typed mini-batch training in the heap: the whole typed graph and features as held and inference
     * activations over them (each epoch's validation runs on the whole graph), each relation's relationship
     * features per slot, and one training step on the largest typed subgraph a batch can sample: {@code batchSize}
     * target nodes; at each hop every frontier node of a type draws up to the hop's fanout per relation into that
     * type (-1: all), plus its self loop within one type; a type that learns one input per node keeps all its nodes.
     * Counts are the {@link #typed(TypedGatConfig, Map, Map, Map, Map, boolean)} ones.
     */
    public static MemoryEstimate typedMiniBatch(TypedGatConfig config, Map<String, Long> nodes,
                                                Map<Relation, Long> slots, Map<Relation, Long> originalEdges,
                                                Map<String, Long> featureValues, int batchSize, int[] fanouts) {
        MemoryEstimate whole = typed(config, nodes, slots, originalEdges, featureValues, false);
        TypedBatchShape batch = TypedBatchShape.sized(config, nodes, slots, featureValues, batchSize, fanouts);
        Map<String, Long> batchNodes = batch.nodes();
        Map<Relation, Long> batchSlots = batch.slots();
        Map<String, Long> batchFeatureValues = batch.featureValues();
        MemoryEstimate step = typed(config, batchNodes, batchSlots, batchSlots, batchFeatureValues, true);
        long slotFeatures = 0;
        for (Relation r : config.relations()) {
            slotFeatures += 4 * slots.get(r) * config.edgeDim(r);
        }
        return new MemoryEstimate(whole.graphBytes + step.graphBytes, whole.featureBytes + step.featureBytes
                + slotFeatures, step.parameterBytes, whole.activationBytes + step.activationBytes,
                step.gradientBytes, step.maskBytes);
    }

    /** {@link #typedMiniBatch(TypedGatConfig, Map, Map, Map, Map, int, int[])} with the counts of a built graph. */
    public static MemoryEstimate typedMiniBatch(TypedGatConfig config, TypedGraph graph,
                                                Map<String, Long> featureValues, int batchSize, int[] fanouts) {
        GraphCounts counts = GraphCounts.of(graph);
        return typedMiniBatch(config, counts.nodes(), counts.slots(), counts.edges(), featureValues, batchSize,
                fanouts);
    }

    /**
     * Bytes of typed mini-batch training that reads its batches from the store at {@code concurrency}, as
     * {@link #fromStore} for an untyped one: what stays in the heap (per node a node-id map of up to 56 bytes and the
     * sampler's per-type node map, one per thread sampling at once, per relation each target's first slot, per
     * target-type node its label and split),
     * then the larger of training and evaluation. Training: the batches held at once ({@link #batchesHeld}, each as
     * large as the largest typed subgraph a batch can sample, {@link #typedPreparedBatchBytes}) and the step on one
     * (activations, gradients and dropout masks on the batch graph, the parameters with gradients and Adam moments).
     * Evaluation: as many chunks of {@code batchSize} target nodes with their L-hop neighbourhoods at each relation's
     * mean in-degree, and the forward pass on one.
     *
     * @param nodes         nodes per node type
     * @param slots         message slots per relation (self loops within one type included)
     * @param featureValues stored feature values per node type with features (rows × columns)
     */
    public static MemoryEstimate typedFromStore(TypedGatConfig config, Map<String, Long> nodes,
                                                Map<Relation, Long> slots, Map<String, Long> featureValues,
                                                int batchSize, int[] fanouts, int concurrency) {
        return typedFromStore(config, nodes, slots, featureValues, batchSize, fanouts, batchSize, concurrency);
    }

    /** As above, evaluating (and predicting) on chunks of {@code chunkSize} target nodes instead of batchSize. */
    public static MemoryEstimate typedFromStore(TypedGatConfig config, Map<String, Long> nodes,
                                                Map<Relation, Long> slots, Map<String, Long> featureValues,
                                                int batchSize, int[] fanouts, int chunkSize, int concurrency) {
        long held = batchesHeld(concurrency);
        long allNodes = nodes.values().stream().mapToLong(Long::longValue).sum();
        // The sampler maps every node of every type once per batch being sampled: one per thread at once.
        long sampling = concurrency == 1 ? 1 : concurrency;
        long kept = 56 * allNodes + 4 * allNodes * sampling + 12 * nodes.get(config.targetType());
        for (Relation r : config.relations()) {
            kept += 4 * (nodes.get(r.targetType()) + 1);
            // With relationship features, each target's self-loop row (the mean of its incoming ones) stays in the heap.
            kept += r.isBipartite() ? 0 : 4L * config.edgeDim(r) * nodes.get(r.targetType());
        }
        TypedBatchShape batch = TypedBatchShape.sized(config, nodes, slots, featureValues, batchSize, fanouts);
        MemoryEstimate step = typed(config, batch.nodes(), batch.slots(), batch.slots(), batch.featureValues(), true);
        long meanDegree = 1;
        for (Relation r : config.relations()) {
            long targets = Math.max(1, nodes.get(r.targetType()));
            meanDegree = Math.max(meanDegree, (slots.get(r) + targets - 1) / targets);
        }
        int[] exact = new int[fanouts.length];
        java.util.Arrays.fill(exact, (int) Math.min(Integer.MAX_VALUE, meanDegree));
        TypedBatchShape chunk = TypedBatchShape.sized(config, nodes, slots, featureValues, chunkSize, exact);
        MemoryEstimate forward = typed(config, chunk.nodes(), chunk.slots(), chunk.slots(), chunk.featureValues(),
                false);
        long training = held * batch.preparedBytes(config) + step.activationBytes + step.gradientBytes
                + step.maskBytes;
        long evaluation = held * chunk.preparedBytes(config) + forward.activationBytes;
        return evaluation > training
                ? new MemoryEstimate(kept + held * (chunk.preparedGraphBytes() + chunk.slotFeatureBytes(config)),
                held * chunk.featureBytes(config), step.parameterBytes, forward.activationBytes, 0, 0)
                : new MemoryEstimate(kept + held * (batch.preparedGraphBytes() + batch.slotFeatureBytes(config)),
                held * batch.featureBytes(config), step.parameterBytes, step.activationBytes, step.gradientBytes,
                step.maskBytes);
    }

    /**
     * Bytes of one prepared typed batch of {@code batchSize} target nodes sampled with {@code fanouts} (at most): per
     * relation its sampled graph and whole-graph slot ids, per type its nodes' whole ids, distances and feature rows,
     * and the labels of its target-type nodes; what each of {@link #batchesHeld} holds before its step.
     */
    public static long typedPreparedBatchBytes(TypedGatConfig config, Map<String, Long> nodes,
                                               Map<Relation, Long> slots, Map<String, Long> featureValues,
                                               int batchSize, int[] fanouts) {
        return TypedBatchShape.sized(config, nodes, slots, featureValues, batchSize, fanouts).preparedBytes(config);
    }

    /**
     * The largest typed subgraph a batch can sample: {@code batchSize} target nodes; at each hop every frontier node
     * of a type draws up to the hop's fanout per relation into that type (-1: all), plus its self loop within one
     * type; a type that learns one input per node keeps all its nodes.
     */
    private record TypedBatchShape(Map<String, Long> nodes, Map<Relation, Long> slots,
                                   Map<String, Long> featureValues) {

        /** The relationship feature rows read for the batch's slots, edgeDim floats each. */
        long slotFeatureBytes(TypedGatConfig config) {
            long bytes = 0;
            for (Relation r : config.relations()) {
                bytes += 4L * config.edgeDim(r) * slots.get(r);
            }
            return bytes;
        }

        static TypedBatchShape sized(TypedGatConfig config, Map<String, Long> nodes, Map<Relation, Long> slots,
                                     Map<String, Long> featureValues, int batchSize, int[] fanouts) {
            Map<String, Long> frontier = new LinkedHashMap<>();
            Map<String, Long> batchNodes = new LinkedHashMap<>();
            Map<Relation, Long> batchSlots = new LinkedHashMap<>();
            for (String type : config.nodeTypes()) {
                FeaturelessInput learned = config.featureless().get(type);
                boolean keptWhole = learned != null && learned.mode() == FeaturelessInput.Mode.NODE;
                long start = type.equals(config.targetType()) ? Math.min(batchSize, nodes.get(type)) : 0;
                frontier.put(type, start);
                batchNodes.put(type, keptWhole ? nodes.get(type) : start);
            }
            config.relations().forEach(r -> batchSlots.put(r, 0L));
            for (int fanout : fanouts) {
                Map<String, Long> next = new LinkedHashMap<>();
                config.nodeTypes().forEach(type -> next.put(type, 0L));
                for (Relation r : config.relations()) {
                    long targets = frontier.get(r.targetType());
                    long drawn = fanout < 0 ? slots.get(r) : Math.min(slots.get(r), saturatingProduct(targets, fanout));
                    long selfLoops = r.isBipartite() ? 0 : targets;
                    batchSlots.put(r, Math.min(slots.get(r), batchSlots.get(r) + drawn + selfLoops));
                    next.merge(r.sourceType(), drawn, (a, b) -> Math.min(nodes.get(r.sourceType()), a + b));
                }
                for (String type : config.nodeTypes()) {
                    long reached = Math.min(nodes.get(type), next.get(type));
                    frontier.put(type, reached);
                    batchNodes.put(type, Math.min(nodes.get(type), batchNodes.get(type) + reached));
                }
            }
            Map<String, Long> batchFeatureValues = new LinkedHashMap<>();
            featureValues.forEach((type, values) -> {
                long n = nodes.get(type);
                batchFeatureValues.put(type, n == 0 ? 0 : (long) Math.ceil((double) values * batchNodes.get(type) / n));
            });
            return new TypedBatchShape(batchNodes, batchSlots, batchFeatureValues);
        }

        /** Per relation the sampled CSR (as {@link #typed} counts one) and whole slot ids; per type ids and hops. */
        long preparedGraphBytes() {
            long bytes = 0;
            for (Map.Entry<Relation, Long> e : slots.entrySet()) {
                long targets = nodes.get(e.getKey().targetType());
                long sources = nodes.get(e.getKey().sourceType());
                long s = e.getValue();
                bytes += 4 * ((targets + 1) + (sources + 1) + 4 * s + 2 * s + targets) + 4 * s;
            }
            for (long n : nodes.values()) {
                bytes += 8 * n;
            }
            return bytes;
        }

        /** Feature rows as read (dense) and one label per target-type node. */
        long featureBytes(TypedGatConfig config) {
            long bytes = 4 * nodes.get(config.targetType());
            for (long values : featureValues.values()) {
                bytes += 4 * values;
            }
            return bytes;
        }

        long preparedBytes(TypedGatConfig config) {
            return preparedGraphBytes() + featureBytes(config);
        }
    }

    /**
     * Bytes of sampled mini-batch training at {@code concurrency}: the whole graph and features as held, inference
     * activations over the whole graph (each epoch's validation), the sampler's node map, the batches held at once
     * ({@link #batchesHeld}, each as large as the largest subgraph a batch can sample: {@code batchSize} nodes, each
     * hop's nodes times its fanout more (a fanout of -1 may reach every node), with the slots they draw plus self
     * loops, their node and slot maps, their share of the feature values and their labels) and one training step.
     */
    public static MemoryEstimate miniBatch(GatConfig config, long nodes, long slots, long originalEdges,
                                           long featureValues, boolean sparseFeatures, int batchSize, int[] fanouts,
                                           int concurrency) {
        long held = batchesHeld(concurrency);
        MemoryEstimate whole = of(config, nodes, slots, originalEdges, featureValues, sparseFeatures, false);
        BatchShape shape = BatchShape.sized(nodes, slots, featureValues, batchSize, fanouts);
        MemoryEstimate batch = shape.step(config, sparseFeatures, true);
        return new MemoryEstimate(whole.graphBytes + held * shape.preparedGraphBytes() + 4 * nodes,
                whole.featureBytes + held * shape.featureBytes(sparseFeatures), batch.parameterBytes,
                whole.activationBytes + batch.activationBytes, batch.gradientBytes, batch.maskBytes);
    }

    /**
     * Bytes of mini-batch training that reads batches from the store at {@code concurrency}: what stays in the heap
     * (a node-id map of up to 56 bytes a node, each node's first slot, the sampler's node map, labels of the labelled
     * nodes), then the larger of training and evaluation. Training: the batches held at once
     * ({@link #batchesHeld}, each its sampled graph, node and slot maps, feature rows and labels, as large as the
     * largest batch) and the step on one of them (its activations, gradients and dropout masks, the parameters with
     * their gradients and Adam moments). Evaluation: as many chunks of {@code batchSize} nodes with their whole L-hop
     * neighbourhoods at the graph's mean in-degree, and the forward pass on one. Layer-wise evaluation and
     * write-back run within what the memory budget leaves beyond this.
     */
    public static MemoryEstimate fromStore(GatConfig config, long nodes, long slots, long featureValues,
                                           boolean sparseFeatures, int batchSize, int[] fanouts, long labelledNodes,
                                           int concurrency) {
        long held = batchesHeld(concurrency);
        // With relationship features, each node's self-loop row (the mean of its incoming ones) stays in the heap.
        long kept = 64 * nodes + 12 * labelledNodes + 4L * config.edgeDim() * nodes;
        BatchShape batch = BatchShape.sized(nodes, slots, featureValues, batchSize, fanouts);
        MemoryEstimate step = batch.step(config, sparseFeatures, true);
        BatchShape chunk = BatchShape.sized(nodes, slots, featureValues, batchSize,
                meanDegreeFanouts(nodes, slots, fanouts.length));
        MemoryEstimate forward = chunk.step(config, sparseFeatures, false);
        long training = held * batch.preparedBytes(sparseFeatures) + step.activationBytes + step.gradientBytes
                + step.maskBytes;
        long evaluation = held * chunk.preparedBytes(sparseFeatures) + forward.activationBytes;
        return evaluation > training
                ? new MemoryEstimate(kept + held * (chunk.preparedGraphBytes() + 4L * config.edgeDim() * chunk.slots),
                held * chunk.featureBytes(sparseFeatures), step.parameterBytes, forward.activationBytes, 0, 0)
                : new MemoryEstimate(kept + held * (batch.preparedGraphBytes() + 4L * config.edgeDim() * batch.slots),
                held * batch.featureBytes(sparseFeatures),
                step.parameterBytes, step.activationBytes, step.gradientBytes, step.maskBytes);
    }

    /**
     * Batches (or chunks) a store-backed run holds at once at {@code concurrency}: the one being stepped and, with
     * worker threads (one per thread above 1), the {@code workers + 1} prepared or being prepared ahead of it.
     */
    public static int batchesHeld(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        return concurrency == 1 ? 1 : concurrency + 2;
    }

    /**
     * Bytes of one prepared batch of {@code batchSize} nodes sampled with {@code fanouts} (at most): its sampled
     * graph, the whole-graph ids of its nodes and slots, its feature rows and labels; what each of
     * {@link #batchesHeld} holds before its step allocates anything.
     */
    public static long preparedBatchBytes(long nodes, long slots, long featureValues, boolean sparseFeatures,
                                          int batchSize, int[] fanouts) {
        return BatchShape.sized(nodes, slots, featureValues, batchSize, fanouts).preparedBytes(sparseFeatures);
    }

    /** Every fanout at the graph's mean in-degree (slots per node, at least 1): exact neighbourhoods on average. */
    private static int[] meanDegreeFanouts(long nodes, long slots, int layers) {
        int[] fanouts = new int[layers];
        java.util.Arrays.fill(fanouts, (int) Math.min(Integer.MAX_VALUE,
                Math.max(1, nodes == 0 ? 1 : (slots + nodes - 1) / nodes)));
        return fanouts;
    }

    /** The largest subgraph a batch can sample: its nodes, slots (self loops included) and feature values. */
    private record BatchShape(long nodes, long slots, long featureValues) {

        static BatchShape sized(long graphNodes, long graphSlots, long graphFeatureValues, int batchSize,
                             int[] fanouts) {
            long frontier = Math.min(batchSize, graphNodes);
            long batchNodes = frontier;
            long batchSlots = 0;
            for (int fanout : fanouts) {
                long drawn = fanout < 0 ? graphSlots : saturatingProduct(frontier, fanout);
                batchSlots = Math.min(graphSlots, batchSlots + drawn + frontier);
                frontier = Math.min(graphNodes, drawn);
                batchNodes = Math.min(graphNodes, batchNodes + frontier);
            }
            batchSlots = Math.min(graphSlots, batchSlots + frontier);
            long values = graphNodes == 0 ? 0
                    : (long) Math.ceil((double) graphFeatureValues * batchNodes / graphNodes);
            return new BatchShape(batchNodes, batchSlots, values);
        }

        MemoryEstimate step(GatConfig config, boolean sparseFeatures, boolean training) {
            return MemoryEstimate.of(config, nodes, slots, slots, featureValues, sparseFeatures, training);
        }

        /** The sampled graph (as {@link #of} counts a graph) with the whole-graph ids of its nodes and slots. */
        long preparedGraphBytes() {
            return 4 * (2 * (nodes + 1) + 4 * slots + 2 * slots + nodes) + 4 * (nodes + slots);
        }

        /** The feature rows as read (a sparse row as values, columns and offsets) and one label per node. */
        long featureBytes(boolean sparseFeatures) {
            return (sparseFeatures ? 4 * (nodes + 1) + 8 * featureValues : 4 * featureValues) + 4 * nodes;
        }

        long preparedBytes(boolean sparseFeatures) {
            return preparedGraphBytes() + featureBytes(sparseFeatures);
        }
    }

    private static long saturatingProduct(long a, long b) {
        long product = a * b;
        return b != 0 && product / b != a ? Long.MAX_VALUE : product;
    }

    /** Room the CUDA context, the kernel module and small scratch buffers take on a GPU. */
    public static final long DEVICE_OVERHEAD_BYTES = 128L << 20;

    /**
     * Device memory the GPU backend needs: the same tensors, without mask bits (the kernels recompute
     * masks from their keys), plus scratch for partial sums (at most half the activations) and the context.
     */
    public long deviceBytes() {
        return graphBytes + featureBytes + parameterBytes + activationBytes + gradientBytes + activationBytes / 2
                + DEVICE_OVERHEAD_BYTES;
    }

    public long totalBytes() {
        return graphBytes + featureBytes + parameterBytes + activationBytes + gradientBytes + maskBytes;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("graph", graphBytes);
        map.put("features", featureBytes);
        map.put("parameters", parameterBytes);
        map.put("activations", activationBytes);
        map.put("gradients", gradientBytes);
        map.put("dropoutMasks", maskBytes);
        map.put("total", totalBytes());
        return map;
    }

    /** 1536 → "1.5 KiB". */
    public static String humanReadable(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** A built typed graph's counts as the estimates take them: nodes per type, slots and edges per relation. */
    private record GraphCounts(Map<String, Long> nodes, Map<Relation, Long> slots, Map<Relation, Long> edges) {

        static GraphCounts of(TypedGraph graph) {
            Map<String, Long> nodes = new LinkedHashMap<>();
            for (String type : graph.nodeTypes()) {
                nodes.put(type, (long) graph.nodeCount(type));
            }
            Map<Relation, Long> slots = new LinkedHashMap<>();
            Map<Relation, Long> edges = new LinkedHashMap<>();
            for (Relation r : graph.relations()) {
                slots.put(r, (long) graph.graph(r).slotCount());
                edges.put(r, (long) graph.graph(r).originalEdgeCount());
            }
            return new GraphCounts(nodes, slots, edges);
        }
    }
}
