package dev.neogat.procedures;

import org.neo4j.graphdb.GraphDatabaseService;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small labelled graph made in Cypher: {@code size} (:Item) nodes in 3 classes ("red", "green",
 * "blue") with 4-dimensional features that carry the class plus noise, LINKS mostly within a class,
 * and a train/val/test split.
 */
final class SmallGraph {

    private SmallGraph() {
    }

    /**
     * A quick gat.train configuration over the (:Item) nodes: their features, class and split properties, 2 heads of
     * 4 channels, concurrency 2; {@code pairs} (key, value, key, value, ...) add keys or replace these.
     */
    static Map<String, Object> trainConfig(Object... pairs) {
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", List.of("Item"));
        config.put("featureProperties", "features");
        config.put("labelProperty", "colour");
        config.put("splitProperty", "split");
        config.put("heads", 2);
        config.put("hiddenChannels", 4);
        config.put("concurrency", 2);
        return with(config, pairs);
    }

    /** {@code config} with each (key, value) of {@code pairs} put in it. */
    static Map<String, Object> with(Map<String, Object> config, Object... pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("pairs of a key and a value, got " + pairs.length + " values");
        }
        for (int i = 0; i < pairs.length; i += 2) {
            config.put((String) pairs[i], pairs[i + 1]);
        }
        return config;
    }

    static void create(GraphDatabaseService db, int size) {
        db.executeTransactionally("""
                UNWIND range(0, $size - 1) AS i
                WITH i, ['red', 'green', 'blue'][i % 3] AS colour, (i * 7919) % 1000 / 1000.0 AS noise
                CREATE (:Item {itemId: i, colour: colour,
                        split: CASE WHEN i < $size / 3 THEN 'train' WHEN i < $size / 2 THEN 'val' ELSE 'test' END,
                        features: [CASE WHEN i % 3 = 0 THEN 1.0 ELSE 0.0 END + noise / 2,
                                   CASE WHEN i % 3 = 1 THEN 1.0 ELSE 0.0 END + (1 - noise) / 2,
                                   CASE WHEN i % 3 = 2 THEN 1.0 ELSE 0.0 END,
                                   noise]})
                """, Map.of("size", size));
        db.executeTransactionally("""
                MATCH (a:Item), (b:Item)
                WHERE a.itemId < b.itemId AND (a.itemId + b.itemId * 31) % 11 = 0
                  AND (a.itemId % 3 = b.itemId % 3 OR (a.itemId + b.itemId) % 7 = 0)
                CREATE (a)-[:LINKS {since: a.itemId}]->(b)
                """);
    }
}
