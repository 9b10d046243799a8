package dev.neogat.util;

/**
 * Asked by long-running work between epochs and between chunks of every parallel loop, so that a
 * caller (a cancelled Cypher transaction, a user pressing Ctrl-C) can stop training within a second.
 */
@FunctionalInterface
public interface TerminationFlag {

    TerminationFlag RUNNING = () -> false;

    boolean terminated();

    /** Throws {@link TerminatedException} when the flag is set. */
    default void assertRunning() {
        if (terminated()) {
            throw new TerminatedException("The computation was terminated");
        }
    }
}
