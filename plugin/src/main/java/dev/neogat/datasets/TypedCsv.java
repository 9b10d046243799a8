package dev.neogat.datasets;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a dataset in the typed CSV layout of {@code ../shared/datasets} (e.g. {@code acm/}): {@code schema.txt}
 * lists node types after {@code [nodes]} ({@code type,count,feature_columns,role,file}; role {@code target}
 * marks the labelled type) and relations after {@code [relations]} ({@code source_type,relation,target_type,
 * count,file}); each nodes file is laid out as {@link PlanetoidCsv}'s (ids dense per type, label and split
 * empty on types that are not the target), each edges file holds {@code source,target} ids of its two types.
 */
public final class TypedCsv {

    /** A node type of the schema; {@code target} is the labelled type. */
    public record NodeType(String name, int count, int featureColumns, boolean target, String file) {
    }

    /** A relation (relationship type) from nodes of {@code sourceType} to nodes of {@code targetType}. */
    public record Relation(String sourceType, String name, String targetType, int count, String file) {
    }

    public record Schema(List<NodeType> nodeTypes, List<Relation> relations) {

        public NodeType nodeType(String name) {
            return nodeTypes.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(
                    () -> new IllegalArgumentException("No node type '" + name + "' in the schema; it has "
                            + nodeTypes.stream().map(NodeType::name).toList()));
        }
    }

    private TypedCsv() {
    }

    public static Schema readSchema(Path directory) throws IOException {
        Path file = directory.resolve("schema.txt");
        List<NodeType> types = new ArrayList<>();
        List<Relation> relations = new ArrayList<>();
        String block = null;
        boolean header = false;
        int lineNumber = 0;
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNumber++;
            String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.equals("[nodes]") || line.equals("[relations]")) {
                block = line;
                header = true;
                continue;
            }
            if (header) {
                header = false;
                continue;
            }
            String[] f = line.split(",");
            String where = file + " line " + lineNumber;
            if ("[nodes]".equals(block) && f.length == 5) {
                types.add(new NodeType(f[0], parseCount(f[1], where), parseCount(f[2], where), f[3].equals("target"),
                        f[4]));
            } else if ("[relations]".equals(block) && f.length == 5) {
                relations.add(new Relation(f[0], f[1], f[2], parseCount(f[3], where), f[4]));
            } else {
                throw new IOException(where + " is '" + line + "'; expected 5 fields under [nodes] or [relations]");
            }
        }
        if (types.stream().filter(NodeType::target).count() != 1) {
            throw new IOException(file + " must mark exactly one node type with role 'target'");
        }
        Schema schema = new Schema(List.copyOf(types), List.copyOf(relations));
        for (Relation relation : relations) {
            schema.nodeType(relation.sourceType());
            schema.nodeType(relation.targetType());
        }
        return schema;
    }

    /**
     * The graph with types ignored: the node types one after another in schema order (node (type, id) becomes
     * the type's offset + id), each type's features in its own block of columns, the target type's labels and
     * split (other nodes unlabelled, in no split), and every relation's edges as one list, each relationship
     * kept (as gat.train keeps parallel relationships of different types unless dropDuplicates).
     */
    public static Dataset loadUntyped(Path directory) throws IOException {
        String name = directory.getFileName().toString();
        Schema schema = readSchema(directory);
        Map<String, Integer> nodeOffset = new LinkedHashMap<>();
        List<PlanetoidCsv.NodeRows> rows = new ArrayList<>();
        int nodeCount = 0;
        int width = 0;
        int[] columnOffset = new int[schema.nodeTypes().size()];
        for (int t = 0; t < schema.nodeTypes().size(); t++) {
            NodeType type = schema.nodeTypes().get(t);
            PlanetoidCsv.NodeRows typeRows = PlanetoidCsv.readNodes(PlanetoidCsv.open(directory, plain(type.file())),
                    name + "/" + type.file());
            if (typeRows.count != type.count() || typeRows.width > type.featureColumns()) {
                throw new IOException(name + "/" + type.file() + " has " + typeRows.count + " nodes and "
                        + typeRows.width + " feature columns; schema.txt says " + type.count() + " and "
                        + type.featureColumns());
            }
            rows.add(typeRows);
            nodeOffset.put(type.name(), nodeCount);
            columnOffset[t] = width;
            nodeCount += type.count();
            width += type.featureColumns();
        }
        int[] labels = new int[nodeCount];
        byte[] splits = new byte[nodeCount];
        int[] offsets = new int[nodeCount + 1];
        int nonZeros = rows.stream().mapToInt(r -> r.offsets[r.count]).sum();
        int[] columns = new int[nonZeros];
        float[] values = new float[nonZeros];
        int node = 0;
        for (int t = 0; t < rows.size(); t++) {
            PlanetoidCsv.NodeRows typeRows = rows.get(t);
            boolean target = schema.nodeTypes().get(t).target();
            for (int i = 0; i < typeRows.count; i++, node++) {
                labels[node] = target ? typeRows.labels[i] : NodeLabels.NO_LABEL;
                splits[node] = target ? typeRows.splits[i] : 3;
                int from = typeRows.offsets[i];
                int length = typeRows.offsets[i + 1] - from;
                for (int k = 0; k < length; k++) {
                    columns[offsets[node] + k] = columnOffset[t] + typeRows.columns[from + k];
                }
                System.arraycopy(typeRows.values, from, values, offsets[node], length);
                offsets[node + 1] = offsets[node] + length;
            }
        }
        int[] sources = new int[schema.relations().stream().mapToInt(Relation::count).sum()];
        int[] targets = new int[sources.length];
        int edges = 0;
        for (Relation relation : schema.relations()) {
            int[][] read = PlanetoidCsv.readEdges(PlanetoidCsv.open(directory, plain(relation.file())),
                    schema.nodeType(relation.sourceType()).count(), schema.nodeType(relation.targetType()).count(),
                    name + "/" + relation.file());
            if (read[0].length != relation.count()) {
                throw new IOException(name + "/" + relation.file() + " has " + read[0].length
                        + " edges; schema.txt says " + relation.count());
            }
            int sourceOffset = nodeOffset.get(relation.sourceType());
            int targetOffset = nodeOffset.get(relation.targetType());
            for (int e = 0; e < read[0].length; e++, edges++) {
                sources[edges] = sourceOffset + read[0][e];
                targets[edges] = targetOffset + read[1][e];
            }
        }
        List<String> classNames = PlanetoidCsv.readClassNames(directory.resolve("labels.txt"));
        int classCount = Math.max(classNames.size(), Arrays.stream(labels).max().orElse(-1) + 1);
        PlanetoidCsv.NodeRows all = new PlanetoidCsv.NodeRows();
        all.count = nodeCount;
        all.splits = splits;
        NodeSplit split = new NodeSplit(all.split(0), all.split(1), all.split(2));
        return new Dataset(name, nodeCount, sources, targets, new SparseMatrix(nodeCount, width, offsets, columns,
                values), NodeLabels.singleLabel(labels, classCount), split, classNames);
    }

    /**
     * The graph with its types: each node type with its own features (as many columns as schema.txt gives it),
     * each relation of the schema a relation of the graph, read undirected (a relation within one type carries both
     * directions of each edge and a self loop per node; one between two types gains its rev_ relation), and the
     * target type's labels and split.
     */
    public static TypedDataset loadTyped(Path directory) throws IOException {
        String name = directory.getFileName().toString();
        Schema schema = readSchema(directory);
        TypedGraph.Builder graph = TypedGraph.builder();
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        PlanetoidCsv.NodeRows targetRows = null;
        String targetType = null;
        for (NodeType type : schema.nodeTypes()) {
            PlanetoidCsv.NodeRows rows = PlanetoidCsv.readNodes(PlanetoidCsv.open(directory, plain(type.file())),
                    name + "/" + type.file());
            if (rows.count != type.count() || rows.width > type.featureColumns()) {
                throw new IOException(name + "/" + type.file() + " has " + rows.count + " nodes and " + rows.width
                        + " feature columns; schema.txt says " + type.count() + " and " + type.featureColumns());
            }
            graph.nodeType(type.name(), type.count());
            features.put(type.name(), new SparseMatrix(rows.count, type.featureColumns(), rows.offsets, rows.columns,
                    rows.values));
            if (type.target()) {
                targetRows = rows;
                targetType = type.name();
            }
        }
        for (Relation relation : schema.relations()) {
            int[][] read = PlanetoidCsv.readEdges(PlanetoidCsv.open(directory, plain(relation.file())),
                    schema.nodeType(relation.sourceType()).count(), schema.nodeType(relation.targetType()).count(),
                    name + "/" + relation.file());
            if (read[0].length != relation.count()) {
                throw new IOException(name + "/" + relation.file() + " has " + read[0].length
                        + " edges; schema.txt says " + relation.count());
            }
            graph.relation(relation.sourceType(), relation.name(), relation.targetType(), read[0], read[1]);
        }
        List<String> classNames = PlanetoidCsv.readClassNames(directory.resolve("labels.txt"));
        int classCount = Math.max(classNames.size(), Arrays.stream(targetRows.labels).max().orElse(-1) + 1);
        NodeSplit split = new NodeSplit(targetRows.split(0), targetRows.split(1), targetRows.split(2));
        return new TypedDataset(name, graph.undirected().build(), features, targetType,
                NodeLabels.singleLabel(targetRows.labels, classCount), split, classNames);
    }

    /** A dataset folder in either layout: typed when it has {@code schema.txt}, else Planetoid's. */
    public static Dataset loadAny(Path directory) throws IOException {
        return Files.exists(directory.resolve("schema.txt")) ? loadUntyped(directory) : PlanetoidCsv.load(directory);
    }

    private static int parseCount(String text, String where) throws IOException {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IOException(where + " has '" + text + "' where a count belongs");
        }
    }

    /** schema.txt names the stored (.gz) file; {@link PlanetoidCsv#open} takes the plain name and finds either. */
    private static String plain(String file) {
        return file.endsWith(".gz") ? file.substring(0, file.length() - 3) : file;
    }
}
