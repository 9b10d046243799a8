package dev.neogat.procedures.config;

import dev.neogat.tune.SearchSpace;
import dev.neogat.tune.TuneSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code autoTune}: {@code true} (20 trials over the default space) or a map of {@code maxTrials},
 * {@code timeBudget} ('90s', '10m', '1h'), {@code seedsPerTrial} and {@code space}. The keys the user set in the
 * rest of the configuration are fixed; the engine's {@link SearchSpace} checks the ranges.
 */
public final class AutoTuneConfig {

    static final List<String> KEYS = List.of("maxTrials", "timeBudget", "seedsPerTrial", "space");

    private static final Pattern DURATION = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)\\s*");

    private AutoTuneConfig() {
    }

    /** The search settings, or null when autoTune is absent or false; records what was read in {@code used}. */
    static TuneSettings read(ConfigMap config, Object value, int layers, long seed) {
        if (value == null || Boolean.FALSE.equals(value)) {
            return null;
        }
        Map<?, ?> map;
        if (Boolean.TRUE.equals(value)) {
            map = Map.of();
        } else if (value instanceof Map<?, ?> given) {
            map = given;
        } else {
            throw new IllegalArgumentException("Configuration 'autoTune' must be true, false or a map of "
                    + String.join(", ", KEYS) + ", got " + ConfigMap.describe(value));
        }
        for (Object key : map.keySet()) {
            if (!KEYS.contains(String.valueOf(key))) {
                String closest = ConfigMap.closest(String.valueOf(key), KEYS);
                throw new IllegalArgumentException("Unknown key 'autoTune." + key + "'"
                        + (closest == null ? "" : "; did you mean 'autoTune." + closest + "'?")
                        + " Valid keys: " + String.join(", ", new TreeSet<>(KEYS)));
            }
        }
        int maxTrials = count("maxTrials", map.get("maxTrials"), TuneSettings.DEFAULT_MAX_TRIALS,
                TuneSettings.MAX_TRIALS_LIMIT);
        int seedsPerTrial = count("seedsPerTrial", map.get("seedsPerTrial"), TuneSettings.DEFAULT_SEEDS_PER_TRIAL,
                TuneSettings.SEEDS_PER_TRIAL_LIMIT);
        long budgetMillis = timeBudgetMillis(map.get("timeBudget"));
        Map<String, Object> entries = space(map.get("space"));
        Map<String, Object> explicitlySet = new LinkedHashMap<>();
        for (String key : SearchSpace.KEYS) {
            if (config.has(key)) {
                explicitlySet.put(key, config.used().get(key) instanceof List<?> list && list.size() == 1
                        ? list.get(0) : config.used().get(key));
            }
        }
        // attentionDropout and messageDropout default to dropout: a user who set dropout set them too.
        Set<String> following = new TreeSet<>();
        if (config.has("dropout")) {
            for (String key : List.of("attentionDropout", "messageDropout")) {
                if (!config.has(key)) {
                    following.add(key);
                }
            }
        }
        SearchSpace space = SearchSpace.of(entries, explicitlySet, following, layers > 1);
        TuneSettings settings = new TuneSettings(maxTrials, budgetMillis, seed, space, seedsPerTrial);
        Map<String, Object> used = new LinkedHashMap<>();
        used.put("maxTrials", maxTrials);
        used.put("seedsPerTrial", seedsPerTrial);
        used.put("timeBudget", map.get("timeBudget") == null ? null : String.valueOf(map.get("timeBudget")));
        used.put("searched", space.dimensions().stream().map(d -> d.key()).toList());
        used.values().removeIf(java.util.Objects::isNull);
        config.record("autoTune", used);
        return settings;
    }

    /** The integer {@code autoTune.<key>}, 1 to {@code limit}; {@code absent} when not given. */
    private static int count(String key, Object value, int absent, int limit) {
        if (value == null) {
            return absent;
        }
        if (!(value instanceof Long || value instanceof Integer)) {
            throw new IllegalArgumentException("Configuration 'autoTune." + key + "' must be an integer, got "
                    + ConfigMap.describe(value));
        }
        long count = ((Number) value).longValue();
        if (count < 1 || count > limit) {
            throw new IllegalArgumentException("Configuration 'autoTune." + key + "' must be between 1 and "
                    + limit + ", got " + count);
        }
        return (int) count;
    }

    /** '90s', '10m', '1.5h', '500ms'; 0 when absent (no budget). */
    static long timeBudgetMillis(Object value) {
        if (value == null) {
            return 0;
        }
        Matcher matcher = value instanceof String s ? DURATION.matcher(s.toLowerCase(Locale.ROOT)) : null;
        if (matcher == null || !matcher.matches()) {
            throw new IllegalArgumentException("Configuration 'autoTune.timeBudget' must be a duration such as '90s', "
                    + "'10m' or '1h', got " + ConfigMap.describe(value));
        }
        double amount = Double.parseDouble(matcher.group(1));
        double millis = amount * switch (matcher.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
        };
        if (millis < 1 || millis > 30L * 24 * 3_600_000) {
            throw new IllegalArgumentException("Configuration 'autoTune.timeBudget' must be between 1ms and 30 days, "
                    + "got '" + value + "'");
        }
        return Math.round(millis);
    }

    private static Map<String, Object> space(Object value) {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("Configuration 'autoTune.space' must be a map from a tunable key to its "
                    + "range, e.g. {dropout: [0.2, 0.6]}, got " + ConfigMap.describe(value));
        }
        Map<String, Object> entries = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = String.valueOf(entry.getKey());
            if (!SearchSpace.KEYS.contains(key)) {
                String closest = ConfigMap.closest(key, SearchSpace.KEYS);
                throw new IllegalArgumentException("autoTune.space cannot search '" + key + "'"
                        + (closest == null ? "" : "; did you mean '" + closest + "'?") + " The tunable keys are "
                        + String.join(", ", SearchSpace.KEYS));
            }
            entries.put(key, entry.getValue());
        }
        return entries;
    }
}
