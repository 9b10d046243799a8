package dev.neogat.procedures.facade;

import dev.neogat.graph.Orientation;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.TrainConfig;
import dev.neogat.procedures.load.DatabaseNames;
import dev.neogat.procedures.load.StoreCounts;
import dev.neogat.procedures.load.TypedGraphLoader;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.BatchingChoice;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Entity;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.ResourceIterator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Estimates a training's memory from counts alone: nodes with the labels, their outgoing relationships of
 * the types (from the store's counts, without checking the other end), the feature width and density of up to 1000
 * nodes, and the relationship feature width of a sampled relationship (a typed projection: per label and relation,
 * {@link #typedEstimate}). Nothing is loaded or trained.
 */
public final class EstimateFacade {

    private static final int SAMPLE = 1000;

    private EstimateFacade() {
    }

    /** The row {@code gat.train.estimate} yields. */
    public static final class EstimateResult {
        public long nodeCount;
        public long relationshipCount;
        public long featureWidth;
        public boolean sparseFeatures;
        public String mode;
        public String modeReason;
        public long fullBatchBytes;
        public long miniBatchBytes;
        public long storeBatchBytes;
        public long requiredBytes;
        public String required;
        public long requiredDeviceBytes;
        public Map<String, Object> breakdown;
        public long freeHeapBytes;
        public long maxHeapBytes;
        public boolean fits;
    }

    public static EstimateResult estimate(ProcedureContext context, Map<String, Object> raw) {
        TrainConfig config = TrainConfig.read(raw);
        ProjectionConfig projection = config.projection();
        DatabaseNames.requireProjection(context.tx(), projection, config.labelProperty(), config.splitProperty());
        if (config.typed().typedFor(config)) {
            return typedEstimate(context, config);
        }
        RelationshipType[] types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        // Node and relationship counts come from the store's counts (as a scan of every projected node and its
        // outgoing degree would give them, a node with two projected labels counted once per label): at 10 M nodes
        // that scan took longer than an epoch of training.
        StoreCounts counts = StoreCounts.of(context.tx(), projection.nodeLabels(), projection.relationshipTypes());
        long nodes = counts.nodes();
        long relationships = counts.outgoingRelationships();
        long sampledNodes = 0;
        long sampledValues = 0;
        long sampledNonZeros = 0;
        int width = -1;
        long seen = 0;
        for (Node node : nodes(context, projection.nodeLabels())) {
            if (++seen > SAMPLE) {
                break;
            }
            int[] featureCounts = featureCounts(node, projection.featureProperties());
            if (featureCounts[0] > 0) {
                width = featureCounts[0];
                sampledNodes++;
                sampledValues += featureCounts[0];
                sampledNonZeros += featureCounts[1];
            }
        }
        if (width < 0) {
            throw new IllegalArgumentException("None of the first " + Math.min(nodes, SAMPLE) + " nodes has the feature "
                    + "properties " + projection.featureProperties());
        }
        boolean sparse = sampledNonZeros <= 0.25 * sampledValues;
        long featureValues = sparse ? Math.round(nodes * (double) sampledNonZeros / sampledNodes) : nodes * width;
        long slots = relationships * (projection.orientation() == Orientation.UNDIRECTED ? 2 : 1)
                + (projection.selfLoops() ? nodes : 0);
        GatConfig gat = config.model().toConfig(width, 2, false, sparse);
        if (projection.relationshipFeatures() != null) {
            gat = gat.toBuilder().edgeDim(relationshipFeatureWidth(context, projection, types)).build();
        }
        MemoryEstimate fullBatch = MemoryEstimate.of(config.largestModel(gat), nodes, slots, relationships,
                featureValues, sparse, true);
        MemoryEstimate miniBatch = MemoryEstimate.miniBatch(gat, nodes, slots, relationships, featureValues, sparse,
                config.batching().miniBatch().batchSize(), config.batching().miniBatch().fanouts(),
                config.concurrency());
        BatchingChoice batching = TrainFacade.chooseBatching(config, fullBatch, miniBatch);
        MemoryEstimate estimate = batching.estimate();
        // gat.train's own decision, so that the estimate names the run it would do.
        StoreTraining.StorePlan store = StoreTraining.plan(context, config);
        EstimateResult row = new EstimateResult();
        row.mode = batching.mode();
        row.modeReason = batching.reason();
        if (store.reason() != null) {
            estimate = store.fromStore();
            row.mode = TrainConfig.MINI_BATCH;
            row.modeReason = store.reason();
        }
        row.fullBatchBytes = fullBatch.totalBytes();
        row.miniBatchBytes = miniBatch.totalBytes();
        row.storeBatchBytes = store.fromStore() == null ? 0 : store.fromStore().totalBytes();
        row.nodeCount = nodes;
        row.relationshipCount = relationships;
        row.featureWidth = width;
        row.sparseFeatures = sparse;
        return withRequirement(row, estimate);
    }

    /**
     * A typed projection's size as gat.train would train it, from one scan of the store that holds nothing of it:
     * nodes per label (a node with several projected labels counted under the first), relationships per (start label,
     * type, end label) with the reverses UNDIRECTED adds, each label's feature width from its first node that has
     * them (none: featureless), and the typed model of two classes, as the untyped estimate assumes.
     */
    record TypedSizes(List<String> labels, Map<String, Long> nodes, Map<Relation, Long> slots,
                      Map<Relation, Long> originalEdges, Map<String, Long> featureValues, Map<String, Integer> widths,
                      String target, long relationships, TypedGatConfig model) {

        /** With autoTune, for the widest model a trial can draw. */
        MemoryEstimate fullBatch(TrainConfig config) {
            return MemoryEstimate.typed(config.largestModel(model), nodes, slots, originalEdges, featureValues, true);
        }

        MemoryEstimate miniBatch(TrainConfig config) {
            return MemoryEstimate.typedMiniBatch(model, nodes, slots, originalEdges, featureValues,
                    config.batching().miniBatch().batchSize(), config.batching().miniBatch().fanouts());
        }

        MemoryEstimate fromStore(TrainConfig config) {
            return MemoryEstimate.typedFromStore(model, nodes, slots, featureValues,
                    config.batching().miniBatch().batchSize(), config.batching().miniBatch().fanouts(),
                    config.concurrency());
        }
    }

    static TypedSizes typedSizes(ProcedureContext context, TrainConfig config) {
        ProjectionConfig projection = config.projection();
        List<String> labels = projection.nodeLabels();
        if (labels.isEmpty()) {
            throw new IllegalArgumentException("A typed model needs 'nodeLabels': the labels whose nodes become its "
                    + "node types");
        }
        TypedGraphLoader.requireNames(projection, config.typed().targetLabels());
        RelationshipType[] types = projection.relationshipTypes().stream().map(RelationshipType::withName)
                .toArray(RelationshipType[]::new);
        Map<String, Long> nodes = new LinkedHashMap<>();
        Map<String, Long> featureValues = new LinkedHashMap<>();
        Map<String, Integer> widths = new LinkedHashMap<>();
        Map<Relation, Long> edges = new LinkedHashMap<>();
        String target = config.typed().targetLabels().isEmpty() ? null : config.typed().targetLabels().get(0);
        int edgeDim = 0;
        for (String label : labels) {
            List<String> properties = projection.featurePropertiesByLabel() != null
                    ? projection.featurePropertiesOf(label) : projection.featureProperties();
            long count = 0;
            int width = -1;
            try (ResourceIterator<Node> found = context.tx().findNodes(Label.label(label))) {
                while (found.hasNext()) {
                    Node node = found.next();
                    if (!label.equals(typeOf(node, labels))) {
                        continue;
                    }
                    count++;
                    if (width < 0 && !properties.isEmpty()) {
                        int values = featureCounts(node, properties)[0];
                        width = values > 0 ? values : width;
                    }
                    if (target == null && config.labelProperty() != null && node.hasProperty(config.labelProperty())) {
                        target = label;
                    }
                    for (Relationship relationship : types.length == 0 ? node.getRelationships(Direction.OUTGOING)
                            : node.getRelationships(Direction.OUTGOING, types)) {
                        String end = typeOf(relationship.getEndNode(), labels);
                        if (end == null) {
                            continue;
                        }
                        String name = relationship.getType().name();
                        Relation relation = projection.orientation() == Orientation.REVERSE
                                ? new Relation(end, name, label) : new Relation(label, name, end);
                        edges.merge(relation, 1L, Long::sum);
                        if (edgeDim == 0 && projection.relationshipFeatures() != null) {
                            List<String> edgeProperties = projection.relationshipFeatures().propertiesOf(name);
                            edgeDim = edgeProperties == null ? 0 : featureCounts(relationship, edgeProperties)[0];
                        }
                    }
                }
            }
            nodes.put(label, count);
            if (width > 0) {
                widths.put(label, width);
                featureValues.put(label, count * width);
            }
        }
        if (target == null) {
            throw new IllegalArgumentException("No projected node has the label property '" + config.labelProperty()
                    + "'; give targetLabels");
        }
        Map<Relation, Long> slots = new LinkedHashMap<>();
        Map<Relation, Long> originalEdges = new LinkedHashMap<>();
        boolean undirected = projection.orientation() == Orientation.UNDIRECTED;
        edges.forEach((relation, count) -> {
            originalEdges.put(relation, count);
            if (relation.isBipartite()) {
                slots.put(relation, count);
                if (undirected) {
                    originalEdges.put(relation.reversed(), count);
                    slots.put(relation.reversed(), count);
                }
            } else {
                // Within one label: self loops as the untyped graph, and both directions of each UNDIRECTED edge.
                slots.put(relation, count * (undirected ? 2 : 1) + nodes.get(relation.targetType()));
            }
        });
        TypedGatConfig gat = TypedTrainFacade.modelConfig(config, labels, widths, nodes,
                List.copyOf(originalEdges.keySet()), target, 2, edgeDim);
        return new TypedSizes(labels, nodes, slots, originalEdges, featureValues, widths, target,
                edges.values().stream().mapToLong(Long::longValue).sum(), gat);
    }

    /**
     * A typed training's memory ({@link MemoryEstimate#typed}) as gat.train would train it ({@link #typedSizes}):
     * full-batch, mini-batch with the projection in the heap ({@link MemoryEstimate#typedMiniBatch}) and with its
     * batches read from the store ({@link MemoryEstimate#typedFromStore}), and the one gat.train picks
     * ({@link TypedStoreTraining#plan}).
     */
    private static EstimateResult typedEstimate(ProcedureContext context, TrainConfig config) {
        TypedSizes sizes = typedSizes(context, config);
        MemoryEstimate fullBatch = sizes.fullBatch(config);
        MemoryEstimate miniBatch = sizes.miniBatch(config);
        MemoryEstimate fromStore = sizes.fromStore(config);
        BatchingChoice batching = TrainFacade.chooseBatching(config, fullBatch, miniBatch);
        MemoryEstimate estimate = batching.estimate();
        String reason = batching.mode() + ": " + batching.reason();
        String storeReason = TypedStoreTraining.plan(config, sizes);
        if (storeReason != null) {
            estimate = fromStore;
            reason = TrainConfig.MINI_BATCH + ": " + storeReason;
        }
        EstimateResult row = new EstimateResult();
        row.mode = "typed";
        row.modeReason = "typed: node types " + sizes.labels() + ", " + sizes.originalEdges().size() + " relations, "
                + "target '" + sizes.target() + "'; " + reason;
        row.fullBatchBytes = fullBatch.totalBytes();
        row.miniBatchBytes = miniBatch.totalBytes();
        row.storeBatchBytes = fromStore.totalBytes();
        row.nodeCount = sizes.nodes().values().stream().mapToLong(Long::longValue).sum();
        row.relationshipCount = sizes.relationships();
        row.featureWidth = sizes.widths().values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return withRequirement(row, estimate);
    }

    /** The first of {@code labels} that {@code node} has (its node type), or null. */
    private static String typeOf(Node node, List<String> labels) {
        for (String label : labels) {
            if (node.hasLabel(Label.label(label))) {
                return label;
            }
        }
        return null;
    }

    private static Iterable<Node> nodes(ProcedureContext context, List<String> labels) {
        if (labels.isEmpty()) {
            return context.tx().getAllNodes();
        }
        List<ResourceIterator<Node>> perLabel = new ArrayList<>();
        for (String label : labels) {
            perLabel.add(context.tx().findNodes(Label.label(label)));
        }
        return () -> perLabel.stream().flatMap(ResourceIterator::stream).iterator();
    }

    /**
     * The relationship feature values per relationship, from the first outgoing relationship of the first
     * {@link #SAMPLE} projected nodes that has all its type's properties.
     */
    private static int relationshipFeatureWidth(ProcedureContext context, ProjectionConfig projection,
                                                RelationshipType[] types) {
        int[] widthAndNodes = sampledWidth(context, projection, types);
        if (widthAndNodes[0] > 0) {
            return widthAndNodes[0];
        }
        throw new IllegalArgumentException("No outgoing relationship of the first " + widthAndNodes[1]
                + " nodes has the relationshipFeatures " + projection.relationshipFeatures().given());
    }

    /** As {@link #relationshipFeatureWidth}, 0 when none of the sampled relationships has them all. */
    static int sampledRelationshipFeatureWidth(ProcedureContext context, ProjectionConfig projection,
                                               RelationshipType[] types) {
        return sampledWidth(context, projection, types)[0];
    }

    /** [width (0: none found), nodes sampled]. */
    private static int[] sampledWidth(ProcedureContext context, ProjectionConfig projection,
                                      RelationshipType[] types) {
        int seen = 0;
        for (Node node : nodes(context, projection.nodeLabels())) {
            if (++seen > SAMPLE) {
                break;
            }
            for (Relationship relationship : types.length == 0 ? node.getRelationships(Direction.OUTGOING)
                    : node.getRelationships(Direction.OUTGOING, types)) {
                List<String> properties = projection.relationshipFeatures().propertiesOf(relationship.getType().name());
                if (properties != null) {
                    int width = featureCounts(relationship, properties)[0];
                    if (width > 0) {
                        return new int[]{width, Math.min(seen, SAMPLE)};
                    }
                }
            }
        }
        return new int[]{0, Math.min(seen, SAMPLE)};
    }

    /** [values, non-zero values] of a node's features; [0, 0] when any property is missing. */
    private static int[] featureCounts(Entity entity, List<String> properties) {
        int values = 0;
        int nonZeros = 0;
        for (String property : properties) {
            Object value = entity.getProperty(property, null);
            if (value == null) {
                return new int[]{0, 0};
            }
            if (value instanceof Number number) {
                values++;
                nonZeros += number.doubleValue() != 0 ? 1 : 0;
            } else if (value.getClass().isArray() && !(value instanceof String[])) {
                int length = java.lang.reflect.Array.getLength(value);
                values += length;
                for (int i = 0; i < length; i++) {
                    nonZeros += ((Number) java.lang.reflect.Array.get(value, i)).doubleValue() != 0 ? 1 : 0;
                }
            } else {
                return new int[]{0, 0};
            }
        }
        return new int[]{values, nonZeros};
    }

    /** Fills in what the run chosen needs ({@code estimate}) beside the heap the server has free now. */
    private static EstimateResult withRequirement(EstimateResult row, MemoryEstimate estimate) {
        Runtime runtime = Runtime.getRuntime();
        row.requiredBytes = estimate.totalBytes();
        row.required = MemoryEstimate.humanReadable(estimate.totalBytes());
        row.requiredDeviceBytes = estimate.deviceBytes();
        row.breakdown = estimate.toMap();
        row.maxHeapBytes = runtime.maxMemory();
        row.freeHeapBytes = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
        row.fits = row.requiredBytes <= row.freeHeapBytes;
        return row;
    }
}
