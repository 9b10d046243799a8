package dev.neogat.procedures;

import dev.neogat.gpu.GpuProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.Transaction;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** gat.devices(): the CPU always, and every GPU or the reason there is none, as the probe found them. */
class DeviceProceduresTest {

    @TempDir
    Path dir;

    @Test
    void listsTheCpuAndTheGpusOrWhyThereIsNone() {
        try (Neo4j neo4j = Harness.start(dir, null);
             Transaction tx = Harness.db(neo4j).beginTx()) {
            List<Map<String, Object>> rows = tx.execute("CALL gat.devices()").stream().toList();
            System.out.println("gat.devices(): " + rows);
            assertThat(rows.get(0)).containsEntry("device", "cpu").containsEntry("usable", true)
                    .containsEntry("name", Runtime.getRuntime().availableProcessors() + " threads");
            GpuProbe.Status status = GpuProbe.status();
            if (status.devices().isEmpty()) {
                assertThat(rows).hasSize(2);
                assertThat(rows.get(1)).containsEntry("device", "gpu").containsEntry("usable", false)
                        .containsEntry("reason", status.reason());
                assertThat(status.reason()).isNotBlank();
            } else {
                assertThat(rows).hasSize(1 + status.devices().size());
                for (GpuProbe.GpuInfo gpu : status.devices()) {
                    assertThat(rows.get(1 + gpu.ordinal())).containsEntry("device", "gpu:" + gpu.ordinal())
                            .containsEntry("name", gpu.name()).containsEntry("usable", gpu.usable())
                            .containsEntry("computeCapability", gpu.computeCapability());
                }
            }
        }
    }
}
