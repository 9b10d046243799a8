package dev.neogat.gpu;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.TypedGraph;
import dev.neogat.graph.TypedNeighbourSampler;
import dev.neogat.graph.TypedSampledSubgraph;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.train.Inference;
import dev.neogat.train.TypedInference;
import dev.neogat.train.TypedLayerWiseInference;
import dev.neogat.train.TypedPrediction;
import dev.neogat.train.TypedPredictionCollector;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Typed networks on the GPU backend, its kernels run by the CPU emulation, against the CPU reference: a
 * training step (forward with dropout, loss, every gradient, Adam) and an inference pass, with bipartite
 * relations (source counts other than the target counts), a type with only a skip projection, each
 * relation aggregation, semantic attention's β included, and relationship features on a relation between
 * two types and one within a type (their gradients included), and node types without features that learn
 * their input per label and per node (the learned inputs' gradients and Adam steps included).
 */
class TypedGpuParityTest {

    private static final double TOLERANCE = 2e-5;

    private static TypedGraph graph(SplittableRandom random) {
        int papers = 31;
        int authors = 17;
        int venues = 5;
        TypedGraph.Builder builder = TypedGraph.builder().nodeType("paper", papers).nodeType("author", authors)
                .nodeType("venue", venues);
        builder.relation("paper", "cites", "paper", ints(random, 70, papers), ints(random, 70, papers));
        int[] writer = ints(random, 60, authors);
        int[] written = ints(random, 60, papers - 1);
        builder.relation("author", "writes", "paper", writer, written);
        builder.relation("paper", "rev_writes", "author", written, writer);
        builder.relation("venue", "hosts", "paper", ints(random, 40, venues), ints(random, 40, papers));
        return builder.build();
    }

    private static int[] ints(SplittableRandom random, int count, int bound) {
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextInt(bound);
        }
        return values;
    }

    @ParameterizedTest(name = "{0}, {1}, edgeDim {2}, featureless {3}")
    @CsvSource({"GAT, SUM, 0, false", "GAT, ATTENTION, 0, false", "GATV2, MEAN, 0, false",
            "GATV2, ATTENTION, 0, false", "GAT, SUM, 2, false", "GATV2, ATTENTION, 2, false", "GAT, SUM, 0, true",
            "GATV2, ATTENTION, 2, true"})
    void aTrainingStepMatchesTheCpu(Variant variant, RelationAggregation aggregation, int edgeDim,
                                    boolean featureless) {
        assumeTrue(EmulatedCuda.unavailableBecause().isEmpty(),
                () -> "GPU emulator unavailable: " + EmulatedCuda.unavailableBecause().orElse(""));
        SplittableRandom random = new SplittableRandom(3);
        TypedGraph graph = graph(random);
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 6);
        widths.put("author", 3);
        widths.put("venue", 2);
        // Relationship features on a relation between two types and on one within a type.
        Relation cites = new Relation("paper", "cites", "paper");
        Relation writes = new Relation("author", "writes", "paper");
        TypedGatConfig.Builder builder = TypedGatConfig.builder(widths, graph.relations(), "paper", 4)
                .variant(variant).aggregation(aggregation).semanticDim(8).hiddenHeads(3).hiddenChannels(4)
                .residual(true).featureDropout(0.3).attentionDropout(0.2).messageDropout(0.1).edgeDim(cites, edgeDim)
                .edgeDim(writes, edgeDim);
        if (featureless) {
            // Authors learn one input vector, venues one per node; neither gets features below.
            builder.featureless("author", FeaturelessInput.perLabel(3))
                    .featureless("venue", FeaturelessInput.perNode(2, graph.nodeCount("venue")));
        }
        TypedGatConfig config = builder.build();
        Map<Relation, DenseMatrix> edges = new LinkedHashMap<>();
        if (edgeDim > 0) {
            for (Relation r : List.of(cites, writes)) {
                int count = graph.graph(r).originalEdgeCount();
                float[] values = new float[count * edgeDim];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextDouble() * 2 - 1);
                }
                edges.put(r, new DenseMatrix(count, edgeDim, values));
            }
        }
        Weights initial = Weights.initialize(TypedGatNetwork.parameterShapes(config), 5);
        // Learned inputs in [-1, 1] as the features below, the scale the tolerance's absolute floor is set for.
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>(initial.asMap());
        config.featureless().keySet().forEach(type -> tensors.computeIfPresent(TypedGatNetwork.embeddingName(type),
                (name, t) -> {
                    float[] values = t.data().clone();
                    for (int i = 0; i < values.length; i++) {
                        values[i] /= (float) Math.sqrt(3);
                    }
                    return new DenseMatrix(t.rows(), t.cols(), values);
                }));
        Weights weights = new Weights(tensors);
        Map<String, float[]> features = new LinkedHashMap<>();
        widths.forEach((type, width) -> {
            if (config.featureless().containsKey(type)) {
                return;
            }
            float[] x = new float[graph.nodeCount(type) * width];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (random.nextDouble() * 2 - 1);
            }
            features.put(type, x);
        });
        int[] classOf = ints(random, graph.nodeCount("paper"), 4);
        int[] train = {0, 3, 4, 7, 9, 12, 15, 20, 22, 27, 30};

        try (CpuBackend cpu = CpuBackend.sequential(); GpuBackend gpu = new GpuBackend(EmulatedCuda.open())) {
            Run onCpu = new Run(cpu, config, weights, graph, features, edges, widths, classOf, train);
            Run onGpu = new Run(gpu, config, weights, graph, features, edges, widths, classOf, train);
            assertEquals(onCpu.loss, onGpu.loss, TOLERANCE, "training loss");
            assertEquals(featureless, onCpu.network.parameterNames().containsAll(List.of(
                    TypedGatNetwork.embeddingName("author"), TypedGatNetwork.embeddingName("venue"))));
            for (String name : onCpu.network.parameterNames()) {
                assertClose(cpu, onCpu.network.gradient(name), gpu, onGpu.network.gradient(name), "d/d" + name);
            }
            for (String type : features.keySet()) {
                assertClose(cpu, onCpu.network.inputGradient(type), gpu, onGpu.network.inputGradient(type),
                        "d/dx " + type);
            }
            for (Relation r : edges.keySet()) {
                float[] e = onCpu.network.edgeFeatureGradient(r).data();
                float[] a = onGpu.network.edgeFeatureGradient(r).data();
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], a[i], TOLERANCE * Math.max(0.1, Math.abs(e[i])), "d/d features of " + r);
                }
            }
            AdamSettings adam = AdamSettings.of(0.01, 5e-4);
            onCpu.network.adamStep(adam);
            onGpu.network.adamStep(adam);
            assertClose(cpu, onCpu.network.forward(), gpu, onGpu.network.forward(), "logits after an Adam step");
            for (Relation r : graph.relations()) {
                assertClose(cpu, onCpu.network.attention(0, r), gpu, onGpu.network.attention(0, r), "attention " + r);
            }
            Map<Relation, Double> cpuWeights = onCpu.network.relationWeights(1, "paper");
            Map<Relation, Double> gpuWeights = onGpu.network.relationWeights(1, "paper");
            cpuWeights.forEach((r, w) -> assertEquals(w, gpuWeights.get(r), TOLERANCE, "weight of " + r));
            onGpu.network.release();
        }
    }

    /**
     * A sampled batch's training step ({@link TypedGatNetwork#sharingParameters}): semantic attention averaged over
     * the rows the batch computes (pooled by the aggregation kernel), a type kept whole for its per-node input.
     * Without dropout, since the kernels draw a batch's dropout by its own ids, the CPU by the whole graph's.
     */
    @Test
    void aSampledBatchStepMatchesTheCpu() {
        assumeTrue(EmulatedCuda.unavailableBecause().isEmpty(),
                () -> "GPU emulator unavailable: " + EmulatedCuda.unavailableBecause().orElse(""));
        SplittableRandom random = new SplittableRandom(8);
        TypedGraph graph = graph(random);
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 6);
        widths.put("author", 3);
        widths.put("venue", 2);
        TypedGatConfig config = TypedGatConfig.builder(widths, graph.relations(), "paper", 4)
                .aggregation(RelationAggregation.ATTENTION).semanticDim(8).hiddenHeads(3).hiddenChannels(4)
                .residual(true).dropout(0).messageDropout(0).featureless("venue", FeaturelessInput.perNode(2, graph.nodeCount("venue")))
                .build();
        Weights weights = Weights.initialize(TypedGatNetwork.parameterShapes(config), 6);
        TypedSampledSubgraph batch = new TypedNeighbourSampler(graph, new int[]{3, 2}, 4, Set.of("venue"))
                .sample("paper", new int[]{2, 5, 11, 19}, 1, 0);
        assertTrue(batch.computedRows(0, "paper").length < batch.graph().nodeCount("paper"),
                "the batch leaves last-hop papers out of layer 0's semantic mean");
        Map<String, float[]> features = new LinkedHashMap<>();
        for (String type : List.of("paper", "author")) {
            int[] nodes = batch.wholeNodes().get(type);
            float[] x = new float[nodes.length * widths.get(type)];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (random.nextDouble() * 2 - 1);
            }
            features.put(type, x);
        }
        int[] classOf = ints(random, batch.graph().nodeCount("paper"), 4);
        try (CpuBackend cpu = CpuBackend.sequential(); GpuBackend gpu = new GpuBackend(EmulatedCuda.open())) {
            TypedGatNetwork[] networks = new TypedGatNetwork[2];
            double[] losses = new double[2];
            Backend[] backends = {cpu, gpu};
            for (int b = 0; b < 2; b++) {
                Backend backend = backends[b];
                Map<String, Tensor> wholeX = new LinkedHashMap<>();
                wholeX.put("paper", backend.zeros(graph.nodeCount("paper"), 6));
                wholeX.put("author", backend.zeros(graph.nodeCount("author"), 3));
                TypedGatNetwork owner = new TypedGatNetwork(backend, config, weights, graph, wholeX, false);
                Map<String, Tensor> x = new LinkedHashMap<>();
                features.forEach((type, values) -> x.put(type, backend.upload(values, values.length / widths.get(type),
                        widths.get(type))));
                networks[b] = owner.sharingParameters(batch, x, Map.of());
                networks[b].forward(true, 77, 3);
                losses[b] = networks[b].lossAndGradients(backend.upload(NodeLabels.singleLabel(classOf, 4),
                        batch.batchLocals()));
            }
            assertEquals(losses[0], losses[1], TOLERANCE, "training loss");
            for (String name : networks[0].parameterNames()) {
                assertClose(cpu, networks[0].gradient(name), gpu, networks[1].gradient(name), "d/d" + name);
            }
            Map<Relation, Double> cpuWeights = networks[0].relationWeights(0, "paper");
            Map<Relation, Double> gpuWeights = networks[1].relationWeights(0, "paper");
            cpuWeights.forEach((r, w) -> assertEquals(w, gpuWeights.get(r), TOLERANCE, "weight of " + r));
        }
    }

    /** One training step's forward and backward on a backend. */
    private static final class Run {
        final TypedGatNetwork network;
        final double loss;

        Run(Backend backend, TypedGatConfig config, Weights weights, TypedGraph graph, Map<String, float[]> features,
            Map<Relation, DenseMatrix> edges, Map<String, Integer> widths, int[] classOf, int[] train) {
            Map<String, Tensor> x = new LinkedHashMap<>();
            features.forEach((type, values) -> x.put(type, backend.upload(values, graph.nodeCount(type),
                    widths.get(type))));
            network = new TypedGatNetwork(backend, config, weights, graph, x, edges, true);
            Targets targets = backend.upload(NodeLabels.singleLabel(classOf, config.classCount()), train);
            network.forward(true, 77, 3);
            loss = network.lossAndGradients(targets);
        }
    }

    /**
     * Layer-wise inference on the GPU backend ({@link TypedLayerWiseInference}, chunks of a few rows; the
     * projection of a bipartite relation runs past its smaller side's last row) against the CPU's full batch.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"GAT, SUM", "GATV2, ATTENTION"})
    void layerWiseInferenceMatchesTheCpuFullBatch(Variant variant, RelationAggregation aggregation) {
        assumeTrue(EmulatedCuda.unavailableBecause().isEmpty(),
                () -> "GPU emulator unavailable: " + EmulatedCuda.unavailableBecause().orElse(""));
        SplittableRandom random = new SplittableRandom(9);
        TypedGraph graph = graph(random);
        Relation writes = new Relation("author", "writes", "paper");
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 6);
        widths.put("author", 3);
        TypedGatConfig config = TypedGatConfig.builder(widths, graph.relations(), "paper", 4)
                .variant(variant).aggregation(aggregation).semanticDim(8).hiddenHeads(3).hiddenChannels(4)
                .residual(true).edgeDim(writes, 2).featureless("venue", FeaturelessInput.perLabel(2)).build();
        Weights weights = Weights.initialize(TypedGatNetwork.parameterShapes(config), 7);
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        features.put("paper", new DenseMatrix(graph.nodeCount("paper"), 6,
                values(random, graph.nodeCount("paper") * 6)));
        features.put("author", new DenseMatrix(graph.nodeCount("author"), 3,
                values(random, graph.nodeCount("author") * 3)));
        Map<Relation, FeatureMatrix> edges = Map.of(writes, new DenseMatrix(graph.graph(writes).originalEdgeCount(), 2,
                values(random, graph.graph(writes).originalEdgeCount() * 2)));
        TypedPrediction full;
        try (CpuBackend cpu = CpuBackend.sequential()) {
            full = TypedInference.run(cpu, config, weights, graph, features, edges, Map.of(),
                    Inference.Request.EVERYTHING);
        }
        TypedTrainedModel model = new TypedTrainedModel(config, weights, ModelMetadata.NONE);
        long kept = new TypedPredictionCollector(config, graph, Inference.Request.EVERYTHING).keptBytes();
        long budget = TypedLayerWiseInference.plan(config, graph, features, Long.MAX_VALUE / 4, kept).residentBytes()
                + 4_000;
        assertTrue(TypedLayerWiseInference.plan(config, graph, features, budget, kept).chunkCount() > 10);
        try (GpuBackend gpu = new GpuBackend(EmulatedCuda.open())) {
            TypedPrediction layerWise = TypedLayerWiseInference.predict(gpu, model, graph, features, edges, Map.of(),
                    budget, Inference.Request.EVERYTHING, TerminationFlag.RUNNING);
            assertClose(full.logits(), layerWise.logits(), "logits");
            for (int l = 0; l < config.layers(); l++) {
                for (Relation r : config.layer(l).activeRelations()) {
                    assertClose(full.attention(l, r), layerWise.attention(l, r), "attention of " + r + " in " + l);
                }
                if (!config.isOutputLayer(l)) {
                    for (String type : config.nodeTypes()) {
                        assertClose(full.embeddings(l, type), layerWise.embeddings(l, type), type + " after " + l);
                    }
                }
            }
        }
    }

    private static float[] values(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    private static void assertClose(float[] e, float[] a, String what) {
        assertEquals(e.length, a.length, what + ": size");
        for (int i = 0; i < e.length; i++) {
            double error = Math.abs(e[i] - a[i]);
            if (!(error <= TOLERANCE * Math.max(0.1, Math.abs(e[i])))) {
                throw new AssertionError(what + ": element " + i + " is " + a[i] + " on the GPU, " + e[i]
                        + " on the CPU");
            }
        }
    }

    private static void assertClose(Backend cpu, Tensor expected, Backend gpu, Tensor actual, String what) {
        float[] e = new float[expected.rows() * expected.cols()];
        float[] a = new float[actual.rows() * actual.cols()];
        cpu.download(expected, e);
        gpu.download(actual, a);
        assertClose(e, a, what);
    }
}
