package dev.neogat.model;

import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.spec.Relation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The input of a committed typed model fixture and the logits of its target type when it was written: node
 * types with their feature rows, relations as stored edges (read undirected, PyG's rev_ relations added), all
 * values as exact hexadecimal floats. Kept apart from any generator so a fixture never depends on how graphs are
 * generated today.
 */
record TypedModelFixture(Map<String, float[][]> features, List<RelationEdges> relations, String targetType,
                         float[][] logits) {

    /** One declared relation and its stored edges, in type-local node ids. */
    record RelationEdges(Relation relation, int[] sources, int[] targets) {
    }

    TypedGraph graph() {
        TypedGraph.Builder builder = TypedGraph.builder();
        features.forEach((type, rows) -> builder.nodeType(type, rows.length));
        for (RelationEdges r : relations) {
            builder.relation(r.relation(), r.sources(), r.targets());
        }
        return builder.undirected().build();
    }

    Map<String, FeatureMatrix> featureMatrices() {
        Map<String, FeatureMatrix> matrices = new LinkedHashMap<>();
        features.forEach((type, rows) -> {
            int width = rows[0].length;
            float[] data = new float[rows.length * width];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(rows[r], 0, data, r * width, width);
            }
            matrices.put(type, new DenseMatrix(rows.length, width, data));
        });
        return matrices;
    }

    float[] flatLogits() {
        int classes = logits[0].length;
        float[] flat = new float[logits.length * classes];
        for (int r = 0; r < logits.length; r++) {
            System.arraycopy(logits[r], 0, flat, r * classes, classes);
        }
        return flat;
    }

    void write(Path file, String comment) throws IOException {
        StringBuilder out = new StringBuilder();
        for (String line : comment.split("\n")) {
            out.append("# ").append(line).append('\n');
        }
        out.append("target ").append(targetType).append('\n');
        features.forEach((type, rows) -> out.append("type ").append(type).append(' ').append(rows.length).append(' ')
                .append(rows[0].length).append('\n'));
        for (RelationEdges r : relations) {
            Relation rel = r.relation();
            String name = rel.sourceType() + " " + rel.name() + " " + rel.targetType();
            out.append("relation ").append(name).append('\n');
            for (int e = 0; e < r.sources().length; e++) {
                out.append("edge ").append(name).append(' ').append(r.sources()[e]).append(' ')
                        .append(r.targets()[e]).append('\n');
            }
        }
        features.forEach((type, rows) -> {
            for (int node = 0; node < rows.length; node++) {
                row(out.append("feature ").append(type).append(' ').append(node), rows[node]);
            }
        });
        for (int node = 0; node < logits.length; node++) {
            row(out.append("logits ").append(node), logits[node]);
        }
        Files.writeString(file, out, StandardCharsets.UTF_8);
    }

    private static void row(StringBuilder out, float[] values) {
        for (float v : values) {
            out.append(' ').append(Float.toHexString(v));
        }
        out.append('\n');
    }

    static TypedModelFixture read(String name) {
        String text = new String(ModelFixture.resource(name), StandardCharsets.UTF_8);
        Map<String, float[][]> features = new LinkedHashMap<>();
        Map<String, Relation> relations = new LinkedHashMap<>();
        Map<String, List<int[]>> edges = new LinkedHashMap<>();
        List<float[]> logits = new ArrayList<>();
        String target = null;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split(" ");
            switch (f[0]) {
                case "target" -> target = f[1];
                case "type" -> features.put(f[1], new float[Integer.parseInt(f[2])][Integer.parseInt(f[3])]);
                case "relation" -> {
                    String key = f[1] + " " + f[2] + " " + f[3];
                    relations.put(key, new Relation(f[1], f[2], f[3]));
                    edges.put(key, new ArrayList<>());
                }
                case "edge" -> edges.get(f[1] + " " + f[2] + " " + f[3])
                        .add(new int[]{Integer.parseInt(f[4]), Integer.parseInt(f[5])});
                case "feature" -> parse(f, 3, features.get(f[1])[Integer.parseInt(f[2])], name);
                case "logits" -> {
                    float[] row = new float[f.length - 2];
                    parse(f, 2, row, name);
                    logits.add(row);
                }
                default -> throw new IllegalStateException(name + ": unknown line '" + line + "'");
            }
        }
        List<RelationEdges> relationEdges = new ArrayList<>();
        relations.forEach((key, relation) -> relationEdges.add(new RelationEdges(relation,
                edges.get(key).stream().mapToInt(e -> e[0]).toArray(),
                edges.get(key).stream().mapToInt(e -> e[1]).toArray())));
        return new TypedModelFixture(features, relationEdges, target, logits.toArray(float[][]::new));
    }

    private static void parse(String[] fields, int from, float[] into, String name) {
        if (fields.length - from != into.length) {
            throw new IllegalStateException(name + ": expected " + into.length + " values in '"
                    + String.join(" ", fields) + "'");
        }
        for (int i = 0; i < into.length; i++) {
            into[i] = Float.parseFloat(fields[from + i]);
        }
    }
}
