package dev.neogat.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The nodes a per-node featureless input was trained on, as the model file's header stores them. */
class TrainedNodesTest {

    private static final List<String> ELEMENT_IDS = List.of("4:0f3e9c1a-77b2-4d1e-9a35-1c2b3d4e5f60:17",
            "4:0f3e9c1a-77b2-4d1e-9a35-1c2b3d4e5f60:3", "4:0f3e9c1a-77b2-4d1e-9a35-1c2b3d4e5f60:250");

    @Test
    void elementIdsAreStoredAsTheirSharedPrefixAndRestInTrainingOrder() {
        ModelMetadata.TrainedNodes nodes = ModelMetadata.TrainedNodes.of(ELEMENT_IDS);
        assertThat(nodes.elementIdPrefix()).isEqualTo("4:0f3e9c1a-77b2-4d1e-9a35-1c2b3d4e5f60:");
        assertThat(nodes.elementIdSuffixes()).containsExactly("17", "3", "250");
        assertThat(nodes.elementIds()).isEqualTo(ELEMENT_IDS);
        assertThat(ModelMetadata.TrainedNodes.of(List.of("a:1")).elementIds()).containsExactly("a:1");
        assertThat(ModelMetadata.TrainedNodes.of(List.of("x1", "y2")).elementIdPrefix()).isEmpty();
    }

    @Test
    void theHeaderReadsThemBackAndLeavesThemOutWhenUnused() throws Exception {
        ModelMetadata metadata = ModelMetadata.NONE.withTrainedNodes(Map.of("Topic",
                ModelMetadata.TrainedNodes.of(ELEMENT_IDS)));
        String json = HeaderJson.write(metadata);
        assertThat(json).isEqualTo("{\"trainedNodes\":{\"Topic\":{\"elementIdPrefix\":"
                + "\"4:0f3e9c1a-77b2-4d1e-9a35-1c2b3d4e5f60:\",\"elementIdSuffixes\":[\"17\",\"3\",\"250\"]}}}");
        ModelMetadata read = HeaderJson.read(HeaderJson.parse(json), ModelMetadata.class);
        assertThat(read.trainedNodes().get("Topic").elementIds()).isEqualTo(ELEMENT_IDS);
        assertThat(HeaderJson.write(ModelMetadata.NONE)).doesNotContain("trainedNodes");
    }
}
