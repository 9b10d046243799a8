package dev.neogat.datasets;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic class-structured graphs that look like citation networks: every node has a class;
 * each edge joins two nodes of the same class with probability {@code homophily}, otherwise two random
 * nodes; features are either a binary bag of words (most words drawn from the class's own part of the
 * vocabulary) or dense Gaussian vectors around a class centroid. A bag of words using more than a quarter
 * of the vocabulary per node is stored dense, as the Neo4j loader stores such features. The split is the Planetoid one: 20
 * training nodes per class, then validation and test nodes.
 */
public final class SyntheticGraphs {

    /** Shape of a generated graph. */
    public record Spec(int nodes, double averageDegree, int classes, int featureDim, boolean sparseFeatures,
                       int wordsPerNode, double homophily, double featureNoise, int validationNodes, int testNodes,
                       long seed) {

        public Spec {
            if (nodes < 2 || classes < 1 || featureDim < 1 || averageDegree < 0) {
                throw new IllegalArgumentException("A synthetic graph needs at least 2 nodes, 1 class, 1 feature and "
                        + "a non-negative degree");
            }
            if (20L * classes + validationNodes + testNodes > nodes) {
                throw new IllegalArgumentException("Not enough nodes (" + nodes + ") for 20 training nodes per class, "
                        + validationNodes + " validation and " + testNodes + " test nodes");
            }
        }

        /**
         * A Cora-sized citation-like graph: 2708 nodes, 7 classes, 1433 sparse binary features; noisy enough
         * that neither words nor citations alone give the class away.
         */
        public static Spec citationLike(long seed) {
            return new Spec(2708, 3.9, 7, 1433, true, 18, 0.75, 0.8, 500, 1000, seed);
        }

        /**
         * Dense bag-of-words input as issue 14 reported it: 3000 nodes, average degree 32, 8 classes, 745 binary
         * features of which a third are set per node (stored dense).
         */
        public static Spec denseWords(long seed) {
            return new Spec(3000, 32, 8, 745, true, 248, 0.7, 0.85, 500, 1000, seed);
        }

        /** A scaling graph: {@code nodes} nodes, average degree 10, 64 dense features, 10 classes. */
        public static Spec scaling(int nodes, long seed) {
            return new Spec(nodes, 10, 10, 64, false, 0, 0.7, 3.0, Math.min(500, nodes / 10),
                    Math.min(1000, nodes / 10), seed);
        }
    }

    /** Names for the first classes, so that generated papers read like papers. */
    private static final List<String> SUBJECTS = List.of("Databases", "Graph_Theory", "Machine_Learning", "Networking",
            "Optimization", "Statistics", "Systems", "Security", "Linguistics", "Vision");

    private SyntheticGraphs() {
    }

    public static Dataset generate(Spec spec) {
        SplittableRandom random = new SplittableRandom(spec.seed());
        int n = spec.nodes();
        int[] classOf = new int[n];
        for (int i = 0; i < n; i++) {
            classOf[i] = random.nextInt(spec.classes());
        }
        int[][] members = membersByClass(classOf, spec.classes());
        long edgeCountLong = Math.round(n * spec.averageDegree() / 2);
        if (edgeCountLong > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("Too many edges requested: " + edgeCountLong);
        }
        int edgeCount = (int) edgeCountLong;
        int[] sources = new int[edgeCount];
        int[] targets = new int[edgeCount];
        for (int e = 0; e < edgeCount; e++) {
            int s = random.nextInt(n);
            int t;
            do {
                if (random.nextDouble() < spec.homophily()) {
                    int[] sameClass = members[classOf[s]];
                    t = sameClass[random.nextInt(sameClass.length)];
                } else {
                    t = random.nextInt(n);
                }
            } while (t == s);
            sources[e] = s;
            targets[e] = t;
        }
        FeatureMatrix features = !spec.sparseFeatures() ? gaussian(spec, classOf, random)
                : 4L * spec.wordsPerNode() > spec.featureDim() ? denseWords(spec, classOf, random)
                : bagOfWords(spec, classOf, random);
        List<String> classNames = new ArrayList<>();
        for (int c = 0; c < spec.classes(); c++) {
            classNames.add(c < SUBJECTS.size() ? SUBJECTS.get(c) : "Subject_" + c);
        }
        return new Dataset("synthetic-" + n, n, sources, targets, features,
                NodeLabels.singleLabel(classOf, spec.classes()), planetoidSplit(spec, classOf, random), classNames);
    }

    private static int[][] membersByClass(int[] classOf, int classes) {
        int[] counts = new int[classes];
        for (int c : classOf) {
            counts[c]++;
        }
        int[][] members = new int[classes][];
        for (int c = 0; c < classes; c++) {
            members[c] = new int[counts[c]];
        }
        int[] fill = new int[classes];
        for (int i = 0; i < classOf.length; i++) {
            members[classOf[i]][fill[classOf[i]]++] = i;
        }
        return members;
    }

    /** Binary bag of words: each class owns a slice of the vocabulary; noise words come from anywhere. */
    private static SparseMatrix bagOfWords(Spec spec, int[] classOf, SplittableRandom random) {
        int n = spec.nodes();
        int vocabulary = spec.featureDim();
        int slice = Math.max(1, vocabulary / spec.classes());
        int[] offsets = new int[n + 1];
        List<int[]> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] words = new int[spec.wordsPerNode()];
            for (int w = 0; w < words.length; w++) {
                words[w] = random.nextDouble() < spec.featureNoise() ? random.nextInt(vocabulary)
                        : Math.min(vocabulary - 1, classOf[i] * slice + random.nextInt(slice));
            }
            int[] distinct = Arrays.stream(words).sorted().distinct().toArray();
            rows.add(distinct);
            offsets[i + 1] = offsets[i] + distinct.length;
        }
        int[] columns = new int[offsets[n]];
        float[] values = new float[offsets[n]];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows.get(i), 0, columns, offsets[i], rows.get(i).length);
        }
        Arrays.fill(values, 1f);
        return new SparseMatrix(n, vocabulary, offsets, columns, values);
    }

    /**
     * Binary bag of words with about {@code wordsPerNode} words per node, each word drawn independently (so
     * that a large share of a small vocabulary stays exact): a share {@code 1 - featureNoise} of the expected
     * words spread over the class's slice, the rest over the whole vocabulary.
     */
    private static DenseMatrix denseWords(Spec spec, int[] classOf, SplittableRandom random) {
        int n = spec.nodes();
        int vocabulary = spec.featureDim();
        int slice = Math.max(1, vocabulary / spec.classes());
        double outside = spec.featureNoise() * spec.wordsPerNode() / vocabulary;
        double inside = Math.min(1, outside + (1 - spec.featureNoise()) * spec.wordsPerNode() / slice);
        float[] data = new float[Math.multiplyExact(n, vocabulary)];
        for (int i = 0; i < n; i++) {
            int first = classOf[i] * slice;
            for (int j = 0; j < vocabulary; j++) {
                boolean own = j >= first && j < first + slice;
                data[i * vocabulary + j] = random.nextDouble() < (own ? inside : outside) ? 1f : 0f;
            }
        }
        return new DenseMatrix(n, vocabulary, data);
    }

    /** Dense features: a random unit-variance centroid per class plus Gaussian noise of the given scale. */
    private static DenseMatrix gaussian(Spec spec, int[] classOf, SplittableRandom random) {
        int d = spec.featureDim();
        float[][] centroids = new float[spec.classes()][d];
        for (float[] centroid : centroids) {
            for (int j = 0; j < d; j++) {
                centroid[j] = (float) gaussian(random);
            }
        }
        float[] data = new float[Math.multiplyExact(spec.nodes(), d)];
        for (int i = 0; i < spec.nodes(); i++) {
            float[] centroid = centroids[classOf[i]];
            for (int j = 0; j < d; j++) {
                data[i * d + j] = centroid[j] + (float) (spec.featureNoise() * gaussian(random));
            }
        }
        return new DenseMatrix(spec.nodes(), d, data);
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** 20 training nodes per class, then validation and test nodes, from a seeded shuffle. */
    private static NodeSplit planetoidSplit(Spec spec, int[] classOf, SplittableRandom random) {
        int n = spec.nodes();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        int[] perClass = new int[spec.classes()];
        boolean[] used = new boolean[n];
        List<Integer> train = new ArrayList<>();
        for (int node : order) {
            if (perClass[classOf[node]] < 20) {
                perClass[classOf[node]]++;
                used[node] = true;
                train.add(node);
            }
        }
        int[] rest = Arrays.stream(order).filter(node -> !used[node]).toArray();
        int[] validation = Arrays.copyOfRange(rest, 0, spec.validationNodes());
        int[] test = Arrays.copyOfRange(rest, spec.validationNodes(), spec.validationNodes() + spec.testNodes());
        Arrays.sort(validation);
        Arrays.sort(test);
        return new NodeSplit(train.stream().mapToInt(Integer::intValue).sorted().toArray(), validation, test);
    }
}
