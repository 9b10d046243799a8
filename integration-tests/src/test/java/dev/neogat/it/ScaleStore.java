package dev.neogat.it;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A synthetic graph for the scale benchmark, written as CSV and turned into a Neo4j store by Neo4j's own bulk
 * importer ({@code neo4j-admin database import full}, run from the server's jars). Nodes are labelled {@code Node}
 * and carry {@code features} (a float[] of {@code features} values); a hidden class c of {@code classes} shifts
 * every feature f with f % classes == c by {@code signal} over unit Gaussian noise, and a share {@code homophily}
 * of each node's outgoing {@code LINK} relationships goes to nodes of its class (the rest to any node), so
 * neighbours carry the class too. Only a fraction of the nodes show their class ({@code class}) with a
 * {@code split} of 'train', 'val' or 'test'; the others have neither property.
 *
 * <p>The store is kept in {@code directory} with a marker naming its parameters; a later run with the same
 * parameters reuses it.
 */
final class ScaleStore {

    record Shape(int nodes, long relationships, int features, int classes, double signal, double homophily,
                 double trainShare, double valShare, double testShare, long seed) {

        String describe() {
            return String.format(Locale.ROOT, "%d nodes, %d relationships, %d features, %d classes (signal %.2f, "
                            + "homophily %.2f), labelled: train %.3f, val %.3f, test %.3f of the nodes, seed %d", nodes,
                    relationships, features, classes, signal, homophily, trainShare, valShare, testShare, seed);
        }
    }

    private final Shape shape;
    private final Path directory;

    ScaleStore(Shape shape, Path directory) {
        this.shape = shape;
        this.directory = directory;
    }

    /** The Neo4j home whose data/ holds the imported store (conf/ and plugins/ are laid out by the server). */
    Path home() {
        return directory.resolve("neo4j");
    }

    private Path marker() {
        return directory.resolve("store.done");
    }

    /** Generates and imports the graph unless a store with the same shape is there already. */
    void ensure(Path neo4jLib, String importHeap, boolean keepCsv) throws IOException, InterruptedException {
        if (Files.exists(marker()) && Files.readString(marker()).strip().equals(shape.describe())) {
            System.out.println("store: reusing " + home() + " (" + shape.describe() + ")");
            return;
        }
        Files.deleteIfExists(marker());
        Path csv = directory.resolve("csv");
        Files.createDirectories(csv);
        long start = System.nanoTime();
        generate(csv);
        double generateSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "store: generated the CSV in %.1f s (nodes %d MB, relationships %d MB)%n",
                generateSeconds, Files.size(csv.resolve("nodes.csv")) >> 20,
                Files.size(csv.resolve("relationships.csv")) >> 20);
        start = System.nanoTime();
        importStore(csv, neo4jLib, importHeap);
        double importSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "store: neo4j-admin database import full took %.1f s; store on disk %d MB%n",
                importSeconds, sizeOf(home().resolve("data")) >> 20);
        if (!keepCsv) {
            for (String file : List.of("nodes-header.csv", "nodes.csv", "relationships-header.csv", "relationships.csv")) {
                Files.deleteIfExists(csv.resolve(file));
            }
        }
        Files.writeString(marker(), shape.describe() + "\n");
    }

    /** Writes nodes-header.csv, nodes.csv, relationships-header.csv and relationships.csv into {@code csv}. */
    void generate(Path csv) throws IOException {
        SplittableRandom random = new SplittableRandom(shape.seed());
        int n = shape.nodes();
        byte[] hiddenClass = new byte[n];
        int[] classSize = new int[shape.classes()];
        Files.writeString(csv.resolve("nodes-header.csv"), ":ID,features:float[],class:int,split\n");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(csv.resolve("nodes.csv")), 1 << 20)) {
            CsvWriter writer = new CsvWriter(out);
            for (int node = 0; node < n; node++) {
                int c = random.nextInt(shape.classes());
                hiddenClass[node] = (byte) c;
                classSize[c]++;
                writer.integer(node);
                writer.character(',');
                for (int f = 0; f < shape.features(); f++) {
                    if (f > 0) {
                        writer.character(';');
                    }
                    double value = random.nextGaussian() + (f % shape.classes() == c ? shape.signal() : 0);
                    writer.hundredths(value);
                }
                double u = random.nextDouble();
                String split = u < shape.trainShare() ? "train"
                        : u < shape.trainShare() + shape.valShare() ? "val"
                        : u < shape.trainShare() + shape.valShare() + shape.testShare() ? "test" : null;
                writer.character(',');
                if (split != null) {
                    writer.integer(c);
                    writer.character(',');
                    writer.text(split);
                } else {
                    writer.character(',');
                }
                writer.character('\n');
            }
            writer.flush();
        }
        int[][] members = new int[shape.classes()][];
        for (int c = 0; c < members.length; c++) {
            members[c] = new int[classSize[c]];
        }
        int[] filled = new int[shape.classes()];
        for (int node = 0; node < n; node++) {
            members[hiddenClass[node]][filled[hiddenClass[node]]++] = node;
        }
        Files.writeString(csv.resolve("relationships-header.csv"), ":START_ID,:END_ID\n");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(csv.resolve("relationships.csv")),
                1 << 20)) {
            CsvWriter writer = new CsvWriter(out);
            for (long r = 0; r < shape.relationships(); r++) {
                int source = random.nextInt(n);
                int target;
                if (random.nextDouble() < shape.homophily()) {
                    int[] sameClass = members[hiddenClass[source]];
                    target = sameClass[random.nextInt(sameClass.length)];
                } else {
                    target = random.nextInt(n);
                }
                writer.integer(source);
                writer.character(',');
                writer.integer(target);
                writer.character('\n');
            }
            writer.flush();
        }
    }

    private void importStore(Path csv, Path neo4jLib, String importHeap) throws IOException, InterruptedException {
        Path home = home();
        Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("logs"));
        Files.write(home.resolve("conf/neo4j.conf"), List.of(
                "server.directories.data=data",
                "server.directories.logs=logs",
                "server.directories.import=" + csv.toAbsolutePath()));
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx" + importHeap,
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", neo4jLib + "/*", "org.neo4j.cli.AdminTool",
                "database", "import", "full",
                "--nodes=Node=" + csv.resolve("nodes-header.csv") + "," + csv.resolve("nodes.csv"),
                "--relationships=LINK=" + csv.resolve("relationships-header.csv") + ","
                        + csv.resolve("relationships.csv"),
                "--id-type=INTEGER", "--max-off-heap-memory=" + importHeap, "--overwrite-destination=true",
                "--report-file=" + home.resolve("logs/import.report"),
                "neo4j"));
        Path log = home.resolve("logs/import.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().put("NEO4J_HOME", home.toString());
        builder.environment().put("NEO4J_CONF", home.resolve("conf").toString());
        System.out.println("store: " + String.join(" ", command));
        Process process = builder.start();
        if (!process.waitFor(2, TimeUnit.HOURS)) {
            process.destroyForcibly();
            throw new IllegalStateException("neo4j-admin import did not finish within 2 hours; see " + log);
        }
        List<String> lines = Files.readAllLines(log);
        lines.subList(Math.max(0, lines.size() - 12), lines.size()).forEach(line -> System.out.println("import: " + line));
        if (process.exitValue() != 0) {
            throw new IllegalStateException("neo4j-admin import exited with " + process.exitValue() + "; see " + log);
        }
    }

    private static long sizeOf(Path directory) throws IOException {
        try (var files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> {
                try {
                    return Files.size(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    /** ASCII CSV fields without going through String.format: formatting floats is most of the generation time. */
    private static final class CsvWriter {
        private final OutputStream out;
        private final byte[] buffer = new byte[1 << 16];
        private int size;

        CsvWriter(OutputStream out) {
            this.out = out;
        }

        void character(char c) throws IOException {
            if (size == buffer.length) {
                flush();
            }
            buffer[size++] = (byte) c;
        }

        void text(String text) throws IOException {
            for (int i = 0; i < text.length(); i++) {
                character(text.charAt(i));
            }
        }

        void integer(long value) throws IOException {
            if (value < 0) {
                character('-');
                value = -value;
            }
            if (value >= 10) {
                integer(value / 10);
            }
            character((char) ('0' + value % 10));
        }

        /** The value rounded to two decimals. */
        void hundredths(double value) throws IOException {
            long scaled = Math.round(value * 100);
            if (scaled < 0) {
                character('-');
                scaled = -scaled;
            }
            integer(scaled / 100);
            character('.');
            character((char) ('0' + scaled / 10 % 10));
            character((char) ('0' + scaled % 10));
        }

        void flush() throws IOException {
            out.write(buffer, 0, size);
            size = 0;
        }
    }
}
