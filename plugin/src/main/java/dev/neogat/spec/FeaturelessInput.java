package dev.neogat.spec;

import java.util.Locale;

/**
 * The learned input of a node type without features: {@link Mode#LABEL} one vector of {@code width} values
 * shared by every node of the type (so nodes added after training get it too; {@code nodeCount} 0),
 * {@link Mode#NODE} one vector per node of the type as it was in training ({@code nodeCount} rows;
 * transductive: a node unseen in training has none).
 */
public record FeaturelessInput(Mode mode, int width, int nodeCount) {

    public enum Mode {
        LABEL, NODE;

        /** The stored and user-facing spelling: 'label' or 'node'. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public FeaturelessInput {
        if (mode == null) {
            throw new IllegalArgumentException("A featureless input needs a mode (label or node)");
        }
        ArchitectureChecks.requireAtLeast("featureless width", width, 1);
        if (mode == Mode.LABEL && nodeCount != 0) {
            throw new IllegalArgumentException("A featureless input per label has no node count, got " + nodeCount);
        }
        if (mode == Mode.NODE && nodeCount < 1) {
            throw new IllegalArgumentException("A featureless input per node needs the type's node count in "
                    + "training (at least 1), got " + nodeCount);
        }
    }

    /** One learned vector shared by every node of the type. */
    public static FeaturelessInput perLabel(int width) {
        return new FeaturelessInput(Mode.LABEL, width, 0);
    }

    /** One learned vector for each of the type's {@code nodeCount} nodes in training. */
    public static FeaturelessInput perNode(int width, int nodeCount) {
        return new FeaturelessInput(Mode.NODE, width, nodeCount);
    }

    /** Rows of the learned parameter: 1 per label, one per node. */
    public int rows() {
        return mode == Mode.LABEL ? 1 : nodeCount;
    }
}
