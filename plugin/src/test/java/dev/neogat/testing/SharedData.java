package dev.neogat.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Locates {@code ../shared} (datasets, golden files) beside the project. Tests that need it skip with a
 * message saying what is missing; nothing from it is copied into the project.
 */
public final class SharedData {

    private SharedData() {
    }

    /** The shared directory, or null when it cannot be found. */
    public static Path sharedDir() {
        String property = System.getProperty("neogat.shared.dir");
        if (property != null && !property.isBlank() && Files.isDirectory(Paths.get(property))) {
            return Paths.get(property).toAbsolutePath().normalize();
        }
        Path dir = Paths.get("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("golden")) || Files.isDirectory(candidate.resolve("datasets"))) {
                return candidate.normalize();
            }
        }
        return null;
    }

    /** {@code shared/<relative>}, or skips the calling test with a clear message when absent. */
    public static Path require(String relative) {
        Path shared = sharedDir();
        Path path = shared == null ? null : shared.resolve(relative);
        assumeTrue(path != null && Files.exists(path),
                () -> "Skipped: ../shared/" + relative + " is not present (set -Dneogat.shared.dir to the shared folder)");
        return path;
    }
}
