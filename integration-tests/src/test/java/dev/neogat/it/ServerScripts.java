package dev.neogat.it;

import dev.neogat.testing.CypherScript;
import org.neo4j.driver.Driver;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the project's {@code cypher/} scripts over Bolt, each statement in its own auto-commit transaction. */
public final class ServerScripts {

    private ServerScripts() {
    }

    /** The records of each statement. */
    public static List<List<Record>> run(Driver driver, String script, Map<String, Object> parameters) {
        List<List<Record>> results = new ArrayList<>();
        try (Session session = driver.session()) {
            for (String statement : CypherScript.statements(script)) {
                results.add(session.run(statement, parameters).list());
            }
        }
        return results;
    }
}
