package dev.neogat.procedures;

import dev.neogat.testing.CypherScript;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the scripts of the project's {@code cypher/} folder (see {@link CypherScript}) in an embedded Neo4j. */
public final class CypherScripts {

    private CypherScripts() {
    }

    public static Path directory() {
        return CypherScript.directory();
    }

    public static List<String> statements(String script) {
        return CypherScript.statements(script);
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
