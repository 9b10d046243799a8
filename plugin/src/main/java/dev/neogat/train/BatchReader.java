package dev.neogat.train;

import dev.neogat.graph.NeighbourSource;

import java.util.function.UnaryOperator;

/**
 * Where one thread reads the neighbourhoods and feature rows of the batches it prepares. In-heap sources can be
 * shared by every thread; a store's reader holds a read transaction of its own, which {@link #close} ends.
 */
public interface BatchReader extends AutoCloseable {

    NeighbourSource graph();

    FeatureRows features();

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
            public void close() {
                onClose.run();
            }
        };
    }

    /** This reader with its feature rows seen through {@code view} (e.g. normalised); closing it closes this one. */
    default BatchReader withFeatures(UnaryOperator<FeatureRows> view) {
        return of(graph(), view.apply(features()), this::close);
    }
}
