package dev.neogat.procedures.facade;

import dev.neogat.analysis.ClassificationReport;
import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.model.ModelMetadata;
import dev.neogat.model.TypedTrainedModel;
import dev.neogat.nn.Backend;
import dev.neogat.procedures.catalog.ModelCatalog;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.config.TrainConfig;
import dev.neogat.procedures.config.WriteConfig;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.NodeIdMap;
import dev.neogat.procedures.load.TypedStoreGraph;
import dev.neogat.procedures.progress.Jobs;
import dev.neogat.procedures.write.PropertyWriter;
import dev.neogat.procedures.write.WriteBack;
import dev.neogat.procedures.write.WriteTally;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.train.BatchingChoice;
import dev.neogat.train.MiniBatchConfig;
import dev.neogat.train.TypedSampledTrainer;
import dev.neogat.train.TypedSampledTrainingData;
import dev.neogat.train.TypedTrainingResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * gat.train of a typed model when its projection does not fit the memory budget: the projection stays in the store
 * ({@link TypedStoreGraph}), each batch reads its typed neighbourhoods and feature rows through a transaction
 * ({@link TypedSampledTrainer}), validation and the test report run on chunks of target nodes with exact
 * neighbourhoods, and the predictions of the target label's nodes are computed and written chunk by chunk.
 */
final class TypedStoreTraining {

    private TypedStoreTraining() {
    }

    /**
     * Why a typed gat.train reads its batches from the store, or null when it holds the projection in the heap:
     * 'auto' and 'miniBatch' do when typed mini-batch training with the projection in the heap (and for 'auto', also
     * typed full-batch training) needs more than the memory budget, as {@link StoreTraining#plan} decides for an
     * untyped one.
     */
    static String plan(TrainConfig config, EstimateFacade.TypedSizes sizes) {
        TrainConfig.Batching batching = config.batching();
        if (TrainConfig.FULL_BATCH.equals(batching.mode()) || config.autoTune() != null) {
            return null;
        }
        MiniBatchConfig miniBatch = batching.miniBatch();
        MemoryEstimate fullBatch = sizes.fullBatch(config);
        MemoryEstimate inHeap = sizes.miniBatch(config);
        MemoryEstimate fromStore = sizes.fromStore(config);
        long budget = budget(config);
        boolean auto = TrainConfig.AUTO.equals(batching.mode());
        if ((auto && fullBatch.totalBytes() <= budget) || inHeap.totalBytes() <= budget) {
            return null;
        }
        String batches = "typed mini-batch training (batchSize " + miniBatch.batchSize() + ", fanouts "
                + Arrays.toString(miniBatch.fanouts()) + ") needs about "
                + MemoryEstimate.humanReadable(inHeap.totalBytes()) + " with the projection in the heap";
        String store = "so the projection stays in the store and each batch reads its typed neighbourhoods and "
                + "features from it (about " + MemoryEstimate.humanReadable(fromStore.totalBytes()) + ")";
        return auto
                ? "auto: typed full-batch training needs about " + MemoryEstimate.humanReadable(fullBatch.totalBytes())
                + ", more than the memory budget " + budgetText(config) + "; " + batches + ", also more; " + store
                : "mode 'miniBatch' was asked for; " + batches + ", more than the memory budget " + budgetText(config)
                + "; " + store;
    }

    private static long budget(TrainConfig config) {
        Long given = config.batching().memoryBudget();
        return given != null ? given : TrainFacade.freeHeap();
    }

    private static String budgetText(TrainConfig config) {
        return MemoryEstimate.humanReadable(budget(config)) + " ("
                + (config.batching().memoryBudget() != null ? "memoryBudget" : "the free heap") + ")";
    }

    /**
     * Trains from the store, stores the model and writes the target label's predictions chunk by chunk. Refused
     * before anything is read or written: semantic attention, attention and embedding
     * properties, and a run whose store-backed estimate exceeds the memory budget.
     */
    static TrainFacade.TrainResult train(ProcedureContext context, String modelName, TrainConfig config,
                                         EstimateFacade.TypedSizes sizes, String reason) {
        WriteConfig write = config.write();
        String notWritten = write.attentionProperty() != null ? "attentionProperty '" + write.attentionProperty() + "'"
                : write.selfAttentionProperty() != null ? "selfAttentionProperty '" + write.selfAttentionProperty() + "'"
                : write.embeddingProperty() != null ? "embeddingProperty '" + write.embeddingProperty() + "'" : null;
        if (notWritten != null) {
            throw new IllegalArgumentException(notWritten + " is not written by a typed training that reads its "
                    + "batches from the store (" + reason + "); write it afterwards with gat.attention.write or "
                    + "gat.embed.write, or give a memoryBudget the projection fits in");
        }
        TypedSampledTrainer.requireSupported(sizes.model());
        requireBudget(config, sizes.fromStore(config), reason);
        ModelCatalog catalog = context.catalog();
        catalog.reserve(modelName);
        boolean stored = false;
        try (Jobs.Job job = Jobs.start("train", modelName, context.database(), null)) {
            GraphLoader.SplitSpec split = new GraphLoader.SplitSpec(config.splitProperty(), config.trainFraction(),
                    config.validationFraction(), config.training().seed());
            TypedStoreGraph store = TypedStoreGraph.open(context.tx(), config.projection(), config.labelProperty(),
                    split, config.typed().targetLabels(), context.guard(), job::phase);
            TypedGatConfig gatConfig = TypedTrainFacade.modelConfig(config, store.nodeTypes(), store.featureWidths(),
                    store.nodeCounts(), store.relations(), store.targetType(), store.classValues().size(),
                    store.edgeDim());
            TypedSampledTrainer.requireSupported(gatConfig);
            WriteBack.requireLayersExist(write, gatConfig.layers(), modelName);
            MiniBatchConfig miniBatch = config.batching().miniBatch();
            MemoryEstimate need = MemoryEstimate.typedFromStore(gatConfig, store.nodeCounts(), store.slotCounts(),
                    store.featureValues(), miniBatch.batchSize(), miniBatch.fanouts(), config.concurrency());
            requireBudget(config, need, reason);
            DeviceChoice device = Devices.select(config.device(), config.concurrency(), context.terminationFlag(),
                    need);
            context.log().info("gat.train '%s' (typed): %d nodes of %s, relations %s, target '%s', %d classes on %s "
                            + "(%s), miniBatch from the store (%s)", modelName, store.nodeCount(), store.nodeTypes(),
                    store.relations(), store.targetType(), store.classValues().size(), device.device(),
                    device.reason(), reason);
            BatchingChoice batching = BatchingChoice.miniBatch(miniBatch, need, reason);
            try (Backend backend = device.backend()) {
                TypedSampledTrainingData data = store.trainingData(context.tx(), context.db());
                int chunk = evaluationChunk(gatConfig, store, miniBatch, config.concurrency(), budget(config));
                job.phase("training (typed batches read from the store)");
                TypedTrainingResult result = TypedSampledTrainer.train(backend, data, gatConfig, config.training(),
                        miniBatch, chunk, config.concurrency(),
                        StoreTraining.listener(context, job, modelName), context.terminationFlag());
                job.phase("predicting the test nodes");
                int[] test = store.split().test();
                int[] predicted = new int[store.nodes(store.targetType()).size()];
                predict(backend, result.model(), data, test, chunk, config.concurrency(), context,
                        (nodes, logits) -> {
                            for (int i = 0; i < nodes.length; i++) {
                                predicted[nodes[i]] = TypedSampledTrainer.predictedClass(logits, i,
                                        gatConfig.classCount());
                            }
                        });
                ModelMetadata.TestReport testReport = ClassificationReport.of(node -> predicted[node],
                        node -> new int[]{predicted[node]}, store.labels(), test).toMetadata(store.classValues());
                TypedTrainedModel model = result.model().withMetadata(trainedOn(result, config, store, device,
                        testReport).withTrainedNodes(trainedNodes(context, gatConfig, store)));
                job.phase("storing the model");
                catalog.store(modelName, model);
                stored = true;
                context.log().info("gat.train '%s': stored after %d epochs (best %d), test %s %.4f", modelName,
                        result.epochsRun(), result.bestEpoch(), TrainFacade.metricName(result.test()),
                        result.test().score());
                long writeStart = System.nanoTime();
                WriteBack.Summary written = new WriteBack.Summary(0, 0);
                if (write.writeProperty() != null || write.probabilityProperty() != null) {
                    written = writePredictions(context, modelName, backend, model, store, data, write,
                            config.concurrency(), chunk, job);
                }
                return row(modelName, config, store, result, device, batching, written,
                        (System.nanoTime() - writeStart) / 1e6);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot store the model '" + modelName + "': " + e.getMessage(), e);
        } finally {
            if (!stored) {
                catalog.release(modelName);
            }
        }
    }

    /** Refuses a store-backed run whose estimate exceeds memoryBudget (or the heap free after a collection). */
    private static void requireBudget(TrainConfig config, MemoryEstimate need, String reason) {
        long budget = budget(config);
        if (config.batching().memoryBudget() == null && need.totalBytes() > budget) {
            System.gc();
            budget = TrainFacade.freeHeap();
        }
        if (need.totalBytes() > budget) {
            throw new IllegalStateException("Typed mini-batch training that reads its batches from the store needs "
                    + "about " + MemoryEstimate.humanReadable(need.totalBytes()) + ", more than the memory budget "
                    + MemoryEstimate.humanReadable(budget) + " (" + (config.batching().memoryBudget() != null
                    ? "memoryBudget" : "the free heap") + "; " + reason + "); raise server.memory.heap.max_size"
                    + (config.batching().memoryBudget() != null ? " or memoryBudget" : "") + ", or lower batchSize, "
                    + "fanouts or concurrency");
        }
    }

    /**
     * Target nodes per chunk of validation, the test report and the prediction write: the most, doubling from
     * batchSize up to all of them, whose store-backed estimate stays within the memory budget. Each chunk reads its
     * whole L-hop neighbourhood from the store, so chunks of batchSize nodes read the same hubs' neighbourhoods (most
     * of the graph) over and over; the logits of a node do not depend on the chunk it is in.
     */
    static int evaluationChunk(TypedGatConfig config, TypedStoreGraph store, MiniBatchConfig miniBatch,
                               int concurrency, long budget) {
        int targets = store.nodes(store.targetType()).size();
        int chunk = miniBatch.batchSize();
        while (chunk < targets) {
            int larger = (int) Math.min(targets, 2L * chunk);
            long need = MemoryEstimate.typedFromStore(config, store.nodeCounts(), store.slotCounts(),
                    store.featureValues(), miniBatch.batchSize(), miniBatch.fanouts(), larger, concurrency)
                    .totalBytes();
            if (need > budget) {
                break;
            }
            chunk = larger;
        }
        return chunk;
    }

    /** Receives the logits of a chunk of target nodes. */
    @FunctionalInterface
    private interface Chunk {
        void accept(int[] nodes, float[] logits);
    }

    /** Logits of {@code nodes} (target-label indices), chunk by chunk on exact neighbourhoods read ahead. */
    private static void predict(Backend backend, TypedTrainedModel model, TypedSampledTrainingData data, int[] nodes,
                                int chunk, int concurrency, ProcedureContext context, Chunk consumer) {
        TypedSampledTrainer.predictChunks(backend, model, data, concurrency, (nodes.length + chunk - 1) / chunk,
                c -> Arrays.copyOfRange(nodes, c * chunk, Math.min(nodes.length, (c + 1) * chunk)),
                (c, chunkNodes, logits) -> consumer.accept(chunkNodes, logits), context.terminationFlag());
    }

    /** Predicts every node of the target label and writes each chunk's properties as soon as it is done. */
    @SuppressWarnings("deprecation")
    private static WriteBack.Summary writePredictions(ProcedureContext context, String modelName, Backend backend,
                                                      TypedTrainedModel model, TypedStoreGraph store,
                                                      TypedSampledTrainingData data, WriteConfig write,
                                                      int concurrency, int chunk, Jobs.Job job) {
        int classes = model.config().classCount();
        List<Object> classValues = store.classValues();
        float[][] current = new float[1][];
        List<PropertyWriter.Column> columns = new ArrayList<>();
        if (write.writeProperty() != null) {
            columns.add(PropertyWriter.column(write.writeProperty(),
                    i -> classValues.get(TypedSampledTrainer.predictedClass(current[0], i, classes))));
        }
        if (write.probabilityProperty() != null) {
            columns.add(PropertyWriter.column(write.probabilityProperty(),
                    i -> TypedSampledTrainer.probabilities(current[0], i, classes)));
        }
        WriteTally tally = new WriteTally();
        tally.expect("nodes", columns);
        NodeIdMap targets = store.nodes(store.targetType());
        int n = targets.size();
        String phase = "predicting and writing '" + store.targetType() + "' in chunks of " + Math.min(chunk, n)
                + " nodes (neighbourhoods read from the store)";
        job.phase(phase);
        context.log().info("gat.train '%s': %s", modelName, phase);
        PropertyWriter.Listener retries = WriteBack.progress(job, phase, 1, context.log(), modelName);
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        long[] done = {0};
        try {
            predict(backend, model, data, all, chunk, concurrency, context, (nodes, logits) -> {
                current[0] = logits;
                PropertyWriter.writeNodes(context.db(), nodes.length,
                        (tx, index) -> tx.getNodeById(targets.toNeo4j(nodes[index])), columns, write.batchSize(),
                        concurrency, context.guard(), tally, new PropertyWriter.Listener() {
                            @Override
                            public void written(long propertiesSoFar) {
                            }

                            @Override
                            public void retried(long retriesSoFar, RuntimeException cause) {
                                retries.retried(retriesSoFar, cause);
                            }
                        });
                done[0] += nodes.length;
                job.progress(done[0], n);
            });
        } catch (RuntimeException e) {
            IllegalStateException failure = new IllegalStateException("The model '" + modelName + "' was trained and "
                    + "stored, but writing its results failed after " + tally.describe() + ": " + e.getMessage());
            failure.addSuppressed(e);
            context.log().error("gat.train '" + modelName + "': writing results failed", e);
            throw failure;
        }
        return new WriteBack.Summary(tally.propertiesWritten(), tally.retries());
    }

    /** The element ids, in training order, of the nodes of each label with a learned input per node; null if none. */
    @SuppressWarnings("deprecation")
    private static Map<String, ModelMetadata.TrainedNodes> trainedNodes(ProcedureContext context,
                                                                        TypedGatConfig config, TypedStoreGraph store) {
        Map<String, ModelMetadata.TrainedNodes> recorded = new LinkedHashMap<>();
        config.featureless().forEach((type, input) -> {
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                NodeIdMap ids = store.nodes(type);
                List<String> elementIds = new ArrayList<>(ids.size());
                for (int i = 0; i < ids.size(); i++) {
                    elementIds.add(context.tx().getNodeById(ids.toNeo4j(i)).getElementId());
                }
                recorded.put(type, ModelMetadata.TrainedNodes.of(elementIds));
            }
        });
        return recorded.isEmpty() ? null : recorded;
    }

    private static ModelMetadata trainedOn(TypedTrainingResult result, TrainConfig config, TypedStoreGraph store,
                                           DeviceChoice device, ModelMetadata.TestReport testReport) {
        ModelMetadata.SplitSizes splitSizes = new ModelMetadata.SplitSizes(store.split().train().length,
                store.split().validation().length, store.split().test().length);
        ModelMetadata.Metrics metrics = new ModelMetadata.Metrics(TrainFacade.metric(result.train()),
                TrainFacade.metric(result.validation()), TrainFacade.metric(result.test()));
        // The projection as stored: with standardised relationship features, the training statistics.
        ProjectionConfig projection = store.relationshipFeatures() == null ? config.projection()
                : config.projection().withRelationshipFeatures(store.relationshipFeatures());
        return result.model().metadata().withTrainedOn(Instant.now().toString(), store.classValues(),
                config.labelProperty(), projection.toMetadata(), store.nodeCount(),
                store.relationshipCount(), splitSizes, device.device(), TrainFacade.metricName(result.test()),
                metrics, TypedTrainFacade.typedConfiguration(config, store.targetType()), testReport);
    }

    private static TrainFacade.TrainResult row(String modelName, TrainConfig config, TypedStoreGraph store,
                                               TypedTrainingResult result, DeviceChoice device,
                                               BatchingChoice batching, WriteBack.Summary written,
                                               double writeMillis) {
        return TypedTrainFacade.typedRow(modelName, TypedTrainFacade.typedConfiguration(config, store.targetType()),
                store.nodeTypes(), store.relations().size(), store.targetType(), store.classValues(),
                store.nodeCount(), store.relationshipCount(), store.loadMillis(), result, device, batching, written,
                writeMillis);
    }
}
