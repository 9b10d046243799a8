package dev.neogat.model;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.nn.SparseMatrix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The input a fixture model is run on and the logits it gave when it was written, as a text file: the edges as
 * stored (the attention graph adds both directions and self loops), the dense feature rows and each node's
 * logits as exact hexadecimal floats. Kept apart from the generator so that a fixture never depends on how
 * graphs are generated today.
 */
record ModelFixture(int nodeCount, int featureCount, int[] sources, int[] targets, float[] features,
                    float[] logits) {

    /** The resource folder of the committed fixtures. */
    static final String FOLDER = "/dev/neogat/model/fixtures/";

    IncomingCsr graph() {
        return new GraphBuilder(nodeCount).orientation(Orientation.UNDIRECTED).selfLoops(true).build(sources, targets);
    }

    SparseMatrix featureMatrix() {
        return SparseMatrix.fromDense(nodeCount, featureCount, features);
    }

    int classCount() {
        return logits.length / nodeCount;
    }

    void write(Path file, String comment) throws IOException {
        StringBuilder out = new StringBuilder();
        for (String line : comment.split("\n")) {
            out.append("# ").append(line).append('\n');
        }
        out.append("nodes ").append(nodeCount).append('\n');
        out.append("features ").append(featureCount).append('\n');
        out.append("classes ").append(classCount()).append('\n');
        for (int e = 0; e < sources.length; e++) {
            out.append("edge ").append(sources[e]).append(' ').append(targets[e]).append('\n');
        }
        for (int node = 0; node < nodeCount; node++) {
            out.append("feature ").append(node);
            for (int f = 0; f < featureCount; f++) {
                out.append(' ').append(Float.toHexString(features[node * featureCount + f]));
            }
            out.append('\n');
        }
        int classes = classCount();
        for (int node = 0; node < nodeCount; node++) {
            out.append("logits ").append(node);
            for (int c = 0; c < classes; c++) {
                out.append(' ').append(Float.toHexString(logits[node * classes + c]));
            }
            out.append('\n');
        }
        Files.writeString(file, out, StandardCharsets.UTF_8);
    }

    /** The bytes of a committed fixture resource. */
    static byte[] resource(String name) {
        try (InputStream in = ModelFixture.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalStateException("Missing test resource " + FOLDER + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ModelFixture read(String name) {
        String text = new String(resource(name), StandardCharsets.UTF_8);
        int nodes = -1;
        int featureCount = -1;
        int classes = -1;
        List<int[]> edges = new ArrayList<>();
        float[] features = null;
        float[] logits = null;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.trim().split(" ");
            switch (fields[0]) {
                case "nodes" -> nodes = Integer.parseInt(fields[1]);
                case "features" -> featureCount = Integer.parseInt(fields[1]);
                case "classes" -> classes = Integer.parseInt(fields[1]);
                case "edge" -> edges.add(new int[]{Integer.parseInt(fields[1]), Integer.parseInt(fields[2])});
                case "feature" -> {
                    features = features != null ? features : new float[nodes * featureCount];
                    readRow(fields, features, featureCount, name);
                }
                case "logits" -> {
                    logits = logits != null ? logits : new float[nodes * classes];
                    readRow(fields, logits, classes, name);
                }
                default -> throw new IllegalStateException(name + ": unknown line '" + line + "'");
            }
        }
        if (features == null || logits == null) {
            throw new IllegalStateException(name + " lacks features or logits");
        }
        int[] sources = edges.stream().mapToInt(edge -> edge[0]).toArray();
        int[] targets = edges.stream().mapToInt(edge -> edge[1]).toArray();
        return new ModelFixture(nodes, featureCount, sources, targets, features, logits);
    }

    private static void readRow(String[] fields, float[] into, int width, String name) {
        if (fields.length != width + 2) {
            throw new IllegalStateException(name + ": expected " + width + " values in '" + String.join(" ", fields)
                    + "'");
        }
        int row = Integer.parseInt(fields[1]);
        for (int i = 0; i < width; i++) {
            into[row * width + i] = Float.parseFloat(fields[i + 2]);
        }
    }
}
