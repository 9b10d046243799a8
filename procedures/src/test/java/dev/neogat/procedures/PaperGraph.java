package dev.neogat.procedures;

import org.neo4j.graphdb.GraphDatabaseService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A generated typed graph: (:Paper) nodes with 8 features, (:Author) nodes with 3, (:Venue) nodes with 5 and
 * (:Topic) nodes with none. Each paper is ABOUT one author, venue or topic, drawn at random, and its class
 * ({@code kind}) is the label of that neighbour ('Author', 'Venue' or 'Topic'): no paper's own features nor its
 * CITES neighbours (three other papers at random) say anything about it. Features are uniform in [0, 1).
 */
final class PaperGraph {

    static final int PAPERS = 300;
    static final int AUTHORS = 40;
    static final int VENUES = 12;
    static final int TOPICS = 10;

    private PaperGraph() {
    }

    /** Creates the graph with {@link #PAPERS} labelled papers (more can be added later). */
    static void create(GraphDatabaseService db, long seed) {
        Random random = new Random(seed);
        db.executeTransactionally("UNWIND $rows AS row CREATE (:Author {authorId: row.id, profile: row.x})",
                Map.of("rows", rows(random, AUTHORS, 3)));
        db.executeTransactionally("UNWIND $rows AS row CREATE (:Venue {venueId: row.id, embedding: row.x})",
                Map.of("rows", rows(random, VENUES, 5)));
        db.executeTransactionally("UNWIND range(0, $n - 1) AS i CREATE (:Topic {topicId: i})",
                Map.of("n", TOPICS));
        addPapers(db, random, 0, PAPERS, true);
    }

    /**
     * Adds papers {@code first..first+count-1}: each ABOUT a random author, venue or topic and citing three earlier
     * or new papers; {@code labelled}: with their class and a 60/20/20 train/val/test split, else without either.
     */
    static void addPapers(GraphDatabaseService db, Random random, int first, int count, boolean labelled) {
        List<Map<String, Object>> papers = rows(random, count, 8);
        String[] kinds = {"Author", "Venue", "Topic"};
        for (int i = 0; i < count; i++) {
            Map<String, Object> paper = papers.get(i);
            int id = first + i;
            String kind = kinds[random.nextInt(3)];
            int size = kind.equals("Author") ? AUTHORS : kind.equals("Venue") ? VENUES : TOPICS;
            paper.put("id", id);
            paper.put("kind", kind);
            paper.put("about", random.nextInt(size));
            paper.put("labelled", labelled);
            paper.put("split", id % 5 < 3 ? "train" : id % 5 == 3 ? "val" : "test");
            List<Integer> cites = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                cites.add(random.nextInt(first + count));
            }
            paper.put("cites", cites);
        }
        db.executeTransactionally("""
                UNWIND $papers AS row
                CREATE (p:Paper {paperId: row.id, text: row.x})
                FOREACH (_ IN CASE WHEN row.labelled THEN [1] ELSE [] END |
                    SET p.kind = row.kind, p.split = row.split)
                FOREACH (_ IN CASE WHEN row.labelled THEN [] ELSE [1] END | SET p.truth = row.kind)
                """, Map.of("papers", papers));
        for (String kind : kinds) {
            String key = kind.toLowerCase(java.util.Locale.ROOT) + "Id";
            db.executeTransactionally("UNWIND $papers AS row WITH row WHERE row.kind = $kind "
                    + "MATCH (p:Paper {paperId: row.id}), (n:" + kind + " {" + key + ": row.about}) "
                    + "CREATE (p)-[:ABOUT]->(n)", Map.of("papers", papers, "kind", kind));
        }
        db.executeTransactionally("""
                UNWIND $papers AS row
                MATCH (p:Paper {paperId: row.id})
                UNWIND row.cites AS cited
                MATCH (q:Paper {paperId: cited}) WHERE q <> p
                CREATE (p)-[:CITES]->(q)
                """, Map.of("papers", papers));
    }

    private static List<Map<String, Object>> rows(Random random, int count, int width) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            double[] x = new double[width];
            for (int k = 0; k < width; k++) {
                x[k] = random.nextDouble();
            }
            rows.add(new java.util.HashMap<>(Map.of("id", i, "x", x)));
        }
        return rows;
    }
}
