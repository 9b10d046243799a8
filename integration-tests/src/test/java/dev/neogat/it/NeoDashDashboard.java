package dev.neogat.it;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The reports of dashboard/neodash-dashboard.json: their Cypher and the result fields their charts select. */
public record NeoDashDashboard(Map<String, Object> parameters, List<Report> reports) {

    /** Report types whose "query" is not Cypher. */
    private static final Set<String> NOT_CYPHER = Set.of("text", "iframe");
    /** Selection keys that name result columns (for graph reports the keys are labels instead). */
    private static final Set<String> FIELD_SELECTIONS = Set.of("index", "value", "key", "x");

    public record Report(String page, String title, String type, String query, Map<String, Object> selection) {

        public boolean isCypher() {
            return !NOT_CYPHER.contains(type);
        }

        public List<String> selectedFields() {
            List<String> fields = new ArrayList<>();
            for (Map.Entry<String, Object> entry : selection.entrySet()) {
                if (!FIELD_SELECTIONS.contains(entry.getKey()) || "(none)".equals(entry.getValue())) {
                    continue;
                }
                if (entry.getValue() instanceof List<?> list) {
                    list.forEach(v -> fields.add(String.valueOf(v)));
                } else {
                    fields.add(String.valueOf(entry.getValue()));
                }
            }
            return fields;
        }
    }

    @SuppressWarnings("unchecked")
    public static NeoDashDashboard read(Path file) {
        try {
            Map<String, Object> dashboard = new ObjectMapper().readValue(Files.readString(file),
                    new TypeReference<Map<String, Object>>() {
                    });
            Map<String, Object> settings = (Map<String, Object>) dashboard.get("settings");
            List<Report> reports = new ArrayList<>();
            for (Object pageObject : (List<Object>) dashboard.get("pages")) {
                Map<String, Object> page = (Map<String, Object>) pageObject;
                for (Object reportObject : (List<Object>) page.get("reports")) {
                    Map<String, Object> report = (Map<String, Object>) reportObject;
                    reports.add(new Report((String) page.get("title"), (String) report.get("title"),
                            (String) report.get("type"), (String) report.get("query"),
                            (Map<String, Object>) report.get("selection")));
                }
            }
            return new NeoDashDashboard((Map<String, Object>) settings.get("parameters"), reports);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }
}
