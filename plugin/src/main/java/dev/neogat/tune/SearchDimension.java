package dev.neogat.tune;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One searched key: a real interval drawn uniformly or log-uniformly, or a finite list of choices
 * (integers or booleans) drawn with equal probability.
 */
public record SearchDimension(String key, Kind kind, double min, double max, List<Object> choices) {

    public enum Kind { UNIFORM, LOG_UNIFORM, CHOICE }

    public SearchDimension {
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public static SearchDimension uniform(String key, double min, double max) {
        return new SearchDimension(key, Kind.UNIFORM, min, max, null);
    }

    public static SearchDimension logUniform(String key, double min, double max) {
        return new SearchDimension(key, Kind.LOG_UNIFORM, min, max, null);
    }

    public static SearchDimension choice(String key, List<?> choices) {
        return new SearchDimension(key, Kind.CHOICE, Double.NaN, Double.NaN, List.copyOf(choices));
    }

    /** Draws one value; each dimension takes exactly one draw from {@code random}, so trials stay reproducible. */
    Object sample(SplittableRandom random) {
        double u = random.nextDouble();
        return switch (kind) {
            case UNIFORM -> min + u * (max - min);
            case LOG_UNIFORM -> Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)));
            case CHOICE -> choices.get(Math.min((int) (u * choices.size()), choices.size() - 1));
        };
    }

    /** Whether {@code value} is one this dimension can produce. */
    boolean contains(Object value) {
        if (kind == Kind.CHOICE) {
            return choices.contains(value);
        }
        return value instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max;
    }

    /** The largest value, for memory estimates of integer choices. */
    int largestInteger() {
        return choices.stream().mapToInt(c -> ((Number) c).intValue()).max().orElseThrow();
    }

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("kind", kind.name().toLowerCase().replace('_', '-'));
        if (kind == Kind.CHOICE) {
            map.put("choices", choices);
        } else {
            map.put("min", min);
            map.put("max", max);
        }
        return map;
    }
}
