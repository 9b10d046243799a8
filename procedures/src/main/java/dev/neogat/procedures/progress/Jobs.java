package dev.neogat.procedures.progress;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The jobs running on this server, for {@code gat.progress()}; a job leaves the list when it is closed. */
public final class Jobs {

    private static final ConcurrentHashMap<Long, Job> RUNNING = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();

    private Jobs() {
    }

    /** A running procedure call: what it is doing and how far it is. */
    public static final class Job implements AutoCloseable {
        private final long id;
        private final String kind;
        private final String modelName;
        private final String database;
        private final String user;
        private final long startNanos = System.nanoTime();
        private volatile String phase = "starting";
        private volatile int epoch;
        private volatile int maxEpochs;
        private volatile double loss = Double.NaN;
        private volatile double validationScore = Double.NaN;
        private volatile long done;
        private volatile long total;

        private Job(long id, String kind, String modelName, String database, String user) {
            this.id = id;
            this.kind = kind;
            this.modelName = modelName;
            this.database = database;
            this.user = user;
        }

        public void phase(String newPhase) {
            phase = newPhase;
            done = 0;
            total = 0;
        }

        public void epoch(int current, int max, double currentLoss, double currentValidationScore) {
            epoch = current;
            maxEpochs = max;
            loss = currentLoss;
            validationScore = currentValidationScore;
        }

        /** Progress within the phase, e.g. properties written of all to write. */
        public void progress(long doneSoFar, long totalToDo) {
            done = doneSoFar;
            total = totalToDo;
        }

        public long id() {
            return id;
        }

        public String kind() {
            return kind;
        }

        public String modelName() {
            return modelName;
        }

        public String database() {
            return database;
        }

        public String user() {
            return user;
        }

        public String phase() {
            return phase;
        }

        public int epoch() {
            return epoch;
        }

        public int maxEpochs() {
            return maxEpochs;
        }

        public double loss() {
            return loss;
        }

        public double validationScore() {
            return validationScore;
        }

        public long done() {
            return done;
        }

        public long total() {
            return total;
        }

        public long elapsedMillis() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }

        @Override
        public void close() {
            RUNNING.remove(id);
        }
    }

    public static Job start(String kind, String modelName, String database, String user) {
        Job job = new Job(IDS.incrementAndGet(), kind, modelName, database, user);
        RUNNING.put(job.id, job);
        return job;
    }

    public static List<Job> running() {
        List<Job> jobs = new ArrayList<>(RUNNING.values());
        jobs.sort(Comparator.comparingLong(Job::id));
        return jobs;
    }
}
