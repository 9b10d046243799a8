package dev.neogat.procedures.load;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class NodeIdMapTest {

    @Test
    void mapsEveryIdBothWaysWhetherPresizedOrGrown() {
        for (int expected : new int[] {1, 1000, 200_000}) {
            NodeIdMap map = new NodeIdMap(expected);
            SplittableRandom random = new SplittableRandom(expected);
            long[] ids = new long[200_000];
            for (int i = 0; i < ids.length; i++) {
                // Dense ids first, then scattered ones, as a store with deletions gives them.
                ids[i] = i < 100_000 ? i : 1_000_000 + random.nextLong(1L << 40);
                int dense = map.add(ids[i]);
                if (dense != i) {
                    // A scattered id drawn twice keeps its first dense id.
                    assertThat(map.toNeo4j(dense)).isEqualTo(ids[i]);
                    ids[i] = -2;
                }
            }
            int size = map.size();
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] >= 0) {
                    int dense = map.toDense(ids[i]);
                    assertThat(map.toNeo4j(dense)).isEqualTo(ids[i]);
                    assertThat(map.add(ids[i])).isEqualTo(dense);
                }
            }
            assertThat(map.size()).isEqualTo(size);
            assertThat(map.toDense(999_999)).isEqualTo(-1);
        }
    }

    @Test
    void aPresizedTableHoldsItsIdsWithinTheLoadLimit() {
        assertThat(NodeIdMap.tableSize(10_000_000)).isEqualTo(1 << 24);
        assertThat(NodeIdMap.tableSize(16)).isEqualTo(32);
        assertThat(NodeIdMap.tableSize(0)).isEqualTo(32);
        for (int n = 1; n < 5000; n++) {
            int table = NodeIdMap.tableSize(n);
            assertThat(Integer.bitCount(table)).isEqualTo(1);
            assertThat((double) Math.max(16, n)).isLessThanOrEqualTo(0.7 * table);
            assertThat((double) Math.max(16, n)).isGreaterThan(0.7 * table / 2 - 1);
        }
    }
}
