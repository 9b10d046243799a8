package dev.neogat.procedures.config;

import dev.neogat.spec.GatConfig;
import dev.neogat.train.MiniBatchConfig;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The key table is what gat.train reads: every declared default is the value its {@code configuration} output
 * reports when the key is left out, every declared key is accepted and checked, and the model defaults are the
 * engine's.
 */
class TrainKeysTest {

    private static Map<String, Object> minimal() {
        Map<String, Object> config = new HashMap<>();
        config.put("featureProperties", "features");
        config.put("labelProperty", "subject");
        return config;
    }

    @Test
    void theConfigurationOutputReportsEveryDeclaredDefault() {
        Map<String, Object> used = TrainConfig.read(minimal()).used();
        for (ConfigKey<?> key : TrainKeys.ALL) {
            if (key == TrainKeys.FEATURE_PROPERTIES || key == TrainKeys.LABEL_PROPERTY) {
                continue;
            }
            if (key == TrainKeys.CONCURRENCY) {
                assertThat(used).containsEntry(key.name(), Runtime.getRuntime().availableProcessors());
            } else if (key == TrainKeys.FANOUTS) {
                // One default fanout serves every layer; the output lists it per layer (2 by default).
                assertThat(used).containsEntry(key.name(), List.of(MiniBatchConfig.DEFAULT_FANOUT,
                        MiniBatchConfig.DEFAULT_FANOUT));
            } else if (key.defaultValue() == null || key == TrainKeys.AUTO_TUNE) {
                // No value to report: an optional property left out, or no search.
                assertThat(used).doesNotContainKey(key.name());
            } else {
                assertThat(used).as(key.name()).containsEntry(key.name(), key.defaultValue());
            }
        }
    }

    @Test
    void everyDeclaredKeyIsAcceptedAndItsValueChecked() {
        for (ConfigKey<?> key : TrainKeys.ALL) {
            Map<String, Object> config = minimal();
            config.put(key.name(), List.of(Map.of()));
            assertThatThrownBy(() -> TrainConfig.read(config)).as(key.name())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + key.name() + "' must be");
        }
    }

    @Test
    void anUnknownKeyNamesTheClosestDeclaredOne() {
        Map<String, Object> config = minimal();
        config.put("mesageDropout", 0.5);
        assertThatThrownBy(() -> TrainConfig.read(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Unknown configuration key 'mesageDropout'; did you mean 'messageDropout'?");
    }

    @Test
    void theModelDefaultsAreTheEngines() {
        GatConfig read = TrainConfig.read(minimal()).model().toConfig(10, 3, false, false);
        GatConfig engine = GatConfig.builder(10, 3).build();
        assertThat(read).isEqualTo(engine);
        GatConfig sparse = TrainConfig.read(minimal()).model().toConfig(10, 3, false, true);
        assertThat(sparse).isEqualTo(GatConfig.builder(10, 3).sparseFeatures(true).build());
    }

    @Test
    void attentionAndMessageDropoutFollowTheDropoutGiven() {
        Map<String, Object> config = minimal();
        config.put("dropout", 0.3);
        TrainConfig.ModelShape model = TrainConfig.read(config).model();
        assertThat(model.attentionDropout()).isEqualTo(0.3);
        assertThat(model.messageDropout()).isEqualTo(0.3);
        config.put("messageDropout", 0.1);
        assertThat(TrainConfig.read(config).model().messageDropout()).isEqualTo(0.1);
    }
}
