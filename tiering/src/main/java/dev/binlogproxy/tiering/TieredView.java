package dev.binlogproxy.tiering;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An archive as the read-only tools (find, export) see it with tiering: a temporary directory holding links to
 * the archive's own files and {@code archive.properties}, plus a checked download of every tiered file that is no
 * longer on the local disk. The tools then read it as any archive directory. Deleted on close.
 */
public final class TieredView implements AutoCloseable {
    private static final Pattern BINLOG = Pattern.compile(".+\\.[0-9]+");

    private final Path dir;
    private final List<String> fetched;

    private TieredView(Path dir, List<String> fetched) {
        this.dir = dir;
        this.fetched = fetched;
    }

    /**
     * Builds the view of {@code archiveDir} in a new directory under {@code tmpParent}, fetching the tiered files
     * the archive no longer has (each checked against its record).
     */
    public static TieredView of(Path archiveDir, Tiering.Remote remote, Path tmpParent) throws IOException {
        Path dir = Files.createTempDirectory(tmpParent, "binlog-proxy-tiered-");
        List<String> fetched = new ArrayList<>();
        TieredView view = new TieredView(dir, fetched);
        try {
            try (Stream<Path> list = Files.list(archiveDir)) {
                for (Path p : list.toList()) {
                    String name = p.getFileName().toString();
                    if (Files.isRegularFile(p) && (BINLOG.matcher(name).matches()
                            || name.equals("archive.properties"))) {
                        Files.createSymbolicLink(dir.resolve(name), p.toAbsolutePath());
                    }
                }
            }
            for (TieredFile f : remote.files()) {
                if (!Files.exists(dir.resolve(f.name()))) {
                    remote.fetch(f, dir.resolve(f.name()));
                    fetched.add(f.name());
                }
            }
            return view;
        } catch (IOException | RuntimeException e) {
            view.close();
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    /** The files that came from the bucket, in binlog order. */
    public List<String> fetched() {
        return fetched;
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
