package dev.neogat.procedures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

class SmokeTest {

    @TempDir
    Path dir;

    @Test
    void trainsAndPredicts() {
        try (Neo4j neo4j = Harness.start(dir, null)) {
            GraphDatabaseService db = Harness.db(neo4j);
            SmallGraph.create(db, 90);
            var rows = db.executeTransactionally("""
                    CALL gat.train('small', {featureProperties: 'features', labelProperty: 'colour',
                         splitProperty: 'split', epochs: 50, writeProperty: 'predicted', attentionProperty: 'att'})
                    """, Map.of(), r -> { List<Map<String, Object>> out = new java.util.ArrayList<>();
                        r.forEachRemaining(out::add); return out; });
            System.out.println(rows);
            String sample = db.executeTransactionally("MATCH (n:Item) RETURN n.colour, n.predicted LIMIT 5", Map.of(),
                    r -> r.resultAsString());
            System.out.println(sample);
            String models = db.executeTransactionally("CALL gat.model.list()", Map.of(), r -> r.resultAsString());
            System.out.println(models);
            System.out.println(neo4j.config().get(org.neo4j.configuration.GraphDatabaseSettings.data_directory));
        }
    }
}
