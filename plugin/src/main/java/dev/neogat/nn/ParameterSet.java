package dev.neogat.nn;

import dev.neogat.spec.ParameterShape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of one network on its backend, in file order, with their Adam step count: what
 * {@link GatNetwork} and {@link TypedGatNetwork} share (networks sharing parameters share this object).
 */
final class ParameterSet {

    private final Backend backend;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private int adamSteps;

    /** Uploads {@code weights} for each of {@code shapes}, in their order. */
    ParameterSet(Backend backend, List<ParameterShape> shapes, Weights weights) {
        this.backend = backend;
        for (ParameterShape shape : shapes) {
            parameters.put(shape.name(), new Parameter(backend, shape.name(), weights.get(shape.name())));
        }
    }

    /** By name, for the layers to bind (read-only). */
    Map<String, Parameter> byName() {
        return Collections.unmodifiableMap(parameters);
    }

    /** One Adam step over all parameters, using their current gradients. */
    void adamStep(AdamSettings settings) {
        adamSteps++;
        for (Parameter p : parameters.values()) {
            p.adamStep(settings, adamSteps);
        }
    }

    int adamSteps() {
        return adamSteps;
    }

    List<String> names() {
        return new ArrayList<>(parameters.keySet());
    }

    Parameter require(String name) {
        Parameter p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("No parameter named '" + name + "'");
        }
        return p;
    }

    /** Copies the current parameters to the host. */
    Weights weights() {
        Map<String, DenseMatrix> host = new LinkedHashMap<>();
        for (Parameter p : parameters.values()) {
            host.put(p.name(), p.download());
        }
        return new Weights(host);
    }

    /** Backend-side copies of the parameters, reusing {@code reuse} when given. */
    Map<String, Tensor> snapshot(Map<String, Tensor> reuse) {
        Map<String, Tensor> copies = reuse == null ? new LinkedHashMap<>() : reuse;
        for (Parameter p : parameters.values()) {
            Tensor value = p.value();
            Tensor copy = copies.computeIfAbsent(p.name(), n -> backend.zeros(value.rows(), value.cols()));
            backend.copy(value, copy);
        }
        return copies;
    }

    /** Puts the parameters of a {@link #snapshot} back. */
    void restore(Map<String, Tensor> snapshot) {
        for (Parameter p : parameters.values()) {
            backend.copy(snapshot.get(p.name()), p.value());
        }
    }

    void release() {
        parameters.values().forEach(Parameter::release);
    }
}
