package dev.neogat.it;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.testing.SharedData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A citation dataset in the CSV layout of {@code ../shared/datasets}, ready as Neo4j's import directory:
 * a given directory, else (when {@code preferShared}) Cora from {@code ../shared} if present, else a
 * generated citation-like graph (deterministic: 2708 papers, 7 subjects, 1433-word vocabulary) written
 * into {@code fallback}.
 */
public record DemoDataset(String name, Path directory, int featureCount, int nodeCount, int relationshipCount) {

    public static DemoDataset of(Path given, Path fallback, boolean preferShared) {
        try {
            Path directory = given;
            if (directory == null && preferShared) {
                Path shared = SharedData.sharedDir();
                Path cora = shared == null ? null : shared.resolve("datasets/cora");
                directory = cora != null && Files.exists(cora.resolve("nodes.csv.gz")) ? cora : null;
            }
            if (directory == null) {
                Dataset generated = SyntheticGraphs.generate(SyntheticGraphs.Spec.citationLike(7));
                PlanetoidCsv.write(generated, fallback);
                directory = fallback;
            }
            Dataset dataset = PlanetoidCsv.load(directory);
            return new DemoDataset(directory.equals(fallback) ? "generated citation graph" : dataset.name(),
                    directory.toAbsolutePath(), dataset.features().cols(), dataset.nodeCount(), dataset.edgeCount());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the dataset", e);
        }
    }
}
