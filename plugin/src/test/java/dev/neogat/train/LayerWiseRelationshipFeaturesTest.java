package dev.neogat.train;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.testing.RandomGraphs;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Layer-wise inference of models that attend over relationship features equals full-batch inference, bit for bit:
 * every logit, hidden output and attention value, GAT and GATv2, with self loops (which carry the mean of their
 * node's incoming features) and without, at 1 and 3 threads, over many chunks.
 */
class LayerWiseRelationshipFeaturesTest {

    private static final int NODES = 300;
    private static final int EDGES = 1500;
    private static final int EDGE_DIM = 3;

    @ParameterizedTest(name = "{0}, {1}, self loops {2}, residual {3}")
    @CsvSource({
            "GAT, UNDIRECTED, true, false",
            "GAT, NATURAL, false, true",
            "GATV2, UNDIRECTED, true, true",
            "GATV2, REVERSE, true, false",
    })
    void equalsFullBatch(Variant variant, Orientation orientation, boolean selfLoops, boolean residual) {
        int[][] edges = RandomGraphs.edges(NODES, EDGES, 5, false);
        IncomingCsr graph = new GraphBuilder(NODES).orientation(orientation).selfLoops(selfLoops)
                .build(edges[0], edges[1]);
        DenseMatrix relationshipFeatures = gaussian(EDGES, EDGE_DIM, 8);
        DenseMatrix features = gaussian(NODES, 12, 9);
        GatConfig config = GatConfig.builder(12, 4).variant(variant).layers(3).hiddenChannels(5).hiddenHeads(3)
                .outputHeads(2).residual(residual).edgeDim(EDGE_DIM).build();
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 6), ModelMetadata.NONE);
        Prediction full;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            full = Inference.run(backend, model, graph, features, relationshipFeatures, Inference.Request.EVERYTHING);
        }
        long budget = LayerWiseInference.plan(config, graph, features, Long.MAX_VALUE / 4).residentBytes() + 50_000;
        assertThat(LayerWiseInference.plan(config, graph, features, budget).chunkCount()).isGreaterThan(3L * 3);
        for (int threads : new int[]{1, 3}) {
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                Prediction layerWise = LayerWiseInference.predict(backend, model, graph, features,
                        relationshipFeatures, budget, Inference.Request.EVERYTHING, TerminationFlag.RUNNING);
                assertThat(layerWise.logits()).as("logits").containsExactly(full.logits());
                for (int l = 0; l < config.layerCount(); l++) {
                    assertThat(layerWise.attention(l)).as("attention of layer %d", l)
                            .containsExactly(full.attention(l));
                    if (!config.isOutputLayer(l)) {
                        assertThat(layerWise.embeddings(l)).as("output of layer %d", l)
                                .containsExactly(full.embeddings(l));
                    }
                }
            }
        }
    }

    @Test
    void theFeaturesOfATargetRangeAreThoseRowsOfAllSlots() {
        int[][] edges = RandomGraphs.edges(50, 200, 3, false);
        IncomingCsr graph = new GraphBuilder(50).orientation(Orientation.UNDIRECTED).build(edges[0], edges[1]);
        DenseMatrix perEdge = gaussian(200, 2, 4);
        float[] all = EdgeFeatures.perSlot(graph, perEdge).data();
        int[] offsets = graph.offsets();
        for (int[] range : new int[][]{{0, 50}, {7, 8}, {10, 31}, {49, 50}, {20, 20}}) {
            DenseMatrix rows = EdgeFeatures.perSlot(graph, perEdge, range[0], range[1]);
            assertThat(rows.rows()).isEqualTo(offsets[range[1]] - offsets[range[0]]);
            for (int k = 0; k < rows.rows() * 2; k++) {
                assertThat(rows.data()[k]).isEqualTo(all[offsets[range[0]] * 2 + k]);
            }
        }
    }

    @Test
    void missingOrMisfittingRelationshipFeaturesAreRefused() {
        IncomingCsr graph = RandomGraphs.graph(NODES, EDGES, 2, true);
        DenseMatrix features = gaussian(NODES, 6, 1);
        GatConfig config = GatConfig.builder(6, 3).layers(2).hiddenChannels(4).hiddenHeads(2).edgeDim(2).build();
        TrainedModel model = new TrainedModel(config, Weights.initialize(config, 1), ModelMetadata.NONE);
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            assertThatThrownBy(() -> LayerWiseInference.predict(backend, model, graph, features, 1L << 30,
                    Inference.Request.LOGITS_ONLY, TerminationFlag.RUNNING))
                    .hasMessageContaining("attends over 2 relationship features").hasMessageContaining("none were given");
            assertThatThrownBy(() -> LayerWiseInference.predict(backend, model, graph, features,
                    gaussian(EDGES - 1, 2, 3), 1L << 30, Inference.Request.LOGITS_ONLY, TerminationFlag.RUNNING))
                    .hasMessageContaining((EDGES - 1) + " rows of relationship features for " + EDGES);
        }
    }

    private static DenseMatrix gaussian(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[rows * cols];
        for (int p = 0; p < values.length; p++) {
            values[p] = (float) random.nextGaussian();
        }
        return new DenseMatrix(rows, cols, values);
    }
}
