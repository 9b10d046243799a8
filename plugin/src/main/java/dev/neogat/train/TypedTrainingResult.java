package dev.neogat.train;

import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.Weights;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;

import java.util.List;
import java.util.Map;

/**
 * A trained typed model (its configuration and the best epoch's weights) with its per-epoch history, the
 * metrics of those weights without dropout on the three sets of the split, and the weight of each relation
 * into each node type per layer (β under semantic attention), by layer, then type, then relation.
 */
public record TypedTrainingResult(TypedGatConfig config, Weights weights, List<EpochStats> history, int bestEpoch,
                                  StopReason stopReason, MetricCounts train, MetricCounts validation,
                                  MetricCounts test, List<Map<String, Map<Relation, Double>>> relationWeights,
                                  double trainMillis, String device) {

    public int epochsRun() {
        return history.size();
    }
}
