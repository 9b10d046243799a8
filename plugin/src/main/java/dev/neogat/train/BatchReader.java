package dev.neogat.train;

import dev.neogat.graph.NeighbourSource;
import dev.neogat.nn.DenseMatrix;

import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Where one thread reads the neighbourhoods and feature rows of the batches it prepares. In-heap sources can be
 * shared by every thread; a store's reader holds a read transaction of its own, which {@link #close} ends.
 */
public interface BatchReader extends AutoCloseable {

    NeighbourSource graph();

    FeatureRows features();

    /**
     * Relationship features of the whole graph's slots {@code wholeSlots}, [slots, edgeDim] in that order (a self
     * loop added by the projection carries the mean of its node's other incoming slots over the whole graph), or
     * null when this reader has none (in-heap training takes them from the whole graph's per-slot matrix).
     */
    default DenseMatrix slotFeatures(int[] wholeSlots) {
        return null;
    }

    /** Ends what the reader holds; nothing is read through it afterwards. */
    @Override
    default void close() {
    }

    /** A reader over {@code graph} and {@code features} that holds nothing to end. */
    static BatchReader of(NeighbourSource graph, FeatureRows features) {
        return of(graph, features, () -> { });
    }

    /** A reader over {@code graph} and {@code features} that runs {@code onClose} when closed. */
    static BatchReader of(NeighbourSource graph, FeatureRows features, Runnable onClose) {
        return of(graph, features, null, onClose);
    }

    /**
     * A reader over {@code graph} and {@code features} whose slots' relationship features come from
     * {@code slotFeatures} (null: none), running {@code onClose} when closed.
     */
    static BatchReader of(NeighbourSource graph, FeatureRows features, Function<int[], DenseMatrix> slotFeatures,
                          Runnable onClose) {
        return new BatchReader() {
            @Override
            public NeighbourSource graph() {
                return graph;
            }

            @Override
            public FeatureRows features() {
                return features;
            }

            @Override
            public DenseMatrix slotFeatures(int[] wholeSlots) {
                return slotFeatures == null ? null : slotFeatures.apply(wholeSlots);
            }

            @Override
            public void close() {
                onClose.run();
            }
        };
    }

    /** This reader with its feature rows seen through {@code view} (e.g. normalised); closing it closes this one. */
    default BatchReader withFeatures(UnaryOperator<FeatureRows> view) {
        return of(graph(), view.apply(features()), this::slotFeatures, this::close);
    }
}
