package dev.neogat.nn;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.LayerSpec;
import dev.neogat.spec.Variant;
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
 * One layer with relationship features against PyG's {@code GATConv(edge_dim=2)} and
 * {@code GATv2Conv(edge_dim=2)} ({@code ../shared/golden/gat_edge_features.json}): output, attention on every
 * edge including self loops (whose features are the mean of their node's incoming ones), and the gradients
 * of {@code L = Σ out ∘ G} with respect to the input, the relationship features and every parameter.
 */
public class GoldenEdgeFeaturesTest {

    /** The backend under test: the CPU reference here; GPU subclasses override it. */
    protected Backend newBackend() {
        return CpuBackend.sequential();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gat_edge_dim", "gat_edge_dim_no_self_loops", "gatv2_edge_dim"})
    public void matchesPyG(String caseName) {
        Map<String, Object> json = GoldenFixture.read("gat_edge_features.json");
        Map<String, Object> golden = JsonValues.object(JsonValues.object(json.get("cases")).get(caseName));
        Map<String, Object> config = JsonValues.object(golden.get("config"));
        boolean selfLoops = (Boolean) config.get("add_self_loops");
        int heads = ((Number) config.get("heads")).intValue();
        int edgeDim = ((Number) config.get("edge_dim")).intValue();
        Variant variant = "GATv2Conv".equals(config.get("class")) ? Variant.GATV2 : Variant.GAT;
        LayerSpec spec = new LayerSpec(variant, ((Number) config.get("in")).intValue(), heads,
                ((Number) config.get("out")).intValue(), (Boolean) config.get("concat"), false, false, 0.2, 0, 0, 0,
                edgeDim);

        IncomingCsr csr = GoldenFixture.graph(json, selfLoops);
        DenseMatrix edgeAttr = GoldenFixture.matrix(JsonValues.object(json.get("graph")).get("edge_attr"));
        assertEquals(edgeDim, edgeAttr.cols());
        DenseMatrix perSlot = EdgeFeatures.perSlot(csr, edgeAttr);
        try (Backend backend = newBackend()) {
            GraphTensor graph = backend.upload(csr);
            DenseMatrix x = GoldenFixture.matrix(json.get("x"));
            Tensor input = backend.upload(x.data().clone(), x.rows(), x.cols());
            Tensor edgeFeatures = backend.upload(perSlot.data().clone(), perSlot.rows(), perSlot.cols());
            Map<String, Parameter> parameters = new LinkedHashMap<>();
            GoldenFixture.parameters(JsonValues.object(golden.get("params")), "", "")
                    .forEach((name, value) -> parameters.put(name, new Parameter(backend, name, value)));
            assertEquals(GatLayer.parameterShapes(spec, "").size(), parameters.size(),
                    "the layer declares exactly PyG's parameters");
            GatLayer layer = new GatLayer(backend, graph, spec, parameters, "", edgeFeatures);

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
            Tensor dOut = backend.upload(Precision.values(g), out.rows(), out.cols());
            Tensor dIn = backend.zeros(x.rows(), x.cols());
            Tensor dEdgeFeatures = backend.zeros(perSlot.rows(), perSlot.cols());
            layer.backward(input, dOut, dIn, dEdgeFeatures);
            Map<String, Object> grads = JsonValues.object(golden.get("grads"));
            assertGolden(JsonValues.flat(grads.get("x")), download(backend, dIn), caseName + " d/dx");
            DenseMatrix dEdges = EdgeFeatures.edgeGradient(csr,
                    new DenseMatrix(perSlot.rows(), perSlot.cols(), download(backend, dEdgeFeatures)));
            assertGolden(JsonValues.flat(grads.get("edge_attr")), dEdges.data(), caseName + " d/dedge_attr");
            for (Map.Entry<String, Object> entry : grads.entrySet()) {
                if (entry.getKey().equals("x") || entry.getKey().equals("edge_attr")) {
                    continue;
                }
                String local = GoldenFixture.localName(entry.getKey());
                assertGolden(GoldenFixture.inEngineLayout(entry.getValue(), entry.getKey()),
                        download(backend, parameters.get(local).gradient()), caseName + " d/d" + entry.getKey());
            }
        }
    }
}
