package dev.neogat.model;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.TypedGraph;
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
import dev.neogat.spec.ParameterShape;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The typed memory estimate against what a typed network really allocates: every tensor the CPU backend
 * hands out (counted by a proxy around it) while a network is built, takes a training step (forward with
 * dropout, loss, backward, Adam) and an evaluation pass, plus the relationship features held on the host.
 * The estimate's tensors (all but the graph and the mask bits) must lie between 1.0 and 1.25 times that
 * count (it leans high for GATv2 relations between two types, whose per-node count assumes both projections
 * of a within-type graph for each side); the parameters with gradients and Adam moments are counted exactly.
 */
class TypedMemoryEstimateTest {

    private static final double LOW = 1.0;
    private static final double HIGH = 1.25;

    private static TypedGraph graph(SplittableRandom random) {
        int papers = 600;
        int authors = 300;
        int venues = 20;
        TypedGraph.Builder builder = TypedGraph.builder().nodeType("paper", papers).nodeType("author", authors)
                .nodeType("venue", venues);
        builder.relation("paper", "cites", "paper", ints(random, 2400, papers), ints(random, 2400, papers));
        builder.relation("author", "writes", "paper", ints(random, 1500, authors), ints(random, 1500, papers));
        builder.relation("venue", "hosts", "paper", ints(random, 600, venues), ints(random, 600, papers));
        return builder.undirected().build();
    }

    private static int[] ints(SplittableRandom random, int count, int bound) {
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextInt(bound);
        }
        return values;
    }

    @ParameterizedTest(name = "{0}, {1}, edgeDim {2}, message dropout {3}")
    @CsvSource({"GAT, SUM, 0, 0", "GAT, ATTENTION, 3, 0.2", "GATV2, MEAN, 0, 0.2", "GATV2, ATTENTION, 3, 0"})
    void theEstimateIsNearTheTensorsATrainingStepAllocates(Variant variant,
                                                                         RelationAggregation aggregation, int edgeDim,
                                                                         double messageDropout) {
        SplittableRandom random = new SplittableRandom(7);
        TypedGraph graph = graph(random);
        Relation writes = new Relation("author", "writes", "paper");
        Relation cites = new Relation("paper", "cites", "paper");
        TypedGatConfig config = TypedGatConfig.builder(Map.of("paper", 50, "author", 20), graph.relations(), "paper",
                        5).featureless("venue", FeaturelessInput.perLabel(16)).variant(variant).aggregation(aggregation)
                .semanticDim(16).residual(true).messageDropout(messageDropout).edgeDim(writes, edgeDim)
                .edgeDim(writes.reversed(), edgeDim).edgeDim(cites, edgeDim).build();
        Map<Relation, DenseMatrix> relationshipFeatures = new LinkedHashMap<>();
        long hostBytes = 0;
        if (edgeDim > 0) {
            for (Relation r : new Relation[]{writes, cites}) {
                int edges = graph.graph(r).originalEdgeCount();
                relationshipFeatures.put(r, DenseMatrix.zeros(edges, edgeDim));
                hostBytes += 4L * edges * edgeDim;
            }
        }
        AtomicLong allocated = new AtomicLong();
        try (CpuBackend cpu = new CpuBackend(1, TerminationFlag.RUNNING)) {
            Backend counting = counting(cpu, allocated);
            Map<String, Tensor> features = new LinkedHashMap<>();
            Map<String, Long> featureValues = new LinkedHashMap<>();
            for (String type : new String[]{"paper", "author"}) {
                FeatureMatrix x = DenseMatrix.zeros(graph.nodeCount(type), config.inputWidths().get(type));
                features.put(type, counting.upload(x));
                featureValues.put(type, x.storedValues());
            }
            TypedGatNetwork network = new TypedGatNetwork(counting, config,
                    Weights.initialize(TypedGatNetwork.parameterShapes(config), 1), graph, features,
                    relationshipFeatures, false);
            int[] classOf = ints(random, graph.nodeCount("paper"), 5);
            Targets targets = cpu.upload(NodeLabels.singleLabel(classOf, 5), new int[]{0, 1, 2, 3, 4, 5, 6, 7});
            network.forward(true, 1, 1);
            network.lossAndGradients(targets);
            network.adamStep(AdamSettings.of(0.01, 5e-4));
            network.forward();

            MemoryEstimate estimate = MemoryEstimate.typed(config, graph, featureValues, true);
            long measured = allocated.get() + hostBytes;
            long estimated = estimate.featureBytes() + estimate.parameterBytes() + estimate.activationBytes()
                    + estimate.gradientBytes();
            long parameterCount = TypedGatNetwork.parameterShapes(config).stream().mapToLong(ParameterShape::size)
                    .sum();
            assertEquals(16 * parameterCount, estimate.parameterBytes(), "values, gradients and two Adam moments");
            System.out.printf(java.util.Locale.ROOT, "typed estimate %s %s edgeDim %d: %d bytes of tensors estimated, "
                    + "%d allocated (%.3f)%n", variant, aggregation, edgeDim, estimated, measured,
                    estimated / (double) measured);
            assertTrue(estimated <= measured * HIGH && estimated >= measured * LOW,
                    () -> "estimated " + estimated + " bytes of tensors, allocated " + measured + " " + estimate);
            assertTrue(estimate.graphBytes() > 0 && estimate.maskBytes() > 0);
            assertEquals(MemoryEstimate.CPU_MASKS_KEPT, masksKept(), "the masks the CPU backend keeps, as counted");
            MemoryEstimate inference = MemoryEstimate.typed(config, graph, featureValues, false);
            assertTrue(inference.totalBytes() < estimate.totalBytes(), "inference keeps no gradients");
            assertEquals(0, inference.gradientBytes());
        }
    }

    /** The capacity of the CPU backend's mask cache. */
    private static int masksKept() {
        try {
            java.lang.reflect.Field capacity = Class.forName("dev.neogat.nn.cpu.MaskCache").getDeclaredField("CAPACITY");
            capacity.setAccessible(true);
            return capacity.getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code backend}, adding the bytes of every dense tensor it allocates to {@code allocated}. */
    private static Backend counting(Backend backend, AtomicLong allocated) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(backend, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (result instanceof Tensor t && !t.isSparse()) {
                        allocated.addAndGet(4L * t.rows() * t.cols());
                    }
                    return result;
                });
    }
}
