package dev.neogat.procedures.config;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

/**
 * One configuration key, declared once: its name, its default, how its value is read and checked (type and
 * allowed range or values, in {@code reader}), and what it means. {@code defaultText} is the default as the
 * README's key table shows it; for a default that depends on something else (another key, the machine) it says
 * so in words.
 */
public record ConfigKey<T>(String name, T defaultValue, String defaultText, String description, Reader<T> reader) {

    /** Reads the value of key {@code name} from {@code config}, or {@code defaultValue} when it is absent. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(ConfigMap config, String name, T defaultValue);
    }

    /** The value given, or the declared default. */
    public T read(ConfigMap config) {
        return reader.read(config, name, defaultValue);
    }

    /** The value given, or {@code defaultValue} (e.g. the stored model's value, or another key's). */
    public T read(ConfigMap config, T defaultValue) {
        return reader.read(config, name, defaultValue);
    }

    /** The same key, with its default shown as {@code text} (a default given in words or following another key). */
    public ConfigKey<T> shownAs(String text) {
        return new ConfigKey<>(name, defaultValue, text, description, reader);
    }

    public static ConfigKey<Integer> integer(String name, int defaultValue, int min, int max, String description) {
        return new ConfigKey<>(name, defaultValue, code(defaultValue), description,
                (config, key, given) -> config.integer(key, given, min, max));
    }

    /** One integer, or a list of them (one per hidden layer). */
    public static ConfigKey<List<Integer>> integers(String name, int defaultValue, int min, int max,
                                                    String description) {
        return new ConfigKey<>(name, List.of(defaultValue), code(defaultValue), description,
                (config, key, given) -> config.integers(key, given.get(0), min, max));
    }

    public static ConfigKey<Long> longValue(String name, long defaultValue, String description) {
        return new ConfigKey<>(name, defaultValue, code(defaultValue), description, ConfigMap::longValue);
    }

    /** A number in [min, max], or [min, max) when {@code maxExclusive}. */
    public static ConfigKey<Double> number(String name, double defaultValue, double min, double max,
                                           boolean maxExclusive, String description) {
        return new ConfigKey<>(name, defaultValue, code(defaultValue), description,
                (config, key, given) -> config.number(key, given, min, max, maxExclusive));
    }

    /** A number above 0 and at most {@code max}. */
    public static ConfigKey<Double> positive(String name, double defaultValue, double max, String description) {
        return new ConfigKey<>(name, defaultValue, code(defaultValue), description,
                (config, key, given) -> config.positiveNumber(key, given, max));
    }

    public static ConfigKey<Boolean> bool(String name, boolean defaultValue, String description) {
        return new ConfigKey<>(name, defaultValue, code(defaultValue), description, ConfigMap::bool);
    }

    /** One of {@code choices}, case-insensitive, returned as written there. */
    public static ConfigKey<String> choice(String name, String defaultValue, List<String> choices,
                                           String description) {
        return new ConfigKey<>(name, defaultValue, code(defaultValue), description,
                (config, key, given) -> config.choice(key, given, choices));
    }

    /** An optional string; absent: none. */
    public static ConfigKey<String> string(String name, String description) {
        return new ConfigKey<>(name, null, "none", description, ConfigMap::string);
    }

    /** A string that must be given; {@code description} completes the error when it is not. */
    public static ConfigKey<String> required(String name, String description) {
        return new ConfigKey<>(name, null, "required", description,
                (config, key, given) -> config.requiredString(key, description));
    }

    /** A string or a list of strings; absent: the empty list, whose meaning {@code defaultText} gives. */
    public static ConfigKey<List<String>> strings(String name, String defaultText, String description) {
        return new ConfigKey<>(name, List.of(), defaultText, description, ConfigMap::strings);
    }

    /** A key whose value has a shape of its own (read where it is used, from the raw value). */
    public static ConfigKey<Object> raw(String name, Object defaultValue, String description) {
        return new ConfigKey<>(name, defaultValue, code(defaultValue), description,
                (config, key, given) -> config.has(key) ? config.rawValue(key) : given);
    }

    /** A value as code in the README: numbers plain (0.0005, not 5.0E-4), strings quoted. */
    static String code(Object value) {
        String text;
        if (value instanceof String s) {
            text = "'" + s + "'";
        } else if (value instanceof Double d) {
            text = BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        } else {
            text = String.valueOf(value).toLowerCase(Locale.ROOT);
        }
        return "`" + text + "`";
    }
}
