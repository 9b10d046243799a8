package dev.neogat.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;

/**
 * Finds what a Neo4j server logged against the plugin: a WARN or ERROR entry (its first line and the stack trace
 * lines that follow it) that names the plugin jar, a package shipped in it, or a logger of the plugin's own
 * classes. Neo4j only warns when it cannot load a class of a plugin jar, so without this a broken jar still
 * passes every test that calls the procedures that do load.
 */
final class ServerLogCheck {

    /** The start of an entry in debug.log and neo4j.log: a timestamp, then the level. */
    private static final Pattern ENTRY = Pattern.compile(
            "^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}[+-]\\d{4}\\s+([A-Z]+)\\b");
    private static final Set<String> PROBLEM_LEVELS = Set.of("WARN", "ERROR");
    /** Neo4j abbreviates logger names to their initials: dev.neogat.procedures.X logs as [d.n.p.X]. */
    private static final String PLUGIN_LOGGER = "[d.n.";
    /**
     * How the plugin ends a job that was asked to stop (TERMINATE TRANSACTION, a closed connection, a server
     * stopping): Neo4j may warn that it could not send that error to a client that has gone. Such an entry is
     * about the client, not the plugin, unless its first line names the plugin.
     */
    private static final String TERMINATED = "dev.neogat.util.terminatedexception: the computation was terminated";

    private final List<String> names;

    /** A check for entries naming any of {@code names} (matched ignoring case). */
    ServerLogCheck(List<String> names) {
        this.names = names.stream().map(name -> name.toLowerCase(Locale.ROOT)).toList();
    }

    /**
     * A check for the plugin jar at {@code jar}: its file name, the first two segments of every package it ships
     * (dev.neogat, org.ejml, jcuda.driver, ...; dotted as in messages, slashed as in class-loading errors) and
     * the plugin's abbreviated logger names.
     */
    static ServerLogCheck forPluginJar(Path jar) {
        Set<String> names = new TreeSet<>();
        names.add(jar.getFileName().toString());
        names.add(PLUGIN_LOGGER);
        try (JarFile file = new JarFile(jar.toFile())) {
            file.stream().map(ZipEntry::getName)
                    .filter(name -> name.endsWith(".class") && !name.startsWith("META-INF/"))
                    .filter(name -> name.contains("/"))
                    .forEach(name -> {
                        String[] segments = name.substring(0, name.lastIndexOf('/')).split("/");
                        String prefix = segments.length == 1 ? segments[0] : segments[0] + "/" + segments[1];
                        names.add(prefix);
                        names.add(prefix.replace('/', '.'));
                    });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the plugin jar " + jar, e);
        }
        return new ServerLogCheck(List.copyOf(names));
    }

    List<String> names() {
        return names;
    }

    /** The WARN and ERROR entries of {@code logText} that name the plugin, each with its continuation lines. */
    List<String> problems(String logText) {
        List<String> problems = new ArrayList<>();
        StringBuilder entry = null;
        String level = null;
        for (String line : logText.split("\r?\n")) {
            Matcher start = ENTRY.matcher(line);
            if (start.find()) {
                addIfProblem(problems, entry, level);
                entry = new StringBuilder(line);
                level = start.group(1);
            } else if (entry != null) {
                entry.append('\n').append(line);
            }
        }
        addIfProblem(problems, entry, level);
        return problems;
    }

    /** Fails with every entry about the plugin in {@code logs} (files that do not exist are skipped). */
    void assertClean(List<Path> logs) {
        List<String> found = new ArrayList<>();
        for (Path log : logs) {
            try {
                if (Files.exists(log)) {
                    problems(Files.readString(log)).forEach(problem -> found.add(log.getFileName() + ": " + problem));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + log, e);
            }
        }
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " WARN or ERROR entries about the plugin (" + String.join(", ",
                    names) + ") in the server's logs:\n" + String.join("\n", found));
        }
    }

    private void addIfProblem(List<String> problems, StringBuilder entry, String level) {
        if (entry == null || !PROBLEM_LEVELS.contains(level)) {
            return;
        }
        String text = entry.toString().toLowerCase(Locale.ROOT);
        String firstLine = text.lines().findFirst().orElse("");
        if (text.contains(TERMINATED) && names.stream().noneMatch(firstLine::contains)) {
            return;
        }
        if (names.stream().anyMatch(text::contains)) {
            problems.add(entry.toString());
        }
    }
}
