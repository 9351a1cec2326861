package dev.binlogproxy.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory that holds every instance of every JVM on the machine, and the three layers that keep it clean:
 * {@link DbServer#close()}, a shutdown hook for instances a test forgot, and a sweep at the kit's first use in a JVM
 * for what a JVM killed with -9 left behind (its servers are already dead by then, killed by their watchdogs).
 */
final class KitRoot {

    /** Overrides the kit root; the default is {@code ${java.io.tmpdir}/binlog-proxy-testkit}. */
    static final String ROOT_PROPERTY = "binlogproxy.testkit.root";

    private static final Logger LOG = LoggerFactory.getLogger(KitRoot.class);

    /**
     * A directory without an owner file is either being created right now or the debris of a crash in the few
     * microseconds between mkdir and writing the file; only the latter gets old.
     */
    private static final Duration UNOWNED_GRACE = Duration.ofMinutes(10);

    /**
     * Strong references to every running instance. Besides feeding the shutdown hook, this keeps each watchdog's
     * Process reachable: a collected Process closes its stdin pipe, and the watchdog would kill a server that a
     * test still means to use.
     */
    private static final Set<DbServer> LIVE = ConcurrentHashMap.newKeySet();

    private static boolean initialized;

    private KitRoot() {
    }

    static Path root() {
        String configured = System.getProperty(ROOT_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath();
        }
        return Paths.get(System.getProperty("java.io.tmpdir"), "binlog-proxy-testkit").toAbsolutePath();
    }

    /** Sweeps the root and installs the shutdown hook, once per JVM. */
    static synchronized void ensureInitialized() {
        if (initialized) {
            return;
        }
        try {
            Files.createDirectories(root());
        } catch (IOException e) {
            throw new TestkitException("Cannot create the kit root " + root() + ": " + e, e);
        }
        sweep();
        Runtime.getRuntime().addShutdownHook(new Thread(KitRoot::closeAll, "binlog-proxy-testkit-shutdown"));
        initialized = true;
    }

    static void register(DbServer server) {
        LIVE.add(server);
    }

    static void unregister(DbServer server) {
        LIVE.remove(server);
    }

    private static void closeAll() {
        for (DbServer server : new ArrayList<>(LIVE)) {
            try {
                server.close();
            } catch (RuntimeException e) {
                // Keep going: the other instances still deserve their cleanup, and the sweep catches this one.
                System.err.println("binlog-proxy testkit: closing " + server + " at shutdown failed: " + e);
            }
        }
    }

    /** Creates {@code <root>/<flavor>-<serverId>-<random>} and claims it for this JVM. */
    static InstanceLayout newInstance(Flavor flavor, int serverId) {
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        Path dir = root().resolve(flavor.name().toLowerCase(Locale.ROOT) + "-" + serverId + "-"
                + HexFormat.of().formatHex(random));
        InstanceLayout layout = new InstanceLayout(dir);
        try {
            Files.createDirectories(root());
            Files.createDirectory(dir);
            Files.writeString(layout.ownerFile(), ownerLine(ProcessHandle.current()), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new TestkitException("Cannot create instance directory " + dir + ": " + e, e);
        }
        return layout;
    }

    /** "pid startMillis": the start time tells a live owner apart from an unrelated process that reused its pid. */
    private static String ownerLine(ProcessHandle process) {
        return process.pid() + " " + process.info().startInstant().map(Instant::toEpochMilli).orElse(-1L) + "\n";
    }

    /**
     * Removes instance directories whose owner JVM is gone, killing a server that survived its owner (only if its
     * command line names the directory, so a reused pid is never hit). Returns the directories removed.
     */
    static List<Path> sweep() {
        List<Path> removed = new ArrayList<>();
        Path root = root();
        if (!Files.isDirectory(root)) {
            return removed;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                try {
                    if (isOrphan(new InstanceLayout(dir))) {
                        killSurvivor(new InstanceLayout(dir));
                        FileTrees.deleteTree(dir);
                        removed.add(dir);
                        LOG.info("Removed orphaned test server directory {}", dir);
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Cannot sweep {}: {}", dir, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot list {}: {}", root, e.toString());
        }
        return removed;
    }

    private static boolean isOrphan(InstanceLayout layout) throws IOException {
        Path owner = layout.ownerFile();
        if (!Files.exists(owner)) {
            Instant modified = Files.getLastModifiedTime(layout.dir()).toInstant();
            return modified.isBefore(Instant.now().minus(UNOWNED_GRACE));
        }
        String[] fields = Files.readString(owner, StandardCharsets.US_ASCII).trim().split("\\s+");
        if (fields.length != 2) {
            return true;
        }
        long pid = Long.parseLong(fields[0]);
        long startMillis = Long.parseLong(fields[1]);
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return true;
        }
        Optional<Instant> started = process.get().info().startInstant();
        if (startMillis < 0 || started.isEmpty()) {
            return false; // cannot tell a reused pid from the owner; leaving a directory beats deleting a live one
        }
        // Both sides derive the instant from the same /proc data, but allow for rounding.
        return Math.abs(started.get().toEpochMilli() - startMillis) > 2_000;
    }

    private static void killSurvivor(InstanceLayout layout) throws IOException {
        Path pidFile = layout.serverPidFile();
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
        Optional<ProcessHandle> server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (server.isEmpty()) {
            return;
        }
        String commandLine = server.get().info().commandLine().orElse("");
        if (!commandLine.contains(layout.dataDir().toString())) {
            return;
        }
        LOG.warn("Killing test server pid {} that outlived its JVM ({})", pid, layout.dir());
        server.get().destroyForcibly();
        try {
            server.get().onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while waiting for test server pid " + pid + " to exit", e);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Test server pid {} did not exit after SIGKILL: {}", pid, e.toString());
        }
    }
}
