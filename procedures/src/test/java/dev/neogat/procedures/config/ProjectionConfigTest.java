package dev.neogat.procedures.config;

import dev.neogat.graph.Orientation;
import dev.neogat.model.ModelMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The projection stored with a model reads back as it was, and a key an older model file lacks as its default. */
class ProjectionConfigTest {

    @Test
    void aStoredProjectionReadsBackAsItWas() {
        ProjectionConfig projection = new ProjectionConfig(List.of("Paper"), List.of("CITES"), Orientation.NATURAL,
                false, true, List.of("a", "b"), true);
        assertThat(ProjectionConfig.of(projection.toMetadata())).isEqualTo(projection);
    }

    @Test
    void keysAnOlderModelFileLacksTakeTheirDeclaredDefaults() {
        // As the version-1 fixture stores it: no selfLoops, dropDuplicates or missingFeatures.
        ModelMetadata.Projection old = new ModelMetadata.Projection(List.of("Paper"), List.of("CITES"), "UNDIRECTED",
                null, null, List.of("features"), null);
        assertThat(ProjectionConfig.of(old)).isEqualTo(new ProjectionConfig(List.of("Paper"), List.of("CITES"),
                Orientation.UNDIRECTED, TrainKeys.SELF_LOOPS.defaultValue(), TrainKeys.DROP_DUPLICATES.defaultValue(),
                List.of("features"), false));
    }
}
