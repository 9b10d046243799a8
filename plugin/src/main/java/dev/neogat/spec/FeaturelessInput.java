package dev.neogat.spec;

/**
 * The learned input of a node type without features: one vector of {@code width} values shared by every node of
 * the type ({@link Mode#LABEL}, works for nodes added later; {@code nodeCount} 0), or one per node
 * ({@link Mode#NODE}, transductive; {@code nodeCount} the type's node count in training).
 */
public record FeaturelessInput(Mode mode, int width, int nodeCount) {

    /** Whether the nodes of a featureless type share one learned input or each has its own. */
    public enum Mode { LABEL, NODE }
}
