package dev.neogat.model;

import dev.neogat.nn.Weights;

/** What a model file holds: an untyped model ({@link TrainedModel}) or a typed one ({@link TypedTrainedModel}). */
public sealed interface StoredModel permits TrainedModel, TypedTrainedModel {

    Weights weights();

    ModelMetadata metadata();

    StoredModel withMetadata(ModelMetadata newMetadata);
}
