package dev.neogat.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Name, shape and initialisation of one learnable tensor. Weights are stored [in, out] (y = x·W),
 * the transpose of PyTorch's Linear layout; attention vectors [heads, channels]; biases [1, width].
 *
 * <p>Initialisation follows PyG: Glorot-uniform for projections and attention vectors
 * (bound sqrt(6 / (fanIn + fanOut)), where an attention vector [1, H, C] counts as fans H and C),
 * zeros for the layer bias, uniform(±1/sqrt(in)) for the biases of GATv2's two projections.
 */
public record ParameterShape(String name, int rows, int cols, Init init, double bound) {

    public enum Init { GLOROT, ZEROS, UNIFORM }

    public int size() {
        return rows * cols;
    }

    /** All parameters of a model, in their fixed order (initialisation and file order). */
    public static List<ParameterShape> of(GatConfig config) {
        List<ParameterShape> shapes = new ArrayList<>();
        for (int l = 0; l < config.layerCount(); l++) {
            shapes.addAll(of(config.layer(l), layerPrefix(l)));
        }
        return shapes;
    }

    /** Name prefix of layer {@code l}'s parameters in a model. */
    public static String layerPrefix(int layer) {
        return "layers." + layer + ".";
    }

    /** The parameters of one layer, named {@code prefix + local name} (weight, att_src, att_dst, bias, ...). */
    public static List<ParameterShape> of(LayerSpec layer, String prefix) {
        List<ParameterShape> shapes = new ArrayList<>();
        int in = layer.inputDim();
        int width = layer.width();
        if (layer.variant() == Variant.GAT) {
            shapes.add(glorot(prefix + "weight", in, width));
            shapes.add(glorot(prefix + "att_src", layer.heads(), layer.channels()));
            shapes.add(glorot(prefix + "att_dst", layer.heads(), layer.channels()));
        } else {
            double biasBound = 1.0 / Math.sqrt(in);
            shapes.add(glorot(prefix + "weight_src", in, width));
            shapes.add(new ParameterShape(prefix + "bias_src", 1, width, Init.UNIFORM, biasBound));
            shapes.add(glorot(prefix + "weight_dst", in, width));
            shapes.add(new ParameterShape(prefix + "bias_dst", 1, width, Init.UNIFORM, biasBound));
            shapes.add(glorot(prefix + "att", layer.heads(), layer.channels()));
        }
        if (layer.residual()) {
            shapes.add(glorot(prefix + "weight_res", in, layer.outputDim()));
        }
        shapes.add(new ParameterShape(prefix + "bias", 1, layer.outputDim(), Init.ZEROS, 0));
        return shapes;
    }

    private static ParameterShape glorot(String name, int rows, int cols) {
        return new ParameterShape(name, rows, cols, Init.GLOROT, Math.sqrt(6.0 / (rows + cols)));
    }
}
