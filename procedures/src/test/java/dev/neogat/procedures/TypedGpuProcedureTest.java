package dev.neogat.procedures;

import dev.neogat.gpu.EmulatedGpu;
import dev.neogat.gpu.GpuProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Typed models and the device from Cypher, on the generated typed graph ({@link PaperGraph}: four labels, one without
 * features, ABOUT and CITES with a relationship property): without a GPU, 'auto' trains and predicts on the CPU and
 * says why, 'gpu' is an error saying why; with the kernel emulation as the machine's GPU ({@link EmulatedGpu}), a
 * typed gat.train on 'gpu' (relationship features and a learned input included) predicts what the same training on
 * the CPU predicts, and so do gat.predict.stream and gat.embed.stream of the stored model on 'gpu'.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedGpuProcedureTest {

    /** Float32 sums in another order over a few epochs of Adam: the CPU and GPU models agree to about this. */
    private static final double TOLERANCE = 1e-3;

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void createGraph() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 23);
        // A relationship property on both types, so the typed model attends over relationship features.
        db.executeTransactionally("MATCH (p:Paper)-[r]->(n) SET r.weight = toFloat((p.paperId * 7 + id(n)) % 10) / 10");
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private static Map<String, Object> config(String device, String written) {
        Map<String, Object> featureProperties = new HashMap<>();
        featureProperties.put("Paper", "text");
        featureProperties.put("Author", "profile");
        featureProperties.put("Venue", "embedding");
        featureProperties.put("Topic", null);
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", List.of("Paper", "Author", "Venue", "Topic"));
        config.put("relationshipTypes", List.of("ABOUT", "CITES"));
        config.put("featureProperties", featureProperties);
        config.put("labelProperty", "kind");
        config.put("splitProperty", "split");
        config.put("relationshipFeatures", "weight");
        config.put("typed", true);
        config.put("relationAggregation", "attention");
        config.put("epochs", 4);
        config.put("heads", 2);
        config.put("hiddenChannels", 8);
        config.put("concurrency", 1);
        config.put("device", device);
        config.put("writeProperty", written);
        config.put("probabilityProperty", written + "Probabilities");
        return config;
    }

    private Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", name, "config", config),
                result -> result.next());
    }

    /** paperId → probabilities, of every paper the procedure returns. */
    private Map<Long, List<Double>> predictions(String model, String device) {
        return db.executeTransactionally("CALL gat.predict.stream($model, {device: $device, includeProbabilities: "
                + "true}) YIELD node, probabilities RETURN node.paperId AS id, probabilities",
                Map.of("model", model, "device", device), result -> {
                    Map<Long, List<Double>> rows = new LinkedHashMap<>();
                    result.forEachRemaining(row -> rows.put(((Number) row.get("id")).longValue(),
                            (List<Double>) row.get("probabilities")));
                    return rows;
                });
    }

    /** elementId → embedding of every node (every label) the procedure returns. */
    private Map<String, List<Double>> embeddings(String model, String device) {
        return db.executeTransactionally("CALL gat.embed.stream($model, {device: $device}) YIELD node, embedding "
                + "RETURN elementId(node) AS id, embedding", Map.of("model", model, "device", device), result -> {
                    Map<String, List<Double>> rows = new LinkedHashMap<>();
                    result.forEachRemaining(row -> rows.put((String) row.get("id"), (List<Double>) row.get("embedding")));
                    return rows;
                });
    }

    private static <K> void assertClose(Map<K, List<Double>> expected, Map<K, List<Double>> actual, String what) {
        assertThat(actual.keySet()).as(what + ": the same nodes").isEqualTo(expected.keySet());
        expected.forEach((key, values) -> {
            List<Double> other = actual.get(key);
            assertThat(other).as(what + " of " + key).hasSameSizeAs(values);
            for (int i = 0; i < values.size(); i++) {
                assertThat(other.get(i)).as(what + " of " + key + " [" + i + "]").isCloseTo(values.get(i),
                        within(TOLERANCE));
            }
        });
    }

    @Test
    void withoutAGpuAutoRunsOnTheCpuAndSaysWhyAndGpuIsAnError() {
        GpuProbe.Status status = GpuProbe.status();
        assumeTrue(!status.usable(), "this machine has a usable GPU");
        Map<String, Object> trained = train("typedAuto", config("auto", "autoKind"));
        assertThat(trained.get("mode")).isEqualTo("typed");
        assertThat(trained.get("device")).isEqualTo("cpu");
        assertThat((String) trained.get("deviceReason")).startsWith("auto: no usable GPU (" + status.reason() + ")")
                .contains("cpu (1 thread");
        assertThatThrownBy(() -> train("typedRefused", config("gpu", "refusedKind")))
                .hasMessageContaining("device 'gpu' was requested but no GPU is usable: " + status.reason())
                .hasMessageContaining("use device 'auto' or 'cpu'");
        assertThatThrownBy(() -> predictions("typedAuto", "gpu"))
                .hasMessageContaining("device 'gpu' was requested but no GPU is usable");
        long written = db.executeTransactionally("MATCH (p:Paper) WHERE p.refusedKind IS NOT NULL RETURN count(p) AS n",
                Map.of(), result -> (Long) result.next().get("n"));
        assertThat(written).as("nothing written by the refused run").isZero();
        assertThat(predictions("typedAuto", "auto")).hasSize(PaperGraph.PAPERS);
    }

    @Test
    void onTheEmulatedGpuTypedTrainingPredictsAsOnTheCpu() throws Exception {
        assumeTrue(EmulatedGpu.unavailableBecause().isEmpty(),
                () -> "GPU emulator unavailable: " + EmulatedGpu.unavailableBecause().orElse(""));
        Map<String, Object> onCpu = train("typedOnCpu", config("cpu", "cpuKind"));
        Map<String, Object> onGpu;
        Map<String, Object> auto;
        Map<Long, List<Double>> gpuPredictions;
        Map<String, List<Double>> gpuEmbeddings;
        try (AutoCloseable gpu = EmulatedGpu.install()) {
            onGpu = train("typedOnGpu", config("gpu", "gpuKind"));
            gpuPredictions = predictions("typedOnGpu", "gpu");
            gpuEmbeddings = embeddings("typedOnGpu", "gpu");
            // typed: 'auto' (the default) with device 'gpu': a typed model, on the GPU.
            Map<String, Object> autoConfig = config("gpu", "autoKind");
            autoConfig.remove("typed");
            autoConfig.remove("relationshipFeatures");
            autoConfig.put("epochs", 1);
            auto = train("typedAutoOnGpu", autoConfig);
        }
        System.out.printf("typed on the CPU: %s%ntyped on the emulated GPU: %s%n", onCpu, onGpu);
        assertThat(onCpu.get("device")).isEqualTo("cpu");
        assertThat(onGpu.get("device")).isEqualTo("gpu:0");
        assertThat((String) onGpu.get("deviceReason")).startsWith("gpu was requested; ");
        assertThat(onGpu.get("mode")).isEqualTo("typed");
        assertThat(auto.get("mode")).isEqualTo("typed");
        assertThat(auto.get("device")).isEqualTo("gpu:0");
        assertThat((Double) onGpu.get("finalLoss")).isCloseTo((Double) onCpu.get("finalLoss"), within(TOLERANCE));

        List<Map<String, Object>> written = db.executeTransactionally("MATCH (p:Paper) RETURN p.cpuKind AS cpu, "
                + "p.gpuKind AS gpu, p.cpuKindProbabilities AS cpuP, p.gpuKindProbabilities AS gpuP", Map.of(),
                result -> result.stream().toList());
        assertThat(written).hasSize(PaperGraph.PAPERS);
        Map<Long, List<Double>> cpuWritten = new LinkedHashMap<>();
        Map<Long, List<Double>> gpuWritten = new LinkedHashMap<>();
        for (int i = 0; i < written.size(); i++) {
            cpuWritten.put((long) i, toList((double[]) written.get(i).get("cpuP")));
            gpuWritten.put((long) i, toList((double[]) written.get(i).get("gpuP")));
        }
        assertClose(cpuWritten, gpuWritten, "written probabilities");

        // The stored models, each on the other device: the GPU-trained one on the CPU predicts as on the GPU.
        assertClose(gpuPredictions, predictions("typedOnGpu", "cpu"), "gat.predict.stream on 'gpu' and 'cpu'");
        assertClose(predictions("typedOnCpu", "cpu"), gpuPredictions, "CPU-trained and GPU-trained predictions");
        assertClose(embeddings("typedOnGpu", "cpu"), gpuEmbeddings, "gat.embed.stream on 'gpu' and 'cpu'");
    }

    private static List<Double> toList(double[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }
}
