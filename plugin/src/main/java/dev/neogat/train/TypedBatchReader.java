package dev.neogat.train;

import dev.neogat.graph.TypedNeighbourSource;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.spec.Relation;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * Where one thread reads the typed neighbourhoods and per-type feature rows of the batches it prepares, as
 * {@link BatchReader} for untyped ones: in-heap sources can be shared by every thread; a store's reader holds a read
 * transaction of its own, which {@link #close} ends.
 */
public interface TypedBatchReader extends AutoCloseable {

    TypedNeighbourSource graph();

    /** Feature rows per node type with features (type-local node ids). */
    Map<String, FeatureRows> features();

    /**
     * Relationship features of {@code relation}'s whole-graph slots {@code wholeSlots}, [slots, edgeDim] in that
     * order (a self loop carries the mean of its node's other incoming slots of the relation over the whole graph),
     * or null when this reader has none (in-heap training takes them from the whole graph's per-slot matrices).
     */
    default DenseMatrix slotFeatures(Relation relation, int[] wholeSlots) {
        return null;
    }

    /** Ends what the reader holds; nothing is read through it afterwards. */
    @Override
    default void close() {
    }

    /** A reader over {@code graph} and {@code features} that runs {@code onClose} when closed. */
    static TypedBatchReader of(TypedNeighbourSource graph, Map<String, FeatureRows> features, Runnable onClose) {
        return of(graph, features, null, onClose);
    }

    /**
     * A reader over {@code graph} and {@code features} whose slots' relationship features come from
     * {@code slotFeatures} (null: none), running {@code onClose} when closed.
     */
    static TypedBatchReader of(TypedNeighbourSource graph, Map<String, FeatureRows> features,
                               BiFunction<Relation, int[], DenseMatrix> slotFeatures, Runnable onClose) {
        Map<String, FeatureRows> rows = Map.copyOf(features);
        return new TypedBatchReader() {
            @Override
            public TypedNeighbourSource graph() {
                return graph;
            }

            @Override
            public Map<String, FeatureRows> features() {
                return rows;
            }

            @Override
            public DenseMatrix slotFeatures(Relation relation, int[] wholeSlots) {
                return slotFeatures == null ? null : slotFeatures.apply(relation, wholeSlots);
            }

            @Override
            public void close() {
                onClose.run();
            }
        };
    }

    /** This reader with each type's rows seen through {@code view} (e.g. normalised); closing it closes this one. */
    default TypedBatchReader withFeatures(UnaryOperator<FeatureRows> view) {
        Map<String, FeatureRows> viewed = new LinkedHashMap<>();
        features().forEach((type, rows) -> viewed.put(type, view.apply(rows)));
        return of(graph(), viewed, this::slotFeatures, this::close);
    }
}
