package dev.neogat.procedures.catalog;

import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.kernel.api.procedure.GlobalProcedures;
import org.neo4j.kernel.extension.ExtensionFactory;
import org.neo4j.kernel.extension.ExtensionType;
import org.neo4j.kernel.extension.context.ExtensionContext;
import org.neo4j.kernel.lifecycle.Lifecycle;
import org.neo4j.kernel.lifecycle.LifecycleAdapter;
import org.neo4j.logging.internal.LogService;

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

        LogService logService();
    }

    public GatExtensionFactory() {
        super(ExtensionType.GLOBAL, "neogat");
    }

    @Override
    public Lifecycle newInstance(ExtensionContext context, Dependencies dependencies) {
        java.nio.file.Path root = dependencies.config().get(GraphDatabaseSettings.data_directory)
                .resolve(MODEL_DIRECTORY);
        ModelCatalogs catalogs = new ModelCatalogs(root);
        dependencies.globalProcedures().registerComponent(ModelCatalog.class,
                procedureContext -> catalogs.forDatabase(procedureContext.graphDatabaseAPI().databaseName()), true);
        String version = GatExtensionFactory.class.getPackage().getImplementationVersion();
        dependencies.logService().getUserLog(GatExtensionFactory.class).info("NeoGAT %s loaded: gat.* procedures, "
                + "models in %s", version == null ? "(development build)" : version, root);
        return new LifecycleAdapter();
    }
}
