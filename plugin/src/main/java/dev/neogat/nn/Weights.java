package dev.neogat.nn;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.ParameterShape;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The learnable tensors of a model on the host, by name, in {@link GatNetwork#parameterShapes} order. */
public final class Weights {

    private final Map<String, DenseMatrix> tensors;

    public Weights(Map<String, DenseMatrix> tensors) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** PyG's initialisation, drawn deterministically from {@code seed}. */
    public static Weights initialize(GatConfig config, long seed) {
        return initialize(GatNetwork.parameterShapes(config), seed);
    }

    /** PyG's initialisation of {@code shapes}, drawn deterministically from {@code seed} in their order. */
    public static Weights initialize(List<ParameterShape> shapes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>();
        for (ParameterShape shape : shapes) {
            float[] values = new float[shape.size()];
            if (shape.init() != ParameterShape.Init.ZEROS) {
                for (int e = 0; e < values.length; e++) {
                    values[e] = (float) ((random.nextDouble() * 2 - 1) * shape.bound());
                }
            }
            tensors.put(shape.name(), new DenseMatrix(shape.rows(), shape.cols(), values));
        }
        return new Weights(tensors);
    }

    /** Checks that the tensors are exactly those {@code config} needs, with their shapes. */
    public void requireMatches(GatConfig config) {
        requireMatches(GatNetwork.parameterShapes(config));
    }

    /** Checks that the tensors are exactly {@code shapes}, by name and shape. */
    public void requireMatches(List<ParameterShape> shapes) {
        for (ParameterShape shape : shapes) {
            DenseMatrix tensor = tensors.get(shape.name());
            if (tensor == null) {
                throw new IllegalArgumentException("The model lacks the parameter '" + shape.name() + "'");
            }
            if (tensor.rows() != shape.rows() || tensor.cols() != shape.cols()) {
                throw new IllegalArgumentException("Parameter '" + shape.name() + "' is " + tensor.rows() + " x "
                        + tensor.cols() + " but the configuration needs " + shape.rows() + " x " + shape.cols());
            }
        }
        if (tensors.size() != shapes.size()) {
            for (String name : tensors.keySet()) {
                if (shapes.stream().noneMatch(s -> s.name().equals(name))) {
                    throw new IllegalArgumentException("The model has the parameter '" + name
                            + "' that its configuration does not use");
                }
            }
        }
    }

    public DenseMatrix get(String name) {
        DenseMatrix tensor = tensors.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("No parameter named '" + name + "'");
        }
        return tensor;
    }

    public Map<String, DenseMatrix> asMap() {
        return tensors;
    }

    public long parameterCount() {
        return tensors.values().stream().mapToLong(DenseMatrix::storedValues).sum();
    }
}
