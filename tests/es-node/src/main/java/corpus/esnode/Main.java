package corpus.esnode;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts ONE Elasticsearch node for the integration tests and supervises it.
 *
 * <p>The node is the genuine Elasticsearch server of the official integ-test distribution that
 * {@code mvn package} unpacks into {@code target/elasticsearch-<version>/} (plus this project's
 * test-support plugin, installed there by the same build). It is started the way Elasticsearch
 * starts itself ({@code bin/elasticsearch}, i.e. the CLI launcher that spawns the server JVM), with
 * every setting given on the command line:
 * single node, HTTP on 127.0.0.1:PORT, cluster name {@code corpus-test}, security disabled.
 *
 * <p>Usage: {@code java -jar target/es-node.jar [PORT] [STATE_DIR]}; or the environment variables
 * {@code ES_PORT} (default 9200), {@code ES_DATA} (the state directory, default {@code ./data}; it gets
 * {@code data/} = path.data, {@code logs/}, {@code config/} and {@code tmp/}), {@code ES_HEAP}
 * (default {@code 512m}), {@code ES_JAVA_HOME} (default: the JVM running this launcher),
 * {@code ES_HOME} (default: the distribution next to this jar), {@code ES_RUN_AS} (the user the node
 * runs as when the launcher runs as root, default {@code nobody}: Elasticsearch refuses to run as root).
 * Prints a line starting with {@code [es-node] es-node started} once the cluster is at least yellow;
 * SIGTERM/SIGINT stop the node cleanly (SIGKILL of the launcher would orphan the node).
 */
public final class Main {

    public static final String CLUSTER_NAME = "corpus-test";

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        int port = Integer.parseInt(args.length > 0 ? args[0] : env.getOrDefault("ES_PORT", "9200"));
        Path state = Path.of(args.length > 1 ? args[1] : env.getOrDefault("ES_DATA", "data")).toAbsolutePath().normalize();
        String heap = env.getOrDefault("ES_HEAP", "512m");
        Path home = esHome(env);
        // layout of the state directory: data/ (path.data), logs/, config/ (a copy of the distribution's), tmp/
        Path data = state.resolve("data");
        Path logs = state.resolve("logs");
        Path conf = state.resolve("config");
        Path tmp = state.resolve("tmp");
        for (Path p : List.of(data, logs, tmp)) {
            Files.createDirectories(p);
        }
        if (Files.exists(conf.resolve("elasticsearch.yml")) == false) {
            copyTree(home.resolve("config"), conf);
        }

        List<String> cmd = new ArrayList<>();
        // Elasticsearch refuses to run as root ("can not run elasticsearch as root"): as root, run the
        // node as an unprivileged user (ES_RUN_AS, default nobody) that owns the state directory.
        String runAs = env.getOrDefault("ES_RUN_AS", "nobody");
        if ("root".equals(System.getProperty("user.name")) && runAs.isEmpty() == false) {
            String uid = id("-u", runAs);
            String gid = id("-g", runAs);
            exec("chown", "-R", uid + ":" + gid, state.toString());
            List<String> drop = List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--");
            List<String> probe = new ArrayList<>(drop);
            probe.addAll(List.of("test", "-r", home.resolve("lib").resolve("cli-launcher").toString(), "-a", "-x",
                home.resolve("lib").toString(), "-a", "-w", state.toString()));
            if (new ProcessBuilder(probe).inheritIO().start().waitFor() != 0) {
                throw new IllegalStateException("user " + runAs + " (ES_RUN_AS) cannot read " + home + " or write " + state
                    + ": every parent directory of both must be searchable (o+x) by that user");
            }
            cmd.addAll(drop);
        }
        cmd.addAll(List.of("bash", home.resolve("bin/elasticsearch").toString()));
        for (String s : List.of(
                "cluster.name=" + CLUSTER_NAME,
                "node.name=" + CLUSTER_NAME + "-node",
                "discovery.type=single-node",
                "network.host=127.0.0.1",
                "http.port=" + port,
                "transport.port=" + (port + 100) + "-" + (port + 200),
                "path.data=" + data,
                "path.logs=" + logs,
                "xpack.security.enabled=false",
                "bootstrap.memory_lock=false",
                // test conveniences: wildcard deletes of test indices, no read-only blocks on a full CI disk
                "action.destructive_requires_name=false",
                "cluster.routing.allocation.disk.threshold_enabled=false")) {
            cmd.add("-E" + s);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(logs.toFile()).inheritIO();
        Map<String, String> penv = pb.environment();
        penv.putIfAbsent("ES_JAVA_HOME", System.getProperty("java.home"));
        penv.remove("JAVA_HOME");
        penv.put("ES_PATH_CONF", conf.toString());
        penv.put("ES_TMPDIR", tmp.toString());
        penv.put("HOME", state.toString());
        String opts = "-Xms" + heap + " -Xmx" + heap + " -XX:-HeapDumpOnOutOfMemoryError";
        penv.put("ES_JAVA_OPTS", opts + " " + env.getOrDefault("ES_JAVA_OPTS", ""));

        log("starting Elasticsearch from " + home + " on 127.0.0.1:" + port + ", state dir " + state + ", heap " + heap
            + ", java " + penv.get("ES_JAVA_HOME"));
        Instant t0 = Instant.now();
        Process proc = pb.start();

        Thread hook = new Thread(() -> stop(proc), "es-node-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        boolean up = false;
        while (proc.isAlive()) {
            if (healthy(port)) {
                up = true;
                break;
            }
            Thread.sleep(250);
        }
        if (up) {
            log("es-node started: http://127.0.0.1:" + port + " cluster=" + CLUSTER_NAME + " (cluster health >= yellow after "
                + Duration.between(t0, Instant.now()).toMillis() + " ms)");
        }
        int rc = proc.waitFor();
        log("Elasticsearch exited with code " + rc);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return; // the hook owns the exit
        }
        System.exit(rc == 0 && up ? 0 : (rc == 0 ? 1 : rc));
    }

    private static Path esHome(Map<String, String> env) throws Exception {
        if (env.containsKey("ES_HOME")) {
            return Path.of(env.get("ES_HOME")).toAbsolutePath().normalize();
        }
        Path jarDir = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        File[] candidates = jarDir.toFile().listFiles((d, n) -> n.startsWith("elasticsearch-")
            && new File(d, n + "/bin/elasticsearch").isFile());
        if (candidates == null || candidates.length != 1) {
            throw new IllegalStateException("cannot find the unpacked Elasticsearch distribution next to " + jarDir
                + " (run mvn package, or set ES_HOME)");
        }
        return candidates[0].toPath();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (p.getFileName().toString().equals("elasticsearch.keystore") == false) {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static String id(String flag, String user) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", flag, user).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("unknown user [" + user + "] (ES_RUN_AS): " + out);
        }
        return out;
    }

    private static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", cmd));
        }
    }

    private static boolean healthy(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(
                "http://127.0.0.1:" + port + "/_cluster/health?wait_for_status=yellow&timeout=1s").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(3000);
            try {
                return c.getResponseCode() == 200;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM to the CLI launcher (bin/elasticsearch execs it), which stops the server JVM cleanly. */
    private static void stop(Process proc) {
        if (proc.isAlive() == false) {
            return;
        }
        log("stopping Elasticsearch (pid " + proc.pid() + ")");
        List<ProcessHandle> descendants = proc.descendants().toList();
        proc.destroy();
        try {
            if (proc.waitFor(60, TimeUnit.SECONDS) == false) {
                log("Elasticsearch did not stop within 60 s, killing it");
                proc.destroyForcibly();
            }
            for (ProcessHandle h : descendants) {
                h.onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            descendants.forEach(ProcessHandle::destroyForcibly);
        }
        log("Elasticsearch stopped");
    }

    private static void log(String msg) {
        System.out.println("[es-node] " + msg);
        System.out.flush();
    }
}
