package dev.neogat.procedures.bench;

import dev.neogat.procedures.CypherScripts;
import dev.neogat.procedures.EmbeddedNeo4j;
import dev.neogat.testing.SharedData;
import org.neo4j.graphdb.GraphDatabaseService;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * A dataset of the typed layout (default {@code ../shared/datasets/acm}) from Cypher end to end, in an in-process
 * Neo4j: {@code cypher/load-typed-dataset.cypher} loads it as it stands, then per seed {@code gat.train} trains the
 * typed model with the keys of {@code cypher/train-typed-gat.cypher} (every node type, every relation; predictions
 * written) and, on the same graph, the untyped model ({@code typed: false}, all relationship types as one graph).
 * Test accuracy and macro-F1 (mean over the model's classes of per-class F1, 0 for a class neither present nor
 * predicted) are computed in Cypher from the written prediction against the class property on the target type's
 * nodes whose split property is {@code 'test'}, beside the accuracy gat.train reports.
 * <p>Arguments (words): a dataset name under {@code ../shared/datasets} or a folder; {@code seeds=0-9} (or
 * {@code 0,1,2}), {@code untypedSeeds=0-2} ({@code none} skips the untyped model), {@code epochs=200} (the typed
 * script's {@code $epochs}), {@code untypedEpochs=100}; any other {@code key=value} is a gat.train key added to the
 * typed run (over the script's value where it sets one; {@code concurrency} 1 and {@code patience} 100 unless given),
 * {@code untyped.key=value} to the untyped run. Values: {@code true}/{@code false}, numbers, comma lists, else text.
 * Run: {@code mvn -q -pl procedures -am -Pbench verify -Dbench.engine.skip=true
 * -Dbench.main=dev.neogat.procedures.bench.TypedDatasetBenchmark -Dbench.args="acm seeds=0-9 untypedSeeds=0-2"}
 */
public final class TypedDatasetBenchmark {

    private static final String LOAD_SCRIPT = "load-typed-dataset.cypher";
    private static final String TRAIN_SCRIPT = "train-typed-gat.cypher";

    private record Schema(List<String> nodeTypes, String targetType, List<String> relationshipTypes) {
    }

    private record Run(long seed, double accuracy, double macroF1, double reportedAccuracy, long epochs,
                       long bestEpoch, long trainMillis, double wallSeconds) {
    }

    public static void main(String[] args) throws Exception {
        String[] words = Arrays.stream(args).flatMap(a -> Arrays.stream(a.trim().split("\\s+")))
                .filter(w -> !w.isEmpty()).toArray(String[]::new);
        String datasetName = "acm";
        List<Long> seeds = seeds("0-9");
        List<Long> untypedSeeds = seeds("0-2");
        long epochs = 200;
        long untypedEpochs = 100;
        Map<String, Object> typedExtra = new LinkedHashMap<>();
        Map<String, Object> untypedExtra = new LinkedHashMap<>();
        for (String word : words) {
            int equals = word.indexOf('=');
            if (equals < 0) {
                datasetName = word;
                continue;
            }
            String key = word.substring(0, equals);
            String value = word.substring(equals + 1);
            switch (key) {
                case "seeds" -> seeds = seeds(value);
                case "untypedSeeds" -> untypedSeeds = seeds(value);
                case "epochs" -> epochs = Long.parseLong(value);
                case "untypedEpochs" -> untypedEpochs = Long.parseLong(value);
                default -> {
                    if (key.startsWith("untyped.")) {
                        untypedExtra.put(key.substring("untyped.".length()), value(value));
                    } else {
                        typedExtra.put(key, value(value));
                    }
                }
            }
        }
        Path dataset = dataset(datasetName);
        if (dataset == null) {
            System.out.println("typed dataset: skipped, '" + datasetName + "' is neither a folder nor present under "
                    + "../shared/datasets");
            return;
        }
        Schema schema = schema(dataset);
        System.out.printf(Locale.ROOT, "java %s, %d cores, max heap %.1f GiB; %s: node types %s (target %s), "
                        + "relationship types %s; typed seeds %s (at most %d epochs), untyped seeds %s (at most %d "
                        + "epochs); typed extra keys %s, untyped extra keys %s%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                dataset, schema.nodeTypes(), schema.targetType(), schema.relationshipTypes(), seeds, epochs,
                untypedSeeds, untypedEpochs, typedExtra, untypedExtra);
        Path home = Files.createTempDirectory("neogat-typed-bench");
        try (EmbeddedNeo4j neo4j = new EmbeddedNeo4j(home, dataset)) {
            GraphDatabaseService db = neo4j.db();
            long start = System.nanoTime();
            List<List<Map<String, Object>>> loaded = CypherScripts.runEach(db, LOAD_SCRIPT, Map.of());
            System.out.printf(Locale.ROOT, "%s: %s %.1f s: %s%n", dataset.getFileName(), LOAD_SCRIPT,
                    (System.nanoTime() - start) / 1e9, loaded.subList(1, 3));
            System.out.printf(Locale.ROOT, "graph: %d nodes, relationships %s%n",
                    db.executeTransactionally("MATCH (n) RETURN count(n) AS n", Map.of(), r -> r.next().get("n")),
                    db.executeTransactionally("MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n ORDER BY type",
                            Map.of(), r -> r.stream().map(row -> row.get("type") + " " + row.get("n")).toList()));

            Map<String, Object> scriptParameters = Map.of("modelName", "unused", "nodeLabels", schema.nodeTypes(),
                    "relationshipTypes", schema.relationshipTypes(), "epochs", epochs);
            Map<String, Object> scriptConfig = scriptConfig(db, scriptParameters);
            System.out.println("the typed script's gat.train keys: " + scriptConfig);

            Map<String, Object> typed = new LinkedHashMap<>(scriptConfig);
            typed.put("concurrency", 1L);
            typed.put("patience", 100L);
            typed.putAll(typedExtra);
            runAll(db, schema, "typed", typed, seeds);

            if (!untypedSeeds.isEmpty()) {
                Map<String, Object> untyped = new LinkedHashMap<>(scriptConfig);
                // Keys only typed models read; the rest (features, class, split, write-back) as the typed run.
                for (String key : List.of("relationAggregation", "targetLabels", "featurelessNodes",
                        "featurelessDimension")) {
                    untyped.remove(key);
                }
                untyped.put("typed", false);
                untyped.put("epochs", untypedEpochs);
                untyped.put("concurrency", 1L);
                untyped.put("patience", 100L);
                untyped.putAll(untypedExtra);
                runAll(db, schema, "untyped", untyped, untypedSeeds);
            }
        }
    }

    private static void runAll(GraphDatabaseService db, Schema schema, String model, Map<String, Object> config,
                               List<Long> seeds) {
        System.out.println(model + " gat.train keys (seed per run): " + config);
        List<Run> runs = new ArrayList<>();
        for (long seed : seeds) {
            Run run = train(db, schema, model, config, seed);
            runs.add(run);
            System.out.printf(Locale.ROOT, "%-7s seed %d: test accuracy %.2f %%, macro-F1 %.2f %% (from the written "
                            + "predictions; gat.train's testAccuracy %.2f %%); %d epochs, best %d; training %.1f s "
                            + "(%.2f s per epoch), gat.train call %.1f s%n", model, run.seed(), 100 * run.accuracy(),
                    100 * run.macroF1(), 100 * run.reportedAccuracy(), run.epochs(), run.bestEpoch(),
                    run.trainMillis() / 1e3, run.trainMillis() / 1e3 / Math.max(1, run.epochs()), run.wallSeconds());
        }
        System.out.printf(Locale.ROOT, "%-7s over %d seeds: test accuracy %s %%, macro-F1 %s %%, training %s s per "
                        + "seed%n", model, runs.size(), meanSd(runs.stream().mapToDouble(r -> 100 * r.accuracy())
                        .toArray()), meanSd(runs.stream().mapToDouble(r -> 100 * r.macroF1()).toArray()),
                meanSd(runs.stream().mapToDouble(r -> r.trainMillis() / 1e3).toArray()));
    }

    private static Run train(GraphDatabaseService db, Schema schema, String model, Map<String, Object> config,
                             long seed) {
        Map<String, Object> seeded = new LinkedHashMap<>(config);
        seeded.put("seed", seed);
        String modelName = model + "_seed" + seed;
        long start = System.nanoTime();
        Map<String, Object> row = db.executeTransactionally("""
                CALL gat.train($modelName, $config)
                YIELD classes, epochs, bestEpoch, testAccuracy, trainMillis
                RETURN classes, epochs, bestEpoch, testAccuracy, trainMillis""",
                Map.of("modelName", modelName, "config", seeded), r -> r.next());
        double wallSeconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> scores = testScores(db, schema.targetType(), (String) config.get("splitProperty"),
                (String) config.get("labelProperty"), (String) config.get("writeProperty"),
                (List<?>) row.get("classes"));
        if ((Long) scores.get("unpredicted") > 0) {
            throw new IllegalStateException(scores.get("unpredicted") + " of " + scores.get("testNodes") + " test "
                    + "nodes have no written prediction after " + modelName);
        }
        db.executeTransactionally("CALL gat.model.drop($modelName)", Map.of("modelName", modelName));
        return new Run(seed, (Double) scores.get("accuracy"), (Double) scores.get("macroF1"),
                (Double) row.get("testAccuracy"), (Long) row.get("epochs"), (Long) row.get("bestEpoch"),
                (Long) row.get("trainMillis"), wallSeconds);
    }

    /**
     * Over the nodes of {@code label} whose {@code splitProperty} is 'test': {@code testNodes}, {@code unpredicted}
     * (no {@code writeProperty}), {@code accuracy} (prediction equals {@code labelProperty}) and {@code macroF1}, the
     * mean over {@code classes} of 2·TP / (predicted + actual), 0 for a class neither present nor predicted.
     */
    static Map<String, Object> testScores(GraphDatabaseService db, String label, String splitProperty,
                                          String labelProperty, String writeProperty, List<?> classes) {
        return db.executeTransactionally("""
                MATCH (n:`%s`) WHERE n[$splitProperty] = 'test'
                WITH collect({truth: n[$labelProperty], predicted: n[$writeProperty]}) AS rows
                UNWIND $classes AS class
                WITH rows, class,
                     size([r IN rows WHERE r.truth = class AND r.predicted = class]) AS truePositives,
                     size([r IN rows WHERE r.predicted = class]) + size([r IN rows WHERE r.truth = class]) AS both
                WITH rows, collect(CASE both WHEN 0 THEN 0.0 ELSE 2.0 * truePositives / both END) AS f1
                RETURN size(rows) AS testNodes, size([r IN rows WHERE r.predicted IS NULL]) AS unpredicted,
                       toFloat(size([r IN rows WHERE r.predicted = r.truth])) / size(rows) AS accuracy,
                       reduce(sum = 0.0, f IN f1 | sum + f) / size(f1) AS macroF1
                """.formatted(label.replace("`", "``")), Map.of("splitProperty", splitProperty, "labelProperty",
                labelProperty, "writeProperty", writeProperty, "classes", classes), r -> r.next());
    }

    /**
     * The configuration map of the typed script's {@code gat.train} call, evaluated by Cypher with the script's
     * parameters, so that this benchmark trains with whatever keys the script sets.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> scriptConfig(GraphDatabaseService db, Map<String, Object> parameters) {
        String call = CypherScripts.statements(TRAIN_SCRIPT).stream().filter(s -> s.contains("gat.train("))
                .findFirst().orElseThrow(() -> new IllegalStateException(TRAIN_SCRIPT + " has no gat.train call"));
        int open = call.indexOf('{', call.indexOf("gat.train("));
        int depth = 0;
        int close = -1;
        for (int i = open; i < call.length() && close < 0; i++) {
            depth += call.charAt(i) == '{' ? 1 : call.charAt(i) == '}' ? -1 : 0;
            close = depth == 0 ? i : -1;
        }
        String map = call.substring(open, close + 1);
        return new LinkedHashMap<>(db.executeTransactionally("RETURN " + map + " AS config", parameters,
                r -> (Map<String, Object>) r.next().get("config")));
    }

    private static Schema schema(Path dataset) throws IOException {
        List<String> nodeTypes = new ArrayList<>();
        String target = null;
        LinkedHashSet<String> relationshipTypes = new LinkedHashSet<>();
        String block = "";
        boolean header = false;
        for (String line : Files.readAllLines(dataset.resolve("schema.txt"))) {
            String trimmed = line.trim();
            if (trimmed.startsWith("[")) {
                block = trimmed;
                header = true;
            } else if (header) {
                header = false;
            } else if (!trimmed.isEmpty()) {
                String[] fields = trimmed.split(",");
                if (block.equals("[nodes]")) {
                    nodeTypes.add(fields[0]);
                    target = fields[3].equals("target") ? fields[0] : target;
                } else if (block.equals("[relations]")) {
                    relationshipTypes.add(fields[1]);
                }
            }
        }
        if (target == null) {
            throw new IllegalArgumentException(dataset.resolve("schema.txt") + " names no node type with role target");
        }
        return new Schema(nodeTypes, target, List.copyOf(relationshipTypes));
    }

    private static Path dataset(String name) {
        Path folder = Paths.get(name);
        if (Files.isRegularFile(folder.resolve("schema.txt"))) {
            return folder.toAbsolutePath().normalize();
        }
        Path shared = SharedData.sharedDir();
        Path candidate = shared == null ? null : shared.resolve("datasets").resolve(name);
        return candidate != null && Files.isRegularFile(candidate.resolve("schema.txt")) ? candidate : null;
    }

    /** {@code 0-9}, {@code 0,3,5} or {@code none}. */
    private static List<Long> seeds(String value) {
        if (value.equals("none")) {
            return List.of();
        }
        if (value.matches("\\d+-\\d+")) {
            String[] range = value.split("-");
            return LongStream.rangeClosed(Long.parseLong(range[0]), Long.parseLong(range[1])).boxed().toList();
        }
        return Arrays.stream(value.split(",")).map(Long::parseLong).toList();
    }

    private static Object value(String text) {
        if (text.contains(",")) {
            return Arrays.stream(text.split(",")).map(TypedDatasetBenchmark::value).toList();
        }
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        if (text.matches("-?\\d+")) {
            return Long.parseLong(text);
        }
        if (text.matches("-?\\d*\\.\\d+([eE]-?\\d+)?|-?\\d+[eE]-?\\d+")) {
            return Double.parseDouble(text);
        }
        return text;
    }

    private static String meanSd(double[] values) {
        double mean = Arrays.stream(values).average().orElse(Double.NaN);
        double sd = Math.sqrt(Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum()
                / Math.max(1, values.length - 1));
        return String.format(Locale.ROOT, "%.2f ± %.2f", mean, sd);
    }
}
