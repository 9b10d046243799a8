package dev.neogat.procedures;

import dev.neogat.procedures.config.ConfigKey;
import dev.neogat.procedures.config.TrainKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.harness.Neo4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gat.* API as Neo4j reports it (names, signatures, modes, descriptions of procedures and arguments)
 * must equal the checked-in {@code docs/procedures.md}, so every API change shows up as a diff in review.
 * After an intended change, regenerate it with {@code -Dneogat.updateProcedureDocs=true}.
 */
class ProcedureSignatureTest {

    @TempDir
    Path dir;

    @Test
    void proceduresMatchTheCheckedInReference() throws IOException {
        String actual;
        try (Neo4j neo4j = Harness.start(dir, null)) {
            actual = reference(Harness.db(neo4j).executeTransactionally("""
                    SHOW PROCEDURES YIELD name, signature, description, mode, argumentDescription
                    WHERE name STARTS WITH 'gat.'
                    RETURN name, signature, description, mode, argumentDescription ORDER BY name
                    """, Map.of(), result -> {
                List<Map<String, Object>> rows = new java.util.ArrayList<>();
                result.forEachRemaining(rows::add);
                return rows;
            }));
        }
        Path file = CypherScripts.directory().getParent().resolve("docs/procedures.md");
        if (Boolean.getBoolean("neogat.updateProcedureDocs")) {
            Files.writeString(file, actual);
        }
        String expected = Files.exists(file) ? Files.readString(file) : "";
        assertThat(actual).as("gat.* procedures differ from docs/procedures.md; if the change is intended, rerun with "
                + "-Dneogat.updateProcedureDocs=true and commit the file").isEqualTo(expected);
    }

    /**
     * The README's gat.train key table and {@link TrainKeys} agree: every declared key has a row whose default
     * column shows its declared default, and every key in the table is declared. A row may document several keys
     * ("`trainFraction`, `valFraction`"), its default column then shows each one's default.
     */
    @Test
    void readmeKeyTableShowsEveryTrainingKeyWithItsDefault() throws IOException {
        String readme = Files.readString(CypherScripts.directory().getParent().resolve("README.md"));
        String table = readme.substring(readme.indexOf("### `gat.train` configuration"), readme.indexOf("### Where attention lands"));
        Map<String, String> defaultCells = new LinkedHashMap<>();
        for (String line : table.lines().filter(l -> l.startsWith("| `")).toList()) {
            String[] cells = line.split("\\|");
            Matcher names = Pattern.compile("`([A-Za-z]+)`").matcher(cells[1]);
            while (names.find()) {
                defaultCells.put(names.group(1), cells[2].trim());
            }
        }
        for (ConfigKey<?> key : TrainKeys.ALL) {
            assertThat(defaultCells).as("README's gat.train key table documents '" + key.name() + "'")
                    .containsKey(key.name());
            assertThat(defaultCells.get(key.name())).as("README's default of '" + key.name() + "'")
                    .containsIgnoringCase(key.defaultText());
        }
        assertThat(defaultCells.keySet()).as("keys in README's gat.train table that TrainKeys does not declare")
                .isSubsetOf(TrainKeys.names(TrainKeys.ALL));
    }

    /** Neo4j reports defaults as "DefaultParameterValue{value=X, type=T}"; the reference shows X. */
    private static Object defaultValue(Object reported) {
        if (reported instanceof String s && s.startsWith("DefaultParameterValue{value=")) {
            return s.substring("DefaultParameterValue{value=".length(), s.lastIndexOf(", type="));
        }
        return reported;
    }

    @SuppressWarnings("unchecked")
    private static String reference(List<Map<String, Object>> procedures) {
        StringBuilder out = new StringBuilder("""
                # gat.* procedure reference

                Generated from the procedures' own descriptions (`SHOW PROCEDURES`); `ProcedureSignatureTest` fails when
                this file and the code disagree. Configuration keys and their defaults are listed in the README.

                """);
        for (Map<String, Object> procedure : procedures) {
            out.append("## `").append(procedure.get("name")).append("`\n\n");
            out.append(procedure.get("description")).append("\n\n");
            out.append("Mode: ").append(procedure.get("mode")).append("\n\n");
            out.append("```\n").append(procedure.get("signature")).append("\n```\n\n");
            List<Map<String, Object>> arguments = (List<Map<String, Object>>) procedure.get("argumentDescription");
            if (!arguments.isEmpty()) {
                out.append("| argument | type | default | description |\n|---|---|---|---|\n");
                for (Map<String, Object> argument : arguments) {
                    Object defaultValue = defaultValue(argument.get("default"));
                    out.append("| `").append(argument.get("name")).append("` | ").append(argument.get("type"))
                            .append(" | ").append(defaultValue == null ? "" : "`" + defaultValue + "`").append(" | ")
                            .append(argument.get("description")).append(" |\n");
                }
                out.append('\n');
            }
        }
        return out.toString();
    }
}
