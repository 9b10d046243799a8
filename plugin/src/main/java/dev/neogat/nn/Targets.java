package dev.neogat.nn;

/** Labels of a set of nodes (a split's nodes), resident on a backend, for losses and metrics. */
public interface Targets {

    /** Number of nodes in the set. */
    int size();

    boolean multiLabel();
}
