package dev.binlogproxy.bench.serve;

import dev.binlogproxy.bench.BenchResults;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.PacketHandler;
import dev.binlogproxy.client.ReplicaHandshake;
import dev.binlogproxy.client.ServerConnection;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.MasterStatus;
import dev.binlogproxy.testkit.ServerOptions;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * How the cost of tailing sessions grows: 10, 100, 1,000 (or the counts given) replicas dumping from one proxy,
 * each count on a fresh proxy started as users start it ({@link ProxyProcess}), beside the same count dumping from
 * the MariaDB master itself (the anchor). Per count: the commit-to-row-event latency at every session (p50, p99),
 * the serving process's peak RSS and threads, and its CPU seconds per 1,000 commits.
 *
 * <p>The sessions are the project's own client ({@link ServerConnection}) on one Netty event loop that only reads
 * each event's type, not mysql-binlog-connector-java: 1,000 connector clients would be 1,000 threads decoding every
 * row on the same 2 cores as the servers, and the latency measured would be theirs. One writer commits one row at a
 * time, {@code bench.scalePaceMs} apart, so the k-th WRITE_ROWS event a session sees is the k-th commit: no
 * decoding needed to know which commit arrived. The client's own CPU is printed beside the server's: at 1,000
 * sessions, one read and one wake-up per session and commit, it is nearly the proxy's, on the same 2 cores
 * ({@code bench.clientLoops} spreads the sessions over more loops; two changed nothing measurable,
 * docs/results.md, issue 12, session 19).
 *
 * <pre>bench/run-scale.sh [counts, e.g. 10,100,1000] [commits]</pre>
 */
public final class ScaleBench {
    private static final String USER = ProxyProcess.USER;
    private static final String PASSWORD = ProxyProcess.PASSWORD;
    private static final boolean WITH_PROXY = Boolean.parseBoolean(System.getProperty("bench.proxy", "true"));
    private static final boolean WITH_MASTER = Boolean.parseBoolean(System.getProperty("bench.master", "true"));
    private static final int WARM_UP = Integer.getInteger("bench.scaleWarmUp", 300);
    /**
     * The least gap between two commits, ms (each gap is this plus 0-6 ms). 1,000 sessions turn one commit into
     * 1,000 socket writes on each server and 1,000 reads here, all on 2 cores: at the serve benchmark's 2-8 ms both
     * the master and the proxy fall behind and the latency measured is a queue that grows for the whole run. 20 ms
     * (about 45 commits a second) is a rate both can carry at 1,000 sessions; a smaller gap shows saturation.
     */
    private static final int PACE_MS = Integer.getInteger("bench.scalePaceMs", 20);
    /** The client's event loops (the sessions spread over them); {@code bench.clientLoops}, default 1. */
    private static final int CLIENT_LOOPS = Integer.getInteger("bench.clientLoops", 1);
    private static final StringBuilder SUMMARY = new StringBuilder();

    private ScaleBench() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> counts = new ArrayList<>();
        for (String c : (args.length > 0 ? args[0] : "10,100,1000").split(",")) {
            counts.add(Integer.parseInt(c.trim()));
        }
        int commits = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        out("Scale benchmark, " + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " cpus, load "
                + Files.readString(Path.of("/proc/loadavg")).trim() + "; sessions " + counts + ", " + commits
                + " measured commits after " + WARM_UP + " untimed ones, " + PACE_MS + "-" + (PACE_MS + 6)
                + " ms apart, the client on " + CLIENT_LOOPS + " event loop(s)");
        int maxSessions = counts.stream().mapToInt(Integer::intValue).max().orElse(10);
        // semi-sync is on while the proxy runs (it acknowledges every commit, as in production) and off while
        // the master serves the sessions itself (nothing would acknowledge): the commit time then shows what the
        // fan-out costs the master's ack
        try (DbServer master = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true)
                .extraFlag("--rpl-semi-sync-master-timeout=10000")
                .extraFlag("--max-connections=" + (maxSessions + 100)).build())) {
            master.createReplicationUser(USER, PASSWORD);
            master.execute("CREATE DATABASE sc", "CREATE TABLE sc.t (id BIGINT PRIMARY KEY, v VARCHAR(100))");
            long nextId = 0;
            for (int n : counts) {
                if (WITH_MASTER) {
                    master.execute("SET GLOBAL rpl_semi_sync_master_enabled = 0");
                    Result m = run(master, master.port(), n, commits, nextId, master.pid());
                    nextId += commits + WARM_UP;
                    report("master", n, commits, m);
                }
                if (WITH_PROXY) {
                    master.execute("SET GLOBAL rpl_semi_sync_master_enabled = 1");
                    try (ProxyProcess proxy = ProxyProcess.start(master, 9700 + n, true)) {
                        proxy.awaitMirrored(master, Duration.ofMinutes(2));
                        awaitSemiSyncClient(master);
                        long noTxBefore = status(master, "Rpl_semi_sync_master_no_tx");
                        long idleKb = proxy.rssKb();
                        Result p = run(master, proxy.port(), n, commits, nextId, proxy.pid());
                        nextId += commits + WARM_UP;
                        out(String.format(Locale.ROOT, "  proxy idle RSS before the sessions %d MB", idleKb >> 10));
                        BenchResults.put("scale", "proxy_" + n + "_idle_rss_mb", idleKb >> 10);
                        report("proxy", n, commits, p);
                        long noTx = status(master, "Rpl_semi_sync_master_no_tx") - noTxBefore;
                        out(String.format(Locale.ROOT, "  commits the master did not get the proxy's ack for: %d",
                                noTx));
                        BenchResults.put("scale", "proxy_" + n + "_unacked_commits", noTx);
                    }
                }
            }
        }
        Path summary = Path.of(System.getProperty("bench.summary", "bench/target/scale-summary.txt"));
        Files.createDirectories(summary.toAbsolutePath().getParent());
        Files.writeString(summary, SUMMARY.toString());
    }

    private record Result(Latencies lat, Latencies commit, long peakRssKb, long threads, double cpuSeconds,
                          double clientCpuSeconds, Duration connectTime) {
    }

    private static long status(DbServer master, String name) {
        return Long.parseLong(master.globalStatus(name));
    }

    /** Until the master counts the proxy as its semi-sync replica (its dump has negotiated semi-sync). */
    private static void awaitSemiSyncClient(DbServer master) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (status(master, "Rpl_semi_sync_master_clients") < 1) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the proxy never became the master's semi-sync replica");
            }
            Thread.sleep(50);
        }
    }

    private static void report(String who, int n, int commits, Result r) {
        out(String.format(Locale.ROOT, "%-6s %5d sessions: %s; peak RSS %d MB, %d threads, %.2f CPU s per 1,000 "
                        + "commits (the bench's client %.2f; connecting them took %d ms); commit on the master%s p50 "
                        + "%.0f us, p99 %.0f us",
                who, n, r.lat.summary(), r.peakRssKb >> 10, r.threads, r.cpuSeconds * 1000 / commits,
                r.clientCpuSeconds * 1000 / commits, r.connectTime.toMillis(),
                who.equals("proxy") ? " (semi-sync, the proxy's ack)" : " (async)",
                r.commit.micros(0.5), r.commit.micros(0.99)));
        String k = who + "_" + n + "_";
        BenchResults.put("scale", k + "p50_us", r.lat.micros(0.5));
        BenchResults.put("scale", k + "p99_us", r.lat.micros(0.99));
        BenchResults.put("scale", k + "rss_mb", r.peakRssKb >> 10);
        BenchResults.put("scale", k + "threads", r.threads);
        BenchResults.put("scale", k + "cpu_s_per_1000_commits", r.cpuSeconds * 1000 / commits);
        BenchResults.put("scale", k + "client_cpu_s_per_1000_commits", r.clientCpuSeconds * 1000 / commits);
        BenchResults.put("scale", k + "commit_p50_us", r.commit.micros(0.5));
        BenchResults.put("scale", k + "commit_p99_us", r.commit.micros(0.99));
    }

    private static Result run(DbServer master, int port, int sessions, int commits, long firstId, long servingPid)
            throws Exception {
        MasterStatus at = master.masterStatus();
        int total = WARM_UP + commits;
        long[] committedAt = new long[total];
        Latencies lat = new Latencies();
        Latencies commitTimes = new Latencies();
        CountDownLatch allSawLast = new CountDownLatch(sessions);
        AtomicLong errors = new AtomicLong();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(CLIENT_LOOPS, NioIoHandler.newFactory());
        List<ServerConnection> conns = new ArrayList<>();
        long connectStart = System.nanoTime();
        try {
            for (int i = 0; i < sessions; i++) {
                ServerConnection c = ServerConnection.open(group, ConnectionSettings.plain("127.0.0.1", port, USER,
                        PASSWORD).withConnectTimeout(Duration.ofSeconds(30)));
                conns.add(c);
                long serverId = 80_000 + firstId + i;
                ReplicaHandshake.negotiate(c, serverId, Duration.ofSeconds(30), false, null);
                c.register(serverId);
                CompletableFuture<Void> ended = c.streamTo(new Counter(committedAt, WARM_UP, lat, allSawLast));
                ended.whenComplete((v, t) -> {
                    if (allSawLast.getCount() > 0) {
                        errors.incrementAndGet();
                        System.err.println("session " + serverId + " ended: " + t);
                    }
                });
                c.dump(at.file(), at.position(), 0, serverId);
            }
            Duration connectTime = Duration.ofNanos(System.nanoTime() - connectStart);
            long rss = Procs.statusKb(servingPid, "VmRSS");
            long threads = Procs.threads(servingPid);
            double cpuBefore = 0;
            double clientCpuBefore = 0;
            long self = ProcessHandle.current().pid();
            try (Connection m = master.connect();
                 PreparedStatement ins = m.prepareStatement("INSERT INTO sc.t VALUES (?, 'scale')")) {
                for (int i = 0; i < total; i++) {
                    if (i == WARM_UP) {
                        cpuBefore = Procs.cpuSeconds(servingPid);
                        clientCpuBefore = Procs.cpuSeconds(self);
                    }
                    committedAt[i] = System.nanoTime();
                    ins.setLong(1, firstId + i);
                    ins.executeUpdate();
                    if (i >= WARM_UP) {
                        commitTimes.add(System.nanoTime() - committedAt[i]);
                    }
                    LockSupport.parkNanos((PACE_MS + i % 7) * 1_000_000L);
                    if (i % 50 == 0) {
                        rss = Math.max(rss, Procs.statusKb(servingPid, "VmRSS"));
                        threads = Math.max(threads, Procs.threads(servingPid));
                    }
                }
            }
            if (!allSawLast.await(3, TimeUnit.MINUTES)) {
                throw new IOException(allSawLast.getCount() + " of " + sessions + " sessions never got the last row");
            }
            double cpu = Procs.cpuSeconds(servingPid) - cpuBefore;
            double clientCpu = Procs.cpuSeconds(self) - clientCpuBefore;
            rss = Math.max(rss, Procs.statusKb(servingPid, "VmRSS"));
            if (lat.size() != (long) sessions * commits) {
                throw new IOException("got " + lat.size() + " row events, expected " + (long) sessions * commits);
            }
            if (errors.get() > 0) {
                throw new IOException(errors.get() + " sessions ended early");
            }
            return new Result(lat, commitTimes, rss, threads, cpu, clientCpu, connectTime);
        } finally {
            for (ServerConnection c : conns) {
                c.close();
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    /**
     * Counts one session's WRITE_ROWS events: the k-th is the k-th commit. Runs on the event loop; the latency of
     * a commit is taken when its event is read, before any other work.
     */
    private static final class Counter implements PacketHandler {
        private final long[] committedAt;
        private final int warmUp;
        private final Latencies lat;
        private final CountDownLatch allSawLast;
        private int seen;

        Counter(long[] committedAt, int warmUp, Latencies lat, CountDownLatch allSawLast) {
            this.committedAt = committedAt;
            this.warmUp = warmUp;
            this.lat = lat;
            this.allSawLast = allSawLast;
        }

        @Override
        public void packet(Packet packet) throws IOException {
            if (packet.firstByte() != 0x00 || packet.payload().readableBytes() < 20) {
                if (packet.firstByte() == 0xFF) {
                    throw new IOException("the server sent an error packet instead of an event");
                }
                return;
            }
            // payload: 0x00, then the event header: timestamp (4 bytes), type (1 byte)
            int type = packet.payload().getUnsignedByte(packet.payload().readerIndex() + 5);
            if (type != EventType.WRITE_ROWS_V1.code() && type != EventType.WRITE_ROWS.code()) {
                return;
            }
            long now = System.nanoTime();
            int k = seen++;
            if (k >= committedAt.length) {
                throw new IOException("more row events than commits: " + seen);
            }
            if (k >= warmUp) {
                lat.add(now - committedAt[k]);
            }
            if (k == committedAt.length - 1) {
                allSawLast.countDown();
            }
        }

        @Override
        public void readComplete() {
        }
    }

    private static void out(String line) {
        System.out.println(line);
        SUMMARY.append(line).append('\n');
    }
}
