package dev.neogat.procedures.config;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * gat.train's {@code inputDropoutPerHead}: 'auto' (the default) gives per-head masks for sparse features and
 * one shared mask for dense ones; true and false are kept whatever the features; anything else is refused.
 */
class InputDropoutPerHeadTest {

    private static Map<String, Object> config(Object inputDropoutPerHead) {
        Map<String, Object> config = new HashMap<>();
        config.put("featureProperties", "features");
        config.put("labelProperty", "subject");
        if (inputDropoutPerHead != null) {
            config.put("inputDropoutPerHead", inputDropoutPerHead);
        }
        return config;
    }

    private static boolean perHead(Object setting, boolean sparseFeatures) {
        return TrainConfig.read(config(setting)).model().toConfig(745, 8, false, sparseFeatures).inputDropoutPerHead();
    }

    @Test
    void autoIsTheDefaultAndFollowsTheFeatureStorage() {
        assertThat(perHead(null, true)).isTrue();
        assertThat(perHead(null, false)).isFalse();
        assertThat(perHead("AUTO", true)).isTrue();
        assertThat(perHead("auto", false)).isFalse();
        assertThat(TrainConfig.read(config(null)).used()).containsEntry("inputDropoutPerHead", "auto");
    }

    @Test
    void anExplicitChoiceIsKeptForAnyFeatures() {
        assertThat(perHead(true, false)).isTrue();
        assertThat(perHead(true, true)).isTrue();
        assertThat(perHead(false, true)).isFalse();
        assertThat(perHead(false, false)).isFalse();
        assertThat(TrainConfig.read(config(true)).used()).containsEntry("inputDropoutPerHead", true);
    }

    @Test
    void otherValuesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> TrainConfig.read(config("yes"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Configuration 'inputDropoutPerHead' must be true, false or 'auto', got 'yes'");
        assertThatThrownBy(() -> TrainConfig.read(config(1L))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Configuration 'inputDropoutPerHead' must be true, false or 'auto', got 1");
    }
}
