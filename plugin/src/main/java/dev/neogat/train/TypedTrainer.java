package dev.neogat.train;

import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.TypedGatNetwork;
import dev.neogat.nn.Weights;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Full-batch training of a typed GAT, as {@link Trainer} trains an untyped one: per epoch one step (forward
 * with dropout, loss on the target type's training nodes, backward, Adam), then an evaluation without
 * dropout for the history and early stopping; the best epoch's weights are restored at the end.
 */
public final class TypedTrainer {

    private TypedTrainer() {
    }

    /** Trains from {@link Weights#initialize(List, long)} of the config's parameters with the training seed. */
    public static TypedTrainingResult train(Backend backend, TypedTrainingData data, TypedGatConfig config,
                                            TrainingConfig training, TrainingListener listener,
                                            TerminationFlag termination) {
        return train(backend, data, config, Weights.initialize(TypedGatNetwork.parameterShapes(config), training.seed()), training,
                listener, termination);
    }

    public static TypedTrainingResult train(Backend backend, TypedTrainingData data, TypedGatConfig config,
                                            Weights initial, TrainingConfig training, TrainingListener listener,
                                            TerminationFlag termination) {
        return train(backend, data, config, initial, training, null, 1, listener, termination);
    }

    /**
     * {@code miniBatch}: how to sample batches of the target type's training nodes ({@link TypedMiniBatchSteps}),
     * or null for full-batch training; batches are sampled ahead on {@code concurrency} threads, with the same
     * result at any concurrency. Validation, early stopping and the final metrics run on the whole graph either way.
     */
    public static TypedTrainingResult train(Backend backend, TypedTrainingData data, TypedGatConfig config,
                                            TrainingConfig training, MiniBatchConfig miniBatch, int concurrency,
                                            TrainingListener listener, TerminationFlag termination) {
        return train(backend, data, config, Weights.initialize(TypedGatNetwork.parameterShapes(config),
                training.seed()), training, miniBatch, concurrency, listener, termination);
    }

    public static TypedTrainingResult train(Backend backend, TypedTrainingData data, TypedGatConfig config,
                                            Weights initial, TrainingConfig training, MiniBatchConfig miniBatch,
                                            int concurrency, TrainingListener listener,
                                            TerminationFlag termination) {
        int batchWorkers = BatchPipeline.workersFor(concurrency);
        data.validate();
        if (miniBatch != null) {
            miniBatch.requireLayers(config.layers());
        }
        requireConfigFits(config, data);
        long start = System.nanoTime();
        List<Object> resources = new ArrayList<>();
        TypedGatNetwork network = null;
        try {
            Map<String, FeatureMatrix> input = TypedInference.modelInput(config, data.features());
            Map<String, Tensor> features = new LinkedHashMap<>();
            for (String type : config.nodeTypes()) {
                if (!config.featureless().containsKey(type)) {
                    features.put(type, keep(resources, backend.upload(input.get(type))));
                }
            }
            network = new TypedGatNetwork(backend, config, initial, data.graph(), features,
                    dense(data.relationshipFeatures()), false);
            Targets trainTargets = keep(resources, backend.upload(data.labels(), data.split().train()));
            Targets validationTargets = keep(resources, backend.upload(data.labels(), data.split().validation()));
            Targets testTargets = keep(resources, backend.upload(data.labels(), data.split().test()));
            boolean canStopEarly = validationTargets.size() > 0;
            AdamSettings adam = AdamSettings.of(training.learningRate(), training.weightDecay());
            TypedGatNetwork current = network;
            TypedMiniBatchSteps batches = miniBatch == null ? null
                    : new TypedMiniBatchSteps(backend, network, new TypedTrainingData(data.graph(), input,
                            data.targetType(), data.labels(), data.split(), data.relationshipFeatures()), config,
                            miniBatch, training.seed(), batchWorkers);
            EpochLoop.Outcome outcome = EpochLoop.run(backend, current, training, canStopEarly, listener,
                    termination, epoch -> batches != null ? batches.epoch(epoch, adam, termination)
                            : EpochLoop.fullBatchStep(current, trainTargets, adam, training, epoch),
                    () -> EpochLoop.fullBatchScores(backend, current, trainTargets,
                            canStopEarly ? validationTargets : null));
            List<EpochStats> history = outcome.history();
            int bestEpoch = outcome.bestEpoch();
            StopReason stopReason = outcome.stopReason();
            Tensor logits = network.forward();
            MetricCounts trainMetrics = backend.evaluate(logits, trainTargets);
            MetricCounts validationMetrics = backend.evaluate(logits, validationTargets);
            MetricCounts testMetrics = backend.evaluate(logits, testTargets);
            double millis = (System.nanoTime() - start) / 1e6;
            return new TypedTrainingResult(config, network.weights(), List.copyOf(history), bestEpoch, stopReason,
                    trainMetrics, validationMetrics, testMetrics, relationWeights(network, config), millis,
                    backend.description(), training, miniBatch);
        } finally {
            if (network != null) {
                network.release();
            }
            resources.forEach(backend::release);
        }
    }

    /** The last (inference) forward pass's relation weights, per layer and output type. */
    private static List<Map<String, Map<Relation, Double>>> relationWeights(TypedGatNetwork network,
                                                                           TypedGatConfig config) {
        List<Map<String, Map<Relation, Double>>> layers = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            Map<String, Map<Relation, Double>> byType = new LinkedHashMap<>();
            for (String type : config.layer(l).outputTypes()) {
                if (!config.layer(l).relationsInto(type).isEmpty()) {
                    byType.put(type, network.relationWeights(l, type));
                }
            }
            layers.add(byType);
        }
        return layers;
    }

    /** Relationship features as the network takes them (dense; sparse ones are expanded). */
    static Map<Relation, DenseMatrix> dense(Map<Relation, FeatureMatrix> relationshipFeatures) {
        Map<Relation, DenseMatrix> dense = new LinkedHashMap<>();
        relationshipFeatures.forEach((relation, x) -> dense.put(relation, x instanceof DenseMatrix d ? d
                : new DenseMatrix(x.rows(), x.cols(), ((SparseMatrix) x).toDense())));
        return dense;
    }

    private static <T> T keep(List<Object> resources, T handle) {
        resources.add(handle);
        return handle;
    }

    private static void requireConfigFits(TypedGatConfig config, TypedTrainingData data) {
        if (!config.targetType().equals(data.targetType())) {
            throw new IllegalArgumentException("The model predicts node type '" + config.targetType()
                    + "' but the labels are of '" + data.targetType() + "'");
        }
        for (String type : config.nodeTypes()) {
            int width = config.inputWidths().get(type);
            boolean learned = config.featureless().containsKey(type);
            if (learned && data.features().containsKey(type)) {
                throw new IllegalArgumentException("There are features for node type '" + type + "', but the model "
                        + "learns its input (it is featureless in the model's configuration)");
            }
            if (!learned && !data.features().containsKey(type)) {
                throw new IllegalArgumentException("No features for node type '" + type + "' (only a type the "
                        + "model's configuration declares featureless may have none)");
            }
            if (data.features().get(type) != null && data.features().get(type).cols() != width) {
                throw new IllegalArgumentException("The model expects " + width + " input features for node type '"
                        + type + "' but there are " + data.features().get(type).cols());
            }
        }
        if (config.classCount() != data.labels().classCount()) {
            throw new IllegalArgumentException("The model predicts " + config.classCount()
                    + " classes but the labels have " + data.labels().classCount());
        }
        if (config.multiLabel() != data.labels().isMultiLabel()) {
            throw new IllegalArgumentException(config.multiLabel()
                    ? "The model is multi-label but the labels give one class per node"
                    : "The labels are multi-label but the model predicts one class per node");
        }
    }
}
