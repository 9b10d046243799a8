package dev.neogat.train;

import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Typed layer-wise inference equals {@link TypedInference#run}: logits, every hidden output of every type, the
 * attention of every relation in every layer and the relation weights, on a random graph of three types (papers and
 * authors with features of different widths, venues without: a learned vector per label or per node), with
 * relationship features, residual, 'sum', 'mean' and 'attention', GAT and GATv2, directed (authors then get a skip
 * projection) and undirected, at 1 and 3 threads, over many chunks.
 */
class TypedLayerWiseInferenceTest {

    private static final int PAPERS = 300;
    private static final int AUTHORS = 120;
    private static final int VENUES = 20;
    private static final Relation CITES = new Relation("paper", "cites", "paper");
    private static final Relation WRITES = new Relation("author", "writes", "paper");
    private static final Relation IN = new Relation("paper", "in", "venue");

    private static TypedGraph graph(boolean undirected, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] cites = TypedModelFixtures.edges(random, PAPERS, PAPERS, 1200);
        int[][] writes = TypedModelFixtures.edges(random, AUTHORS, PAPERS, 500);
        int[][] in = new int[2][PAPERS];
        for (int p = 0; p < PAPERS; p++) {
            in[0][p] = p;
            in[1][p] = random.nextInt(VENUES);
        }
        TypedGraph.Builder builder = TypedGraph.builder().nodeType("paper", PAPERS).nodeType("author", AUTHORS)
                .nodeType("venue", VENUES).relation(CITES, cites[0], cites[1]).relation(WRITES, writes[0], writes[1])
                .relation(IN, in[0], in[1]);
        return (undirected ? builder.undirected() : builder).build();
    }

    private static Map<String, FeatureMatrix> features() {
        SplittableRandom random = new SplittableRandom(3);
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        features.put("paper", TypedModelFixtures.noise(random, PAPERS, 12));
        features.put("author", TypedModelFixtures.noise(random, AUTHORS, 6));
        return features;
    }

    private static Map<Relation, FeatureMatrix> relationshipFeatures(TypedGraph graph) {
        SplittableRandom random = new SplittableRandom(4);
        Map<Relation, FeatureMatrix> rows = new LinkedHashMap<>();
        for (Relation r : new Relation[]{CITES, WRITES, IN}) {
            rows.put(r, TypedModelFixtures.noise(random, graph.graph(r).originalEdgeCount(), 2));
        }
        return rows;
    }

    private static TypedGatConfig config(TypedGraph graph, Variant variant, RelationAggregation aggregation,
                                         boolean residual, boolean edgeFeatures, FeaturelessInput venues) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 12);
        widths.put("author", 6);
        TypedGatConfig.Builder builder = TypedGatConfig.builder(widths, graph.relations(), "paper", 4)
                .variant(variant).layers(3).hiddenHeads(2).hiddenChannels(5).outputHeads(2).aggregation(aggregation)
                .semanticDim(7).residual(residual).featureless("venue", venues);
        if (edgeFeatures) {
            graph.relations().forEach(r -> builder.edgeDim(r, 2));
        }
        return builder.build();
    }

    @ParameterizedTest(name = "{0}, {1}, residual {2}, relationship features {3}, undirected {4}, per-node venues {5}")
    @CsvSource({
            "GAT, SUM, true, true, true, false",
            "GATV2, SUM, false, false, false, true",
            "GAT, MEAN, false, true, false, true",
            "GATV2, MEAN, true, true, true, false",
            "GAT, ATTENTION, true, false, true, true",
            "GATV2, ATTENTION, false, true, true, false",
            "GAT, ATTENTION, true, true, false, false",
    })
    void equalsFullBatch(Variant variant, RelationAggregation aggregation, boolean residual, boolean edgeFeatures,
                         boolean undirected, boolean perNodeVenues) {
        TypedGraph graph = graph(undirected, 7);
        TypedGatConfig config = config(graph, variant, aggregation, residual, edgeFeatures,
                perNodeVenues ? FeaturelessInput.perNode(3, VENUES) : FeaturelessInput.perLabel(3));
        Weights weights = Weights.initialize(TypedGatNetwork.parameterShapes(config), 11);
        Map<String, FeatureMatrix> features = features();
        Map<Relation, FeatureMatrix> relationshipFeatures = edgeFeatures ? relationshipFeatures(graph) : Map.of();
        Map<String, int[]> embeddingRows = new LinkedHashMap<>();
        if (perNodeVenues) {
            int[] rows = new int[VENUES];
            for (int v = 0; v < VENUES; v++) {
                rows[v] = VENUES - 1 - v;
            }
            embeddingRows.put("venue", rows);
        }
        TypedPrediction full;
        try (CpuBackend backend = new CpuBackend(2, TerminationFlag.RUNNING)) {
            full = TypedInference.run(backend, config, weights, graph, features, relationshipFeatures, embeddingRows,
                    Inference.Request.EVERYTHING);
        }
        TypedPredictionCollector sizing = new TypedPredictionCollector(config, graph, Inference.Request.EVERYTHING);
        long budget = TypedLayerWiseInference.plan(config, graph, features, Long.MAX_VALUE / 4, sizing.keptBytes())
                .residentBytes() + 40_000;
        TypedLayerWiseInference.Plan plan = TypedLayerWiseInference.plan(config, graph, features, budget,
                sizing.keptBytes());
        assertThat(plan.chunkCount()).as("chunks of a small budget").isGreaterThan(3L * 3);
        boolean exact = aggregation != RelationAggregation.ATTENTION;
        for (int threads : new int[]{1, 3}) {
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                TypedPrediction layerWise = TypedLayerWiseInference.predict(backend,
                        new dev.neogat.model.TypedTrainedModel(config, weights, dev.neogat.model.ModelMetadata.NONE),
                        graph, features, relationshipFeatures, embeddingRows, budget, Inference.Request.EVERYTHING,
                        TerminationFlag.RUNNING);
                assertClose("logits", full.logits(), layerWise.logits(), exact);
                for (int l = 0; l < config.layers(); l++) {
                    for (Relation r : config.layer(l).activeRelations()) {
                        assertClose("attention of " + r + " in layer " + l, full.attention(l, r),
                                layerWise.attention(l, r), exact);
                    }
                    for (String type : config.layer(l).outputTypes()) {
                        if (!config.isOutputLayer(l)) {
                            assertClose("layer " + l + " output of " + type, full.embeddings(l, type),
                                    layerWise.embeddings(l, type), exact);
                        }
                        if (!config.layer(l).relationsInto(type).isEmpty()) {
                            double[] expected = full.relationWeights(l, type);
                            double[] actual = layerWise.relationWeights(l, type);
                            for (int r = 0; r < expected.length; r++) {
                                assertThat(actual[r]).as("weight %d into %s at layer %d", r, type, l)
                                        .isCloseTo(expected[r], org.assertj.core.data.Offset.offset(exact ? 0 : 1e-6));
                            }
                        }
                    }
                }
            }
        }
    }

    /** Bitwise when the operations run in the same order, else within 1e-6 relative. */
    private static void assertClose(String what, float[] expected, float[] actual, boolean exact) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            if (exact) {
                assertThat(Float.floatToIntBits(actual[i])).as("%s [%d]: %s vs %s", what, i, actual[i], expected[i])
                        .isEqualTo(Float.floatToIntBits(expected[i]));
            } else {
                assertThat((double) actual[i]).as("%s [%d]", what, i).isCloseTo(expected[i],
                        org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(expected[i]))));
            }
        }
    }

    @Test
    void semanticAttentionTakesTwoPassesAndEveryChunkIsCountedOnceAndTerminationIsSeenBetweenChunks() {
        TypedGraph graph = graph(true, 8);
        TypedGatConfig config = config(graph, Variant.GAT, RelationAggregation.ATTENTION, false, false,
                FeaturelessInput.perLabel(3));
        Weights weights = Weights.initialize(TypedGatNetwork.parameterShapes(config), 2);
        Map<String, FeatureMatrix> features = features();
        long budget = TypedLayerWiseInference.plan(config, graph, features, Long.MAX_VALUE / 4, 0).residentBytes()
                + 30_000;
        TypedLayerWiseInference.Plan plan = TypedLayerWiseInference.plan(config, graph, features, budget, 0);
        long single = 0;
        for (int l = 0; l < config.layers(); l++) {
            for (Map.Entry<String, int[]> e : plan.chunks().get(l).entrySet()) {
                int[] bounds = e.getValue();
                assertThat(bounds[0]).isZero();
                assertThat(bounds[bounds.length - 1]).isEqualTo(graph.nodeCount(e.getKey()));
                single += (bounds.length - 1L) * (config.layer(l).usesSemanticAttention(e.getKey()) ? 2 : 1);
            }
        }
        assertThat(plan.chunkCount()).isEqualTo(single).isGreaterThan(10);
        AtomicLong seen = new AtomicLong();
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            TypedLayerWiseInference.run(backend, config, weights, graph, features, Map.of(), Map.of(), budget, 0,
                    Inference.Request.LOGITS_ONLY, new TypedLayerWiseInference.Consumer() {
                        @Override
                        public void progress(long chunksDone, long chunkTotal) {
                            assertThat(chunksDone).isEqualTo(seen.incrementAndGet());
                            assertThat(chunkTotal).isEqualTo(plan.chunkCount());
                        }
                    }, TerminationFlag.RUNNING);
        }
        assertThat(seen.get()).isEqualTo(plan.chunkCount());
        AtomicLong chunks = new AtomicLong();
        TerminationFlag afterThree = () -> chunks.get() >= 3;
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            assertThatThrownBy(() -> TypedLayerWiseInference.run(backend, config, weights, graph, features, Map.of(),
                    Map.of(), budget, 0, Inference.Request.LOGITS_ONLY, new TypedLayerWiseInference.Consumer() {
                        @Override
                        public void progress(long chunksDone, long chunkTotal) {
                            chunks.set(chunksDone);
                        }
                    }, afterThree)).isInstanceOf(TerminatedException.class);
        }
        assertThat(chunks.get()).isEqualTo(3);
    }

    @Test
    void aBudgetTooSmallForOneRowIsRefusedNamingTheSmallestThatWorks() {
        TypedGraph graph = graph(true, 9);
        TypedGatConfig config = config(graph, Variant.GATV2, RelationAggregation.MEAN, true, false,
                FeaturelessInput.perLabel(3));
        Map<String, FeatureMatrix> features = features();
        assertThatThrownBy(() -> TypedLayerWiseInference.plan(config, graph, features, 10_000, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("A memory budget of 9.8 KiB is too small")
                .hasMessageContaining("give at least");
        String message = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TypedLayerWiseInference.plan(config, graph, features, 10_000, 0)).getMessage();
        long minimum = Long.parseLong(message.replaceAll(".*\\((\\d+) bytes\\)$", "$1"));
        TypedLayerWiseInference.Plan plan = TypedLayerWiseInference.plan(config, graph, features, minimum, 0);
        assertThat(plan.chunkCount()).isGreaterThan(PAPERS);
        assertThatThrownBy(() -> TypedLayerWiseInference.plan(config, graph, features, minimum - 1, 0))
                .hasMessageContaining("(" + minimum + " bytes)");
    }
}
