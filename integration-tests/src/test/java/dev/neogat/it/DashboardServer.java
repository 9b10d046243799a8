package dev.neogat.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.TreeMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Serves the built dashboard page (dashboard/dist) on the loopback interface, for the demo and the browser
 * test. Static files only; the page itself talks to Neo4j over Bolt.
 */
public final class DashboardServer implements AutoCloseable {

    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "json", "application/json", "svg", "image/svg+xml",
            "png", "image/png", "map", "application/json");

    private final HttpServer server;

    private DashboardServer(HttpServer server) {
        this.server = server;
    }

    /** The page's directory: {@code dist} under {@code neogat.dashboard.dir}, when it has been built. */
    public static Optional<Path> builtPage() {
        String dir = System.getProperty("neogat.dashboard.dir");
        if (dir == null) {
            return Optional.empty();
        }
        Path dist = Paths.get(dir).resolve("dist").toAbsolutePath().normalize();
        return Files.isRegularFile(dist.resolve("index.html")) ? Optional.of(dist) : Optional.empty();
    }

    public static DashboardServer start(Path root) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> serve(root, exchange));
            server.start();
            return new DashboardServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the dashboard's web server", e);
        }
    }

    /** The page's address with the given settings, in name order, as its query string (names: see the README). */
    public String pageUrl(Map<String, String> settings) {
        String query = new TreeMap<>(settings).entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + (query.isEmpty() ? "" : "?" + query);
    }

    private static void serve(Path root, HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            Path file = root.resolve(path.equals("/") ? "index.html" : path.substring(1)).normalize();
            if (!exchange.getRequestMethod().equals("GET") || !file.startsWith(root) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String name = file.getFileName().toString();
            String extension = name.substring(name.lastIndexOf('.') + 1);
            exchange.getResponseHeaders().set("Content-Type",
                    CONTENT_TYPES.getOrDefault(extension, "application/octet-stream"));
            byte[] body = Files.readAllBytes(file);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
