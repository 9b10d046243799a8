package dev.neogat.graph;

/** How a stored edge (source → target) becomes message edges of the attention graph. */
public enum Orientation {
    /** The target attends to the source, as stored. */
    NATURAL,
    /** The stored source attends to the stored target. */
    REVERSE,
    /** Both: each endpoint attends to the other (one message edge per direction). */
    UNDIRECTED
}
