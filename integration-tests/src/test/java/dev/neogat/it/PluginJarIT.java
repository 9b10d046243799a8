package dev.neogat.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar users drop into plugins/: the procedures and the engine inside, Neo4j and Jackson left out (the server
 * has them), every class loadable in the server, services intact, the GPU backend with its PTX and JCuda's driver
 * binding.
 */
class PluginJarIT {

    @Test
    void containsThePluginAndTheEngineButNoNeo4j() throws IOException {
        try (JarFile jar = new JarFile(Neo4jServer.path("neogat.plugin.jar").toFile())) {
            List<String> entries = jar.stream().map(ZipEntry::getName).toList();
            assertThat(entries).as("Neo4j is provided by the server").noneMatch(name -> name.startsWith("org/neo4j/"));
            assertThat(entries).as("Jackson is the server's").noneMatch(name -> name.startsWith("com/fasterxml/"));
            assertThat(entries).contains("dev/neogat/procedures/TrainProcedures.class",
                    "dev/neogat/procedures/catalog/GatExtensionFactory.class",
                    "dev/neogat/nn/cpu/CpuBackend.class", "dev/neogat/train/Trainer.class");
            assertThat(entries).as("test classes stay out").noneMatch(name -> name.contains("/nn64/")
                    || name.contains("/bench/") || name.endsWith("Test.class"));
            try (InputStream services = jar.getInputStream(
                    jar.getEntry("META-INF/services/org.neo4j.kernel.extension.ExtensionFactory"))) {
                assertThat(new String(services.readAllBytes(), StandardCharsets.UTF_8))
                        .contains("dev.neogat.procedures.catalog.GatExtensionFactory");
            }
            assertThat(jar.getManifest().getMainAttributes().getValue("Implementation-Version"))
                    .isEqualTo("0.1.0-SNAPSHOT");
        }
    }

    /**
     * Neo4j 5.26 scans every class of a plugin jar for procedures: it loads the class and lists its nested classes,
     * methods and fields, and warns at each start about a class where that fails (as for EJML's MATLAB-file reader,
     * whose library is not shipped). So every class must pass the same steps against the jar and the server's
     * libraries alone. Loading alone is not enough: that class loaded, its methods' types did not resolve.
     */
    @Test
    void everyClassLoadsAgainstTheServersLibraries() throws IOException {
        Path pluginJar = Neo4jServer.path("neogat.plugin.jar");
        List<URL> classpath = new ArrayList<>(List.of(pluginJar.toUri().toURL()));
        try (Stream<Path> serverJars = Files.list(Neo4jServer.path("neogat.neo4j.lib"))) {
            for (Path jar : (Iterable<Path>) serverJars.sorted()::iterator) {
                classpath.add(jar.toUri().toURL());
            }
        }
        List<String> failures = new ArrayList<>();
        int classes = 0;
        // The platform loader as parent keeps this test's own classpath (the engine, EJML) out of the lookup.
        try (URLClassLoader loader = new URLClassLoader(classpath.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader());
             JarFile jar = new JarFile(pluginJar.toFile())) {
            for (String entry : jar.stream().map(ZipEntry::getName).toList()) {
                if (!entry.endsWith(".class") || entry.startsWith("META-INF/") || entry.endsWith("module-info.class")) {
                    continue;
                }
                String name = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
                classes++;
                try {
                    // Not initialised: JCuda's classes load native code in their static initialisers.
                    Class<?> type = Class.forName(name, false, loader);
                    type.getDeclaredClasses();
                    type.getDeclaredMethods();
                    type.getDeclaredFields();
                } catch (LinkageError | ClassNotFoundException e) {
                    failures.add(name + ": " + e);
                }
            }
        }
        System.out.println("Plugin jar: " + classes + " classes, " + Files.size(pluginJar) + " bytes");
        assertThat(classes).isGreaterThan(100);
        assertThat(failures).as("classes of the plugin jar that do not load in the server").isEmpty();
    }

    @Test
    void carriesTheGpuBackendWithJCudasDriverBindingOnly() throws IOException {
        try (JarFile jar = new JarFile(Neo4jServer.path("neogat.plugin.jar").toFile())) {
            List<String> entries = jar.stream().map(ZipEntry::getName).toList();
            assertThat(entries).contains("dev/neogat/gpu/GpuBackend.class", "dev/neogat/gpu/gat_kernels.ptx",
                    "jcuda/driver/JCudaDriver.class", "lib/libJCudaDriver-12.0.0-linux-x86_64.so");
            assertThat(entries).as("JCuda's runtime, NVRTC and PTX-compiler bindings are not used")
                    .noneMatch(name -> name.startsWith("lib/") && !name.startsWith("lib/libJCudaDriver-")
                            && !name.equals("lib/"));
        }
    }
}
