package dev.neogat.procedures;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.kernel.api.procedure.GlobalProcedures;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

import java.nio.file.Path;

/**
 * An in-process Neo4j on a home directory that outlives it, so a test can stop it and start it again on
 * the same store (neo4j-harness deletes its directory when it closes). The gat.* procedures are
 * registered as the harness would; the model catalog extension is found on the classpath as in a server.
 */
public final class EmbeddedNeo4j implements AutoCloseable {

    private final Path home;
    private final Path importDirectory;
    private DatabaseManagementService dbms;
    private GraphDatabaseService db;

    public EmbeddedNeo4j(Path home, Path importDirectory) {
        this.home = home;
        this.importDirectory = importDirectory;
        start();
    }

    private void start() {
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.pagecache_memory, 512L << 20);
        if (importDirectory != null) {
            builder.setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDirectory);
        }
        dbms = builder.build();
        db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        GlobalProcedures procedures = ((GraphDatabaseAPI) db).getDependencyResolver()
                .resolveDependency(GlobalProcedures.class);
        try {
            for (Class<?> procedureClass : Harness.PROCEDURES) {
                procedures.registerProcedure(procedureClass);
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot register the gat procedures", e);
        }
    }

    public GraphDatabaseService db() {
        return db;
    }

    public Path dataDirectory() {
        return home.resolve("data");
    }

    /** Stops the DBMS and starts it again on the same directory. */
    public void restart() {
        dbms.shutdown();
        start();
    }

    @Override
    public void close() {
        dbms.shutdown();
    }
}
