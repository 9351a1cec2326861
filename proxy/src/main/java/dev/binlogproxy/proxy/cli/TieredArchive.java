package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.proxy.config.ConfigException;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.tiering.Tiering;
import dev.binlogproxy.tiering.TieredView;
import dev.binlogproxy.tiering.TieringSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the read-only tools read with {@code --config}: the archive directory itself without tiering, or a view of
 * it with every tiered file fetched back (checked) into a temporary directory, deleted on close.
 */
final class TieredArchive implements AutoCloseable {
    private final Path dir;
    private final TieredView view;

    private TieredArchive(Path dir, TieredView view) {
        this.dir = dir;
        this.view = view;
    }

    /** The tiering settings of the configuration at {@code config}; empty without one or without tiering. */
    static Optional<TieringSettings> settings(Path config) throws ConfigException {
        return config == null ? Optional.empty() : Optional.ofNullable(ProxyConfig.load(config).tiering());
    }

    /** {@code archive} as the tools should read it; notes what came from the bucket on {@code err}. */
    static TieredArchive open(Path archive, Optional<TieringSettings> tiering, PrintStream err) throws IOException {
        if (tiering.isEmpty()) {
            return new TieredArchive(archive, null);
        }
        try (Tiering.Remote remote = Tiering.Remote.open(tiering.get(), archive)) {
            TieredView v = TieredView.of(archive, remote, Path.of(System.getProperty("java.io.tmpdir")));
            if (!v.fetched().isEmpty()) {
                err.println("note: " + v.fetched().size() + " tiered file(s) fetched from " + tiering.get()
                        + " (" + v.fetched().get(0) + " .. " + v.fetched().get(v.fetched().size() - 1) + ")");
            }
            return new TieredArchive(v.dir(), v);
        }
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        if (view != null) {
            view.close();
        }
    }
}
