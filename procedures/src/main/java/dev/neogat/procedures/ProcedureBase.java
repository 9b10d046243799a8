package dev.neogat.procedures;

import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.procedures.catalog.ModelCatalog;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;
import org.neo4j.logging.Log;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.TerminationGuard;

/** What Neo4j injects into every gat.* procedure class. */
public abstract class ProcedureBase {

    @Context
    public Transaction tx;
    @Context
    public GraphDatabaseService db;
    @Context
    public Log log;
    @Context
    public TerminationGuard guard;
    @Context
    public ModelCatalog catalog;

    protected ProcedureContext context() {
        return new ProcedureContext(tx, db, log, guard, catalog);
    }
}
