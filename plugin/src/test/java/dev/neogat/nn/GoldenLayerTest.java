package dev.neogat.nn;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.Variant;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.JsonValues;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.neogat.nn.Precision.assertGolden;
import static dev.neogat.nn.Precision.download;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One layer against PyG's {@code GATConv}/{@code GATv2Conv} ({@code ../shared/golden/gat_layer.json}):
 * output, attention on every edge including self loops, and the gradients of {@code L = Σ out ∘ G}
 * with respect to the input and every parameter.
 */
public class GoldenLayerTest {

    /** The backend under test: the CPU reference here; GPU subclasses override it. */
    protected Backend newBackend() {
        return CpuBackend.sequential();
    }


    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gat_concat", "gat_mean", "gatv2_concat", "gat_concat_no_self_loops"})
    public void matchesPyG(String caseName) {
        Map<String, Object> json = GoldenFixture.read("gat_layer.json");
        Map<String, Object> golden = JsonValues.object(JsonValues.object(json.get("cases")).get(caseName));
        Map<String, Object> config = JsonValues.object(golden.get("config"));
        boolean selfLoops = (Boolean) config.get("add_self_loops");
        int heads = ((Number) config.get("heads")).intValue();
        int channels = ((Number) config.get("out_channels")).intValue();
        boolean concat = (Boolean) config.get("concat");
        Variant variant = "GATv2Conv".equals(golden.get("layer")) ? Variant.GATV2 : Variant.GAT;
        LayerSpec spec = new LayerSpec(variant, ((Number) config.get("in_channels")).intValue(), heads, channels,
                concat, false, false, ((Number) config.get("negative_slope")).doubleValue(), 0, 0, 0);

        IncomingCsr csr = GoldenFixture.graph(json, selfLoops);
        try (Backend backend = newBackend()) {
            GraphTensor graph = backend.upload(csr);
            DenseMatrix x = GoldenFixture.matrix(json.get("x"));
            Tensor input = backend.upload(x.data().clone(), x.rows(), x.cols());
            Map<String, Parameter> parameters = new LinkedHashMap<>();
            GoldenFixture.parameters(JsonValues.object(golden.get("params")), "", "")
                    .forEach((name, value) -> parameters.put(name, new Parameter(backend, name, value)));
            GatLayer layer = new GatLayer(backend, graph, spec, parameters, "");

            Tensor out = layer.forward(input, null, null, null);
            float[] output = download(backend, out);
            assertGolden(JsonValues.flat(golden.get("output")), output, caseName + " output");

            double[] expectedAlpha = JsonValues.flat(golden.get("attention_alpha"));
            int pygEdges = ((List<?>) golden.get("attention_alpha")).size();
            assertEquals(pygEdges, csr.slotCount(), "slot count equals PyG's edge count incl. self loops");
            float[] alpha = download(backend, layer.attention());
            int[] slotOf = GoldenFixture.slotOfPygEdge(csr, pygEdges);
            float[] alphaInPygOrder = new float[expectedAlpha.length];
            for (int e = 0; e < pygEdges; e++) {
                for (int h = 0; h < heads; h++) {
                    alphaInPygOrder[e * heads + h] = alpha[slotOf[e] * heads + h];
                }
            }
            assertGolden(expectedAlpha, alphaInPygOrder, caseName + " attention");

            double[] g = JsonValues.flat(golden.get("G"));
            double loss = 0;
            for (int i = 0; i < g.length; i++) {
                loss += output[i] * g[i];
            }
            assertGolden(new double[]{((Number) golden.get("loss")).doubleValue()}, new float[]{(float) loss},
                    caseName + " loss");

            Tensor dOut = backend.upload(Precision.values(g), out.rows(), out.cols());
            Tensor dIn = backend.zeros(x.rows(), x.cols());
            layer.backward(input, dOut, dIn);
            Map<String, Object> grads = JsonValues.object(golden.get("grads"));
            assertGolden(JsonValues.flat(grads.get("x")), download(backend, dIn), caseName + " d/dx");
            for (Map.Entry<String, Object> entry : grads.entrySet()) {
                if (entry.getKey().equals("x")) {
                    continue;
                }
                String local = GoldenFixture.localName(entry.getKey());
                assertGolden(GoldenFixture.inEngineLayout(entry.getValue(), entry.getKey()),
                        download(backend, parameters.get(local).gradient()), caseName + " d/d" + entry.getKey());
            }
        }
    }
}
