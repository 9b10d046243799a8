package dev.neogat.procedures;

import dev.neogat.testing.PackageGraph;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The facade's packages form layers with no cycles: config → load, progress, catalog, context → write →
 * facade → the procedure classes, which only translate Cypher to the facade and back.
 */
class PackageLayersTest {

    private static final List<List<String>> LAYERS = List.of(
            List.of("config"),
            List.of("load", "progress", "catalog"),
            List.of("context"),
            List.of("write"),
            List.of("facade"),
            List.of(""));

    private final PackageGraph graph = PackageGraph.read(Path.of("src/main/java"), "dev.neogat.procedures");

    @Test
    void thereIsNoPackageCycle() {
        assertEquals(List.of(), graph.cycles(), "package cycles in the procedures module");
    }

    @Test
    void everyPackageImportsOnlyFromTheLayersBelow() {
        List<String> violations = new ArrayList<>();
        for (String pkg : graph.packages()) {
            int layer = layerOf(pkg);
            assertTrue(layer >= 0, () -> pkg + " is in no layer of " + LAYERS + "; add it where it belongs");
            for (String imported : graph.importsOf(pkg)) {
                if (layerOf(imported) >= layer) {
                    violations.add(pkg + " imports " + imported);
                }
            }
        }
        assertEquals(List.of(), violations, "imports that go sideways or up the layers " + LAYERS);
    }

    private static int layerOf(String pkg) {
        String local = pkg.equals("dev.neogat.procedures") ? "" : pkg.substring("dev.neogat.procedures.".length());
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(local)) {
                return i;
            }
        }
        return -1;
    }
}
