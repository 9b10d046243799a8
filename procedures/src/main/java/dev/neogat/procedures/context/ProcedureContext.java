package dev.neogat.procedures.context;

import dev.neogat.procedures.catalog.ModelCatalog;
import dev.neogat.util.TerminationFlag;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;
import org.neo4j.logging.Log;
import org.neo4j.procedure.TerminationGuard;

/** What a procedure call gives the code behind it: its transaction, the database, log, guard and catalog. */
public record ProcedureContext(Transaction tx, GraphDatabaseService db, Log log, TerminationGuard guard,
                               ModelCatalog catalog) {

    /** The guard as the engine's flag: terminated once the transaction is terminated or the client is gone. */
    public TerminationFlag terminationFlag() {
        return () -> {
            try {
                guard.check();
                return false;
            } catch (RuntimeException terminated) {
                return true;
            }
        };
    }

    public String database() {
        return db.databaseName();
    }
}
