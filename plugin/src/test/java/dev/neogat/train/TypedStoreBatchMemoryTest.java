package dev.neogat.train;

import dev.neogat.graph.TypedGraph;
import dev.neogat.graph.TypedNeighbourSource;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The typed store-backed estimate against what the typed batch pipeline really holds: typed batches prepared by
 * {@link TypedMiniBatchSteps#prepare} (sampled typed graph, node and slot maps, feature rows per type, labels), their
 * array bytes counted from the objects themselves ({@link StoreBatchMemoryTest#arrayBytes}), held ahead of a slow
 * consumer at 1, 2 and 4 threads: {@link MemoryEstimate#typedPreparedBatchBytes} bounds each batch and is not far
 * above the largest, {@link MemoryEstimate#batchesHeld} of them bound what is held at once, and the whole estimate
 * grows with concurrency and batch size.
 */
class TypedStoreBatchMemoryTest {

    private static final TypedSignalGraph GRAPH = new TypedSignalGraph(6000, 11);
    private static final int[] FANOUTS = {4, 3};
    private static final int BATCHES = 10;

    private record Held(long mostBytes, long largestBatch) {
    }

    private static TypedGatConfig config() {
        return GRAPH.config(false, 2).aggregation(RelationAggregation.SUM).build();
    }

    private static Map<String, Long> nodes(TypedGraph graph) {
        Map<String, Long> nodes = new LinkedHashMap<>();
        graph.nodeTypes().forEach(type -> nodes.put(type, (long) graph.nodeCount(type)));
        return nodes;
    }

    private static Map<Relation, Long> slots(TypedGraph graph) {
        Map<Relation, Long> slots = new LinkedHashMap<>();
        graph.relations().forEach(r -> slots.put(r, (long) graph.graph(r).slotCount()));
        return slots;
    }

    private static Map<String, Long> featureValues(TypedTrainingData data) {
        Map<String, Long> values = new LinkedHashMap<>();
        data.features().forEach((type, x) -> values.put(type, (long) x.rows() * x.cols()));
        return values;
    }

    @Test
    void theEstimatedTypedBatchesBoundWhatThePipelineHolds() {
        TypedTrainingData data = GRAPH.typedWithoutRelationshipFeatures();
        TypedGatConfig config = config();
        for (int batchSize : new int[]{32, 64}) {
            long perBatch = MemoryEstimate.typedPreparedBatchBytes(config, nodes(data.graph()), slots(data.graph()),
                    featureValues(data), batchSize, FANOUTS);
            for (int concurrency : new int[]{1, 2, 4}) {
                Held held = run(data, config, batchSize, concurrency);
                String where = "batchSize " + batchSize + ", concurrency " + concurrency;
                System.out.printf("%s: estimated %d bytes a batch, largest %d, most held %d%n", where, perBatch,
                        held.largestBatch(), held.mostBytes());
                assertThat(held.largestBatch()).as(where + ": one batch").isLessThanOrEqualTo(perBatch);
                // A bound at the fanouts (about 3x here): an item has 2 ratings and 1 shop or tag, fewer than 4 draws.
                assertThat(perBatch).as(where + ": one batch, not far above").isLessThan(held.largestBatch() * 4);
                assertThat(held.mostBytes()).as(where + ": all held at once")
                        .isLessThanOrEqualTo(MemoryEstimate.batchesHeld(concurrency) * perBatch);
            }
        }
    }

    @Test
    void theWholeTypedStoreEstimateGrowsWithConcurrencyAndBatchSize() {
        TypedTrainingData data = GRAPH.typedWithoutRelationshipFeatures();
        TypedGatConfig config = config();
        long one = estimate(data, config, 256, 1);
        long two = estimate(data, config, 256, 2);
        long four = estimate(data, config, 256, 4);
        assertThat(two).isGreaterThan(one);
        assertThat(four).isGreaterThan(two);
        assertThat(estimate(data, config, 512, 2)).isGreaterThan(two);
        // Far below the in-heap typed mini-batch run, which holds the whole graph and features.
        assertThat(one).isLessThan(MemoryEstimate.typedMiniBatch(config, data.graph(), featureValues(data), 256,
                FANOUTS).totalBytes());
    }

    private static long estimate(TypedTrainingData data, TypedGatConfig config, int batchSize, int concurrency) {
        return MemoryEstimate.typedFromStore(config, nodes(data.graph()), slots(data.graph()), featureValues(data),
                batchSize, FANOUTS, concurrency).totalBytes();
    }

    private static Held run(TypedTrainingData data, TypedGatConfig config, int batchSize, int concurrency) {
        Map<String, FeatureRows> rows = new LinkedHashMap<>();
        data.features().forEach((type, x) -> rows.put(type, FeatureRows.of(x)));
        TypedBatchReader reader = TypedBatchReader.of(TypedNeighbourSource.of(data.graph()), rows, () -> { });
        BatchPipeline<TypedBatchReader> pipeline = new BatchPipeline<>(reader, () -> reader,
                BatchPipeline.workersFor(concurrency));
        TypedMiniBatchSteps steps = new TypedMiniBatchSteps(null, null, pipeline, data.labels(), data.split().train(),
                config, new MiniBatchConfig(batchSize, FANOUTS), 5);
        AtomicLong live = new AtomicLong();
        AtomicLong most = new AtomicLong();
        AtomicLong largest = new AtomicLong();
        int[] order = MiniBatchSteps.shuffled(data.split().train(), 3, 0);
        pipeline.run(BATCHES, TerminationFlag.RUNNING, (batchReader, batch) -> {
            int[] batchNodes = java.util.Arrays.copyOfRange(order, batch * batchSize, (batch + 1) * batchSize);
            TypedMiniBatchSteps.PreparedBatch prepared = steps.prepare(batchReader, batchNodes, FANOUTS, 0, batch);
            long bytes = StoreBatchMemoryTest.arrayBytes(prepared);
            largest.accumulateAndGet(bytes, Math::max);
            most.accumulateAndGet(live.addAndGet(bytes), Math::max);
            return prepared;
        }, (batch, prepared) -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            live.addAndGet(-StoreBatchMemoryTest.arrayBytes(prepared));
        });
        return new Held(most.get(), largest.get());
    }
}
