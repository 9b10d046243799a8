package dev.neogat.testing;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's packages form layers with no cycles: a package imports only from the layers below it
 * (spec → graph/data/util → nn → nn.cpu/gpu → model → train → tune/analysis/device/datasets), and never a
 * Neo4j class.
 */
class PackageLayersTest {

    private static final List<List<String>> LAYERS = List.of(
            List.of("util", "spec"),
            List.of("graph", "data"),
            List.of("nn"),
            List.of("nn.cpu", "gpu"),
            List.of("model"),
            List.of("train"),
            List.of("tune", "analysis", "device", "datasets"));

    private final PackageGraph graph = PackageGraph.read(Path.of("src/main/java"), "dev.neogat");

    @Test
    void thereIsNoPackageCycle() {
        assertEquals(List.of(), graph.cycles(), "package cycles in the engine");
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

    @Test
    void theEngineImportsNothingFromNeo4j() {
        PackageGraph neo4j = PackageGraph.read(Path.of("src/main/java"), "org.neo4j");
        for (String pkg : neo4j.packages()) {
            assertEquals(java.util.Set.of(), neo4j.importsOf(pkg), pkg + " imports Neo4j");
        }
    }

    private static int layerOf(String pkg) {
        String local = pkg.substring("dev.neogat.".length());
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(local)) {
                return i;
            }
        }
        return -1;
    }
}
