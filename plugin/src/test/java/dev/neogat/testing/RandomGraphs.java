package dev.neogat.testing;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;

import java.util.SplittableRandom;

/** Small random graphs for tests: uniform random edges, optionally leaving some nodes without in-edges. */
public final class RandomGraphs {

    private RandomGraphs() {
    }

    /** {@code edges} random edges among {@code nodes} nodes; node 0 gets no incoming edge when {@code isolateNodeZero}. */
    public static int[][] edges(int nodes, int edges, long seed, boolean isolateNodeZero) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] sources = new int[edges];
        int[] targets = new int[edges];
        for (int e = 0; e < edges; e++) {
            sources[e] = random.nextInt(nodes);
            targets[e] = isolateNodeZero ? 1 + random.nextInt(nodes - 1) : random.nextInt(nodes);
        }
        return new int[][]{sources, targets};
    }

    public static IncomingCsr graph(int nodes, int edges, long seed, boolean selfLoops) {
        int[][] e = edges(nodes, edges, seed, !selfLoops);
        return new GraphBuilder(nodes).selfLoops(selfLoops).build(e[0], e[1]);
    }
}
