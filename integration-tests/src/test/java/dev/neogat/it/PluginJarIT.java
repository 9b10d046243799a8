package dev.neogat.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar users drop into plugins/: the procedures and the engine inside, Neo4j left out, services intact, the
 * GPU backend with its PTX and JCuda's driver binding.
 */
class PluginJarIT {

    @Test
    void containsThePluginAndTheEngineButNoNeo4j() throws IOException {
        try (JarFile jar = new JarFile(Neo4jServer.path("neogat.plugin.jar").toFile())) {
            List<String> entries = jar.stream().map(ZipEntry::getName).toList();
            assertThat(entries).as("Neo4j is provided by the server").noneMatch(name -> name.startsWith("org/neo4j/"));
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
