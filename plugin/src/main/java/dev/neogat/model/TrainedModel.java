package dev.neogat.model;

import dev.neogat.spec.GatConfig;
import dev.neogat.nn.Weights;

import java.util.Objects;

/** What a trained model is made of: its architecture, its weights and its {@link ModelMetadata}. */
public record TrainedModel(GatConfig config, Weights weights, ModelMetadata metadata) implements StoredModel {

    public TrainedModel {
        weights.requireMatches(config);
        metadata = Objects.requireNonNullElse(metadata, ModelMetadata.NONE);
    }

    @Override
    public TrainedModel withMetadata(ModelMetadata newMetadata) {
        return new TrainedModel(config, weights, newMetadata);
    }
}
