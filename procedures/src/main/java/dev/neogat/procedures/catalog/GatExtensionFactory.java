package dev.neogat.procedures.catalog;

import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.kernel.api.procedure.GlobalProcedures;
import org.neo4j.kernel.extension.ExtensionFactory;
import org.neo4j.kernel.extension.ExtensionType;
import org.neo4j.kernel.extension.context.ExtensionContext;
import org.neo4j.kernel.lifecycle.Lifecycle;
import org.neo4j.kernel.lifecycle.LifecycleAdapter;

/**
 * Makes each database's {@link ModelCatalog} available to the procedures as a {@code @Context} component
 * marked safe, so the plugin needs no {@code dbms.security.procedures.unrestricted} entry. Models live in
 * {@code <server.directories.data>/gat-models/<database>/}.
 */
public final class GatExtensionFactory extends ExtensionFactory<GatExtensionFactory.Dependencies> {

    public static final String MODEL_DIRECTORY = "gat-models";

    public interface Dependencies {
        Config config();

        GlobalProcedures globalProcedures();
    }

    public GatExtensionFactory() {
        super(ExtensionType.GLOBAL, "neogat");
    }

    @Override
    public Lifecycle newInstance(ExtensionContext context, Dependencies dependencies) {
        ModelCatalogs catalogs = new ModelCatalogs(
                dependencies.config().get(GraphDatabaseSettings.data_directory).resolve(MODEL_DIRECTORY));
        dependencies.globalProcedures().registerComponent(ModelCatalog.class,
                procedureContext -> catalogs.forDatabase(procedureContext.graphDatabaseAPI().databaseName()), true);
        return new LifecycleAdapter();
    }
}
