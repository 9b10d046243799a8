package dev.neogat.model;

import dev.neogat.spec.GatConfig;
import dev.neogat.nn.Weights;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a trained model is made of: its architecture, its weights and free-form metadata (class names,
 * metrics, training history, how the features were built) as JSON-compatible values: String, Number,
 * Boolean, null, List and Map of those.
 */
public record TrainedModel(GatConfig config, Weights weights, Map<String, Object> metadata) {

    public TrainedModel {
        weights.requireMatches(config);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    public TrainedModel withMetadata(Map<String, Object> extra) {
        Map<String, Object> merged = new LinkedHashMap<>(metadata);
        merged.putAll(extra);
        return new TrainedModel(config, weights, merged);
    }
}
