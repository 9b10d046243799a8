package dev.neogat.model;

import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MemoryEstimate#typedMiniBatch}: a small batch with small fanouts needs a fraction of full-batch training
 * on a large typed graph, more with larger batches and fanouts; with every neighbour and a batch of every target
 * node its step is the whole graph's training step (on top of the whole graph's inference); a type learning one
 * input per node is held whole in every batch.
 */
class TypedMiniBatchEstimateTest {

    private static final Relation CITES = new Relation("paper", "cites", "paper");
    private static final Relation WRITES = new Relation("author", "writes", "paper");
    private static final Relation REV_WRITES = WRITES.reversed();
    private static final List<Relation> RELATIONS = List.of(CITES, WRITES, REV_WRITES);

    private final Map<String, Long> nodes = new LinkedHashMap<>(Map.of("paper", 200_000L, "author", 80_000L));
    private final Map<Relation, Long> slots = new LinkedHashMap<>(Map.of(CITES, 2_200_000L, WRITES, 600_000L,
            REV_WRITES, 600_000L));
    private final Map<Relation, Long> edges = new LinkedHashMap<>(Map.of(CITES, 1_000_000L, WRITES, 600_000L,
            REV_WRITES, 600_000L));

    private static TypedGatConfig config(boolean authorsPerNode) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put("paper", 128);
        widths.put("author", 16);
        TypedGatConfig.Builder builder = TypedGatConfig.builder(widths, RELATIONS, "paper", 5).hiddenHeads(4)
                .hiddenChannels(16).aggregation(RelationAggregation.ATTENTION).semanticDim(16);
        if (authorsPerNode) {
            builder.featureless("author", FeaturelessInput.perNode(16, 80_000));
        }
        return builder.build();
    }

    private Map<String, Long> featureValues(boolean authorsPerNode) {
        Map<String, Long> values = new LinkedHashMap<>();
        values.put("paper", 200_000L * 128);
        if (!authorsPerNode) {
            values.put("author", 80_000L * 16);
        }
        return values;
    }

    private MemoryEstimate miniBatch(boolean authorsPerNode, int batchSize, int[] fanouts) {
        return MemoryEstimate.typedMiniBatch(config(authorsPerNode), nodes, slots, edges,
                featureValues(authorsPerNode), batchSize, fanouts);
    }

    @Test
    void smallBatchesNeedAFractionOfFullBatchAndGrowWithBatchAndFanouts() {
        MemoryEstimate full = MemoryEstimate.typed(config(false), nodes, slots, edges, featureValues(false), true);
        long small = miniBatch(false, 64, new int[]{5, 5}).totalBytes();
        long larger = miniBatch(false, 512, new int[]{5, 5}).totalBytes();
        long wider = miniBatch(false, 512, new int[]{15, 10}).totalBytes();
        assertTrue(small < full.totalBytes() * 0.7, small + " vs full batch " + full.totalBytes());
        assertTrue(small < larger && larger < wider, small + " < " + larger + " < " + wider);
        MemoryEstimate inference = MemoryEstimate.typed(config(false), nodes, slots, edges, featureValues(false),
                false);
        assertTrue(small > inference.totalBytes(), "the whole graph's inference is held for validation");
    }

    @Test
    void everyNeighbourAndEveryTargetNodeIsTheWholeTrainingStep() {
        MemoryEstimate full = MemoryEstimate.typed(config(false), nodes, slots, edges, featureValues(false), true);
        MemoryEstimate inference = MemoryEstimate.typed(config(false), nodes, slots, edges, featureValues(false),
                false);
        MemoryEstimate all = miniBatch(false, 200_000, new int[]{-1, -1});
        assertEquals(full.gradientBytes(), all.gradientBytes());
        assertEquals(full.activationBytes() + inference.activationBytes(), all.activationBytes());
        assertEquals(full.parameterBytes(), all.parameterBytes());
    }

    @Test
    void aTypeLearningOneInputPerNodeIsHeldWhole() {
        long perNode = miniBatch(true, 64, new int[]{2, 2}).activationBytes();
        long perLabel = miniBatch(false, 64, new int[]{2, 2}).activationBytes();
        // Every author's layer outputs are computed in each batch, about 80 000 rows per layer more.
        assertTrue(perNode > perLabel + 80_000L * 4 * 16, perNode + " vs " + perLabel);
    }
}
