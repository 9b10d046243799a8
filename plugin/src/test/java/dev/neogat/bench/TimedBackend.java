package dev.neogat.bench;

import dev.neogat.nn.Backend;

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
        long start = System.nanoTime();
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            boolean sparseInput = args != null && args.length > 0 && args[0] instanceof dev.neogat.nn.Tensor t
                    && t.isSparse();
            String key = method.getName() + (sparseInput ? " (sparse input)" : "");
            long[] entry = nanosAndCalls.computeIfAbsent(key, k -> new long[2]);
            entry[0] += System.nanoTime() - start;
            entry[1]++;
        }
    }

    void reset() {
        nanosAndCalls.clear();
    }

    /** Per-operation milliseconds per repetition, largest first. */
    String report(int repetitions) {
        StringBuilder out = new StringBuilder();
        nanosAndCalls.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(e -> out.append(String.format(Locale.ROOT, "  %-26s %8.3f ms  (%d calls)%n", e.getKey(),
                        e.getValue()[0] / 1e6 / repetitions, e.getValue()[1] / repetitions)));
        return out.toString();
    }
}
