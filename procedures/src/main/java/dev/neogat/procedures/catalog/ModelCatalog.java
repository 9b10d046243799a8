package dev.neogat.procedures.catalog;

import dev.neogat.model.ModelFile;
import dev.neogat.model.StoredModel;
import dev.neogat.model.TrainedModel;
import dev.neogat.model.TypedTrainedModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The trained models of one database, one file per model ({@code <name>.gatm}, see {@link ModelFile}) in
 * a directory under Neo4j's data directory, so they survive restarts. A name is reserved while a model
 * is being trained, so two trainings cannot race for it.
 */
public final class ModelCatalog {

    public static final String EXTENSION = ".gatm";
    private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final Path directory;
    private final Map<String, StoredModel> loaded = new HashMap<>();
    private final Set<String> reserved = new HashSet<>();

    public ModelCatalog(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    /** Checks a model name: letters, digits, '_', '-', '.', starting with a letter or digit, at most 128. */
    public static String validateName(String name) {
        if (name == null || !VALID_NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("Model name " + (name == null ? "null" : "'" + name + "'")
                    + " is invalid: use 1 to 128 letters, digits, '_', '-' or '.', starting with a letter or digit");
        }
        return name;
    }

    /** Claims {@code name} for a model about to be trained; fails when it is taken. */
    public synchronized void reserve(String name) {
        validateName(name);
        if (reserved.contains(name)) {
            throw new IllegalArgumentException("A model named '" + name + "' is being trained right now; choose "
                    + "another name");
        }
        if (Files.exists(file(name))) {
            throw new IllegalArgumentException("A model named '" + name + "' already exists; drop it with "
                    + "gat.model.drop('" + name + "') or choose another name");
        }
        reserved.add(name);
    }

    /** Gives up a reservation (training failed or was terminated). */
    public synchronized void release(String name) {
        reserved.remove(name);
    }

    /** Writes the model (atomically) and ends its reservation. */
    public synchronized void store(String name, StoredModel model) throws IOException {
        validateName(name);
        Files.createDirectories(directory);
        ModelFile.write(model, file(name));
        loaded.put(name, model);
        reserved.remove(name);
    }

    /**
     * The untyped model called {@code name}; fails naming the available ones when there is none, and saying that
     * typed models are not supported there when it is typed (use {@link #getAny} where they are).
     */
    public synchronized TrainedModel get(String name) throws IOException {
        StoredModel model = getAny(name);
        if (model instanceof TypedTrainedModel typed) {
            throw new IllegalArgumentException("The model '" + name + "' is a typed model (node types "
                    + typed.config().nodeTypes() + "); this call handles untyped models only");
        }
        return (TrainedModel) model;
    }

    /** The model called {@code name}, untyped or typed; fails naming the available ones when there is none. */
    public synchronized StoredModel getAny(String name) throws IOException {
        validateName(name);
        StoredModel model = loaded.get(name);
        if (model != null) {
            return model;
        }
        Path file = file(name);
        if (!Files.exists(file)) {
            List<String> names = names();
            throw new IllegalArgumentException("No model named '" + name + "'"
                    + (names.isEmpty() ? "; the catalog is empty, train one with gat.train"
                    : "; models: " + String.join(", ", names)));
        }
        model = ModelFile.readAny(file);
        loaded.put(name, model);
        return model;
    }

    public synchronized boolean exists(String name) {
        return Files.exists(file(validateName(name)));
    }

    /** Names of the stored models, sorted. */
    public synchronized List<String> names() {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            List<String> names = new ArrayList<>();
            files.map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(EXTENSION) && !f.startsWith("."))
                    .map(f -> f.substring(0, f.length() - EXTENSION.length()))
                    .filter(n -> VALID_NAME.matcher(n).matches())
                    .sorted()
                    .forEach(names::add);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list the model directory " + directory, e);
        }
    }

    public synchronized long sizeBytes(String name) throws IOException {
        return Files.size(file(validateName(name)));
    }

    /** Deletes the model; fails when there is none. */
    public synchronized void drop(String name) throws IOException {
        getAny(name);
        Files.delete(file(name));
        loaded.remove(name);
    }

    private Path file(String name) {
        return directory.resolve(name + EXTENSION);
    }
}
