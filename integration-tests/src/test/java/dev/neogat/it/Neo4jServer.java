package dev.neogat.it;

import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Neo4j 5.26 Community server in its own JVM, assembled as a user would: a home with conf/neo4j.conf
 * (no {@code dbms.security.procedures.unrestricted}), the NeoGAT plugin jar and APOC core in plugins/, and
 * the server's jars from the neo4j-runtime module. It listens on a free loopback port; readiness is its log
 * saying "Started.". Stopping sends SIGTERM and, if the JVM is still there after a minute, SIGKILL; a JVM
 * shutdown hook does the same, so no server outlives the tests.
 */
public final class Neo4jServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    private final Path home;
    private final Path importDirectory;
    private final String heap;
    private final List<String> extraConfig;
    private final List<String> extraJvmOptions;
    private Process process;
    private int boltPort;
    private int starts;
    private Driver driver;
    private final Thread shutdownHook = new Thread(this::killQuietly, "neo4j-server-killer");

    private Neo4jServer(Path home, Path importDirectory, String heap, List<String> extraConfig,
                        List<String> extraJvmOptions) {
        this.home = home;
        this.importDirectory = importDirectory;
        this.heap = heap;
        this.extraConfig = List.copyOf(extraConfig);
        this.extraJvmOptions = List.copyOf(extraJvmOptions);
    }

    /** Lays out {@code home} and starts the server; {@code importDirectory} is LOAD CSV's root. */
    public static Neo4jServer start(Path home, Path importDirectory, String heap) {
        return start(home, importDirectory, heap, List.of(), List.of());
    }

    /**
     * As {@link #start(Path, Path, String)}, with neo4j.conf lines that override the defaults (e.g. the page
     * cache size) and further JVM options (e.g. a GC log) for the server process.
     */
    public static Neo4jServer start(Path home, Path importDirectory, String heap, List<String> extraConfig,
                                    List<String> extraJvmOptions) {
        Neo4jServer server = new Neo4jServer(home, importDirectory, heap, extraConfig, extraJvmOptions);
        server.layOut();
        server.startProcess();
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        return server;
    }

    static Path path(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + property + " is not set (run through Maven)");
        }
        return Paths.get(value).toAbsolutePath().normalize();
    }

    private void layOut() {
        try {
            Files.createDirectories(home.resolve("conf"));
            Files.createDirectories(home.resolve("plugins"));
            Files.createDirectories(home.resolve("logs"));
            Path pluginJar = path("neogat.plugin.jar");
            if (!Files.exists(pluginJar)) {
                throw new IllegalStateException("The plugin jar " + pluginJar + " was not built");
            }
            Files.copy(pluginJar, home.resolve("plugins").resolve(pluginJar.getFileName()),
                    StandardCopyOption.REPLACE_EXISTING);
            try (Stream<Path> apoc = Files.list(path("neogat.apoc.dir"))) {
                for (Path jar : (Iterable<Path>) apoc::iterator) {
                    Files.copy(jar, home.resolve("plugins").resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot lay out the Neo4j home " + home, e);
        }
    }

    private void writeConfig() throws IOException {
        boltPort = freePort();
        List<String> lines = new ArrayList<>(List.of(
                "server.directories.plugins=plugins",
                "server.directories.data=data",
                "server.directories.logs=logs",
                "server.directories.run=run",
                "server.default_listen_address=127.0.0.1",
                "server.bolt.listen_address=127.0.0.1:" + boltPort,
                "server.bolt.tls_level=DISABLED",
                "server.http.enabled=false",
                "server.https.enabled=false",
                "dbms.security.auth_enabled=false",
                "server.memory.pagecache.size=128m",
                "db.tx_log.preallocate=false",
                "dbms.usage_report.enabled=false",
                "internal.dbms.bolt.netty_server_shutdown_quiet_period=0"));
        if (importDirectory != null) {
            lines.add("server.directories.import=" + importDirectory.toAbsolutePath());
        }
        for (String line : extraConfig) {
            String key = line.substring(0, line.indexOf('=') + 1);
            lines.removeIf(existing -> existing.startsWith(key));
            lines.add(line);
        }
        Files.write(home.resolve("conf/neo4j.conf"), lines);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void startProcess() {
        try {
            writeConfig();
            // Readiness is read from a fresh neo4j.log; the earlier start's is kept for the log check.
            Path log = home.resolve("logs/neo4j.log");
            if (Files.exists(log)) {
                Files.move(log, home.resolve("logs/neo4j-start-" + starts + ".log"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
            starts++;
            String java = ProcessHandle.current().info().command().orElse("java");
            String classpath = home.resolve("plugins") + "/*:" + home.resolve("conf") + "/*:" + path("neogat.neo4j.lib")
                    + "/*";
            List<String> command = new ArrayList<>(List.of(java, "-Xms" + heap, "-Xmx" + heap,
                    "-XX:+ExitOnOutOfMemoryError", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED"));
            command.addAll(extraJvmOptions);
            command.addAll(List.of("-cp", classpath, "org.neo4j.server.CommunityEntryPoint", "--home-dir=" + home,
                    "--config-dir=" + home.resolve("conf")));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("logs/console.log").toFile()));
            process = builder.start();
            awaitStarted();
            driver = GraphDatabase.driver("bolt://127.0.0.1:" + boltPort, AuthTokens.none(),
                    Config.builder().withoutEncryption().withConnectionTimeout(30, TimeUnit.SECONDS).build());
            driver.verifyConnectivity();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start Neo4j in " + home, e);
        }
    }

    private void awaitStarted() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Path log = home.resolve("logs/neo4j.log");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Neo4j exited with code " + process.exitValue() + " while starting:\n"
                        + tail(home.resolve("logs/console.log"), 40) + tail(log, 40));
            }
            if (Files.exists(log) && Files.readString(log).contains("Started.")) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for Neo4j", e);
            }
        }
        killQuietly();
        throw new IllegalStateException("Neo4j did not start within " + START_TIMEOUT + ":\n" + tail(log, 40));
    }

    public Driver driver() {
        return driver;
    }

    public String boltUri() {
        return "bolt://127.0.0.1:" + boltPort;
    }

    public Path home() {
        return home;
    }

    /** Lines of the server's log that contain {@code text}. */
    public List<String> logLines(String text) {
        try {
            Path log = home.resolve("logs/neo4j.log");
            return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains(text)).toList() : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The server's logs of every start so far: debug.log, and neo4j.log of this start and the earlier ones. */
    public List<Path> logFiles() {
        List<Path> logs = new ArrayList<>(List.of(home.resolve("logs/debug.log")));
        for (int start = 1; start < starts; start++) {
            logs.add(home.resolve("logs/neo4j-start-" + start + ".log"));
        }
        logs.add(home.resolve("logs/neo4j.log"));
        return logs;
    }

    /** SIGTERM, then waits for a clean exit (SIGKILL after a minute). Returns the exit code. */
    public int stop() {
        closeDriver();
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.exitValue();
    }

    /** SIGKILL, as a crash or a power cut would. */
    public void kill() {
        closeDriver();
        killQuietly();
    }

    /** Whether the server process is running; its exit code otherwise comes from {@link #exitCode()}. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The server JVM's process id. */
    public long pid() {
        return process.pid();
    }

    public int exitCode() {
        return process.exitValue();
    }

    /** Starts the server again on the same home (and store). */
    public void startAgain() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("The server is still running");
        }
        startProcess();
    }

    private void killQuietly() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeDriver() {
        if (driver != null) {
            driver.close();
            driver = null;
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            stop();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")\n";
        }
    }
}
