package dev.neogat.nn;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.Relation;
import dev.neogat.spec.RelationAggregation;
import dev.neogat.spec.TypedLayerSpec;
import dev.neogat.spec.Variant;
import dev.neogat.testing.JsonValues;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.neogat.nn.Precision.assertGolden;
import static dev.neogat.nn.Precision.download;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One typed layer against PyG's {@code HeteroConv({relation: GATConv}, aggr='sum')}
 * ({@code ../shared/golden/gat_typed.json}): papers and authors, the bipartite relations writes and
 * rev_writes (lin_src/lin_dst, no self loops) and cites within papers (one lin, self loops). Per relation
 * its output, attention and parameter gradients; per type the summed output and d loss / d x for
 * {@code L = Σ_types Σ out ∘ G}.
 */
public class TypedGoldenLayerTest {

    /** The backend under test: the CPU reference here. */
    protected Backend newBackend() {
        return CpuBackend.sequential();
    }

    @Test
    public void matchesPyGHeteroConv() {
        Map<String, Object> json = GoldenFixture.read("gat_typed.json");
        Map<String, Object> xs = JsonValues.object(json.get("x"));
        List<?> relationCases = (List<?>) json.get("relations");

        TypedGraph.Builder builder = TypedGraph.builder();
        Map<String, Integer> widths = new LinkedHashMap<>();
        for (String type : List.of("paper", "author")) {
            DenseMatrix x = GoldenFixture.matrix(xs.get(type));
            builder.nodeType(type, x.rows());
            widths.put(type, x.cols());
        }
        List<Relation> relations = new ArrayList<>();
        for (Object c : relationCases) {
            Map<String, Object> rc = JsonValues.object(c);
            List<?> names = (List<?>) rc.get("relation");
            Relation r = new Relation((String) names.get(0), (String) names.get(1), (String) names.get(2));
            List<?> edgeIndex = (List<?>) rc.get("edge_index");
            builder.relation(r, JsonValues.ints(edgeIndex.get(0)), JsonValues.ints(edgeIndex.get(1)));
            relations.add(r);
        }
        TypedGraph graph = builder.build();
        TypedLayerSpec spec = new TypedLayerSpec(Variant.GAT, widths, relations, List.of("paper", "author"), 2, 3,
                true, false, false, 0.2, 0, 0, 0, RelationAggregation.SUM, 1);

        try (Backend backend = newBackend()) {
            Map<String, Parameter> parameters = new LinkedHashMap<>();
            Map<Relation, GraphTensor> graphs = new LinkedHashMap<>();
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (int i = 0; i < relations.size(); i++) {
                Relation r = relations.get(i);
                graphs.put(r, backend.upload(graph.graph(r)));
                Map<String, Object> rc = JsonValues.object(relationCases.get(i));
                Map<String, Object> params = JsonValues.object(rc.get("params"));
                params.forEach((name, value) -> {
                    String engineName = TypedLayerSpec.relationPrefix("", r) + name;
                    parameters.put(engineName, new Parameter(backend, engineName, GoldenFixture.parameter(value, name)));
                });
            }
            assertEquals(TypedGatLayer.parameterShapes(spec, "").stream().map(s -> s.name()).sorted().toList(),
                    parameters.keySet().stream().sorted().toList(), "the layer's parameter names are PyG's, by relation");
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            for (String type : widths.keySet()) {
                DenseMatrix x = GoldenFixture.matrix(xs.get(type));
                inputs.put(type, backend.upload(x.data().clone(), x.rows(), x.cols()));
                counts.put(type, x.rows());
            }
            TypedGatLayer layer = new TypedGatLayer(backend, spec, graphs, counts, parameters, "");
            Map<String, Tensor> outputs = layer.forward(inputs, TypedGatLayer.NO_DROPOUT);

            for (int i = 0; i < relations.size(); i++) {
                Relation r = relations.get(i);
                Map<String, Object> rc = JsonValues.object(relationCases.get(i));
                assertGolden(JsonValues.flat(rc.get("output")), download(backend, layer.relationOutput(r)),
                        r + " output");
                IncomingCsr csr = graph.graph(r);
                int heads = spec.heads();
                int pygEdges = ((List<?>) rc.get("attention_alpha")).size();
                assertEquals(pygEdges, csr.slotCount(), r + ": slots equal PyG's edges (self loops only within a type)");
                int[] slotOf = GoldenFixture.slotOfPygEdge(csr, pygEdges);
                float[] alpha = download(backend, layer.attention(r));
                float[] inPygOrder = new float[pygEdges * heads];
                for (int e = 0; e < pygEdges; e++) {
                    for (int h = 0; h < heads; h++) {
                        inPygOrder[e * heads + h] = alpha[slotOf[e] * heads + h];
                    }
                }
                assertGolden(JsonValues.flat(rc.get("attention_alpha")), inPygOrder, r + " attention");
            }
            Map<String, Object> expectedOut = JsonValues.object(json.get("output"));
            Map<String, Object> g = JsonValues.object(json.get("G"));
            double loss = 0;
            Map<String, Tensor> dOut = new LinkedHashMap<>();
            Map<String, Tensor> dIn = new LinkedHashMap<>();
            for (String type : widths.keySet()) {
                float[] out = download(backend, outputs.get(type));
                assertGolden(JsonValues.flat(expectedOut.get(type)), out, type + " output");
                double[] gt = JsonValues.flat(g.get(type));
                for (int k = 0; k < gt.length; k++) {
                    loss += out[k] * gt[k];
                }
                dOut.put(type, backend.upload(Precision.values(gt), outputs.get(type).rows(), outputs.get(type).cols()));
                dIn.put(type, backend.zeros(inputs.get(type).rows(), inputs.get(type).cols()));
            }
            assertGolden(new double[]{((Number) json.get("loss")).doubleValue()}, new float[]{(float) loss}, "loss");

            layer.backward(inputs, dOut, dIn);
            Map<String, Object> gradsX = JsonValues.object(json.get("grads_x"));
            for (String type : widths.keySet()) {
                assertGolden(JsonValues.flat(gradsX.get(type)), download(backend, dIn.get(type)), "d/dx " + type);
            }
            for (int i = 0; i < relations.size(); i++) {
                Relation r = relations.get(i);
                Map<String, Object> grads = JsonValues.object(JsonValues.object(relationCases.get(i)).get("grads"));
                grads.forEach((name, value) -> assertGolden(GoldenFixture.inEngineLayout(value, name),
                        download(backend, parameters.get(TypedLayerSpec.relationPrefix("", r) + name).gradient()),
                        r + " d/d" + name));
            }
        }
    }
}
