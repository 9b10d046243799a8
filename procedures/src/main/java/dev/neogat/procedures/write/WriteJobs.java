package dev.neogat.procedures.write;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * The write transactions' work split into jobs that may run at the same time without waiting for each
 * other's locks. A job is a list of entity indices, written in transactions of at most {@code batchSize}
 * one after another, and claims up to two node partitions; {@link #take()} hands out only a job whose
 * partitions no running job holds.
 *
 * <p>Why relationships need claims: in Neo4j 5 (record format) committing a changed relationship property
 * takes an exclusive lock on each of its end nodes that is not dense, in the storage engine's relationship
 * modifier. Two transactions whose relationships share an end node wait for each other, and with several
 * shared nodes locked in different orders they deadlock. Cutting the nodes into partitions and the
 * relationships into cells by the partitions of their two ends, cells with disjoint partitions touch
 * disjoint nodes; setting a node property locks only that node, so node ranges need no claims.
 *
 * <p>One case reaches a hop further: a sparse node with exactly as many relationships as the dense-node
 * threshold ({@code db.relationship_grouping_threshold}, 50) counts as "going to be dense" on any change and
 * locks every relationship of its chain, so two such neighbours written by disjoint jobs could deadlock on the
 * relationships around them. Those nodes are given to the caller as {@code togetherNodes} and all put in one
 * partition, so at most one running job holds any of them.
 */
final class WriteJobs {

    /** Entities {@code indices[from..to)} (or {@code from..to} themselves when indices is null). */
    record Job(int firstPartition, int secondPartition, int[] indices, int from, int to) {
        int size() {
            return to - from;
        }

        int entity(int position) {
            return indices == null ? position : indices[position];
        }
    }

    private final List<Job> pending;
    private final boolean[] busy;
    private int running;
    private boolean stopped;

    private WriteJobs(List<Job> pending, int partitions) {
        this.pending = pending;
        this.busy = new boolean[partitions];
    }

    /** Node writes: each range of {@code batchSize} nodes is a job of its own. */
    static WriteJobs nodeRanges(int nodeCount, int batchSize) {
        List<Job> jobs = new ArrayList<>();
        for (int start = 0; start < nodeCount; start += batchSize) {
            jobs.add(new Job(-1, -1, null, start, (int) Math.min(nodeCount, (long) start + batchSize)));
        }
        return new WriteJobs(jobs, 0);
    }

    /**
     * Relationship writes: nodes in {@code partitions} groups of about equal total degree, one job per pair of
     * groups holding the relationships between them (largest first, so the long jobs start early). The nodes
     * flagged in {@code togetherNodes} (may be null) all go to partition 0, so no two of them are written at once.
     */
    static WriteJobs relationshipCells(int nodeCount, int[] startNode, int[] endNode, boolean[] togetherNodes,
                                       int partitions) {
        int[] partitionOf = partitionByDegree(nodeCount, startNode, endNode, togetherNodes, partitions);
        int cells = partitions * partitions;
        int[] cellSize = new int[cells];
        for (int r = 0; r < startNode.length; r++) {
            cellSize[cell(partitionOf[startNode[r]], partitionOf[endNode[r]], partitions)]++;
        }
        int[] cellStart = new int[cells + 1];
        for (int c = 0; c < cells; c++) {
            cellStart[c + 1] = cellStart[c] + cellSize[c];
        }
        int[] order = new int[startNode.length];
        int[] fill = Arrays.copyOf(cellStart, cells);
        for (int r = 0; r < startNode.length; r++) {
            order[fill[cell(partitionOf[startNode[r]], partitionOf[endNode[r]], partitions)]++] = r;
        }
        List<Job> jobs = new ArrayList<>();
        for (int c = 0; c < cells; c++) {
            if (cellSize[c] > 0) {
                jobs.add(new Job(c / partitions, c % partitions, order, cellStart[c], cellStart[c + 1]));
            }
        }
        jobs.sort(Comparator.comparingInt(Job::size).reversed());
        return new WriteJobs(jobs, partitions);
    }

    /** The cell of an unordered pair of partitions. */
    private static int cell(int a, int b, int partitions) {
        return Math.min(a, b) * partitions + Math.max(a, b);
    }

    /**
     * Flagged nodes to partition 0, then the others by falling degree each to the partition with the least
     * degree so far, so each partition gets about the same degree.
     */
    static int[] partitionByDegree(int nodeCount, int[] startNode, int[] endNode, boolean[] togetherNodes,
                                   int partitions) {
        long[] degreeAndNode = new long[nodeCount];
        for (int r = 0; r < startNode.length; r++) {
            degreeAndNode[startNode[r]] += 1L << 32;
            degreeAndNode[endNode[r]] += 1L << 32;
        }
        int[] partitionOf = new int[nodeCount];
        long[] load = new long[partitions];
        for (int n = 0; n < nodeCount; n++) {
            if (togetherNodes != null && togetherNodes[n]) {
                load[0] += degreeAndNode[n] >>> 32;
                degreeAndNode[n] = -1;
            } else {
                degreeAndNode[n] |= n;
            }
        }
        Arrays.sort(degreeAndNode);
        for (int rank = nodeCount - 1; rank >= 0 && degreeAndNode[rank] >= 0; rank--) {
            int lightest = 0;
            for (int p = 1; p < partitions; p++) {
                if (load[p] < load[lightest]) {
                    lightest = p;
                }
            }
            partitionOf[(int) degreeAndNode[rank]] = lightest;
            load[lightest] += degreeAndNode[rank] >>> 32;
        }
        return partitionOf;
    }

    /**
     * The next job none of whose partitions is held by a running job, waiting while every pending job
     * conflicts with a running one; null when no job is left or the write stopped.
     */
    synchronized Job take() throws InterruptedException {
        while (!stopped && !pending.isEmpty()) {
            for (Iterator<Job> it = pending.iterator(); it.hasNext(); ) {
                Job job = it.next();
                if (isFree(job)) {
                    it.remove();
                    hold(job, true);
                    running++;
                    return job;
                }
            }
            wait();
        }
        return null;
    }

    /** Releases the partitions of a job that ended, committed or not. */
    synchronized void finished(Job job) {
        hold(job, false);
        running--;
        notifyAll();
    }

    /** No job is handed out after this. */
    synchronized void stop() {
        stopped = true;
        notifyAll();
    }

    synchronized int jobCount() {
        return pending.size() + running;
    }

    private boolean isFree(Job job) {
        return (job.firstPartition < 0 || !busy[job.firstPartition])
                && (job.secondPartition < 0 || !busy[job.secondPartition]);
    }

    private void hold(Job job, boolean held) {
        if (job.firstPartition >= 0) {
            busy[job.firstPartition] = held;
        }
        if (job.secondPartition >= 0) {
            busy[job.secondPartition] = held;
        }
    }
}
