package dev.neogat.bench;

import java.util.Arrays;

/** Arguments of benchmark mains: Maven passes them as one (possibly empty) string. */
final class BenchArgs {

    private BenchArgs() {
    }

    static String[] words(String[] args) {
        return Arrays.stream(args).flatMap(a -> Arrays.stream(a.trim().split("\\s+"))).filter(w -> !w.isEmpty())
                .toArray(String[]::new);
    }

    /** -Dbench.threads, default all cores. */
    static int threads() {
        String value = System.getProperty("bench.threads", "");
        return value.isBlank() ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(value.trim());
    }
}
