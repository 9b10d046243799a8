package dev.neogat.model;

import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.spec.TypedGatConfig;

import java.util.Objects;

/** A trained typed model: its architecture over node types and relations, its weights and its metadata. */
public record TypedTrainedModel(TypedGatConfig config, Weights weights, ModelMetadata metadata)
        implements StoredModel {

    public TypedTrainedModel {
        weights.requireMatches(TypedGatNetwork.parameterShapes(config));
        metadata = Objects.requireNonNullElse(metadata, ModelMetadata.NONE);
    }

    @Override
    public TypedTrainedModel withMetadata(ModelMetadata newMetadata) {
        return new TypedTrainedModel(config, weights, newMetadata);
    }
}
