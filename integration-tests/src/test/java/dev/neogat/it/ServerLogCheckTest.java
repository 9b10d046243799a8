package dev.neogat.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The check RealServerIT runs on the server's logs, fed log texts with and without a warning about the plugin. */
class ServerLogCheckTest {

    private static final ServerLogCheck CHECK = new ServerLogCheck(
            List.of("neogat-0.1.0-SNAPSHOT.jar", "[d.n.", "dev.neogat", "dev/neogat", "org.ejml", "org/ejml", "jcuda"));

    /** The start of a debug.log as Neo4j 5.26 writes it: INFO lines naming the plugin, WARNs about other things. */
    private static final String CLEAN = """
            2026-12-05 08:00:00.001+0000 INFO  [o.n.i.d.DiagnosticsManager] Class path: /srv/plugins/neogat-0.1.0-SNAPSHOT.jar
            2026-12-05 08:00:00.002+0000 INFO  [o.n.i.d.DiagnosticsManager]   jcuda, org.ejml, dev.neogat all listed
            2026-12-05 08:00:01.100+0000 WARN  [o.n.k.i.p.PageCacheWarmer] Page cache warmup took longer than expected
            2026-12-05 08:00:01.200+0000 WARN  [o.n.b.t.BoltServer] Connection closed by the client
            java.io.IOException: Broken pipe
            \tat io.netty.channel.unix.Errors.newIOException(Errors.java:122)
            2026-12-05 08:00:02.000+0000 INFO  [d.n.p.c.GatExtensionFactory] NeoGAT 0.1.0-SNAPSHOT loaded
            2026-12-05 08:00:03.000+0000 ERROR [o.n.k.d.Database] Unrelated failure in another component
            """;

    @Test
    void aCleanLogAndUnrelatedWarningsPass() {
        assertThat(CHECK.problems(CLEAN)).isEmpty();
        assertThat(CHECK.problems("")).isEmpty();
    }

    @Test
    void theWarningNeo4jGivesForAClassOfThePluginThatDoesNotLoadFails() {
        // As Neo4j 5.26.30 logged it for the jar before EJML's MATLAB-file reader was left out.
        String warning = "2026-12-05 08:16:02.369+0000 WARN  [o.n.k.a.p.GlobalProcedures] Failed to load "
                + "`org.ejml.ops.MatrixIO$MflAccess$IO` from plugin jar `/srv/plugins/neogat-0.1.0-SNAPSHOT.jar`: "
                + "java.lang.NoClassDefFoundError: us/hebi/matlab/mat/types/MatFile";
        assertThat(CHECK.problems(CLEAN + warning + "\n")).containsExactly(warning);
        assertThat(CHECK.problems(warning)).containsExactly(warning);
    }

    @Test
    void anEntryIsAProblemWhenOnlyItsStackTraceNamesThePlugin() {
        String log = CLEAN + """
                2026-12-05 08:00:04.000+0000 ERROR [o.n.b.p.StateMachine] Client triggered an unexpected error
                java.lang.IllegalStateException: boom
                \tat dev.neogat.procedures.write.PropertyWriter.write(PropertyWriter.java:42)
                2026-12-05 08:00:05.000+0000 INFO  [o.n.k.d.Database] Next entry
                """;
        assertThat(CHECK.problems(log)).singleElement().asString().contains("PropertyWriter").doesNotContain("Next");
    }

    @Test
    void aTerminatedJobWhoseClientHasGoneIsNotAProblemOfThePlugin() {
        // As Neo4j 5.26.30 logged it when a client closed its connection while gat.train was being terminated.
        String clientGone = """
                2026-12-05 09:36:31.876+0000 WARN  [o.n.b.p.c.f.r.NetworkResponseHandler] Unable to send error back to the client. null
                io.netty.channel.StacklessClosedChannelException
                	Suppressed: org.neo4j.bolt.protocol.common.fsm.error.TransactionStateTransitionException: Failed to consume statement results
                	Caused by: org.neo4j.internal.kernel.api.exceptions.ProcedureException: Failed to invoke procedure `gat.train`: Caused by: dev.neogat.util.TerminatedException: The computation was terminated
                	Caused by: dev.neogat.util.TerminatedException: The computation was terminated
                		at dev.neogat.util.TerminationFlag.assertRunning(TerminationFlag.java:17)
                """;
        assertThat(CHECK.problems(CLEAN + clientGone)).isEmpty();
        String pluginSaysSo = "2026-12-05 09:36:32.000+0000 WARN  [d.n.p.f.TrainFacade] gat.train 'x' failed: "
                + "dev.neogat.util.TerminatedException: The computation was terminated\n";
        assertThat(CHECK.problems(CLEAN + pluginSaysSo)).hasSize(1);
        String otherFailure = clientGone.replace("TerminatedException: The computation was terminated",
                "IllegalStateException: boom");
        assertThat(CHECK.problems(CLEAN + otherFailure)).hasSize(1);
    }

    @Test
    void warningsAndErrorsFromThePluginsOwnLoggersFail() {
        String log = CLEAN + "2026-12-05 08:00:06.000+0000 WARN  [d.n.p.f.TrainFacade] gat.train 'x': slow write\n"
                + "2026-12-05 08:00:07.000+0000 ERROR [d.n.p.f.TrainFacade] gat.train 'x': writing results failed\n";
        assertThat(CHECK.problems(log)).hasSize(2);
    }

    @Test
    void namesMatchIgnoringCaseAndInEitherSpelling() {
        assertThat(CHECK.problems("2026-12-05 08:00:08.000+0000 WARN  Cannot load libJCudaDriver-12.0.0\n")).hasSize(1);
        assertThat(CHECK.problems("2026-12-05 08:00:08.000+0000 ERROR missing dev/neogat/nn/Foo\n")).hasSize(1);
        assertThat(CHECK.problems("2026-12-05 08:00:08.000+0000 INFO  loaded dev/neogat/nn/Foo\n")).isEmpty();
    }

    @Test
    void assertCleanNamesTheFileAndTheEntry(@TempDir Path dir) throws IOException {
        Path clean = Files.writeString(dir.resolve("neo4j.log"), CLEAN);
        Path dirty = Files.writeString(dir.resolve("debug.log"),
                CLEAN + "2026-12-05 08:00:09.000+0000 WARN  [o.n.k.a.p.GlobalProcedures] Failed to load "
                        + "dev.neogat.Broken from plugin jar\n");
        CHECK.assertClean(List.of(clean, dir.resolve("absent.log")));
        assertThatThrownBy(() -> CHECK.assertClean(List.of(clean, dirty)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 WARN or ERROR entries about the plugin")
                .hasMessageContaining("debug.log: 2026-12-05 08:00:09.000+0000 WARN");
    }

    @Test
    void forPluginJarNamesTheJarAndThePackagesItShips(@TempDir Path dir) throws IOException {
        Path jar = dir.resolve("neogat-9.9.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String entry : List.of("dev/neogat/nn/GatLayer.class", "org/ejml/ops/MatrixIO.class",
                    "jcuda/Pointer.class", "jcuda/driver/JCudaDriver.class", "lib/libJCudaDriver.so",
                    "META-INF/versions/9/module-info.class")) {
                out.putNextEntry(new JarEntry(entry));
                out.write(1);
                out.closeEntry();
            }
        }
        assertThat(ServerLogCheck.forPluginJar(jar).names()).containsExactlyInAnyOrder("neogat-9.9.jar", "[d.n.",
                "dev/neogat", "dev.neogat", "org/ejml", "org.ejml", "jcuda", "jcuda/driver", "jcuda.driver");
    }
}
