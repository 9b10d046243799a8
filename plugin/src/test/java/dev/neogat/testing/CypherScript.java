package dev.neogat.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The scripts of the project's {@code cypher/} folder (the same files the README shows), split into
 * statements: a statement ends with a semicolon at the end of a line; {@code //} lines are comments.
 */
public final class CypherScript {

    private CypherScript() {
    }

    /** {@code -Dneogat.cypher.dir}, else the first {@code cypher/} folder above the working directory. */
    public static Path directory() {
        String property = System.getProperty("neogat.cypher.dir");
        if (property != null && !property.isBlank()) {
            return Paths.get(property);
        }
        Path dir = Paths.get("").toAbsolutePath();
        for (int up = 0; up < 3 && dir != null; up++, dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("cypher"))) {
                return dir.resolve("cypher");
            }
        }
        throw new IllegalStateException("The project's cypher/ folder was not found above " + Paths.get("").toAbsolutePath());
    }

    public static List<String> statements(String script) {
        try {
            List<String> statements = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : Files.readAllLines(directory().resolve(script))) {
                String trimmed = line.trim();
                if (trimmed.startsWith("//") || trimmed.isEmpty()) {
                    continue;
                }
                current.append(line).append('\n');
                if (trimmed.endsWith(";")) {
                    String statement = current.toString().trim();
                    statements.add(statement.substring(0, statement.length() - 1));
                    current.setLength(0);
                }
            }
            if (!current.toString().isBlank()) {
                statements.add(current.toString().trim());
            }
            return statements;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
