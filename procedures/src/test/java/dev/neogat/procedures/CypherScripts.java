package dev.neogat.procedures;

import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the scripts in the project's {@code cypher/} folder, the same files the README shows: statements
 * end with a semicolon at the end of a line; {@code //} lines are comments.
 */
public final class CypherScripts {

    private CypherScripts() {
    }

    public static Path directory() {
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

    /** Runs every statement, each in its own transaction; returns the rows of the last one. */
    public static List<Map<String, Object>> run(GraphDatabaseService db, String script, Map<String, Object> parameters) {
        List<Map<String, Object>> rows = List.of();
        for (String statement : statements(script)) {
            rows = db.executeTransactionally(statement, parameters, CypherScripts::collect);
        }
        return rows;
    }

    /** Rows of each statement of the script. */
    public static List<List<Map<String, Object>>> runEach(GraphDatabaseService db, String script,
                                                         Map<String, Object> parameters) {
        List<List<Map<String, Object>>> results = new ArrayList<>();
        for (String statement : statements(script)) {
            results.add(db.executeTransactionally(statement, parameters, CypherScripts::collect));
        }
        return results;
    }

    private static List<Map<String, Object>> collect(Result result) {
        List<Map<String, Object>> rows = new ArrayList<>();
        result.forEachRemaining(row -> rows.add(Map.copyOf(withoutNulls(row))));
        return rows;
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> row) {
        Map<String, Object> copy = new java.util.HashMap<>(row);
        copy.values().removeIf(java.util.Objects::isNull);
        return copy;
    }
}
