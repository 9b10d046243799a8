package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.spec.GatConfig;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store-backed estimate against what the batch pipeline really holds: batches prepared by
 * {@link MiniBatchSteps#prepare} (sampled graph, node and slot maps, feature rows, labels), their array bytes counted
 * from the objects themselves, held ahead of a slow consumer at 1, 2 and 4 threads. The estimate's batches
 * ({@link MemoryEstimate#batchesHeld} × {@link MemoryEstimate#preparedBatchBytes}) bound the bytes held at every
 * moment and are not far above the largest batch times the batches held; the whole estimate grows with concurrency
 * and batch size as they do.
 */
class StoreBatchMemoryTest {

    private static final int NODES = 20_000;
    private static final int IN_DEGREE = 10;
    private static final int FEATURES = 16;
    private static final int[] FANOUTS = {4, 4};
    private static final int BATCHES = 12;

    private static final IncomingCsr GRAPH = randomGraph();
    private static final DenseMatrix FEATURE_ROWS = randomFeatures();
    private static final NodeLabels LABELS = labels();
    private static final long SLOTS = GRAPH.slotCount();
    private static final long FEATURE_VALUES = (long) NODES * FEATURES;

    /** Bytes held at most, and the largest single batch. */
    private record Held(long mostBytes, long largestBatch) {
    }

    @Test
    void theEstimatedBatchesBoundWhatThePipelineHoldsAndGrowWithConcurrencyAndBatchSize() {
        for (int batchSize : new int[]{32, 64}) {
            long perBatch = MemoryEstimate.preparedBatchBytes(NODES, SLOTS, FEATURE_VALUES, false, batchSize, FANOUTS);
            long previous = 0;
            for (int concurrency : new int[]{1, 2, 4}) {
                Held held = run(batchSize, concurrency);
                int batchesHeld = MemoryEstimate.batchesHeld(concurrency);
                String where = "batchSize " + batchSize + ", concurrency " + concurrency;
                assertThat(held.largestBatch()).as(where + ": one batch").isLessThanOrEqualTo(perBatch);
                // Random neighbours rarely repeat in 20 000 nodes: the worst case is close to what is drawn.
                assertThat(perBatch).as(where + ": one batch, not far above").isLessThan(held.largestBatch() * 5 / 4);
                assertThat(held.mostBytes()).as(where + ": all held at once")
                        .isLessThanOrEqualTo(batchesHeld * perBatch);
                // The consumer is slow, so the workers fill the window: more threads, more batches held.
                assertThat(held.mostBytes()).as(where + ": more than at fewer threads").isGreaterThan(previous);
                assertThat(held.mostBytes()).as(where + ": the window fills")
                        .isGreaterThan((batchesHeld - 1) * held.largestBatch() * 3 / 4);
                previous = held.mostBytes();
            }
        }
    }

    @Test
    void theWholeStoreEstimateGrowsWithConcurrencyAndBatchSize() {
        GatConfig model = GatConfig.builder(64, 8).hiddenHeads(8).hiddenChannels(8).build();
        long nodes = 1_000_000;
        long slots = 21_000_000;
        long one = fromStore(model, nodes, slots, 512, 1).totalBytes();
        long two = fromStore(model, nodes, slots, 512, 2).totalBytes();
        long four = fromStore(model, nodes, slots, 512, 4).totalBytes();
        assertThat(two).isGreaterThan(one);
        assertThat(four).isGreaterThan(two);
        assertThat(fromStore(model, nodes, slots, 1024, 2).totalBytes()).isGreaterThan(two);
        // Each more thread holds one more batch or evaluation chunk: at least one prepared batch's bytes more.
        assertThat(four - two).isGreaterThanOrEqualTo(
                2 * MemoryEstimate.preparedBatchBytes(nodes, slots, nodes * 64, false, 512, new int[]{10, 10}));
    }

    private static MemoryEstimate fromStore(GatConfig model, long nodes, long slots, int batchSize, int concurrency) {
        return MemoryEstimate.fromStore(model, nodes, slots, nodes * 64, false, batchSize, new int[]{10, 10},
                nodes / 25, concurrency);
    }

    /** Runs one epoch's preparations through the pipeline, counting the bytes of the batches it holds. */
    private static Held run(int batchSize, int concurrency) {
        BatchReader reader = BatchReader.of(NeighbourSource.of(GRAPH), FeatureRows.of(FEATURE_ROWS));
        BatchPipeline<BatchReader> pipeline = BatchPipeline.shared(reader, BatchPipeline.workersFor(concurrency));
        AtomicLong live = new AtomicLong();
        AtomicLong most = new AtomicLong();
        AtomicLong largest = new AtomicLong();
        int[] order = MiniBatchSteps.shuffled(java.util.stream.IntStream.range(0, NODES).toArray(), 3, 0);
        pipeline.run(BATCHES, TerminationFlag.RUNNING, (batchReader, batch) -> {
            int[] batchNodes = java.util.Arrays.copyOfRange(order, batch * batchSize, (batch + 1) * batchSize);
            MiniBatchSteps.PreparedBatch prepared = MiniBatchSteps.prepare(batchReader, LABELS,
                    IntUnaryOperator.identity(), null, batchNodes, FANOUTS, 11, 0, batch);
            long bytes = arrayBytes(prepared);
            largest.accumulateAndGet(bytes, Math::max);
            most.accumulateAndGet(live.addAndGet(bytes), Math::max);
            return prepared;
        }, (batch, prepared) -> {
            try {
                // A step takes far longer than a preparation: the workers fill the window meanwhile.
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            live.addAndGet(-arrayBytes(prepared));
        });
        return new Held(most.get(), largest.get());
    }

    /** Bytes of the primitive arrays reachable from {@code root} through the engine's own objects and maps. */
    static long arrayBytes(Object root) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        return arrayBytes(root, seen);
    }

    private static long arrayBytes(Object object, Set<Object> seen) {
        if (object == null || !seen.add(object)) {
            return 0;
        }
        Class<?> type = object.getClass();
        if (type.isArray()) {
            Class<?> component = type.getComponentType();
            int length = java.lang.reflect.Array.getLength(object);
            if (component == int.class || component == float.class) {
                return 4L * length;
            }
            if (component == long.class || component == double.class) {
                return 8L * length;
            }
            if (component == byte.class || component == boolean.class) {
                return length;
            }
            long total = 0;
            for (int i = 0; i < length; i++) {
                total += arrayBytes(java.lang.reflect.Array.get(object, i), seen);
            }
            return total;
        }
        if (object instanceof java.util.Map<?, ?> map) {
            // Typed batches hold their per-type and per-relation parts in maps.
            long total = 0;
            for (Object value : map.values()) {
                total += arrayBytes(value, seen);
            }
            return total;
        }
        if (!type.getName().startsWith("dev.neogat.")) {
            return 0;
        }
        long total = 0;
        for (Class<?> c = type; c != null && c.getName().startsWith("dev.neogat."); c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    total += arrayBytes(field.get(object), seen);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return total;
    }

    private static IncomingCsr randomGraph() {
        SplittableRandom random = new SplittableRandom(5);
        int[] sources = new int[NODES * IN_DEGREE];
        int[] targets = new int[sources.length];
        for (int e = 0; e < sources.length; e++) {
            targets[e] = e / IN_DEGREE;
            sources[e] = random.nextInt(NODES);
        }
        return new GraphBuilder(NODES).build(sources, targets);
    }

    private static DenseMatrix randomFeatures() {
        SplittableRandom random = new SplittableRandom(6);
        float[] values = new float[NODES * FEATURES];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble();
        }
        return new DenseMatrix(NODES, FEATURES, values);
    }

    private static NodeLabels labels() {
        int[] classOf = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            classOf[i] = i % 4;
        }
        return NodeLabels.singleLabel(classOf, 4);
    }
}
