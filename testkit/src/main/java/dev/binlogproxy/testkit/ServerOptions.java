package dev.binlogproxy.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * How to start one server. Immutable; build with {@link #mysql()}, {@link #mariadb()} or {@link #builder(Flavor)}.
 *
 * <p>Settings the kit always applies (chosen for fast tests, see {@link DbServer}): performance_schema OFF, a 64 MB
 * InnoDB buffer pool, skip-name-resolve, bind-address 127.0.0.1, mysqlx OFF (MySQL), log_slave_updates ON, the error
 * log in the instance directory. Durability settings ({@code innodb_flush_log_at_trx_commit}, {@code sync_binlog})
 * stay at the server's defaults because benchmarks measure real fsync cost; change them with {@link
 * Builder#extraFlag(String...)}, which is applied last and so wins over anything the kit sets.
 */
public final class ServerOptions {

    /** Server ids handed out when the caller sets none; 1..99 stay free for ids tests pick by hand (a proxy's own). */
    private static final AtomicInteger NEXT_SERVER_ID = new AtomicInteger(100);

    private static final Set<String> CHECKSUMS = Set.of("CRC32", "NONE");
    private static final Set<String> FORMATS = Set.of("ROW", "STATEMENT", "MIXED");
    private static final Pattern BASENAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern FLAG = Pattern.compile("--[A-Za-z0-9_-]+(=.*)?", Pattern.DOTALL);

    private final Flavor flavor;
    private final boolean gtid;
    private final String binlogChecksum;
    private final String binlogFormat;
    private final Long maxAllowedPacket;
    private final Long maxBinlogSize;
    private final Integer serverId;
    private final boolean semiSyncMaster;
    private final boolean semiSyncSlave;
    private final String logBasename;
    private final List<String> extraFlags;
    private final Duration startTimeout;

    private ServerOptions(Builder b) {
        this.flavor = b.flavor;
        this.gtid = b.gtid;
        this.binlogChecksum = b.binlogChecksum;
        this.binlogFormat = b.binlogFormat;
        this.maxAllowedPacket = b.maxAllowedPacket;
        this.maxBinlogSize = b.maxBinlogSize;
        this.serverId = b.serverId;
        this.semiSyncMaster = b.semiSyncMaster;
        this.semiSyncSlave = b.semiSyncSlave;
        this.logBasename = b.logBasename;
        this.extraFlags = List.copyOf(b.extraFlags);
        this.startTimeout = b.startTimeout;
    }

    public static Builder mysql() {
        return new Builder(Flavor.MYSQL);
    }

    public static Builder mariadb() {
        return new Builder(Flavor.MARIADB);
    }

    public static Builder builder(Flavor flavor) {
        return new Builder(Objects.requireNonNull(flavor, "flavor"));
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public Flavor flavor() {
        return flavor;
    }

    /** MySQL: gtid_mode and enforce_gtid_consistency ON. MariaDB always writes GTIDs; there it changes nothing. */
    public boolean gtid() {
        return gtid;
    }

    /** {@code CRC32} or {@code NONE}. */
    public String binlogChecksum() {
        return binlogChecksum;
    }

    /** {@code ROW}, {@code STATEMENT} or {@code MIXED}. */
    public String binlogFormat() {
        return binlogFormat;
    }

    public OptionalLong maxAllowedPacket() {
        return maxAllowedPacket == null ? OptionalLong.empty() : OptionalLong.of(maxAllowedPacket);
    }

    public OptionalLong maxBinlogSize() {
        return maxBinlogSize == null ? OptionalLong.empty() : OptionalLong.of(maxBinlogSize);
    }

    /** Empty when the kit picks one at start ({@link DbServer#serverId()} tells which). */
    public OptionalInt serverId() {
        return serverId == null ? OptionalInt.empty() : OptionalInt.of(serverId);
    }

    public boolean semiSyncMaster() {
        return semiSyncMaster;
    }

    public boolean semiSyncSlave() {
        return semiSyncSlave;
    }

    /** Binlog file base name: files are {@code <logBasename>.000001} and so on, in {@link DbServer#binlogDir()}. */
    public String logBasename() {
        return logBasename;
    }

    /** Raw server flags ({@code --name=value}), passed after everything the kit sets. */
    public List<String> extraFlags() {
        return extraFlags;
    }

    /** How long {@link DbServer#start} and {@link DbServer#restart()} wait for the server to accept connections. */
    public Duration startTimeout() {
        return startTimeout;
    }

    /** The next id of this JVM's sequence, for options that leave the server id open. */
    static int nextServerId() {
        return NEXT_SERVER_ID.getAndIncrement();
    }

    @Override
    public String toString() {
        return "ServerOptions{" + flavor.name().toLowerCase(Locale.ROOT)
                + ", gtid=" + gtid
                + ", binlogChecksum=" + binlogChecksum
                + ", binlogFormat=" + binlogFormat
                + (maxAllowedPacket == null ? "" : ", maxAllowedPacket=" + maxAllowedPacket)
                + (maxBinlogSize == null ? "" : ", maxBinlogSize=" + maxBinlogSize)
                + (serverId == null ? "" : ", serverId=" + serverId)
                + (semiSyncMaster ? ", semiSyncMaster" : "")
                + (semiSyncSlave ? ", semiSyncSlave" : "")
                + ", logBasename=" + logBasename
                + (extraFlags.isEmpty() ? "" : ", extraFlags=" + extraFlags)
                + "}";
    }

    /** Mutable, not thread-safe; {@link #build()} checks the combination. */
    public static final class Builder {
        private final Flavor flavor;
        private boolean gtid = true;
        private String binlogChecksum = "CRC32";
        private String binlogFormat = "ROW";
        private Long maxAllowedPacket;
        private Long maxBinlogSize;
        private Integer serverId;
        private boolean semiSyncMaster;
        private boolean semiSyncSlave;
        private String logBasename = "mysql-bin";
        private final List<String> extraFlags = new ArrayList<>();
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder(Flavor flavor) {
            this.flavor = flavor;
        }

        private Builder(ServerOptions o) {
            this.flavor = o.flavor;
            this.gtid = o.gtid;
            this.binlogChecksum = o.binlogChecksum;
            this.binlogFormat = o.binlogFormat;
            this.maxAllowedPacket = o.maxAllowedPacket;
            this.maxBinlogSize = o.maxBinlogSize;
            this.serverId = o.serverId;
            this.semiSyncMaster = o.semiSyncMaster;
            this.semiSyncSlave = o.semiSyncSlave;
            this.logBasename = o.logBasename;
            this.extraFlags.addAll(o.extraFlags);
            this.startTimeout = o.startTimeout;
        }

        public Builder gtid(boolean gtid) {
            this.gtid = gtid;
            return this;
        }

        public Builder binlogChecksum(String checksum) {
            String c = Objects.requireNonNull(checksum, "checksum").toUpperCase(Locale.ROOT);
            if (!CHECKSUMS.contains(c)) {
                throw new IllegalArgumentException("binlogChecksum: " + checksum + " (expected: CRC32 or NONE)");
            }
            this.binlogChecksum = c;
            return this;
        }

        public Builder binlogFormat(String format) {
            String f = Objects.requireNonNull(format, "format").toUpperCase(Locale.ROOT);
            if (!FORMATS.contains(f)) {
                throw new IllegalArgumentException("binlogFormat: " + format + " (expected: ROW, STATEMENT or MIXED)");
            }
            this.binlogFormat = f;
            return this;
        }

        /** Bytes; the servers accept 1024 .. 1 GiB and round down to a multiple of 1024. */
        public Builder maxAllowedPacket(long bytes) {
            if (bytes < 1024 || bytes > 1L << 30) {
                throw new IllegalArgumentException("maxAllowedPacket: " + bytes + " (expected: 1024 .. 1073741824)");
            }
            this.maxAllowedPacket = bytes;
            return this;
        }

        /** Bytes; the servers accept 4096 .. 1 GiB. Small values make rotation tests cheap. */
        public Builder maxBinlogSize(long bytes) {
            if (bytes < 4096 || bytes > 1L << 30) {
                throw new IllegalArgumentException("maxBinlogSize: " + bytes + " (expected: 4096 .. 1073741824)");
            }
            this.maxBinlogSize = bytes;
            return this;
        }

        public Builder serverId(int serverId) {
            if (serverId <= 0) {
                throw new IllegalArgumentException("serverId: " + serverId + " (expected: > 0)");
            }
            this.serverId = serverId;
            return this;
        }

        /** MariaDB only (rpl_semi_sync_master_enabled). */
        public Builder semiSyncMaster(boolean enabled) {
            this.semiSyncMaster = enabled;
            return this;
        }

        /** MariaDB only (rpl_semi_sync_slave_enabled). */
        public Builder semiSyncSlave(boolean enabled) {
            this.semiSyncSlave = enabled;
            return this;
        }

        public Builder logBasename(String basename) {
            if (basename == null || !BASENAME.matcher(basename).matches()) {
                throw new IllegalArgumentException("logBasename: " + basename + " (expected: [A-Za-z0-9_.-]+)");
            }
            this.logBasename = basename;
            return this;
        }

        /** Adds raw flags such as {@code --sync-binlog=0}; they come last on the command line, so they win. */
        public Builder extraFlag(String... flags) {
            for (String flag : flags) {
                if (flag == null || !FLAG.matcher(flag).matches()) {
                    throw new IllegalArgumentException("extraFlag: " + flag + " (expected: --name or --name=value)");
                }
                if (flag.startsWith("--defaults") || flag.equals("--no-defaults")) {
                    // Option-file flags are only honoured as the first argument; the kit owns that slot.
                    throw new IllegalArgumentException("extraFlag: " + flag + " (option files are not supported)");
                }
                extraFlags.add(flag);
            }
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startTimeout: " + timeout + " (expected: > 0)");
            }
            this.startTimeout = timeout;
            return this;
        }

        public ServerOptions build() {
            if (flavor == Flavor.MYSQL && (semiSyncMaster || semiSyncSlave)) {
                throw new IllegalArgumentException("MySQL 8.0.15 tarball ships no semisync plugin");
            }
            return new ServerOptions(this);
        }
    }
}
