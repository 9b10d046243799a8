package dev.neogat.datasets;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.nn.SparseMatrix;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads and writes a citation dataset in the CSV layout of {@code ../shared/datasets}: {@code nodes.csv(.gz)}
 * with {@code id,label,split,features} (ids 0..n-1, label -1 for none, split train/val/test/none,
 * features as space-separated {@code col:value}), {@code edges.csv(.gz)} with {@code source,target},
 * and {@code labels.txt} with {@code index,name}. The feature width is the largest column + 1.
 */
public final class PlanetoidCsv {

    private PlanetoidCsv() {
    }

    public static Dataset load(Path directory) throws IOException {
        String name = directory.getFileName().toString();
        List<String> classNames = readClassNames(directory.resolve("labels.txt"));
        NodeRows nodes = readNodes(open(directory, "nodes.csv"), name + "/nodes.csv");
        int[][] edges = readEdges(open(directory, "edges.csv"), nodes.count, nodes.count, name + "/edges.csv");
        int classCount = Math.max(classNames.size(), Arrays.stream(nodes.labels).max().orElse(-1) + 1);
        SparseMatrix features = new SparseMatrix(nodes.count, nodes.width, nodes.offsets, nodes.columns,
                nodes.values);
        NodeLabels labels = NodeLabels.singleLabel(nodes.labels, classCount);
        NodeSplit split = new NodeSplit(nodes.split(0), nodes.split(1), nodes.split(2));
        return new Dataset(name, nodes.count, edges[0], edges[1], features, labels, split, classNames);
    }

    /**
     * Writes {@code nodes.csv.gz}, {@code edges.csv.gz} and {@code labels.txt} into {@code directory}; nodes
     * in no split are written with split {@code none}.
     */
    public static void write(Dataset dataset, Path directory) throws IOException {
        Files.createDirectories(directory);
        String[] splitOf = new String[dataset.nodeCount()];
        Arrays.fill(splitOf, "none");
        for (int node : dataset.split().train()) {
            splitOf[node] = "train";
        }
        for (int node : dataset.split().validation()) {
            splitOf[node] = "val";
        }
        for (int node : dataset.split().test()) {
            splitOf[node] = "test";
        }
        SparseMatrix features = dataset.features() instanceof SparseMatrix sparse ? sparse
                : SparseMatrix.fromDense(dataset.nodeCount(), dataset.features().cols(),
                ((dev.neogat.nn.DenseMatrix) dataset.features()).data());
        try (java.io.Writer out = gzipWriter(directory.resolve("nodes.csv.gz"))) {
            out.write("id,label,split,features\n");
            for (int i = 0; i < dataset.nodeCount(); i++) {
                StringBuilder row = new StringBuilder().append(i).append(',')
                        .append(dataset.labels().classOf(i)).append(',').append(splitOf[i]).append(',');
                for (int p = features.rowOffsets()[i]; p < features.rowOffsets()[i + 1]; p++) {
                    if (p > features.rowOffsets()[i]) {
                        row.append(' ');
                    }
                    float v = features.values()[p];
                    row.append(features.columns()[p]).append(':').append(v == (int) v ? String.valueOf((int) v)
                            : String.valueOf(v));
                }
                out.write(row.append('\n').toString());
            }
        }
        try (java.io.Writer out = gzipWriter(directory.resolve("edges.csv.gz"))) {
            out.write("source,target\n");
            for (int e = 0; e < dataset.edgeCount(); e++) {
                out.write(dataset.sources()[e] + "," + dataset.targets()[e] + "\n");
            }
        }
        StringBuilder labels = new StringBuilder();
        for (int c = 0; c < dataset.classNames().size(); c++) {
            labels.append(c).append(',').append(dataset.classNames().get(c)).append('\n');
        }
        Files.writeString(directory.resolve("labels.txt"), labels.toString(), StandardCharsets.UTF_8);
    }

    private static java.io.Writer gzipWriter(Path file) throws IOException {
        return new java.io.BufferedWriter(new java.io.OutputStreamWriter(
                new java.util.zip.GZIPOutputStream(Files.newOutputStream(file), 1 << 16), StandardCharsets.UTF_8),
                1 << 16);
    }

    static BufferedReader open(Path directory, String file) throws IOException {
        Path plain = directory.resolve(file);
        Path gzipped = directory.resolve(file + ".gz");
        InputStream in;
        if (Files.exists(plain)) {
            in = Files.newInputStream(plain);
        } else if (Files.exists(gzipped)) {
            in = new GZIPInputStream(Files.newInputStream(gzipped), 1 << 16);
        } else {
            throw new IOException("Neither " + plain + " nor " + gzipped + " exists");
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }

    static List<String> readClassNames(Path file) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.exists(file)) {
            return names;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            int comma = line.indexOf(',');
            int index = Integer.parseInt(line.substring(0, comma).trim());
            while (names.size() <= index) {
                names.add(null);
            }
            names.set(index, line.substring(comma + 1).trim());
        }
        return names;
    }

    /** Parsed node rows; split codes 0 train, 1 val, 2 test, 3 none. */
    static final class NodeRows {
        int count;
        int width;
        int[] labels;
        byte[] splits;
        int[] offsets;
        int[] columns;
        float[] values;

        int[] split(int code) {
            int[] out = new int[count];
            int k = 0;
            for (int i = 0; i < count; i++) {
                if (splits[i] == code) {
                    out[k++] = i;
                }
            }
            return Arrays.copyOf(out, k);
        }
    }

    static NodeRows readNodes(BufferedReader reader, String file) throws IOException {
        try (reader) {
            String header = reader.readLine();
            if (header == null || !header.startsWith("id,label,split")) {
                throw new IOException(file + " must start with the header id,label,split,features");
            }
            List<int[]> rowColumns = new ArrayList<>();
            List<float[]> rowValues = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<Byte> splits = new ArrayList<>();
            int width = 0;
            String line;
            int lineNumber = 1;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isEmpty()) {
                    continue;
                }
                String[] parts = line.split(",", 4);
                if (parts.length < 3) {
                    throw new IOException(file + " line " + lineNumber + " has fewer than 3 fields");
                }
                int id = Integer.parseInt(parts[0]);
                if (id != labels.size()) {
                    throw new IOException(file + " line " + lineNumber + " has id " + id + ", expected "
                            + labels.size() + " (ids must be 0..n-1 in order)");
                }
                // the typed layout leaves label and split empty on node types that are not the target
                labels.add(parts[1].isEmpty() ? -1 : Integer.parseInt(parts[1]));
                splits.add(switch (parts[2]) {
                    case "train" -> (byte) 0;
                    case "val" -> (byte) 1;
                    case "test" -> (byte) 2;
                    case "none", "" -> (byte) 3;
                    default -> throw new IOException(file + " line " + lineNumber + " has split '"
                            + parts[2] + "'; expected train, val, test or none");
                });
                String features = parts.length > 3 ? parts[3].trim() : "";
                String[] entries = features.isEmpty() ? new String[0] : features.split(" ");
                int[] columns = new int[entries.length];
                float[] values = new float[entries.length];
                for (int k = 0; k < entries.length; k++) {
                    int colon = entries[k].indexOf(':');
                    columns[k] = Integer.parseInt(entries[k].substring(0, colon));
                    values[k] = Float.parseFloat(entries[k].substring(colon + 1));
                    width = Math.max(width, columns[k] + 1);
                }
                sortByColumn(columns, values);
                rowColumns.add(columns);
                rowValues.add(values);
            }
            NodeRows rows = new NodeRows();
            rows.count = labels.size();
            rows.width = width;
            rows.labels = labels.stream().mapToInt(Integer::intValue).toArray();
            rows.splits = new byte[rows.count];
            rows.offsets = new int[rows.count + 1];
            for (int i = 0; i < rows.count; i++) {
                rows.splits[i] = splits.get(i);
                rows.offsets[i + 1] = rows.offsets[i] + rowColumns.get(i).length;
            }
            rows.columns = new int[rows.offsets[rows.count]];
            rows.values = new float[rows.offsets[rows.count]];
            for (int i = 0; i < rows.count; i++) {
                System.arraycopy(rowColumns.get(i), 0, rows.columns, rows.offsets[i], rowColumns.get(i).length);
                System.arraycopy(rowValues.get(i), 0, rows.values, rows.offsets[i], rowValues.get(i).length);
            }
            return rows;
        }
    }

    private static void sortByColumn(int[] columns, float[] values) {
        for (int i = 1; i < columns.length; i++) {
            int c = columns[i];
            float v = values[i];
            int j = i - 1;
            while (j >= 0 && columns[j] > c) {
                columns[j + 1] = columns[j];
                values[j + 1] = values[j];
                j--;
            }
            columns[j + 1] = c;
            values[j + 1] = v;
        }
    }

    static int[][] readEdges(BufferedReader reader, int sourceCount, int targetCount, String file) throws IOException {
        try (reader) {
            String header = reader.readLine();
            if (header == null || !header.startsWith("source,target")) {
                throw new IOException(file + " must start with the header source,target");
            }
            int[] sources = new int[1 << 12];
            int[] targets = new int[1 << 12];
            int count = 0;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                int comma = line.indexOf(',');
                if (count == sources.length) {
                    sources = Arrays.copyOf(sources, count * 2);
                    targets = Arrays.copyOf(targets, count * 2);
                }
                sources[count] = Integer.parseInt(line.substring(0, comma));
                targets[count] = Integer.parseInt(line.substring(comma + 1).trim());
                if (sources[count] >= sourceCount || targets[count] >= targetCount) {
                    throw new IOException(file + " line " + (count + 2) + " names a node beyond the "
                            + (sources[count] >= sourceCount ? sourceCount + " source" : targetCount + " target")
                            + " nodes");
                }
                count++;
            }
            return new int[][]{Arrays.copyOf(sources, count), Arrays.copyOf(targets, count)};
        }
    }
}
