package dev.neogat.procedures.catalog;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/** One {@link ModelCatalog} per database, under one root directory. */
public final class ModelCatalogs {

    private final Path root;
    private final ConcurrentHashMap<String, ModelCatalog> byDatabase = new ConcurrentHashMap<>();

    public ModelCatalogs(Path root) {
        this.root = root;
    }

    public ModelCatalog forDatabase(String database) {
        return byDatabase.computeIfAbsent(database, name -> new ModelCatalog(root.resolve(name)));
    }
}
