package dev.neogat.nn;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.TypedGraph;
import dev.neogat.graph.TypedNeighbourSampler;
import dev.neogat.graph.TypedSampledSubgraph;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedGatConfig;
import dev.neogat.spec.Variant;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static dev.neogat.nn.FiniteDifferences.check;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A typed network on a sampled batch's graph ({@link TypedGatNetwork#sharingParameters}) against finite
 * differences of the batch's loss: semantic attention averages over the rows whose output the batch computes, and
 * its backward gives the rows left out of the mean no gradient through β; every gradient lands on the owner's
 * parameters, a per-node learned input's included. The graph and model of {@link TypedModelGradientTest}.
 */
class TypedBatchGradientTest {

    @Test
    void aSampledBatchsGradientsMatchFiniteDifferences() {
        FiniteDifferences.requireFloat64();
        TypedGatConfig config = TypedGatConfig.builder(TypedModelGradientTest.widths(),
                        TypedModelGradientTest.graph().relations(), "paper", 3).variant(Variant.GAT)
                .aggregation(RelationAggregation.ATTENTION).semanticDim(4).layers(2).hiddenChannels(3).hiddenHeads(2)
                .outputHeads(1).featureDropout(0.3).attentionDropout(0.25).residual(true)
                .featureless("venue", FeaturelessInput.perNode(2, 4)).build();
        TypedGraph whole = TypedModelGradientTest.graph();
        SplittableRandom random = new SplittableRandom(23);
        try (CpuBackend backend = new CpuBackend(2, () -> false)) {
            Map<String, Tensor> wholeFeatures = new LinkedHashMap<>();
            Map<String, float[]> hostFeatures = new LinkedHashMap<>();
            for (String type : whole.nodeTypes()) {
                if (config.featureless().containsKey(type)) {
                    continue;
                }
                int rows = whole.nodeCount(type);
                int cols = config.inputWidths().get(type);
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (random.nextDouble() * 4 - 2);
                }
                hostFeatures.put(type, x);
                wholeFeatures.put(type, backend.upload(x, rows, cols));
            }
            TypedGatNetwork owner = new TypedGatNetwork(backend, config,
                    TypedModelGradientTest.genericWeights(config, random), whole, wholeFeatures, false);
            TypedSampledSubgraph batch = new TypedNeighbourSampler(whole, new int[]{2, 2}, 5, Set.of("venue"))
                    .sample("paper", new int[]{1, 4}, 1, 0);
            assertTrue(batch.computedRows(0, "paper").length < batch.graph().nodeCount("paper"),
                    "some papers are last-hop inputs, left out of layer 0's semantic mean");
            Map<String, Tensor> features = new LinkedHashMap<>();
            hostFeatures.forEach((type, x) -> {
                int cols = config.inputWidths().get(type);
                int[] nodes = batch.wholeNodes().get(type);
                float[] rows = new float[nodes.length * cols];
                for (int i = 0; i < nodes.length; i++) {
                    System.arraycopy(x, nodes[i] * cols, rows, i * cols, cols);
                }
                features.put(type, backend.upload(rows, nodes.length, cols));
            });
            TypedGatNetwork network = owner.sharingParameters(batch, features, Map.of());
            int[] classOf = new int[batch.graph().nodeCount("paper")];
            for (int i = 0; i < classOf.length; i++) {
                classOf[i] = random.nextInt(config.classCount());
            }
            Targets targets = backend.upload(NodeLabels.singleLabel(classOf, config.classCount()),
                    batch.batchLocals());
            network.forward(true, 99, 4);
            network.lossAndGradients(targets);
            DoubleSupplier loss = () -> {
                network.forward(true, 99, 4);
                return backend.loss(network.logits(), targets, null);
            };
            for (String parameter : owner.parameterNames()) {
                check("batch d/d" + parameter, ((CpuTensor) owner.parameter(parameter)).data(),
                        ((CpuTensor) owner.gradient(parameter)).data(), loss);
            }
        }
    }
}
