package dev.neogat.bench;

import dev.neogat.nn.Backend;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A Backend that times every operation of the one it wraps, for per-operation breakdowns. */
final class TimedBackend implements InvocationHandler {

    private final Backend delegate;
    private final Map<String, long[]> nanosAndCalls = new TreeMap<>();

    private TimedBackend(Backend delegate) {
        this.delegate = delegate;
    }

    static TimedBackend wrap(Backend delegate) {
        return new TimedBackend(delegate);
    }

    Backend backend() {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, this);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        long cpuStart = cpuNanos();
        long start = System.nanoTime();
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            boolean sparseInput = args != null && args.length > 0 && args[0] instanceof dev.neogat.nn.Tensor t
                    && t.isSparse();
            boolean projection = method.getName().startsWith("linear");
            String key = method.getName() + (sparseInput ? " (sparse input)" : "")
                    + (projection ? " (" + ((dev.neogat.nn.Tensor) args[0]).cols() + " in)" : "");
            long[] entry = nanosAndCalls.computeIfAbsent(key, k -> new long[3]);
            entry[0] += System.nanoTime() - start;
            entry[1]++;
            entry[2] += cpuNanos() - cpuStart;
        }
    }

    void reset() {
        nanosAndCalls.clear();
    }

    /**
     * CPU time of every thread of this process (the engine's pool and the caller): on a shared machine it
     * shows the work an operation does, which its wall time (including waits for a core) does not.
     */
    private static long cpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            sum += Math.max(0, threads.getThreadCpuTime(id));
        }
        return sum;
    }

    /** Per-operation wall and CPU milliseconds per repetition, largest CPU time first. */
    String report(int repetitions) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "  %-26s %11s %11s%n", "operation",
                "wall ms", "CPU ms"));
        long[] total = new long[3];
        nanosAndCalls.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[2], a.getValue()[2]))
                .forEach(e -> {
                    out.append(String.format(Locale.ROOT, "  %-26s %11.3f %11.3f  (%d calls)%n", e.getKey(),
                            e.getValue()[0] / 1e6 / repetitions, e.getValue()[2] / 1e6 / repetitions,
                            e.getValue()[1] / repetitions));
                    total[0] += e.getValue()[0];
                    total[2] += e.getValue()[2];
                });
        out.append(String.format(Locale.ROOT, "  %-26s %11.3f %11.3f%n", "all", total[0] / 1e6 / repetitions,
                total[2] / 1e6 / repetitions));
        return out.toString();
    }
}
