package dev.neogat.tune;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.TunableBuilder;
import dev.neogat.spec.TypedGatConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The keys a search draws, each with its range: by default every tunable key the user left unset, over a
 * range around the GAT paper's settings; a {@code space} entry replaces a key's default range. A key the
 * user set is never searched. Values are plain (numbers, booleans, lists) as a Cypher map gives them.
 */
public record SearchSpace(List<SearchDimension> dimensions) {

    /** The tunable keys, in drawing order (the order is part of what makes a seed reproducible). */
    public static final List<String> KEYS = List.of("dropout", "attentionDropout", "messageDropout", "learningRate",
            "weightDecay", "hiddenChannels", "heads", "normalizeFeatures");

    private static final Set<String> HIDDEN_LAYER_KEYS = Set.of("hiddenChannels", "heads");

    public SearchSpace {
        dimensions = List.copyOf(dimensions);
    }

    /** The range each key has when the user gives no {@code space} entry for it. */
    public static SearchDimension defaultDimension(String key) {
        return switch (key) {
            case "dropout" -> SearchDimension.uniform(key, 0.1, 0.7);
            case "attentionDropout", "messageDropout" -> SearchDimension.uniform(key, 0.0, 0.7);
            case "learningRate" -> SearchDimension.logUniform(key, 0.001, 0.02);
            case "weightDecay" -> SearchDimension.logUniform(key, 1e-5, 1e-2);
            case "hiddenChannels" -> SearchDimension.choice(key, List.of(8, 16, 32));
            case "heads" -> SearchDimension.choice(key, List.of(4, 8));
            case "normalizeFeatures" -> SearchDimension.choice(key, List.of(true, false));
            default -> throw unknownKey(key);
        };
    }

    /**
     * The space of one run.
     *
     * @param entries         the user's {@code space}: key to [min, max] (real keys) or a list of choices
     * @param explicitlySet   keys the user set, with their values: never searched, and a {@code space} entry
     *                        for one of them is an error
     * @param following       keys the user left unset whose default follows a set key (attentionDropout
     *                        follows dropout): not searched unless a {@code space} entry asks for them
     * @param hiddenLayers    whether the model has hidden layers (hiddenChannels and heads mean nothing without)
     */
    public static SearchSpace of(Map<String, ?> entries, Map<String, ?> explicitlySet, Set<String> following,
                                 boolean hiddenLayers) {
        for (String key : entries.keySet()) {
            if (!KEYS.contains(key)) {
                throw unknownKey(key);
            }
            if (explicitlySet.containsKey(key)) {
                throw new IllegalArgumentException("autoTune.space." + key + " asks to search '" + key
                        + "', but the configuration sets '" + key + "' to " + explicitlySet.get(key)
                        + "; remove one of them (a key you set is never searched)");
            }
            if (!hiddenLayers && HIDDEN_LAYER_KEYS.contains(key)) {
                throw new IllegalArgumentException("autoTune.space." + key + " cannot be searched: with layers 1 "
                        + "there is no hidden layer");
            }
        }
        List<SearchDimension> dimensions = new ArrayList<>();
        for (String key : KEYS) {
            if (entries.containsKey(key)) {
                dimensions.add(parse(key, entries.get(key)));
            } else if (!explicitlySet.containsKey(key) && !following.contains(key)
                    && (hiddenLayers || !HIDDEN_LAYER_KEYS.contains(key))) {
                dimensions.add(defaultDimension(key));
            }
        }
        return new SearchSpace(dimensions);
    }

    private static IllegalArgumentException unknownKey(String key) {
        return new IllegalArgumentException("autoTune.space cannot search '" + key + "'; the tunable keys are "
                + String.join(", ", KEYS));
    }

    private static SearchDimension parse(String key, Object value) {
        String where = "autoTune.space." + key;
        switch (key) {
            case "dropout", "attentionDropout", "messageDropout" -> {
                double[] range = range(where, value, "[min, max] with 0 <= min <= max < 1");
                if (!(range[0] >= 0 && range[1] < 1)) {
                    throw new IllegalArgumentException(where + " must be [min, max] with 0 <= min <= max < 1, got "
                            + value);
                }
                return SearchDimension.uniform(key, range[0], range[1]);
            }
            case "learningRate", "weightDecay" -> {
                double[] range = range(where, value, "[min, max] with 0 < min <= max <= 10 (drawn log-uniformly)");
                if (!(range[0] > 0 && range[1] <= 10)) {
                    throw new IllegalArgumentException(where + " must be [min, max] with 0 < min <= max <= 10 (it is "
                            + "drawn log-uniformly, so min must be above 0), got " + value);
                }
                return SearchDimension.logUniform(key, range[0], range[1]);
            }
            case "hiddenChannels", "heads" -> {
                int max = key.equals("heads") ? 1024 : 4096;
                List<?> list = nonEmptyList(where, value, "a list of integers between 1 and " + max);
                List<Object> choices = new ArrayList<>();
                for (Object item : list) {
                    if (!(item instanceof Long || item instanceof Integer) || ((Number) item).longValue() < 1
                            || ((Number) item).longValue() > max) {
                        throw new IllegalArgumentException(where + " must be a list of integers between 1 and "
                                + max + " to choose from, got " + value);
                    }
                    choices.add(((Number) item).intValue());
                }
                return SearchDimension.choice(key, distinct(choices));
            }
            case "normalizeFeatures" -> {
                List<?> list = nonEmptyList(where, value, "a list of booleans, e.g. [true, false]");
                if (list.stream().anyMatch(item -> !(item instanceof Boolean))) {
                    throw new IllegalArgumentException(where + " must be a list of booleans to choose from, e.g. "
                            + "[true, false], got " + value);
                }
                return SearchDimension.choice(key, distinct(new ArrayList<>(list)));
            }
            default -> throw unknownKey(key);
        }
    }

    private static double[] range(String where, Object value, String expected) {
        if (!(value instanceof List<?> list) || list.size() != 2 || !(list.get(0) instanceof Number lo)
                || !(list.get(1) instanceof Number hi)) {
            throw new IllegalArgumentException(where + " must be " + expected + ", got " + value);
        }
        double min = lo.doubleValue();
        double max = hi.doubleValue();
        if (!(min <= max) || !Double.isFinite(min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException(where + " must be " + expected + " (min first), got " + value);
        }
        return new double[]{min, max};
    }

    private static List<?> nonEmptyList(String where, Object value, String expected) {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException(where + " must be " + expected + ", got " + value);
        }
        return list;
    }

    private static List<Object> distinct(List<Object> values) {
        return values.stream().distinct().toList();
    }

    /** Draws one configuration: key to value, in {@link #KEYS} order. */
    Map<String, Object> sample(java.util.SplittableRandom random) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (SearchDimension dimension : dimensions) {
            values.put(dimension.key(), dimension.sample(random));
        }
        return values;
    }

    /** The base configuration's values of the searched keys ({@code valueOf}: key to value) if all lie in the space. */
    Map<String, Object> baseValues(Function<String, Object> valueOf) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (SearchDimension dimension : dimensions) {
            Object value = valueOf.apply(dimension.key());
            if (value == null || !dimension.contains(value)) {
                return null;
            }
            values.put(dimension.key(), value);
        }
        return values;
    }

    /** The base configuration widened to the largest hiddenChannels and heads a trial can draw (for memory). */
    public GatConfig largest(GatConfig base) {
        return widest(base.toBuilder(), base.layerCount()).build();
    }

    /** The typed base configuration widened as {@link #largest(GatConfig)} widens an untyped one. */
    public TypedGatConfig largest(TypedGatConfig base) {
        return widest(base.toBuilder(), base.layers()).build();
    }

    private <B extends TunableBuilder<B>> B widest(B builder, int layers) {
        for (SearchDimension dimension : dimensions) {
            if (dimension.key().equals("hiddenChannels") && layers > 1) {
                builder.hiddenChannels(dimension.largestInteger());
            } else if (dimension.key().equals("heads") && layers > 1) {
                builder.hiddenHeads(dimension.largestInteger());
            }
        }
        return builder;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        dimensions.forEach(d -> map.put(d.key(), d.toMap()));
        return map;
    }
}
