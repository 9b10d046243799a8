package dev.neogat.train;

import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.Weights;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained typed model (its configuration and the best epoch's weights) with its per-epoch history, the
 * metrics of those weights without dropout on the three sets of the split, and the weight of each relation
 * into each node type per layer (β under semantic attention), by layer, then type, then relation, and the
 * training settings ({@code miniBatch}: the batches it was trained in, null for full-batch training).
 */
public record TypedTrainingResult(TypedGatConfig config, Weights weights, List<EpochStats> history, int bestEpoch,
                                  StopReason stopReason, MetricCounts train, MetricCounts validation,
                                  MetricCounts test, List<Map<String, Map<Relation, Double>>> relationWeights,
                                  double trainMillis, String device, TrainingConfig training,
                                  MiniBatchConfig miniBatch) implements TrainingOutcome {

    /** The model to store: configuration, weights, and as metadata the training settings, history and β. */
    public TypedTrainedModel model() {
        List<Map<String, Map<String, Double>>> weightsByKey = new ArrayList<>();
        for (Map<String, Map<Relation, Double>> layer : relationWeights) {
            Map<String, Map<String, Double>> byType = new LinkedHashMap<>();
            layer.forEach((type, byRelation) -> {
                Map<String, Double> byKey = new LinkedHashMap<>();
                byRelation.forEach((relation, weight) -> byKey.put(relation.key(), weight));
                byType.put(type, byKey);
            });
            weightsByKey.add(byType);
        }
        return new TypedTrainedModel(config, weights, Trainer.trainingMetadata(training, miniBatch, history, bestEpoch,
                stopReason).withRelationWeights(weightsByKey));
    }
}
