package dev.neogat.spec;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How a typed layer combines the outputs of the relations that point into one node type. */
public enum RelationAggregation {
    /** Σ_r z_r, PyG's {@code HeteroConv(aggr='sum')} default. */
    SUM,
    /** (1/R) Σ_r z_r. */
    MEAN,
    /** Σ_r β_r z_r with β learned per target type, HAN's semantic attention (Wang et al. 2019). */
    ATTENTION;

    /** The name users write: 'sum', 'mean' or 'attention'. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RelationAggregation parse(String value) {
        for (RelationAggregation a : values()) {
            if (a.key().equalsIgnoreCase(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException("relationAggregation must be one of "
                + Arrays.stream(values()).map(a -> "'" + a.key() + "'").collect(Collectors.joining(", "))
                + ", got '" + value + "'");
    }
}
