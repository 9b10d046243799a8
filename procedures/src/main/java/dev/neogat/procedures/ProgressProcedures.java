package dev.neogat.procedures;

import dev.neogat.procedures.progress.Jobs;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Procedure;

import java.util.stream.Stream;

/** {@code gat.progress}. */
public class ProgressProcedures {

    /** A running job. */
    public static final class ProgressRow {
        public long jobId;
        public String kind;
        public String modelName;
        public String database;
        public String phase;
        public long epoch;
        public long maxEpochs;
        public Double loss;
        public Double validationScore;
        public long done;
        public long total;
        public long elapsedMillis;
    }

    @Procedure(name = "gat.progress", mode = Mode.READ)
    @Description("Lists the gat.* jobs running on this server: what they do (phase), the epoch and loss of trainings, "
            + "how much of a write is done, and how long they have been running.")
    public Stream<ProgressRow> progress() {
        return Jobs.running().stream().map(job -> {
            ProgressRow row = new ProgressRow();
            row.jobId = job.id();
            row.kind = job.kind();
            row.modelName = job.modelName();
            row.database = job.database();
            row.phase = job.phase();
            row.epoch = job.epoch();
            row.maxEpochs = job.maxEpochs();
            row.loss = Double.isNaN(job.loss()) ? null : job.loss();
            row.validationScore = Double.isNaN(job.validationScore()) ? null : job.validationScore();
            row.done = job.done();
            row.total = job.total();
            row.elapsedMillis = job.elapsedMillis();
            return row;
        });
    }
}
