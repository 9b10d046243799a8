package dev.neogat.procedures.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The node and relationship properties one run reads (feature, label and split properties) and those it
 * writes, each with the configuration key that names it. An output must not name an input of the same run
 * (it would replace the user's data with the model's output) nor the property of another output; both
 * are refused, naming both keys, before anything is loaded or written. Overwriting any other property is
 * allowed: re-running a model over its own earlier output is normal.
 */
public final class RunProperties {

    /** A property and the key that names it, e.g. writeProperty 'predicted'. */
    public record Named(String key, String property) {
    }

    private final List<Named> inputs = new ArrayList<>();
    private final List<Named> outputs = new ArrayList<>();

    /** Adds an input; a null property (key not given) is ignored. */
    public RunProperties input(String key, String property) {
        if (property != null) {
            inputs.add(new Named(key, property));
        }
        return this;
    }

    public RunProperties inputs(String key, List<String> properties) {
        for (String property : properties) {
            input(key, property);
        }
        return this;
    }

    /** Adds the outputs; null properties (keys not given) are left out by their producers. */
    public RunProperties outputs(List<Named> named) {
        outputs.addAll(named);
        return this;
    }

    /** Fails when an output names an input or the property of an earlier output. */
    public void requireOutputsApart() {
        for (int i = 0; i < outputs.size(); i++) {
            Named output = outputs.get(i);
            for (Named input : inputs) {
                if (input.property().equals(output.property())) {
                    throw new IllegalArgumentException("Configuration '" + output.key() + "' names the property '"
                            + output.property() + "', an input of this run (" + input.key() + "); writing it would "
                            + "overwrite the input. Give '" + output.key() + "' another property");
                }
            }
            for (int j = 0; j < i; j++) {
                Named earlier = outputs.get(j);
                if (earlier.property().equals(output.property())) {
                    throw new IllegalArgumentException("Configuration '" + earlier.key() + "' and '" + output.key()
                            + "' both name the property '" + output.property() + "'; give each output its own property");
                }
            }
        }
    }
}
