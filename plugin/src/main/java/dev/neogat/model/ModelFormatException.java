package dev.neogat.model;

import java.io.IOException;

/**
 * A model file (or byte stream) that cannot be read as a NeoGAT model: foreign, truncated, corrupt,
 * from a newer plugin, or inconsistent with itself. The message names the source and says what is
 * wrong, so it can be shown to users as it is. An {@link IOException} because callers reading a model
 * already handle those (missing file, permissions) and treat this one alike.
 */
public final class ModelFormatException extends IOException {

    private final String source;
    private final String problem;

    public ModelFormatException(String source, String problem) {
        this(source, problem, null);
    }

    public ModelFormatException(String source, String problem, Throwable cause) {
        super("Cannot read model " + source + ": " + problem, cause);
        this.source = source;
        this.problem = problem;
    }

    /** The file or stream that was being read. */
    public String source() {
        return source;
    }

    /** What is wrong with it, without the source. */
    public String problem() {
        return problem;
    }
}
