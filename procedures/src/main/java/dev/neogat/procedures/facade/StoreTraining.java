package dev.neogat.procedures.facade;

import dev.neogat.analysis.ClassificationReport;
import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.graph.Orientation;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.procedures.catalog.ModelCatalog;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.TrainConfig;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.load.DatabaseNames;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.StoreGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.PropertyWriter;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.procedures.write.WriteTally;
import dev.neogat.spec.GatConfig;
import dev.neogat.train.BatchingChoice;
import dev.neogat.train.EpochStats;
import dev.neogat.train.Inference;
import dev.neogat.train.LayerWiseInference;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.Prediction;
import dev.neogat.train.SampledTrainer;
import dev.neogat.train.SampledTrainingData;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import org.neo4j.graphdb.RelationshipType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * gat.train when the projection does not fit the memory budget: the projection stays in the store
 * ({@link StoreGraph}), each batch reads its sampled neighbourhoods, feature rows and relationship features through
 * the procedure's transaction, validation and the test report run on chunks with exact neighbourhoods, and predictions are
 * computed and written chunk by chunk.
 */
final class StoreTraining {

    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private StoreTraining() {
    }

    /**
     * Whether gat.train reads its batches from the store: {@code reason} says why, null when training holds the
     * projection in the heap; {@code fromStore} is what the store-backed run needs, null when it was not sized
     * (mode 'fullBatch', autoTune, nothing projected).
     */
    record StorePlan(String reason, MemoryEstimate fromStore) {
        private static final StorePlan UNSIZED = new StorePlan(null, null);
    }

    /** Why the projection stays in the store, or null when training holds it in the heap (see {@link #plan}). */
    static String storeReason(ProcedureContext context, TrainConfig config) {
        return plan(context, config).reason();
    }

    /**
     * The decision gat.train and gat.train.estimate share: 'auto' and 'miniBatch' leave the projection in the store
     * when mini-batch training with the whole projection in the heap (and for 'auto', also full-batch training)
     * needs more than the memory budget. Sizes come from the database's counts.
     */
    static StorePlan plan(ProcedureContext context, TrainConfig config) {
        TrainConfig.Batching batching = config.batching();
        if (TrainConfig.FULL_BATCH.equals(batching.mode()) || config.autoTune() != null) {
            return StorePlan.UNSIZED;
        }
        DatabaseNames.requireProjection(context.tx(), config.projection(), config.labelProperty(),
                config.splitProperty());
        StoreGraph.Size size = StoreGraph.size(context.tx(), config.projection());
        if (size.nodes() == 0 || size.featureWidth() == 0) {
            // Nothing to size: the in-heap loader names what is missing.
            return StorePlan.UNSIZED;
        }
        MiniBatchConfig miniBatch = batching.miniBatch();
        GatConfig model = config.model().toConfig(size.featureWidth(), 2, false, false);
        if (config.projection().relationshipFeatures() != null) {
            // Sampled as gat.train.estimate samples it: the in-heap runs hold them per relationship and per slot.
            model = model.toBuilder().edgeDim(EstimateFacade.sampledRelationshipFeatureWidth(context,
                    config.projection(), config.projection().relationshipTypes().stream()
                            .map(RelationshipType::withName)
                            .toArray(RelationshipType[]::new))).build();
        }
        long nodes = size.nodes();
        long slots = size.relationships() * (config.projection().orientation() == Orientation.UNDIRECTED ? 2 : 1)
                + (config.projection().selfLoops() ? nodes : 0);
        long featureValues = nodes * size.featureWidth();
        MemoryEstimate fullBatch = MemoryEstimate.of(config.largestModel(model), nodes, slots, size.relationships(),
                featureValues, false, true);
        MemoryEstimate inHeap = MemoryEstimate.miniBatch(model, nodes, slots, size.relationships(), featureValues,
                false, miniBatch.batchSize(), miniBatch.fanouts(), config.concurrency());
        MemoryEstimate fromStore = MemoryEstimate.fromStore(model, nodes, slots, featureValues, false,
                miniBatch.batchSize(), miniBatch.fanouts(), nodes, config.concurrency());
        long budget = batching.memoryBudget() != null ? batching.memoryBudget() : TrainFacade.freeHeap();
        String budgetText = MemoryEstimate.humanReadable(budget) + " ("
                + (batching.memoryBudget() != null ? "memoryBudget" : "the free heap") + ")";
        boolean auto = TrainConfig.AUTO.equals(batching.mode());
        if ((auto && fullBatch.totalBytes() <= budget) || inHeap.totalBytes() <= budget) {
            return new StorePlan(null, fromStore);
        }
        String batches = "mini-batch training (batchSize " + miniBatch.batchSize() + ", fanouts "
                + Arrays.toString(miniBatch.fanouts()) + ") needs about "
                + MemoryEstimate.humanReadable(inHeap.totalBytes()) + " with the projection in the heap";
        String store = "so the projection stays in the store and each batch reads its neighbourhoods and features "
                + "from it (about " + MemoryEstimate.humanReadable(fromStore.totalBytes()) + ")";
        return new StorePlan(auto
                ? "auto: full-batch training needs about " + MemoryEstimate.humanReadable(fullBatch.totalBytes())
                + ", more than the memory budget " + budgetText + "; " + batches + ", also more; " + store
                : "mode 'miniBatch' was asked for; " + batches + ", more than the memory budget " + budgetText
                + "; " + store, fromStore);
    }

    /** Trains from the store; {@code onStored} runs once the model is in the catalog. */
    @SuppressWarnings("deprecation")
    static TrainFacade.TrainResult train(ProcedureContext context, String modelName, TrainConfig config,
                                         String reason, Jobs.Job job, Runnable onStored) {
        WriteConfig write = config.write();
        String notWritten = write.attentionProperty() != null ? "attentionProperty '" + write.attentionProperty() + "'"
                : write.selfAttentionProperty() != null ? "selfAttentionProperty '" + write.selfAttentionProperty() + "'"
                : write.embeddingProperty() != null ? "embeddingProperty '" + write.embeddingProperty() + "'" : null;
        if (notWritten != null) {
            throw new IllegalArgumentException(notWritten + " is not written by a training that reads its batches "
                    + "from the store (" + reason + "); write it afterwards with gat.attention.write or "
                    + "gat.embed.write, which run layer by layer within memoryBudget, or give a memoryBudget the "
                    + "projection fits in");
        }
        GraphLoader.SplitSpec split = new GraphLoader.SplitSpec(config.splitProperty(), config.trainFraction(),
                config.validationFraction(), config.training().seed());
        StoreGraph store = StoreGraph.open(context.tx(), config.projection(), config.labelProperty(), split,
                context.guard(), job::phase);
        GatConfig gatConfig = config.model().toConfig(store.featureWidth(), store.classValues().size(),
                store.labels().isMultiLabel(), !store.denseFeatures());
        if (store.edgeDim() > 0) {
            gatConfig = gatConfig.toBuilder().edgeDim(store.edgeDim()).build();
        }
        // Stored with the model: the statistics its relationship features were standardised by.
        ProjectionConfig projection = store.relationshipFeatures() == null ? config.projection()
                : config.projection().withRelationshipFeatures(store.relationshipFeatures());
        WriteBack.requireLayersExist(write, gatConfig.layerCount(), modelName);
        MiniBatchConfig miniBatch = config.batching().miniBatch();
        MemoryEstimate need = MemoryEstimate.fromStore(gatConfig, store.nodeCount(), store.slotCount(),
                (long) store.nodeCount() * store.featureWidth(), !store.denseFeatures(), miniBatch.batchSize(),
                miniBatch.fanouts(), store.labelledNodes().length, config.concurrency());
        TrainFacade.requireHeap(need);
        long layerWiseBudget = layerWiseBudget(config, need);
        DeviceChoice device = Devices.select(config.device(), config.concurrency(), context.terminationFlag(), need);
        context.log().info("gat.train '%s': %d nodes, %d relationships, %d features, %d classes on %s (%s), "
                        + "miniBatch from the store (%s)", modelName, store.nodeCount(), store.relationshipCount(),
                store.featureWidth(), store.classValues().size(), device.device(), device.reason(), reason);
        BatchingChoice batching = BatchingChoice.miniBatch(miniBatch, need, reason);
        try (Backend backend = device.backend()) {
            SampledTrainingData data = store.trainingData(context.db());
            job.phase("training (batches read from the store)");
            TrainingResult result = SampledTrainer.train(backend, data, gatConfig, config.training(), miniBatch,
                    miniBatch.batchSize(), config.concurrency(), layerWiseBudget, listener(context, job, modelName),
                    context.terminationFlag());
            job.phase("predicting the test nodes");
            int[] test = store.split().test();
            int[][] predicted = predictedClasses(backend, result.model(), data, test, miniBatch.batchSize(),
                    config.concurrency(), context);
            int[] testRows = Arrays.stream(test).map(data::labelRow).toArray();
            ModelMetadata.TestReport testReport = ClassificationReport.of(
                    row -> predicted[Arrays.binarySearch(testRows, row)][0],
                    row -> predicted[Arrays.binarySearch(testRows, row)], store.labels(), testRows)
                    .toMetadata(store.classValues());
            TrainedModel model = result.model().withMetadata(TrainFacade.trainedOn(result.model().metadata(), config,
                    projection, config.used(), store.classValues(), store.nodeCount(),
                    store.relationshipCount(), store.split(), result, device, testReport));
            job.phase("storing the model");
            context.catalog().store(modelName, model);
            onStored.run();
            context.log().info("gat.train '%s': stored after %d epochs (best %d), test %s %.4f", modelName,
                    result.epochsRun(), result.bestEpoch(), TrainFacade.metricName(result.test()),
                    result.test().score());
            long writeStart = System.nanoTime();
            WriteBack.Summary written = new WriteBack.Summary(0, 0);
            if (write.writeProperty() != null || write.probabilityProperty() != null) {
                written = writePredictions(context, modelName, backend, model, store, data, write,
                        config.concurrency(), miniBatch.batchSize(), layerWiseBudget, job);
            }
            return TrainFacade.row(modelName, config.used(), store.classValues(), store.nodeCount(),
                    store.relationshipCount(), store.loadMillis(), result, device, batching, written,
                    (System.nanoTime() - writeStart) / 1e6);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot store the model '" + modelName + "': " + e.getMessage(), e);
        }
    }

    /**
     * What layer-wise evaluation and write-back may take: the memory budget (at most the heap free now) less what
     * the batches and chunks need ({@code need}, counted at the run's concurrency), so the whole run stays within it.
     */
    private static long layerWiseBudget(TrainConfig config, MemoryEstimate need) {
        long free = TrainFacade.freeHeap();
        Long asked = config.batching().memoryBudget();
        long budget = asked != null ? Math.min(asked, free) : free;
        return Math.max(0, budget - need.totalBytes());
    }

    /**
     * Predicted classes of each of {@code nodes} (ascending), chunk by chunk on exact neighbourhoods read ahead on
     * {@code concurrency} threads.
     */
    private static int[][] predictedClasses(Backend backend, TrainedModel model, SampledTrainingData data,
                                            int[] nodes, int chunk, int concurrency, ProcedureContext context) {
        int[][] classes = new int[nodes.length][];
        SampledTrainer.predictChunks(backend, model, data.callerReader(), data.workerReaders(), concurrency,
                (nodes.length + chunk - 1) / chunk,
                c -> Arrays.copyOfRange(nodes, c * chunk, Math.min(nodes.length, (c + 1) * chunk)),
                (c, chunkNodes, prediction) -> {
                    for (int i = 0; i < chunkNodes.length; i++) {
                        classes[c * chunk + i] = prediction.multiLabel() ? prediction.predictedClasses(i)
                                : new int[]{prediction.predictedClass(i)};
                    }
                }, context.terminationFlag());
        return classes;
    }

    /**
     * Predicts every projected node and writes each chunk's properties as soon as it is done: layer by layer over the
     * store when {@code layerWiseBudget} holds a layer's per-node outputs, else chunk by chunk on exact neighbourhoods.
     */
    @SuppressWarnings("deprecation")
    private static WriteBack.Summary writePredictions(ProcedureContext context, String modelName, Backend backend,
                                                      TrainedModel model, StoreGraph store,
                                                      SampledTrainingData data, WriteConfig write, int concurrency,
                                                      int chunk, long layerWiseBudget, Jobs.Job job) {
        Prediction[] current = new Prediction[1];
        List<PropertyWriter.Column> columns = new ArrayList<>();
        if (write.writeProperty() != null) {
            columns.add(PropertyWriter.column(write.writeProperty(), i -> WriteBack.predictedValue(current[0], i,
                    store.classValues(), current[0].multiLabel())));
        }
        if (write.probabilityProperty() != null) {
            columns.add(PropertyWriter.column(write.probabilityProperty(), i -> current[0].probabilities(i)));
        }
        WriteTally tally = new WriteTally();
        tally.expect("nodes", columns);
        int n = store.nodeCount();
        LayerWiseInference.Source source = store.layerWiseSource();
        long budget = layerWiseBudget;
        boolean layerWise = budget > 0 && fitsLayerWise(model, source, budget);
        String phase = layerWise ? "predicting layer by layer and writing chunk by chunk (read from the store)"
                : "predicting and writing chunk by chunk (neighbourhoods read from the store)";
        job.phase(phase);
        // Which of the two the budget allowed (layer by layer reads each node once a layer, chunks read more).
        context.log().info("gat.train '%s': %s", modelName, phase);
        PropertyWriter.Listener retries = WriteBack.progress(job, phase, 1, context.log(), modelName);
        ChunkWriter writeChunk = (from, count, prediction) -> {
            current[0] = prediction;
            PropertyWriter.writeNodes(context.db(), count,
                    (tx, index) -> tx.getNodeById(store.nodes().toNeo4j(from + index)), columns, write.batchSize(),
                    concurrency, context.guard(), tally, new PropertyWriter.Listener() {
                        @Override
                        public void written(long propertiesSoFar) {
                        }

                        @Override
                        public void retried(long retriesSoFar, RuntimeException cause) {
                            retries.retried(retriesSoFar, cause);
                        }
                    });
        };
        try {
            if (layerWise) {
                // Every node's features and every slot list are read once per layer, not once per chunk's 2-hop
                // neighbourhood; the results equal the whole graph's.
                LayerWiseInference.run(backend, model, source, budget, Inference.Request.LOGITS_ONLY,
                        new LayerWiseInference.Consumer() {
                            @Override
                            public void logits(int first, int end, float[] values) {
                                writeChunk.write(first, end - first, Prediction.ofLogits(model.config(), values));
                            }

                            @Override
                            public void progress(long chunksDone, long chunkTotal) {
                                job.progress(chunksDone, chunkTotal);
                            }
                        }, context.terminationFlag());
            } else {
                // Neighbourhoods of the next chunks are read on worker threads while this one is written.
                SampledTrainer.predictChunks(backend, model, data.callerReader(), data.workerReaders(), concurrency,
                        (n + chunk - 1) / chunk, c -> {
                            int[] nodes = new int[Math.min(n, (c + 1) * chunk) - c * chunk];
                            Arrays.setAll(nodes, i -> c * chunk + i);
                            return nodes;
                        }, (c, nodes, prediction) -> {
                            writeChunk.write(c * chunk, nodes.length, prediction);
                            job.progress(c * chunk + nodes.length, n);
                        }, context.terminationFlag());
            }
        } catch (RuntimeException e) {
            IllegalStateException failure = new IllegalStateException("The model '" + modelName + "' was trained and "
                    + "stored, but writing its results failed after " + tally.describe() + ": " + e.getMessage());
            failure.addSuppressed(e);
            context.log().error("gat.train '" + modelName + "': writing results failed", e);
            throw failure;
        }
        return new WriteBack.Summary(tally.propertiesWritten(), tally.retries());
    }

    /** Writes the predictions of the nodes [from, from + count). */
    @FunctionalInterface
    private interface ChunkWriter {
        void write(int from, int count, Prediction prediction);
    }

    /**
     * Whether layer-wise inference over the store fits {@code budget}: every node's outputs of one layer and one
     * chunk's slots. When not, each chunk of nodes runs on its exact neighbourhood instead (less memory, more reads).
     */
    private static boolean fitsLayerWise(TrainedModel model, LayerWiseInference.Source source, long budget) {
        try {
            LayerWiseInference.plan(model.config(), source, budget);
            return true;
        } catch (IllegalArgumentException tooSmall) {
            return false;
        }
    }

    /** Per batch: progress in gat.progress() and, every 10 s, a log line; per epoch as in-heap training. */
    static SampledTrainer.Listener listener(ProcedureContext context, Jobs.Job job, String modelName) {
        TrainingListener epochs = TrainFacade.listener(context, job, modelName);
        long[] lastLog = {System.nanoTime()};
        return new SampledTrainer.Listener() {
            @Override
            public void onBatch(int epoch, int batch, int batches) {
                job.phase("training (batches read from the store): epoch " + epoch + ", batch " + batch + " of "
                        + batches);
                job.progress(batch, batches);
                long now = System.nanoTime();
                if (now - lastLog[0] >= LOG_EVERY_NANOS) {
                    lastLog[0] = now;
                    context.log().info("gat.train '%s': epoch %d, batch %d of %d (batches read from the store)",
                            modelName, epoch, batch, batches);
                }
            }

            @Override
            public void onEpoch(EpochStats stats, int maxEpochs) {
                epochs.onEpoch(stats, maxEpochs);
            }
        };
    }
}
