package dev.binlogproxy.testkit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-user cache of things that are slow to make and never change: the unpacked MySQL tarball and the
 * initialized template data directories. Entries are shared by every JVM of the user (parallel Maven modules,
 * surefire forks), so each is built under a file lock, in a temporary directory that is renamed into place, and
 * marked complete only after the rename; a JVM killed half-way leaves nothing that looks finished.
 */
final class Cache {

    private static final Logger LOG = LoggerFactory.getLogger(Cache.class);

    /** Cache root; the default is {@code ~/.cache/binlog-proxy}. */
    static final String PROPERTY = "binlogproxy.testkit.cache";

    /** File locks are per JVM, so threads of one JVM also need a monitor; FileChannel.lock would throw for them. */
    private static final ConcurrentMap<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private Cache() {
    }

    interface Builder {
        void buildInto(Path emptyDir) throws IOException, InterruptedException;
    }

    static Path root() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath();
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "binlog-proxy");
    }

    /** Returns {@code entry}, building it first if no JVM has finished doing so yet. */
    static Path getOrBuild(Path entry, Builder builder) {
        Path marker = entry.resolveSibling(entry.getFileName() + ".complete");
        if (Files.exists(marker)) {
            return entry;
        }
        synchronized (JVM_LOCKS.computeIfAbsent(entry, e -> new Object())) {
            try {
                Files.createDirectories(entry.getParent());
                Path lockFile = entry.resolveSibling(entry.getFileName() + ".lock");
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE)) {
                    // Released with the channel; blocks while another JVM builds the same entry.
                    channel.lock();
                    if (Files.exists(marker)) {
                        return entry; // another JVM built it while this one waited for the lock
                    }
                    // Holding the lock, this JVM is the only builder: anything else here is the remains of a JVM
                    // that died while building, or between the rename and the marker.
                    FileTrees.deleteTree(entry);
                    String workPrefix = entry.getFileName() + ".building-";
                    try (DirectoryStream<Path> stale = Files.newDirectoryStream(entry.getParent(), workPrefix + "*")) {
                        for (Path dir : stale) {
                            FileTrees.deleteTree(dir);
                        }
                    }
                    Path work = entry.resolveSibling(workPrefix + ProcessHandle.current().pid());
                    Files.createDirectories(work);
                    LOG.info("Building {} (once per user and version)", entry);
                    long started = System.nanoTime();
                    try {
                        builder.buildInto(work);
                        Files.move(work, entry, StandardCopyOption.ATOMIC_MOVE);
                        Files.createFile(marker);
                        LOG.info("Built {} in {} ms", entry, (System.nanoTime() - started) / 1_000_000);
                    } finally {
                        FileTrees.deleteTree(work);
                    }
                    return entry;
                }
            } catch (IOException e) {
                throw new TestkitException("Cannot build cache entry " + entry + ": " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestkitException("Interrupted while building cache entry " + entry, e);
            }
        }
    }
}
