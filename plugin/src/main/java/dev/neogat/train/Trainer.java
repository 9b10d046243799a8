package dev.neogat.train;

import dev.neogat.spec.GatConfig;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.GraphTensor;
import dev.neogat.nn.MetricCounts;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Tensor;
import dev.neogat.nn.Weights;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.List;

/**
 * Full-batch training: per epoch one training step (forward with dropout, loss on the training nodes,
 * backward, Adam), then an evaluation without dropout on the training and validation nodes for the
 * history and early stopping. The best epoch's weights are kept on the backend and restored at the end.
 *
 * <p>Mini-batch training ({@link MiniBatchConfig}) replaces the one step by an Adam step per sampled batch
 * ({@link MiniBatchSteps}); evaluation, early stopping and the result stay the same, on the whole graph.
 */
public final class Trainer {

    private Trainer() {
    }

    public static TrainingResult train(Backend backend, TrainingData data, GatConfig config, TrainingConfig training,
                                       TrainingListener listener, TerminationFlag termination) {
        return train(backend, data, config, training, null, listener, termination);
    }

    /** {@code miniBatch}: how to sample batches, or null for full-batch training; batches prepared on one thread. */
    public static TrainingResult train(Backend backend, TrainingData data, GatConfig config, TrainingConfig training,
                                       MiniBatchConfig miniBatch, TrainingListener listener,
                                       TerminationFlag termination) {
        return train(backend, data, config, training, miniBatch, 1, listener, termination);
    }

    /**
     * As {@link #train(Backend, TrainingData, GatConfig, TrainingConfig, MiniBatchConfig, TrainingListener,
     * TerminationFlag)}, with mini-batches sampled and gathered ahead of the step on {@code concurrency} threads
     * ({@link BatchPipeline#workersFor}); the result is the same at any concurrency.
     */
    public static TrainingResult train(Backend backend, TrainingData data, GatConfig config, TrainingConfig training,
                                       MiniBatchConfig miniBatch, int concurrency, TrainingListener listener,
                                       TerminationFlag termination) {
        int batchWorkers = BatchPipeline.workersFor(concurrency);
        data.validate();
        if (miniBatch != null) {
            miniBatch.requireLayers(config.layerCount());
        }
        requireConfigFits(config, data);
        FeatureMatrix features = config.normalizeFeatures() ? data.features().rowNormalized() : data.features();
        long start = System.nanoTime();
        List<Object> resources = new ArrayList<>();
        GatNetwork network = null;
        try {
            GraphTensor graph = keep(resources, backend.upload(data.graph()));
            Tensor featureTensor = keep(resources, backend.upload(features));
            Tensor edgeFeatures = EdgeFeatures.upload(backend, data.graph(), data.relationshipFeatures());
            if (edgeFeatures != null) {
                keep(resources, edgeFeatures);
            }
            network = new GatNetwork(backend, config, Weights.initialize(config, training.seed()), graph,
                    featureTensor, edgeFeatures, false);
            Targets trainTargets = keep(resources, backend.upload(data.labels(), data.split().train()));
            Targets validationTargets = keep(resources, backend.upload(data.labels(), data.split().validation()));
            Targets testTargets = keep(resources, backend.upload(data.labels(), data.split().test()));
            boolean canStopEarly = validationTargets.size() > 0;
            AdamSettings adam = AdamSettings.of(training.learningRate(), training.weightDecay());
            MiniBatchSteps batches = miniBatch == null ? null
                    : new MiniBatchSteps(backend, network, data, features, miniBatch, training.seed(), batchWorkers);
            GatNetwork current = network;
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
            TrainedModel model = new TrainedModel(config, network.weights(),
                    trainingMetadata(training, miniBatch, history, bestEpoch, stopReason));
            double millis = (System.nanoTime() - start) / 1e6;
            return new TrainingResult(model, List.copyOf(history), bestEpoch, stopReason, trainMetrics,
                    validationMetrics, testMetrics, millis, backend.description());
        } finally {
            if (network != null) {
                network.release();
            }
            resources.forEach(backend::release);
        }
    }

    private static <T> T keep(List<Object> resources, T handle) {
        resources.add(handle);
        return handle;
    }

    private static void requireConfigFits(GatConfig config, TrainingData data) {
        if (config.inputDim() != data.features().cols()) {
            throw new IllegalArgumentException("The model expects " + config.inputDim()
                    + " input features but there are " + data.features().cols());
        }
        EdgeFeatures.requireFits(config.edgeDim(), data.graph(), data.relationshipFeatures());
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

    static ModelMetadata trainingMetadata(TrainingConfig training, List<EpochStats> history, int bestEpoch,
                                          StopReason stopReason) {
        return trainingMetadata(training, null, history, bestEpoch, stopReason);
    }

    static ModelMetadata trainingMetadata(TrainingConfig training, MiniBatchConfig miniBatch,
                                          List<EpochStats> history, int bestEpoch, StopReason stopReason) {
        ModelMetadata.Training settings = new ModelMetadata.Training(training.epochs(), training.learningRate(),
                training.weightDecay(), training.patience(), training.seed(),
                miniBatch == null ? null : miniBatch.batchSize(),
                miniBatch == null ? null : java.util.Arrays.stream(miniBatch.fanouts()).boxed().toList());
        return ModelMetadata.ofTraining(settings, bestEpoch, history.size(), stopReason.name(),
                history.stream().map(EpochStats::toMetadata).toList());
    }
}
