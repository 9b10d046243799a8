package dev.neogat.nn;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.testing.JsonValues;
import dev.neogat.testing.SharedData;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code ../shared/golden} (PyG outputs) into this engine's layout: weights transposed from
 * PyTorch's [out, in] to [in, out], attention vectors [1, H, C] to [H, C], and PyG's edge order (input
 * edges, then one self loop per node) mapped to CSR slots.
 */
final class GoldenFixture {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GoldenFixture() {
    }

    static Map<String, Object> read(String file) {
        try {
            return JSON.readValue(Files.readString(SharedData.require("golden/" + file)), new TypeReference<>() {
            });
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read golden file " + file, e);
        }
    }

    static IncomingCsr graph(Map<String, Object> json, boolean selfLoops) {
        Map<String, Object> graph = JsonValues.object(json.get("graph"));
        List<?> edgeIndex = (List<?>) graph.get("edge_index");
        int nodes = ((Number) graph.get("num_nodes")).intValue();
        return new GraphBuilder(nodes).selfLoops(selfLoops)
                .build(JsonValues.ints(edgeIndex.get(0)), JsonValues.ints(edgeIndex.get(1)));
    }

    /** For PyG's attention row e: the CSR slot holding the same edge. */
    static int[] slotOfPygEdge(IncomingCsr graph, int pygEdgeCount) {
        int inputEdges = graph.originalEdgeCount();
        int[] slots = new int[pygEdgeCount];
        for (int e = 0; e < pygEdgeCount; e++) {
            slots[e] = e < inputEdges ? graph.slotOfEdge(e) : graph.selfLoopSlot(e - inputEdges);
        }
        return slots;
    }

    /** PyG parameter (name, nested values) in this engine's layout and name, or null when not a layer parameter. */
    static DenseMatrix parameter(Object nested, String pygLocalName) {
        double[] values = JsonValues.flat(nested);
        if (pygLocalName.endsWith("weight")) {
            int[] shape = JsonValues.shape(nested);
            return new DenseMatrix(shape[1], shape[0], Precision.values(JsonValues.transpose(values, shape[0], shape[1])));
        }
        if (pygLocalName.startsWith("att")) {
            List<?> heads = (List<?>) ((List<?>) nested).get(0);
            int channels = ((List<?>) heads.get(0)).size();
            return new DenseMatrix(heads.size(), channels, Precision.values(values));
        }
        return new DenseMatrix(1, values.length, Precision.values(values));
    }

    /** This engine's local parameter name for a PyG one (lin.weight → weight, lin_l.bias → bias_src, ...). */
    static String localName(String pygLocalName) {
        return switch (pygLocalName) {
            case "lin.weight", "lin_src.weight" -> "weight";
            case "lin_l.weight" -> "weight_src";
            case "lin_l.bias" -> "bias_src";
            case "lin_r.weight" -> "weight_dst";
            case "lin_r.bias" -> "bias_dst";
            case "lin_edge.weight" -> "weight_edge";
            default -> pygLocalName;
        };
    }

    /** A PyG parameter-shaped tensor (value or gradient) in this engine's layout, flattened, full precision. */
    static double[] inEngineLayout(Object nested, String pygLocalName) {
        double[] values = JsonValues.flat(nested);
        if (pygLocalName.endsWith("weight")) {
            int[] shape = JsonValues.shape(nested);
            return JsonValues.transpose(values, shape[0], shape[1]);
        }
        return values;
    }

    /** name → tensor in this engine's names, with an optional prefix (e.g. "layers.0."). */
    static Map<String, DenseMatrix> parameters(Map<String, Object> pygParams, String pygPrefix, String prefix) {
        Map<String, DenseMatrix> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : pygParams.entrySet()) {
            if (!entry.getKey().startsWith(pygPrefix)) {
                continue;
            }
            String pygLocal = entry.getKey().substring(pygPrefix.length());
            out.put(prefix + localName(pygLocal), parameter(entry.getValue(), pygLocal));
        }
        return out;
    }

    static DenseMatrix matrix(Object nested) {
        int[] shape = JsonValues.shape(nested);
        return new DenseMatrix(shape[0], shape[1], Precision.values(JsonValues.flat(nested)));
    }
}
