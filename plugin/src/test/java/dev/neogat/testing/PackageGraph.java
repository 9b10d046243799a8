package dev.neogat.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which package of a source tree imports which, read from the {@code import} lines of its {@code .java} files, so
 * a test can hold the packages to an order with no cycles. Only imports under {@code prefix} count.
 */
public final class PackageGraph {

    private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
    private static final Pattern IMPORT = Pattern.compile("(?m)^import (?:static )?([a-z][\\w.]*?)\\.[A-Z]\\w*[\\w.*]*;");

    private final Map<String, Set<String>> imports = new TreeMap<>();

    private PackageGraph() {
    }

    public static PackageGraph read(Path sourceRoot, String prefix) {
        PackageGraph graph = new PackageGraph();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                String source = Files.readString(file);
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) {
                    continue;
                }
                String from = pkg.group(1);
                Set<String> targets = graph.imports.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher imp = IMPORT.matcher(source);
                while (imp.find()) {
                    String to = imp.group(1);
                    if (to.startsWith(prefix) && !to.equals(from)) {
                        targets.add(to);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    public Set<String> packages() {
        return imports.keySet();
    }

    public Set<String> importsOf(String pkg) {
        return imports.getOrDefault(pkg, Set.of());
    }

    /** Every cycle found, each as the path of packages that closes it (empty when the graph is acyclic). */
    public List<List<String>> cycles() {
        List<List<String>> cycles = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : imports.keySet()) {
            findCycles(start, new ArrayDeque<>(), new TreeSet<>(), done, cycles);
        }
        return cycles;
    }

    private void findCycles(String pkg, Deque<String> path, Set<String> onPath, Set<String> done,
                            List<List<String>> cycles) {
        if (onPath.contains(pkg)) {
            List<String> cycle = new ArrayList<>();
            boolean in = false;
            for (String p : (Iterable<String>) path::descendingIterator) {
                in |= p.equals(pkg);
                if (in) {
                    cycle.add(p);
                }
            }
            cycle.add(pkg);
            cycles.add(cycle);
            return;
        }
        if (done.contains(pkg)) {
            return;
        }
        path.push(pkg);
        onPath.add(pkg);
        for (String next : importsOf(pkg)) {
            findCycles(next, path, onPath, done, cycles);
        }
        onPath.remove(pkg);
        path.pop();
        done.add(pkg);
    }
}
