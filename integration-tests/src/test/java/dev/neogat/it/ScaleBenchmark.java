package dev.neogat.it;

import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.Value;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scale benchmark of issue 12 on a real store and a real server process (prints numbers, asserts nothing):
 * a synthetic graph (by default 1 M nodes, 10 M relationships, 64 features, see {@link ScaleStore}) imported with
 * {@code neo4j-admin database import full}, then phases, each on a fresh server process over that store:
 * <ul>
 *   <li>{@code model}: trains the model the latency phase runs (2 layers), under {@code modelHeap}; skipped when the
 *       catalog has it already unless {@code retrain=true};</li>
 *   <li>{@code latency}: under {@code heap}, {@code gat.predict.stream} with {@code nodes} for 1 and for 100
 *       random nodes ({@code sizes}), median and p99 over 100 calls after 20 warm-up calls, and the server's CPU time
 *       per call;</li>
 *   <li>{@code train}: under {@code heap}, {@code gat.train.estimate} (what 'auto' chooses and why) and
 *       {@code gat.train} with {@code trainMode} (default 'miniBatch'): epoch time, test accuracy, peak heap, or how
 *       it failed. {@code train.KEY=VALUE} words add or override gat.train keys (e.g. the store-backed batches).</li>
 * </ul>
 * Heap use is read from the server's GC log ({@code -Xlog:gc}), over the whole server run (start-up included): the
 * largest occupancy before a collection (the peak) and the largest after one (what survived). Arguments are {@code key=value} words; see {@link #main}.
 */
public final class ScaleBenchmark {

    private static final Pattern GC_PAUSE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
    private static final String MODEL = "scale";

    private final Map<String, String> options;
    private final Map<String, Object> trainOverrides;
    private final ScaleStore store;

    private ScaleBenchmark(Map<String, String> options, Map<String, Object> trainOverrides, ScaleStore store) {
        this.options = options;
        this.trainOverrides = trainOverrides;
        this.store = store;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.ofEntries(
                Map.entry("nodes", "1000000"), Map.entry("relationships", "10000000"), Map.entry("features", "64"),
                Map.entry("classes", "8"), Map.entry("signal", "0.5"), Map.entry("homophily", "0.8"),
                Map.entry("trainShare", "0.02"), Map.entry("valShare", "0.01"), Map.entry("testShare", "0.01"),
                Map.entry("seed", "1"), Map.entry("cache", "target/scalebench"), Map.entry("keepCsv", "false"),
                Map.entry("importHeap", "2g"), Map.entry("phases", "store,model,latency,train"),
                Map.entry("heap", "1g"), Map.entry("pageCache", "2g"), Map.entry("modelHeap", "5g"),
                Map.entry("modelMode", "miniBatch"), Map.entry("modelEpochs", "3"), Map.entry("retrain", "false"),
                Map.entry("trainMode", "miniBatch"), Map.entry("trainEpochs", "3"), Map.entry("calls", "100"), Map.entry("sizes", "1,100"),
                Map.entry("warmup", "20")));
        Map<String, Object> trainOverrides = new LinkedHashMap<>();
        for (String arg : String.join(" ", args).trim().split("\\s+")) {
            if (arg.isEmpty()) {
                continue;
            }
            int equals = arg.indexOf('=');
            if (equals < 0) {
                throw new IllegalArgumentException("Arguments are key=value words; got '" + arg + "'");
            }
            String key = arg.substring(0, equals);
            String value = arg.substring(equals + 1);
            if (key.startsWith("train.")) {
                trainOverrides.put(key.substring("train.".length()), parseValue(value));
            } else if (options.containsKey(key)) {
                options.put(key, value);
            } else {
                throw new IllegalArgumentException("Unknown benchmark argument '" + key + "'; known: " + options.keySet()
                        + " and train.<gat.train key>");
            }
        }
        ScaleStore.Shape shape = new ScaleStore.Shape(Integer.parseInt(options.get("nodes")),
                Long.parseLong(options.get("relationships")), Integer.parseInt(options.get("features")),
                Integer.parseInt(options.get("classes")), Double.parseDouble(options.get("signal")),
                Double.parseDouble(options.get("homophily")), Double.parseDouble(options.get("trainShare")),
                Double.parseDouble(options.get("valShare")), Double.parseDouble(options.get("testShare")),
                Long.parseLong(options.get("seed")));
        Path cache = Paths.get(options.get("cache")).toAbsolutePath().normalize()
                .resolve(shape.nodes() + "-" + shape.relationships());
        System.out.println("scalebench: " + shape.describe() + "; cache " + cache + "; " + options);
        System.out.printf(Locale.ROOT, "scalebench: %d cores, load average %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage());
        new ScaleBenchmark(options, trainOverrides, new ScaleStore(shape, cache)).run();
    }

    private void run() throws Exception {
        List<String> phases = List.of(options.get("phases").split(","));
        if (phases.contains("store")) {
            store.ensure(Neo4jServer.path("neogat.neo4j.lib"), options.get("importHeap"),
                    Boolean.parseBoolean(options.get("keepCsv")));
        }
        if (phases.contains("model")) {
            model();
        }
        if (phases.contains("latency")) {
            latency();
        }
        if (phases.contains("train")) {
            train();
        }
    }

    private Neo4jServer startServer(String heap, String run) throws IOException {
        Path gcLog = store.home().resolve("logs/gc-" + run + ".log");
        Files.deleteIfExists(gcLog);
        long start = System.nanoTime();
        Neo4jServer server = Neo4jServer.start(store.home(), null, heap,
                List.of("server.memory.pagecache.size=" + options.get("pageCache")),
                List.of("-Xlog:gc:file=" + gcLog + ":uptime"));
        System.out.printf(Locale.ROOT, "%s: server started with -Xmx%s, page cache %s in %.1f s%n", run, heap,
                options.get("pageCache"), (System.nanoTime() - start) / 1e9);
        return server;
    }

    private Map<String, Object> baseTrainConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("nodeLabels", List.of("Node"));
        config.put("relationshipTypes", List.of("LINK"));
        config.put("featureProperties", "features");
        config.put("labelProperty", "class");
        config.put("splitProperty", "split");
        config.put("layers", 2);
        // Scaling each row to sum 1 (the default, meant for bag-of-words counts) divides signed Gaussian features by
        // sums near zero: training stayed at chance (validation 0.122 of 8 classes) with it.
        config.put("normalizeFeatures", false);
        return config;
    }

    private void model() throws Exception {
        try (Neo4jServer server = startServer(options.get("modelHeap"), "model")) {
            boolean exists = modelExists(server, MODEL);
            if (exists && !Boolean.parseBoolean(options.get("retrain"))) {
                System.out.println("model: reusing the stored model '" + MODEL + "' (retrain=true trains it again)");
                return;
            }
            if (exists) {
                query(server, "CALL gat.model.drop($name)", Map.of("name", MODEL));
            }
            Map<String, Object> config = baseTrainConfig();
            config.put("mode", options.get("modelMode"));
            config.put("epochs", Integer.parseInt(options.get("modelEpochs")));
            config.put("learningRate", 0.01);
            config.put("patience", 0);
            trainAndReport(server, "model", config, MODEL);
        }
    }

    private void latency() throws Exception {
        try (Neo4jServer server = startServer(options.get("heap"), "latency")) {
            long start = System.nanoTime();
            // Every 500th node id, so the sample is the same each run and reading it costs no Bolt transfer of 1 M ids.
            long[] ids = query(server, "MATCH (n:Node) WHERE id(n) % 500 = 0 RETURN id(n) AS id", Map.of()).stream()
                    .mapToLong(r -> r.get("id").asLong()).toArray();
            System.out.printf(Locale.ROOT, "latency: %d node ids (every 500th) read in %.1f s; calls pick among them%n",
                    ids.length, (System.nanoTime() - start) / 1e9);
            String cypher = "CALL gat.predict.stream($model, {nodes: $nodes}) YIELD node, predictedClass "
                    + "RETURN count(*) AS rows";
            SplittableRandom random = new SplittableRandom(7);
            int calls = Integer.parseInt(options.get("calls"));
            int warmup = Integer.parseInt(options.get("warmup"));
            for (int count : Arrays.stream(options.get("sizes").split(",")).mapToInt(Integer::parseInt).toArray()) {
                double[] millis = new double[calls];
                long cpuStart = 0;
                for (int call = -warmup; call < calls; call++) {
                    if (call == 0) {
                        cpuStart = cpuMillis(server.pid());
                    }
                    List<Long> nodes = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        nodes.add(ids[random.nextInt(ids.length)]);
                    }
                    long callStart = System.nanoTime();
                    long rows;
                    try (Session session = server.driver().session()) {
                        rows = session.run(cypher, Map.of("model", MODEL, "nodes", nodes)).single().get("rows")
                                .asLong();
                    }
                    double elapsed = (System.nanoTime() - callStart) / 1e6;
                    if (rows != count) {
                        throw new IllegalStateException(rows + " rows for " + count + " nodes");
                    }
                    if (call >= 0) {
                        millis[call] = elapsed;
                    }
                }
                double cpuPerCall = (cpuMillis(server.pid()) - cpuStart) / (double) calls;
                Arrays.sort(millis);
                System.out.printf(Locale.ROOT, "latency: gat.predict.stream with %d node(s), %d warm calls (after %d), "
                                + "client-side over Bolt: median %.1f ms, p99 %.1f ms, max %.1f ms; server CPU time "
                                + "%.1f ms per call (all its threads; load average %s)%n", count, calls, warmup,
                        percentile(millis, 0.5), percentile(millis, 0.99), millis[millis.length - 1], cpuPerCall,
                        loadAverage());
            }
            System.out.println("latency: " + peakHeap(store.home().resolve("logs/gc-latency.log")));
        }
    }

    private void train() throws Exception {
        Neo4jServer server = startServer(options.get("heap"), "train");
        try {
            Map<String, Object> estimateConfig = baseTrainConfig();
            estimateConfig.putAll(trainOverrides);
            estimateConfig.remove("mode");
            for (Record row : query(server, "CALL gat.train.estimate($config) YIELD mode, modeReason, fullBatchBytes, "
                    + "miniBatchBytes, storeBatchBytes, freeHeapBytes, maxHeapBytes, fits RETURN *",
                    Map.of("config", estimateConfig))) {
                System.out.printf(Locale.ROOT, "train: gat.train.estimate ('auto'): mode %s (%s); full batch %.2f GiB, "
                                + "mini-batch %.2f GiB, from the store %.2f GiB, free heap %.2f of %.2f GiB, fits %s%n",
                        row.get("mode").asString(), row.get("modeReason").asString(),
                        gib(row.get("fullBatchBytes")), gib(row.get("miniBatchBytes")), gib(row.get("storeBatchBytes")),
                        gib(row.get("freeHeapBytes")), gib(row.get("maxHeapBytes")), row.get("fits").asBoolean());
            }
            Map<String, Object> config = baseTrainConfig();
            config.put("mode", options.get("trainMode"));
            config.put("epochs", Integer.parseInt(options.get("trainEpochs")));
            config.put("learningRate", 0.01);
            config.put("patience", 0);
            config.putAll(trainOverrides);
            String name = MODEL + "-" + options.get("heap");
            if (modelExists(server, name)) {
                query(server, "CALL gat.model.drop($name)", Map.of("name", name));
            }
            long start = System.nanoTime();
            try {
                trainAndReport(server, "train", config, name);
            } catch (RuntimeException e) {
                System.out.printf(Locale.ROOT, "train: gat.train failed after %.1f s: %s: %s%n",
                        (System.nanoTime() - start) / 1e9, e.getClass().getSimpleName(), e.getMessage());
                Thread.sleep(2000);
                if (!server.isAlive()) {
                    System.out.println("train: the server process exited with code " + server.exitCode()
                            + "; the end of its console output:");
                    tail(store.home().resolve("logs/console.log"), 8).forEach(line -> System.out.println("train:   " + line));
                }
                System.out.println("train: " + peakHeap(store.home().resolve("logs/gc-train.log")));
            }
        } finally {
            server.close();
        }
    }

    private void trainAndReport(Neo4jServer server, String phase, Map<String, Object> config, String name) {
        System.out.println(phase + ": gat.train('" + name + "', " + config + ")");
        long start = System.nanoTime();
        Record row = query(server, "CALL gat.train($name, $config) YIELD mode, modeReason, nodeCount, "
                + "relationshipCount, epochs, testAccuracy, validationAccuracy, trainAccuracy, loadMillis, trainMillis "
                + "RETURN *", Map.of("name", name, "config", config)).get(0);
        double wall = (System.nanoTime() - start) / 1e9;
        int epochs = row.get("epochs").asInt();
        System.out.printf(Locale.ROOT, "%s: mode %s (%s); %d nodes, %d relationships; load %.1f s, training %.1f s for "
                        + "%d epochs (%.1f s per epoch, validation included), %.1f s in all; accuracy train %.4f, "
                        + "validation %.4f, test %.4f%n", phase, row.get("mode").asString(),
                row.get("modeReason").asString(), row.get("nodeCount").asLong(), row.get("relationshipCount").asLong(),
                row.get("loadMillis").asLong() / 1e3, row.get("trainMillis").asLong() / 1e3, epochs,
                row.get("trainMillis").asLong() / 1e3 / Math.max(1, epochs), wall,
                row.get("trainAccuracy").asDouble(), row.get("validationAccuracy").asDouble(),
                row.get("testAccuracy").asDouble());
        System.out.println(phase + ": " + peakHeap(store.home().resolve("logs/gc-" + phase + ".log")));
    }

    private static boolean modelExists(Neo4jServer server, String name) {
        return !query(server, "CALL gat.model.list() YIELD name WHERE name = $name RETURN 1", Map.of("name", name))
                .isEmpty();
    }

    private static List<Record> query(Neo4jServer server, String cypher, Map<String, Object> parameters) {
        try (Session session = server.driver().session()) {
            return session.run(cypher, parameters).list();
        }
    }

    /** The largest heap occupancy before a collection in the GC log, and the heap's committed size. */
    static String peakHeap(Path gcLog) {
        try {
            if (!Files.exists(gcLog)) {
                return "no GC log at " + gcLog;
            }
            long peak = 0;
            long live = 0;
            long committed = 0;
            int collections = 0;
            for (String line : Files.readAllLines(gcLog)) {
                Matcher matcher = GC_PAUSE.matcher(line);
                // Remark and Cleanup pauses of G1's concurrent marking log the occupancy too, but free nothing: an
                // "after" of theirs is not what survived a collection.
                if ((line.contains("Pause Young") || line.contains("Pause Full")) && matcher.find()) {
                    peak = Math.max(peak, Long.parseLong(matcher.group(1)));
                    live = Math.max(live, Long.parseLong(matcher.group(2)));
                    committed = Math.max(committed, Long.parseLong(matcher.group(3)));
                    collections++;
                }
            }
            // G1 lets a large heap fill before it collects, so the peak before a collection says what the heap held
            // and the largest occupancy after one (what survived) is closer to what the run needed.
            return String.format(Locale.ROOT, "heap (GC log, server run so far): peak before a collection %d MiB, "
                    + "largest after one %d MiB, of %d MiB; %d collections", peak, live, committed, collections);
        } catch (IOException e) {
            return "cannot read " + gcLog + ": " + e.getMessage();
        }
    }

    /**
     * User and system CPU time of a process from /proc (Linux), in ms: on a shared machine the wall time of a call
     * mostly measures the wait for a core, its CPU time what it cost. -1 where /proc is not there.
     */
    private static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name; in clock ticks (USER_HZ,
            // 100 on Linux).
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static double gib(Value bytes) {
        return bytes.isNull() ? Double.NaN : bytes.asLong() / (double) (1L << 30);
    }

    private static Object parseValue(String value) {
        if (value.contains(",")) {
            List<Object> list = new ArrayList<>();
            for (String part : value.split(",")) {
                list.add(parseValue(part));
            }
            return list;
        }
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException notLong) {
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException notNumber) {
                return value;
            }
        }
    }

    private static List<String> tail(Path file, int lines) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> all = Files.readAllLines(file);
        return all.subList(Math.max(0, all.size() - lines), all.size());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Paths.get("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
