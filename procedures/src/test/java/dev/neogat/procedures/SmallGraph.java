package dev.neogat.procedures;

import org.neo4j.graphdb.GraphDatabaseService;

import java.util.Map;

/**
 * A small labelled graph made in Cypher: {@code size} (:Item) nodes in 3 classes ("red", "green",
 * "blue") with 4-dimensional features that carry the class plus noise, LINKS mostly within a class,
 * and a train/val/test split.
 */
final class SmallGraph {

    private SmallGraph() {
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
