package dev.neogat.procedures;

import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;

import java.util.SplittableRandom;

/**
 * A dense labelled graph with hubs: {@code nodes} (:Item) nodes in 3 classes with 4 features, each with
 * {@code outDegree} LINKS to targets drawn with probability falling as a power of the target's index, so
 * the first few nodes collect thousands of relationships while most have a few dozen (average degree
 * 2 * outDegree).
 */
final class DenseGraph {

    private DenseGraph() {
    }

    /** Creates the graph; returns the number of relationships. */
    static long create(GraphDatabaseService db, int nodes, int outDegree, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] ids = new long[nodes];
        try (Transaction tx = db.beginTx()) {
            for (int i = 0; i < nodes; i++) {
                Node node = tx.createNode(Label.label("Item"));
                int colour = i % 3;
                node.setProperty("colour", new String[] {"red", "green", "blue"}[colour]);
                node.setProperty("split", i % 5 < 3 ? "train" : i % 5 == 3 ? "val" : "test");
                double noise = random.nextDouble();
                node.setProperty("features", new double[] {colour == 0 ? 1 + noise : noise,
                        colour == 1 ? 1 + noise : noise, colour == 2 ? 1 : 0, noise});
                ids[i] = node.getId();
            }
            tx.commit();
        }
        RelationshipType links = RelationshipType.withName("LINKS");
        long created = 0;
        for (int from = 0; from < nodes; from += 500) {
            try (Transaction tx = db.beginTx()) {
                for (int i = from; i < Math.min(nodes, from + 500); i++) {
                    Node source = tx.getNodeById(ids[i]);
                    for (int k = 0; k < outDegree; k++) {
                        int target = (int) (nodes * Math.pow(random.nextDouble(), 3));
                        if (target == i) {
                            target = (target + 1) % nodes;
                        }
                        source.createRelationshipTo(tx.getNodeById(ids[target]), links);
                        created++;
                    }
                }
                tx.commit();
            }
        }
        return created;
    }
}
