package dev.neogat.procedures;

import dev.neogat.procedures.facade.EstimateFacade;
import dev.neogat.procedures.facade.TrainFacade;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

import java.util.Map;
import java.util.stream.Stream;

/** {@code gat.train} and {@code gat.train.estimate}. */
public class TrainProcedures extends ProcedureBase {

    @Procedure(name = "gat.train", mode = Mode.WRITE)
    @Description("Trains a graph attention network (GAT or GATv2) to classify nodes, stores it in the model catalog "
            + "under modelName and, when writeProperty, probabilityProperty, attentionProperty, selfAttentionProperty "
            + "or embeddingProperty are given, writes predictions and attention back in the same call. Trains "
            + "full-batch or on sampled mini-batches (config mode); mode and modeReason say which ran and why. With "
            + "autoTune, untyped and typed models alike, it trains the best of a seeded search over the keys left "
            + "unset, each trial scored on the validation nodes only.")
    public Stream<TrainFacade.TrainResult> train(
            @Name(value = "modelName", description = "Name for the trained model: 1 to 128 letters, digits, '_', '-' "
                    + "or '.', starting with a letter or digit.") String modelName,
            @Name(value = "config", defaultValue = "{}", description = "Training configuration: labelProperty and "
                    + "featureProperties are required; see the README for every key and its default.")
            Map<String, Object> config) {
        return Stream.of(TrainFacade.train(context(), modelName, config));
    }

    @Procedure(name = "gat.train.estimate", mode = Mode.READ)
    @Description("Estimates the memory gat.train would need with this configuration (graph, features, parameters, "
            + "activations, gradients), without training, and whether it fits in the free heap; requiredDeviceBytes is "
            + "what the GPU backend would hold on a GPU. fullBatchBytes and miniBatchBytes give both training modes "
            + "with the projection in the heap, storeBatchBytes mini-batch training that reads its batches from the "
            + "store (0 when not sized: mode 'fullBatch', autoTune, typed); mode and modeReason are what gat.train "
            + "would run and say, by gat.train's own decision, and requiredBytes, breakdown and fits are for it.")
    public Stream<EstimateFacade.EstimateResult> estimate(
            @Name(value = "config", description = "The configuration gat.train would get.") Map<String, Object> config) {
        return Stream.of(EstimateFacade.estimate(context(), config));
    }
}
