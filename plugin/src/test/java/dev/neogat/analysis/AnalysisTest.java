package dev.neogat.analysis;

import dev.neogat.model.ModelMetadata;
import dev.neogat.data.NodeLabels;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AnalysisTest {

    @Test
    void entropyOfAKnownAttentionDistribution() {
        // Node 0 receives from 1, 2, 3, 4; node 1 only from 2; no self loops.
        IncomingCsr graph = new GraphBuilder(5).selfLoops(false).build(new int[]{1, 2, 3, 4, 2}, new int[]{0, 0, 0, 0, 1});
        float[] attention = new float[graph.slotCount() * 2];
        float[] weights = {0.1f, 0.2f, 0.3f, 0.4f};
        for (int e = 0; e < 4; e++) {
            attention[graph.slotOfEdge(e) * 2] = weights[e];
            attention[graph.slotOfEdge(e) * 2 + 1] = 0.25f;
        }
        attention[graph.slotOfEdge(4) * 2] = 1f;
        attention[graph.slotOfEdge(4) * 2 + 1] = 1f;
        AttentionEntropy entropy = AttentionEntropy.of(graph, attention, 2);

        double expected = -(0.1 * Math.log(0.1) + 0.2 * Math.log(0.2) + 0.3 * Math.log(0.3) + 0.4 * Math.log(0.4));
        assertThat(entropy.entropy(0, 0)).isCloseTo(expected, within(1e-6));
        assertThat(entropy.entropy(0, 1)).as("uniform head").isCloseTo(Math.log(4), within(1e-6));
        assertThat(entropy.uniformEntropy(0)).isCloseTo(Math.log(4), within(1e-12));
        assertThat(entropy.ratio(0, 0)).isCloseTo(expected / Math.log(4), within(1e-6));
        assertThat(entropy.ratio(0, 1)).isCloseTo(1.0, within(1e-6));
        assertThat(entropy.meanEntropy(0)).isCloseTo((expected + Math.log(4)) / 2, within(1e-6));
        assertThat(entropy.degree(0)).isEqualTo(4);
        assertThat(entropy.entropy(1, 0)).isZero();
        assertThat(entropy.ratio(1, 0)).as("a single incoming edge has no ratio").isNaN();
        assertThat(entropy.entropy(2, 0)).as("no incoming edge").isNaN();
    }

    @Test
    void histogramBinsAndEdges() {
        Histogram histogram = Histogram.equalWidth(0, 2, 4);
        for (double v : new double[]{0, 0.1, 0.5, 0.99, 1.0, 1.49, 2.0, 2.01, -0.1, Double.NaN}) {
            histogram.add(v);
        }
        assertThat(histogram.bins()).isEqualTo(4);
        assertThat(histogram.lower(1)).isEqualTo(0.5);
        assertThat(histogram.upper(3)).isEqualTo(2.0);
        assertThat(new long[]{histogram.count(0), histogram.count(1), histogram.count(2), histogram.count(3)})
                .containsExactly(2, 2, 2, 1);
        assertThrows(IllegalArgumentException.class, () -> new Histogram(new double[]{0, 1, 1}));
    }

    @Test
    void confusionMatrixAndPerClassScores() {
        NodeLabels labels = NodeLabels.singleLabel(new int[]{0, 0, 1, 1, 2, 2, -1}, 3);
        int[] predicted = {0, 1, 1, 1, 0, 2, 2};
        ClassificationReport report = ClassificationReport.of(i -> predicted[i], i -> new int[0], labels,
                new int[]{0, 1, 2, 3, 4, 5});
        assertThat(report.confusionMatrix()).isDeepEqualTo(new long[][]{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}});
        assertThat(report.precision(1)).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(report.recall(1)).isEqualTo(1.0);
        assertThat(report.f1(0)).isCloseTo(0.5, within(1e-12));
        assertThat(report.support(2)).isEqualTo(2);
        ModelMetadata.TestReport stored = report.toMetadata(List.of("a", "b", "c"));
        assertThat(stored.perClass()).hasSize(3);
        assertThat(stored.perClass().get(2).classValue()).isEqualTo("c");
        assertThat(stored.confusionMatrix()).containsExactly(List.of(1L, 1L, 0L), List.of(0L, 2L, 0L),
                List.of(1L, 0L, 1L));
    }

    @Test
    void pcaFindsTheDirectionOfVariance() {
        // Points along (1, 2, 2)/3 with small noise in the other directions.
        int n = 50;
        float[] values = new float[n * 3];
        for (int i = 0; i < n; i++) {
            double t = i - 25;
            double noise = (i % 3 - 1) * 0.01;
            values[i * 3] = (float) (t / 3 + noise);
            values[i * 3 + 1] = (float) (2 * t / 3 - noise);
            values[i * 3 + 2] = (float) (2 * t / 3 + 5);
        }
        double[] projected = Pca.project(values, n, 3, 2);
        for (int i = 0; i < n; i++) {
            assertThat(Math.abs(projected[i * 2])).as("first coordinate of point " + i)
                    .isCloseTo(Math.abs(i - 24.5), within(0.05));
            assertThat(Math.abs(projected[i * 2 + 1])).isLessThan(0.05);
        }
        assertThat(projected[(n - 1) * 2]).as("the largest coordinate is made positive").isPositive();
    }
}
