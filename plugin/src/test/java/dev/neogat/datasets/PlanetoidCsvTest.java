package dev.neogat.datasets;

import dev.neogat.nn.SparseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PlanetoidCsvTest {

    @TempDir
    Path dir;

    @Test
    void writtenDatasetReadsBackTheSame() throws IOException {
        Dataset generated = SyntheticGraphs.generate(
                new SyntheticGraphs.Spec(300, 4, 3, 120, true, 10, 0.8, 0.5, 50, 100, 9));
        PlanetoidCsv.write(generated, dir);
        Dataset read = PlanetoidCsv.load(dir);
        assertThat(read.nodeCount()).isEqualTo(300);
        assertThat(read.sources()).containsExactly(generated.sources());
        assertThat(read.targets()).containsExactly(generated.targets());
        assertThat(read.labels().classes()).containsExactly(generated.labels().classes());
        assertThat(read.split().train()).containsExactly(generated.split().train());
        assertThat(read.split().validation()).containsExactly(generated.split().validation());
        assertThat(read.split().test()).containsExactly(generated.split().test());
        assertThat(read.classNames()).isEqualTo(generated.classNames());
        SparseMatrix a = (SparseMatrix) generated.features();
        SparseMatrix b = (SparseMatrix) read.features();
        assertThat(b.rowOffsets()).containsExactly(a.rowOffsets());
        assertThat(b.columns()).containsExactly(a.columns());
        assertThat(b.values()).containsExactly(a.values());
    }
}
