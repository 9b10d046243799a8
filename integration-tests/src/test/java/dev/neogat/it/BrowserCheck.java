package dev.neogat.it;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs dashboard/test/browser-check.mjs: headless Chromium (Playwright) opens a page, waits for it to finish
 * drawing and reports what it rendered as JSON. {@link #unavailableBecause()} names what is missing on
 * machines without Node.js, Chromium or the built page.
 */
public final class BrowserCheck {

    private static final Path CHROMIUM = Paths.get(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    private BrowserCheck() {
    }

    public static Optional<String> unavailableBecause() {
        String dir = System.getProperty("neogat.dashboard.dir");
        if (dir == null) {
            return Optional.of("system property neogat.dashboard.dir is not set");
        }
        if (DashboardServer.builtPage().isEmpty()) {
            return Optional.of("the dashboard page is not built (" + dir + "/dist; it needs npm, see dashboard/build.sh)");
        }
        if (!Files.isDirectory(Paths.get(dir, "node_modules", "playwright-core"))) {
            return Optional.of("playwright-core is not installed in " + dir + "/node_modules");
        }
        if (!Files.isExecutable(CHROMIUM)) {
            return Optional.of(CHROMIUM + " not found (Debian package chromium; .ci/run installs it)");
        }
        return Optional.empty();
    }

    /** Opens the page, saves a full-page screenshot and returns the script's findings. */
    public static Map<String, Object> open(String url, Path screenshot) {
        Path dir = Paths.get(System.getProperty("neogat.dashboard.dir"));
        List<String> command = new ArrayList<>(List.of("node", "test/browser-check.mjs", url,
                screenshot.toAbsolutePath().toString(), CHROMIUM.toString()));
        try {
            Files.createDirectories(screenshot.toAbsolutePath().getParent());
            Process process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("The browser check did not finish in 180 s");
            }
            String text = new String(output, StandardCharsets.UTF_8).trim();
            String lastLine = text.substring(text.lastIndexOf('\n') + 1);
            if (!lastLine.startsWith("{")) {
                throw new IllegalStateException("The browser check printed no findings (exit code "
                        + process.exitValue() + "): " + text);
            }
            return new ObjectMapper().readValue(lastLine, new TypeReference<Map<String, Object>>() {
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the browser check", e);
        }
    }
}
