package dev.binlogproxy.testkit;

import java.time.Duration;
import java.util.Objects;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that runs one {@link DbServer} for a test class:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RealServer master = RealServer.mariadb().semiSyncMaster(true).build();
 * ...
 * master.server().execute("CREATE TABLE t (id INT PRIMARY KEY)");
 * }</pre>
 *
 * <p>In a static field the server starts before the first test of the class and is closed after the last (nested
 * classes share it). In an instance field, where JUnit calls no class-level callbacks, it lives for one test method
 * instead.
 */
public final class RealServer implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private final ServerOptions options;
    private DbServer server;
    /** Class-level scopes open: JUnit calls beforeAll again for each @Nested class, which must share the server. */
    private int classScopes;
    private boolean perMethod;

    private RealServer(ServerOptions options) {
        this.options = options;
    }

    public static RealServer of(ServerOptions options) {
        return new RealServer(Objects.requireNonNull(options, "options"));
    }

    public static Builder mysql() {
        return new Builder(ServerOptions.mysql());
    }

    public static Builder mariadb() {
        return new Builder(ServerOptions.mariadb());
    }

    /** The running server; only between the callbacks that start and close it. */
    public synchronized DbServer server() {
        if (server == null) {
            throw new IllegalStateException("The server is not started: RealServer starts it before the tests of "
                    + "the class that registers it (@RegisterExtension)");
        }
        return server;
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        if (classScopes++ == 0) {
            server = DbServer.start(options);
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (--classScopes == 0) {
            closeServer();
        }
    }

    @Override
    public synchronized void beforeEach(ExtensionContext context) {
        if (server == null) {
            perMethod = true;
            server = DbServer.start(options);
        }
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) {
        if (perMethod) {
            closeServer();
        }
    }

    private void closeServer() {
        DbServer s = server;
        server = null;
        if (s != null) {
            s.close();
        }
    }

    /** The options of {@link ServerOptions.Builder}, ending in a {@link RealServer}. */
    public static final class Builder {
        private final ServerOptions.Builder options;

        private Builder(ServerOptions.Builder options) {
            this.options = options;
        }

        public Builder gtid(boolean gtid) {
            options.gtid(gtid);
            return this;
        }

        public Builder binlogChecksum(String checksum) {
            options.binlogChecksum(checksum);
            return this;
        }

        public Builder binlogFormat(String format) {
            options.binlogFormat(format);
            return this;
        }

        public Builder maxAllowedPacket(long bytes) {
            options.maxAllowedPacket(bytes);
            return this;
        }

        public Builder maxBinlogSize(long bytes) {
            options.maxBinlogSize(bytes);
            return this;
        }

        public Builder serverId(int serverId) {
            options.serverId(serverId);
            return this;
        }

        public Builder semiSyncMaster(boolean enabled) {
            options.semiSyncMaster(enabled);
            return this;
        }

        public Builder semiSyncSlave(boolean enabled) {
            options.semiSyncSlave(enabled);
            return this;
        }

        public Builder logBasename(String basename) {
            options.logBasename(basename);
            return this;
        }

        public Builder extraFlag(String... flags) {
            options.extraFlag(flags);
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            options.startTimeout(timeout);
            return this;
        }

        public RealServer build() {
            return new RealServer(options.build());
        }
    }
}
