package dev.neogat.nn;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.JsonValues;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.neogat.nn.Precision.assertGolden;
import static dev.neogat.nn.Precision.download;

/**
 * The two-layer Cora-style model of {@code ../shared/golden/gat_model.json}: forward (hidden layer after
 * ELU, logits), masked cross-entropy, every parameter's gradient, and three Adam steps with PyTorch's
 * semantics (bias correction checked beyond t = 1).
 */
public class GoldenModelTest {

    /** The backend under test: the CPU reference here; GPU subclasses override it. */
    protected Backend newBackend() {
        return CpuBackend.sequential();
    }


    @Test
    public void forwardGradientsAndAdamMatchPyG() {
        Map<String, Object> json = GoldenFixture.read("gat_model.json");
        IncomingCsr csr = GoldenFixture.graph(json, true);
        DenseMatrix x = GoldenFixture.matrix(json.get("x"));
        GatConfig config = GatConfig.builder(5, 4).layers(2).hiddenChannels(4).hiddenHeads(2).outputHeads(1)
                .dropout(0).normalizeFeatures(false).build();
        Map<String, Object> params = JsonValues.object(json.get("params"));
        Weights weights = weights(params);
        NodeLabels labels = NodeLabels.singleLabel(JsonValues.ints(json.get("labels")), 4);
        int[] trainNodes = JsonValues.ints(json.get("train_mask_nodes"));
        AdamSettings adam = AdamSettings.of(0.005, 5e-4);

        try (Backend backend = newBackend()) {
            GatNetwork network = new GatNetwork(backend, config, weights, backend.upload(csr), backend.upload(x));
            Targets train = backend.upload(labels, trainNodes);

            network.forward(true, 1, 1);
            Map<String, Object> forward = JsonValues.object(json.get("forward"));
            assertGolden(JsonValues.flat(forward.get("hidden_after_elu")), download(backend, network.layerOutput(0)),
                    "hidden after ELU");
            assertGolden(JsonValues.flat(forward.get("logits")), download(backend, network.logits()), "logits");
            double loss = network.lossAndGradients(train);
            assertGolden(new double[]{number(forward.get("loss"))}, new float[]{(float) loss}, "loss");
            assertParameters(backend, network, JsonValues.object(json.get("grads")), true, "gradient");

            network.adamStep(adam);
            assertParameters(backend, network, JsonValues.object(json.get("adam_step1_params")), false,
                    "after Adam step 1");
            for (Object stepObject : (List<?>) json.get("adam_more_steps")) {
                Map<String, Object> step = JsonValues.object(stepObject);
                network.forward(true, 1, 1);
                double lossBefore = network.lossAndGradients(train);
                assertGolden(new double[]{number(step.get("loss_before_step"))}, new float[]{(float) lossBefore},
                        "loss before step " + step.get("step"));
                network.adamStep(adam);
                assertParameters(backend, network, JsonValues.object(step.get("params_after_step")), false,
                        "after Adam step " + step.get("step"));
            }
            network.forward();
            double finalLoss = backend.loss(network.logits(), train, null);
            assertGolden(new double[]{number(json.get("loss_after_step3"))}, new float[]{(float) finalLoss},
                    "loss after step 3");
        }
    }

    private static Weights weights(Map<String, Object> params) {
        Map<String, DenseMatrix> tensors = new java.util.LinkedHashMap<>();
        tensors.putAll(GoldenFixture.parameters(params, "conv1.", "layers.0."));
        tensors.putAll(GoldenFixture.parameters(params, "conv2.", "layers.1."));
        return new Weights(tensors);
    }

    private static void assertParameters(Backend backend, GatNetwork network, Map<String, Object> expected,
                                         boolean gradients, String what) {
        for (Map.Entry<String, Object> entry : expected.entrySet()) {
            String pygName = entry.getKey();
            int dot = pygName.indexOf('.');
            String layer = pygName.startsWith("conv1") ? "layers.0." : "layers.1.";
            String pygLocal = pygName.substring(dot + 1);
            String name = layer + GoldenFixture.localName(pygLocal);
            double[] values = GoldenFixture.inEngineLayout(entry.getValue(), pygLocal);
            Tensor actual = gradients ? network.gradient(name) : network.parameter(name);
            assertGolden(values, download(backend, actual), what + " of " + pygName);
        }
    }

    private static double number(Object value) {
        return ((Number) value).doubleValue();
    }
}
