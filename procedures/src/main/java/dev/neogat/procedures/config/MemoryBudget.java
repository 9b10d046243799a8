package dev.neogat.procedures.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code memoryBudget}: the heap a run may take beyond the graph it loaded, as bytes (an integer) or a string with a
 * unit: {@code '512MiB'}, {@code '1GiB'}, {@code '1.5 GB'} (B, KB/KiB, MB/MiB, GB/GiB, TB/TiB, all powers of 1024, case
 * ignored). Without it, {@link #DEFAULT_SHARE_OF_FREE_HEAP} of the heap that is free when the run starts.
 */
public final class MemoryBudget {

    public static final String KEY = "memoryBudget";
    /** The share of the free heap a run may take when no budget is given. */
    public static final double DEFAULT_SHARE_OF_FREE_HEAP = 0.5;

    private static final Pattern SIZE = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)\\s*");
    private static final List<String> UNITS = List.of("b", "k", "m", "g", "t");

    private MemoryBudget() {
    }

    /** The budget {@code config} gives, in bytes, or null when the key is absent. */
    public static Long read(ConfigMap config) {
        Object value = config.rawValue(KEY);
        if (value == null) {
            return null;
        }
        long bytes = parse(value);
        config.record(KEY, value);
        return bytes;
    }

    /** The budget of a run: the one given, or the default share of the heap free now. */
    public static long orDefault(Long given) {
        return given != null ? given : (long) (DEFAULT_SHARE_OF_FREE_HEAP * freeHeap());
    }

    /** Heap not in use now, up to the maximum heap. */
    public static long freeHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    }

    /** Bytes of a budget given as a number of bytes or a size string. */
    static long parse(Object value) {
        if (value instanceof Long || value instanceof Integer) {
            long bytes = ((Number) value).longValue();
            if (bytes <= 0) {
                throw invalid(value, "it must be positive");
            }
            return bytes;
        }
        if (!(value instanceof String text)) {
            throw invalid(value, "it must be a number of bytes or a string such as '512MiB' or '1GiB'");
        }
        Matcher matcher = SIZE.matcher(text);
        if (!matcher.matches()) {
            throw invalid(value, "give a number of bytes or a size such as '512MiB' or '1GiB'");
        }
        String unit = matcher.group(2).toLowerCase(Locale.ROOT);
        int power = unit.isEmpty() ? 0 : UNITS.indexOf(unit.substring(0, 1));
        boolean knownSuffix = unit.length() <= 1 || unit.equals("b") || unit.substring(1).equals("b")
                || unit.substring(1).equals("ib");
        if (power < 0 || !knownSuffix || (power == 0 && unit.length() > 1)) {
            throw invalid(value, "unknown unit '" + matcher.group(2) + "'; use B, KiB, MiB, GiB or TiB");
        }
        double bytes = Double.parseDouble(matcher.group(1)) * Math.pow(1024, power);
        if (!(bytes >= 1) || bytes > Long.MAX_VALUE / 2) {
            throw invalid(value, "it must be at least 1 byte and below 4 EiB");
        }
        return (long) bytes;
    }

    private static IllegalArgumentException invalid(Object value, String why) {
        return new IllegalArgumentException("Configuration '" + KEY + "' must be a memory size, got "
                + ConfigMap.describe(value) + "; " + why);
    }
}
