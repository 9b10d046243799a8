package dev.neogat.procedures.load;

import dev.neogat.procedures.CypherScripts;
import dev.neogat.procedures.config.RunProperties;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The README's "Errors you may see" quotes messages verbatim: each is built here by the code that throws
 * it, with the names of the README's examples, and must appear there as printed. The message for a name
 * on none of the projected nodes is asserted verbatim by BadInputTest's featurePropertyNotOnProjection.
 */
class ReadmeErrorsTest {

    @Test
    void readmeQuotesTheMessagesAsTheCodeWritesThem() throws IOException {
        String readme = Files.readString(CypherScripts.directory().getParent().resolve("README.md"));
        String section = readme.substring(readme.indexOf("## Errors you may see"), readme.indexOf("## Troubleshooting"));

        Set<String> coraTypes = new TreeSet<>(List.of("CITES"));
        assertThat(section).contains(DatabaseNames.notFound(DatabaseNames.Kind.RELATIONSHIP_TYPE, "relationshipTypes",
                List.of("CITE"), coraTypes));
        assertThat(section).contains(refusal(new RunProperties().inputs("featureProperties", List.of("features"))
                .input("labelProperty", "subject")
                .outputs(List.of(new RunProperties.Named("writeProperty", "subject")))));
        assertThat(section).contains(refusal(new RunProperties()
                .outputs(List.of(new RunProperties.Named("writeProperty", "predicted"),
                        new RunProperties.Named("probabilityProperty", "predicted")))));
        assertThat(section).contains("The property 'otherFeatures' (featureProperties) is on none of the projected "
                + "nodes (nodeLabels ['Item']); it exists in the database but not on those nodes");
    }

    @Test
    void manyAvailableNamesAreCutShort() {
        Set<String> keys = new TreeSet<>();
        for (int i = 0; i < 60; i++) {
            keys.add(String.format("key%02d", i));
        }
        String message = DatabaseNames.notFound(DatabaseNames.Kind.PROPERTY_KEY, "featureProperties",
                List.of("zzz"), keys);
        assertThat(message).startsWith("Could not find the specified featureProperties of ['zzz']. Available property "
                + "keys are ['key00', ").endsWith("'key49', ... (10 more)].");
    }

    private static String refusal(RunProperties properties) {
        Throwable thrown = catchThrowable(properties::requireOutputsApart);
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
        return thrown.getMessage();
    }
}
