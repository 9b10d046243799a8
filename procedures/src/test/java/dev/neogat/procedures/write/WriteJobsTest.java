package dev.neogat.procedures.write;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The jobs of a relationship write cover every relationship once and never run on a shared node. */
class WriteJobsTest {

    private static final int NODES = 2_000;
    private static final int RELATIONSHIPS = 40_000;

    private final int[] start = new int[RELATIONSHIPS];
    private final int[] end = new int[RELATIONSHIPS];

    WriteJobsTest() {
        SplittableRandom random = new SplittableRandom(3);
        for (int r = 0; r < RELATIONSHIPS; r++) {
            // hubs: low indices are drawn far more often
            start[r] = random.nextInt(NODES);
            end[r] = (int) (NODES * Math.pow(random.nextDouble(), 3));
        }
    }

    @Test
    void everyRelationshipIsInOneJobWhosePartitionsHoldBothEnds() throws InterruptedException {
        int partitions = 16;
        int[] partitionOf = WriteJobs.partitionByDegree(NODES, start, end, null, partitions);
        WriteJobs jobs = WriteJobs.relationshipCells(NODES, start, end, null, partitions);
        int[] seen = new int[RELATIONSHIPS];
        WriteJobs.Job job;
        while ((job = jobs.take()) != null) {
            for (int position = job.from(); position < job.to(); position++) {
                int r = job.entity(position);
                seen[r]++;
                assertThat(List.of(job.firstPartition(), job.secondPartition()))
                        .contains(partitionOf[start[r]], partitionOf[end[r]]);
            }
            jobs.finished(job);
        }
        assertThat(seen).containsOnly(1);
    }

    @Test
    void flaggedNodesShareOnePartition() {
        boolean[] together = new boolean[NODES];
        for (int n = 0; n < NODES; n += 97) {
            together[n] = true;
        }
        int[] partitionOf = WriteJobs.partitionByDegree(NODES, start, end, together, 16);
        for (int n = 0; n < NODES; n++) {
            if (together[n]) {
                assertThat(partitionOf[n]).as("partition of flagged node %d", n).isZero();
            }
        }
        assertThat(partitionOf).as("the other nodes spread over all partitions").contains(1, 15);
    }

    @Test
    void partitionsCarryAboutTheSameDegree() {
        int partitions = 16;
        int[] partitionOf = WriteJobs.partitionByDegree(NODES, start, end, null, partitions);
        long[] degree = new long[partitions];
        long maxNodeDegree = 0;
        long[] nodeDegree = new long[NODES];
        for (int r = 0; r < RELATIONSHIPS; r++) {
            degree[partitionOf[start[r]]]++;
            degree[partitionOf[end[r]]]++;
            maxNodeDegree = Math.max(maxNodeDegree, ++nodeDegree[start[r]]);
            maxNodeDegree = Math.max(maxNodeDegree, ++nodeDegree[end[r]]);
        }
        long mean = 2L * RELATIONSHIPS / partitions;
        for (long d : degree) {
            assertThat(Math.abs(d - mean)).as("a partition's degree against the mean %d", mean)
                    .isLessThanOrEqualTo(maxNodeDegree);
        }
    }

    @Test
    void jobsRunningAtOnceNeverShareANode() throws InterruptedException {
        int partitions = 16;
        int[] partitionOf = WriteJobs.partitionByDegree(NODES, start, end, null, partitions);
        WriteJobs jobs = WriteJobs.relationshipCells(NODES, start, end, null, partitions);
        Set<Integer> nodesInUse = ConcurrentHashMap.newKeySet();
        List<String> clashes = new CopyOnWriteArrayList<>();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    WriteJobs.Job job;
                    while ((job = jobs.take()) != null) {
                        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                        Set<Integer> mine = new java.util.HashSet<>();
                        for (int position = job.from(); position < job.to(); position++) {
                            int r = job.entity(position);
                            mine.add(start[r]);
                            mine.add(end[r]);
                        }
                        for (int node : mine) {
                            if (!nodesInUse.add(node)) {
                                clashes.add("node " + node + " (partition " + partitionOf[node] + ")");
                            }
                        }
                        Thread.sleep(1);
                        nodesInUse.removeAll(mine);
                        running.decrementAndGet();
                        jobs.finished(job);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join(60_000);
        }
        assertThat(clashes).isEmpty();
        assertThat(mostAtOnce.get()).as("jobs that ran at the same time").isGreaterThan(1);
    }

    @Test
    void partitionsAreTwoPerThreadUnlessCellsWouldBeFarSmallerThanABatch() {
        assertThat(PropertyWriter.partitions(125_000, 5_000, 10_000, 1)).isEqualTo(1);
        assertThat(PropertyWriter.partitions(125_000, 5_000, 500, 8)).isEqualTo(16);
        assertThat(PropertyWriter.partitions(125_000, 5_000, 10_000, 8)).isEqualTo(5);
        assertThat(PropertyWriter.partitions(100, 5_000, 10_000, 8)).isEqualTo(2);
        assertThat(PropertyWriter.partitions(10_000_000, 1_000_000, 10_000, 8)).isEqualTo(16);
    }
}
