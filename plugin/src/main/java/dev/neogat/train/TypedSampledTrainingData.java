package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedNeighbourSource;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.spec.Relation;

import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * What typed training needs when the typed graph is not held in the heap, as {@link SampledTrainingData} for an
 * untyped one: where typed neighbourhoods and per-type feature rows come from (the training thread reads
 * {@code graph} and {@code features}; {@code workerReaders} opens a reader for each thread that prepares batches
 * beside it), and the labels and split of the target type's nodes (type-local ids). A type without features has no
 * entry in {@code features}; the model learns its input. {@code slotFeatures}, when not null, gives the training
 * thread the relationship features of a relation's whole-graph slots ({@link TypedBatchReader#slotFeatures}); the
 * workers' readers then give theirs.
 */
public record TypedSampledTrainingData(TypedNeighbourSource graph, Map<String, FeatureRows> features,
                                       String targetType, NodeLabels labels, NodeSplit split,
                                       Supplier<TypedBatchReader> workerReaders,
                                       BiFunction<Relation, int[], DenseMatrix> slotFeatures) {

    public TypedSampledTrainingData {
        features = Map.copyOf(features);
    }

    /** Without relationship features. */
    public TypedSampledTrainingData(TypedNeighbourSource graph, Map<String, FeatureRows> features, String targetType,
                                    NodeLabels labels, NodeSplit split, Supplier<TypedBatchReader> workerReaders) {
        this(graph, features, targetType, labels, split, workerReaders, null);
    }

    /** The training thread's reader. */
    public TypedBatchReader callerReader() {
        return TypedBatchReader.of(graph, features, slotFeatures, () -> { });
    }

    /** Checks that the parts fit together; each message says what does not fit and where. */
    public void validate() {
        for (String type : features.keySet()) {
            if (!graph.nodeTypes().contains(type)) {
                throw new IllegalArgumentException("There are features for '" + type + "', which is not a node type of "
                        + "the graph " + graph.nodeTypes());
            }
            if (features.get(type).cols() == 0) {
                throw new IllegalArgumentException("The features of node type '" + type + "' have no columns");
            }
        }
        TypedTrainingData.requireTargets(graph.nodeCount(targetType), labels, split, targetType);
    }
}
