package dev.neogat.procedures;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;

import java.nio.file.Path;
import java.util.List;

/** An in-process Neo4j with the gat.* procedures registered, for tests. */
public final class Harness {

    static final List<Class<?>> PROCEDURES = List.of(TrainProcedures.class, PredictProcedures.class,
            AttentionProcedures.class, EmbedProcedures.class, ModelProcedures.class, ProgressProcedures.class,
            DeviceProcedures.class, ExplainProcedures.class);

    private Harness() {
    }

    /** A server in {@code workingDirectory}; {@code importDirectory} (may be null) is LOAD CSV's root. */
    public static Neo4j start(Path workingDirectory, Path importDirectory) {
        Neo4jBuilder builder = Neo4jBuilders.newInProcessBuilder(workingDirectory).withDisabledServer();
        for (Class<?> procedures : PROCEDURES) {
            builder = builder.withProcedure(procedures);
        }
        if (importDirectory != null) {
            builder = builder.withConfig(GraphDatabaseSettings.load_csv_file_url_root, importDirectory);
        }
        return builder.build();
    }

    public static GraphDatabaseService db(Neo4j neo4j) {
        return neo4j.defaultDatabaseService();
    }
}
