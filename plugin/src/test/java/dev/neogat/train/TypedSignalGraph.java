package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Relation;
import dev.neogat.spec.TypedGatConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A generated typed graph whose class needs node types and a relationship property (issue 17's proof):
 * items (6 noise features) are rated by users (3 features: a kind, ±1, and two noise values), sold by shops
 * (5 noise features) or tagged by tags (no features: a learned input per label), and cite other items at
 * random. Each item is either sold by one shop or tagged by one tag, and rated by two users of opposite kinds,
 * one rating with a high weight (in [0.6, 1]) and one with a low weight (in [0, 0.4]). Its class (of four) is
 * 2 · (sold by a shop rather than tagged) + (the kind of the user whose rating weighs more is +1).
 *
 * <p>So the class depends (a) on the node type of a neighbour (shop or tag, whose features say nothing) and (b)
 * on the relationship property {@code weight} (which of the two users counts). The typed model with the
 * relationship property in attention can learn both; without the property, (b) is a coin toss (the two users
 * look alike but for their kinds); the untyped model sees one node set with features zero-padded to the widest
 * type, all relationships alike (the weight on ratings, zero on the others).
 */
public final class TypedSignalGraph {

    public static final String ITEM = "item";
    public static final Relation RATES = new Relation("user", "rates", ITEM);
    public static final Relation SELLS = new Relation("shop", "sells", ITEM);
    public static final Relation TAGGED = new Relation("tag", "tagged", ITEM);
    public static final Relation CITES = new Relation(ITEM, "cites", ITEM);
    public static final int CLASSES = 4;
    private static final Map<String, Integer> WIDTHS = Map.of(ITEM, 6, "user", 3, "shop", 5);
    private static final int PADDED_WIDTH = 6;
    private static final int TAG_INPUT_WIDTH = 8;

    private final TypedTrainingData typed;
    private final TrainingData untyped;

    /** {@code items} items, items/4 users, items/20 shops, items/50 tags (at least 2 of each). */
    public TypedSignalGraph(int items, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int users = Math.max(2, items / 4);
        int shops = Math.max(2, items / 20);
        int tags = Math.max(2, items / 50);
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put(ITEM, items);
        counts.put("user", users);
        counts.put("shop", shops);
        counts.put("tag", tags);

        float[] kind = new float[users];
        List<Integer> positive = new ArrayList<>();
        List<Integer> negative = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            kind[u] = u % 2 == 0 ? 1f : -1f;
            (kind[u] > 0 ? positive : negative).add(u);
        }
        int[] classOf = new int[items];
        int[][] rates = new int[2][2 * items];
        float[] weight = new float[2 * items];
        List<int[]> sells = new ArrayList<>();
        List<int[]> tagged = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            boolean sold = random.nextBoolean();
            if (sold) {
                sells.add(new int[]{random.nextInt(shops), i});
            } else {
                tagged.add(new int[]{random.nextInt(tags), i});
            }
            int up = positive.get(random.nextInt(positive.size()));
            int down = negative.get(random.nextInt(negative.size()));
            boolean upWeighsMore = random.nextBoolean();
            // The two ratings in random order, so the edge order says nothing.
            boolean upFirst = random.nextBoolean();
            int first = 2 * i;
            int second = 2 * i + 1;
            rates[0][upFirst ? first : second] = up;
            rates[0][upFirst ? second : first] = down;
            rates[1][first] = i;
            rates[1][second] = i;
            float high = (float) (0.6 + 0.4 * random.nextDouble());
            float low = (float) (0.4 * random.nextDouble());
            weight[upFirst ? first : second] = upWeighsMore ? high : low;
            weight[upFirst ? second : first] = upWeighsMore ? low : high;
            classOf[i] = 2 * (sold ? 1 : 0) + (upWeighsMore ? 1 : 0);
        }
        int citations = 2 * items;
        int[][] cites = new int[2][citations];
        for (int e = 0; e < citations; e++) {
            cites[0][e] = random.nextInt(items);
            cites[1][e] = random.nextInt(items);
        }

        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        features.put(ITEM, noise(items, WIDTHS.get(ITEM), random));
        DenseMatrix userFeatures = noise(users, WIDTHS.get("user"), random);
        for (int u = 0; u < users; u++) {
            userFeatures.data()[u * WIDTHS.get("user")] = kind[u];
        }
        features.put("user", userFeatures);
        features.put("shop", noise(shops, WIDTHS.get("shop"), random));

        TypedGraph graph = TypedGraph.builder().nodeType(ITEM, items).nodeType("user", users).nodeType("shop", shops)
                .nodeType("tag", tags)
                .relation(CITES.sourceType(), CITES.name(), CITES.targetType(), cites[0], cites[1])
                .relation(RATES.sourceType(), RATES.name(), RATES.targetType(), rates[0], rates[1])
                .relation(SELLS.sourceType(), SELLS.name(), SELLS.targetType(), column(sells, 0), column(sells, 1))
                .relation(TAGGED.sourceType(), TAGGED.name(), TAGGED.targetType(), column(tagged, 0),
                        column(tagged, 1))
                .build();
        NodeLabels labels = NodeLabels.singleLabel(classOf, CLASSES);
        NodeSplit split = NodeSplit.random(labels, 0.6, 0.2, seed);
        typed = new TypedTrainingData(graph, features, ITEM, labels, split,
                Map.of(RATES, new DenseMatrix(2 * items, 1, weight)));

        // One node set in the order item, user, shop, tag; each relation's edges in the typed graph's order.
        Map<String, Integer> offset = new LinkedHashMap<>();
        int nodes = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            offset.put(e.getKey(), nodes);
            nodes += e.getValue();
        }
        float[] x = new float[nodes * PADDED_WIDTH];
        for (Map.Entry<String, FeatureMatrix> e : features.entrySet()) {
            DenseMatrix m = (DenseMatrix) e.getValue();
            for (int r = 0; r < m.rows(); r++) {
                System.arraycopy(m.data(), r * m.cols(), x, (offset.get(e.getKey()) + r) * PADDED_WIDTH, m.cols());
            }
        }
        List<int[]> edges = new ArrayList<>();
        List<Float> edgeWeights = new ArrayList<>();
        for (Relation r : graph.relations()) {
            int[][] given = r.equals(CITES) ? cites : r.equals(RATES) ? rates
                    : new int[][]{column(r.equals(SELLS) ? sells : tagged, 0), column(r.equals(SELLS) ? sells : tagged, 1)};
            for (int k = 0; k < given[0].length; k++) {
                edges.add(new int[]{offset.get(r.sourceType()) + given[0][k], offset.get(r.targetType()) + given[1][k]});
                edgeWeights.add(r.equals(RATES) ? weight[k] : 0f);
            }
        }
        int[] untypedClass = new int[nodes];
        java.util.Arrays.fill(untypedClass, NodeLabels.NO_LABEL);
        System.arraycopy(classOf, 0, untypedClass, 0, items);
        float[] untypedWeight = new float[edges.size()];
        for (int k = 0; k < untypedWeight.length; k++) {
            untypedWeight[k] = edgeWeights.get(k);
        }
        untyped = new TrainingData(new GraphBuilder(nodes).build(column(edges, 0), column(edges, 1)),
                new DenseMatrix(nodes, PADDED_WIDTH, x), NodeLabels.singleLabel(untypedClass, CLASSES), split,
                new DenseMatrix(edges.size(), 1, untypedWeight));
    }

    /** With the relationship property {@code weight} on ratings. */
    public TypedTrainingData typed() {
        return typed;
    }

    /** The same graph without relationship features. */
    public TypedTrainingData typedWithoutRelationshipFeatures() {
        return new TypedTrainingData(typed.graph(), typed.features(), typed.targetType(), typed.labels(),
                typed.split());
    }

    /** One node set (items first, so the split's indices hold), features zero-padded, the weight on every edge. */
    public TrainingData untyped() {
        return untyped;
    }

    /** 2 layers of {@code heads} heads of 8 channels, tags learning 8 input values, dropout 0.2. */
    public TypedGatConfig.Builder config(boolean relationshipFeatures, int heads) {
        Map<String, Integer> widths = new LinkedHashMap<>();
        for (String type : typed.graph().nodeTypes()) {
            if (WIDTHS.containsKey(type)) {
                widths.put(type, WIDTHS.get(type));
            }
        }
        return TypedGatConfig.builder(widths, typed.graph().relations(), ITEM, CLASSES)
                .featureless("tag", FeaturelessInput.perLabel(TAG_INPUT_WIDTH)).hiddenHeads(heads).hiddenChannels(8)
                .dropout(0.2).edgeDim(RATES, relationshipFeatures ? 1 : 0);
    }

    /** The untyped model of the same size, with the relationship weight in attention. */
    public GatConfig untypedConfig(int heads) {
        return GatConfig.builder(PADDED_WIDTH, CLASSES).hiddenHeads(heads).hiddenChannels(8).dropout(0.2)
                .messageDropout(0).normalizeFeatures(false).edgeDim(1).build();
    }

    private static int[] column(List<int[]> pairs, int index) {
        int[] values = new int[pairs.size()];
        for (int k = 0; k < values.length; k++) {
            values[k] = pairs.get(k)[index];
        }
        return values;
    }

    private static DenseMatrix noise(int rows, int cols, SplittableRandom random) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return new DenseMatrix(rows, cols, values);
    }
}
