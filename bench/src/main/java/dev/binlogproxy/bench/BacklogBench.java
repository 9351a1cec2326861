package dev.binlogproxy.bench;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.bench.serve.Procs;
import dev.binlogproxy.bench.serve.ProxyProcess;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Mirroring a backlog, side by side in one run: a MariaDB 10.11 master holding about 1 GB of binlog in ~10 files
 * (max_binlog_size 100 MB), copied (a) by {@code mariadb-binlog --read-from-remote-server --raw --to-last-log}, the
 * anchor, and by the proxy as its users start it ({@code bin/binlog-proxy run}, a fresh process and an empty
 * archive) with durability (b) write and (c) fsync, each into a fresh directory on the same disk, timed from the
 * start of the process to the last byte of the master's last file being in the copy and served by the proxy (its
 * SHOW MASTER STATUS at the master's end; so in fsync mode synced). The proxy's time includes its JVM's start and
 * a cold JIT: a catch-up is what a proxy does right after it starts. mariadb-binlog never syncs, so it runs twice: as
 * it is, and followed by an fdatasync of each file it wrote (the anchor for the proxy's fsync mode). Ratio: anchor
 * time / proxy time (above 1: the proxy is faster). Every copy is compared byte for byte with the master's files
 * afterwards, and the proxy's index journal is weighed against the binlog bytes it indexes (blocks on disk).
 *
 * <p>The backlog: rows of ~1 KB inserted 1,000 per transaction with INSERT ... SELECT into a BLACKHOLE table (row
 * events are logged, nothing is stored, so generating a gigabyte takes seconds, not minutes of InnoDB writes).
 * Between runs the copies are deleted and {@code sync} drains the page cache's dirty pages, so no run pays for the
 * previous one's writeback, and the master's binlog files are read through first ({@link #warm}), so every copy
 * finds them in the page cache.
 *
 * <p>Usage: {@code bench/run-backlog.sh [MB]} (default 1024); {@code -Dbench.rounds=N} (default 2) repeats the
 * copies, in turn; {@code -Dbench.only=REGEX} runs only the copies whose name matches; {@code -Dbench.rowBytes} and {@code -Dbench.rowsPerTransaction} change the transactions
 * (e.g. 200 and 5 for ~1 KB transactions of small events, where per-event and per-transaction costs show).
 *
 * <p>Then the warm catch-up ({@link #warmCatchUps}; {@code -Dbench.warmRounds=N}, default 2, 0 leaves it out): a
 * running, warmed-up proxy catching up a backlog written while it was stopped, against mariadb-binlog copying the
 * same new files.
 */
public final class BacklogBench {
    private static final String USER = "repl";
    private static final String PASSWORD = "bench-pw";
    private static final String RAW = "mariadb-binlog --raw";
    private static final String RAW_SYNCED = "mariadb-binlog --raw, then fsync";
    private static final String WRITE = "proxy, durability write";
    private static final String FSYNC = "proxy, durability fsync";
    /** Row size and rows per transaction: 1,000 x 1 KB by default (big row events); 5 x 200 B gives ~1 KB ones. */
    private static final int ROW_BYTES = Integer.getInteger("bench.rowBytes", 1000);
    private static final int ROWS_PER_STATEMENT = Integer.getInteger("bench.rowsPerTransaction", 1000);

    record Run(String what, double seconds, long bytes, int files) {
        double mbPerSecond() {
            return bytes / 1e6 / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        long targetMb = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        int rounds = Integer.getInteger("bench.rounds", 2);
        ServerOptions options = ServerOptions.mariadb().extraFlag("--max-binlog-size=100M").build();
        Path work = Files.createTempDirectory("backlog-bench");
        List<Run> runs = new ArrayList<>();
        try (DbServer master = DbServer.start(options)) {
            master.createReplicationUser(USER, PASSWORD);
            long genStart = System.nanoTime();
            generate(master, targetMb << 20);
            List<BinaryLog> logs = master.showBinaryLogs();
            long total = logs.stream().mapToLong(BinaryLog::size).sum();
            System.out.printf(Locale.ROOT, "backlog: %d files, %.1f MB, generated in %.1f s%n", logs.size(),
                    total / 1e6, (System.nanoTime() - genStart) / 1e9);
            for (int round = 0; round < rounds; round++) {
                runs.add(timed(master, work, RAW, logs, dir -> {
                    mariadbBinlog(master, logs, dir, false);
                    return null;
                }));
                runs.add(timed(master, work, RAW_SYNCED, logs, dir -> {
                    mariadbBinlog(master, logs, dir, true);
                    return null;
                }));
                runs.add(timed(master, work, WRITE, logs, dir -> proxy(master, logs, "write")));
                runs.add(timed(master, work, FSYNC, logs, dir -> proxy(master, logs, "fsync")));
            }
            String summary = report(runs, logs.size(), total, rounds);
            if (WARM_ROUNDS > 0) {
                summary += warmCatchUps(master, work, targetMb << 20);
            }
            BenchFiles.writeSummary("bench/target/backlog-summary.txt", summary);
        } finally {
            BenchFiles.delete(work);
        }
    }

    /** Fills the binlog with about {@code bytes} of row events, then rotates so every file is complete. */
    private static void generate(DbServer master, long bytes) throws Exception {
        try (Connection c = master.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE bench");
            s.execute("USE bench");
            s.execute("CREATE TABLE bench.src (id INT PRIMARY KEY, pad VARBINARY(" + ROW_BYTES + ")) ENGINE=InnoDB");
            String engine = blackhole(s) ? "BLACKHOLE" : "InnoDB";
            s.execute("CREATE TABLE bench.sink (id INT, pad VARBINARY(" + ROW_BYTES + ")) ENGINE=" + engine);
            // ~1 KB of hex digits per row, different in every row
            s.execute("INSERT INTO bench.src SELECT seq, LEFT(REPEAT(SHA2(seq, 256), " + (ROW_BYTES / 64 + 1)
                    + "), " + ROW_BYTES + ") FROM seq_1_to_" + ROWS_PER_STATEMENT);
        }
        generateMore(master, bytes);
    }

    /** Adds about {@code bytes} of the same transactions to the binlog (tables made by {@link #generate}), rotates. */
    private static void generateMore(DbServer master, long bytes) throws Exception {
        try (Connection c = master.connect(); Statement s = c.createStatement()) {
            // event headers, GTID, ANNOTATE_ROWS, TABLE_MAP and XID come on top of the rows
            long perStatement = (long) ROWS_PER_STATEMENT * (ROW_BYTES + 10) + 250;
            long statements = (bytes + perStatement - 1) / perStatement;
            // a server-side loop (each INSERT its own autocommit transaction): no round trip per transaction
            for (long done = 0; done < statements; done += 1000) {
                s.execute("BEGIN NOT ATOMIC FOR i IN 1.." + Math.min(1000, statements - done)
                        + " DO INSERT INTO bench.sink SELECT * FROM bench.src; END FOR; END");
            }
            s.execute("FLUSH BINARY LOGS");
        }
    }

    private static boolean blackhole(Statement s) {
        try {
            s.execute("INSTALL SONAME 'ha_blackhole'");
        } catch (Exception e) {
            // already built in or installed; checked below
        }
        try (var rs = s.executeQuery("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'BLACKHOLE'")) {
            return rs.next() && !"NO".equalsIgnoreCase(rs.getString(1));
        } catch (Exception e) {
            return false;
        }
    }

    private interface Copy {
        /**
         * Copies the backlog; returns when the copy is complete (and, for the proxy, visible to readers), with the
         * seconds it took if it timed itself (the proxy: from its launch to the backlog served, without what is
         * measured after it), else null.
         */
        Double into(Path dir) throws Exception;
    }

    /** Whether {@code -Dbench.only} (a regular expression, matched anywhere) selects the copy named {@code what}. */
    private static boolean selected(String what) {
        return what.matches(".*(" + System.getProperty("bench.only", "") + ").*");
    }

    private static Run timed(DbServer master, Path work, String what, List<BinaryLog> logs, Copy copy)
            throws Exception {
        if (!selected(what)) {
            return new Run(what, Double.NaN, 0, 0); // left out with -Dbench.only
        }
        Path dir = Files.createDirectory(work.resolve("copy-" + System.nanoTime()));
        try {
            warm(master, logs);
            drainDirtyPages();
            long start = System.nanoTime();
            Double timed = copy.into(dir);
            double seconds = timed != null ? timed : (System.nanoTime() - start) / 1e9;
            long bytes = logs.stream().mapToLong(BinaryLog::size).sum();
            Run r = new Run(what, seconds, bytes, logs.size());
            System.out.printf(Locale.ROOT, "%-34s %7.2f s %8.1f MB/s%n", what, seconds, r.mbPerSecond());
            return r;
        } finally {
            BenchFiles.delete(dir);
        }
    }

    /**
     * With {@code fsync}, the copy then fdatasyncs each file it wrote (mariadb-binlog itself never syncs): the time
     * to a copy on disk, which is what the proxy's fsync mode waits for.
     */
    private static void mariadbBinlog(DbServer master, List<BinaryLog> logs, Path dir, boolean fsync)
            throws Exception {
        Process p = new ProcessBuilder("mariadb-binlog", "--read-from-remote-server", "--raw",
                "--host=127.0.0.1", "--port=" + master.port(), "--user=" + USER, "--password=" + PASSWORD,
                "--to-last-log", "--result-file=" + dir + "/", logs.get(0).name())
                .redirectErrorStream(true).redirectOutput(dir.resolveSibling(dir.getFileName() + ".log").toFile())
                .start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("mariadb-binlog failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
                    + "): " + Files.readString(dir.resolveSibling(dir.getFileName() + ".log")));
        }
        if (fsync) {
            for (BinaryLog l : logs) {
                try (FileChannel ch = FileChannel.open(dir.resolve(l.name()), StandardOpenOption.WRITE)) {
                    ch.force(false);
                }
            }
        }
        compare(master, logs, dir, "mariadb-binlog");
    }

    /** Index journal bytes on disk over binlog bytes, per proxy run, for the report. */
    private static final List<String> INDEX_SIZES = new ArrayList<>();

    /** @return seconds from the proxy's launch to the backlog served by it */
    private static double proxy(DbServer master, List<BinaryLog> logs, String durability) throws Exception {
        long launched = System.nanoTime();
        double masterCpu = Procs.cpuSeconds(master.pid());
        try (ProxyProcess proxy = ProxyProcess.start(master, 9600, false, durability)) {
            long greeted = System.nanoTime();
            double greetedCpu = Procs.cpuSeconds(proxy.pid());
            Map<String, Long> greetedThreads = Procs.threadTicks(proxy.pid());
            proxy.awaitMirrored(master, Duration.ofMinutes(10));
            long served = System.nanoTime();
            StringBuilder threads = new StringBuilder();
            Procs.threadTicksSince(proxy.pid(), greetedThreads).forEach((t, ticks) -> {
                if (ticks >= 5) {
                    threads.append(String.format(Locale.ROOT, " %s=%.2f", t, ticks / 100.0));
                }
            });
            System.out.printf(Locale.ROOT, "proxy %s: %.2f s from launch to its port answering (%.2f CPU s), %.2f s"
                    + " from there to the backlog served (%.2f CPU s; threads with >= 0.05 s:%s; the first login and"
                    + " SHOW MASTER STATUS once all files were on disk: %.0f ms); the master's CPU: %.2f s%n",
                    durability, (greeted - launched) / 1e9, greetedCpu, (served - greeted) / 1e9,
                    Procs.cpuSeconds(proxy.pid()) - greetedCpu, threads, proxy.firstServedCheckNanos() / 1e6,
                    Procs.cpuSeconds(master.pid()) - masterCpu);
            Path archiveDir = proxy.archiveDir();
            compare(master, logs, archiveDir, "proxy " + durability);
            long binlog = logs.stream().mapToLong(BinaryLog::size).sum();
            long index = diskUsage(archiveDir.resolve("index"));
            String line = String.format(Locale.ROOT, "index journal (%s): %.1f MB on disk for %.1f MB of binlog: %.3fx",
                    durability, index / 1e6, binlog / 1e6, (double) index / binlog);
            System.out.println(line);
            INDEX_SIZES.add(line);
            if (durability.equals("write")) {
                // what the first start after an upgrade of the journal's layout does: rebuild it from the files
                proxy.stop();
                BenchFiles.delete(archiveDir.resolve("index"));
                long t = System.nanoTime();
                try (BinlogArchive archive = BinlogArchive.open(archiveDir, Durability.WRITE)) {
                    double s = (System.nanoTime() - t) / 1e9;
                    String rebuilt = String.format(Locale.ROOT, "index journal rebuilt from the files at open: %.2f s"
                            + " (%.0f MB/s of binlog; %s)", s, binlog / 1e6 / s, archive.files().size() + " files");
                    System.out.println(rebuilt);
                    INDEX_SIZES.add(rebuilt);
                }
            }
            return (served - launched) / 1e9;
        }
    }

    /** Rounds of the warm catch-up ({@link #warmCatchUps}); 0 leaves it out. */
    private static final int WARM_ROUNDS = Integer.getInteger("bench.warmRounds", 2);

    /**
     * The catch-up of a proxy that is already running and warm, which is what the figures are ("launched
     * as users launch it, warmed up") and what a proxy does after its master link stalled or it was paused: the
     * launched proxy first mirrors the whole binlog so far (its JIT warm-up), is then stopped with SIGSTOP while the
     * master writes another backlog of the same transactions (its dump thread to the proxy blocks once the socket
     * buffers are full), and is timed from SIGCONT until it serves the new backlog's end. The anchor, in the same
     * round: {@code mariadb-binlog --raw} copying exactly the new files. Each round adds a backlog to the master.
     */
    private static String warmCatchUps(DbServer master, Path work, long bytes) throws Exception {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%nWarm catch-up (proxy running and warmed up, SIGSTOPped while the master writes a backlog)%n"));
        try (Connection c = master.connect(); Statement s = c.createStatement()) {
            // the master must not drop the stopped proxy's connection while it generates (default 60 s)
            s.execute("SET GLOBAL net_write_timeout = 3600");
        }
        for (int round = 0; round < WARM_ROUNDS; round++) {
            for (String durability : List.of("write", "fsync")) {
                if (!selected("proxy warm, durability " + durability)) {
                    continue;
                }
                try (ProxyProcess proxy = ProxyProcess.start(master, 9600, false, durability)) {
                    proxy.awaitMirrored(master, Duration.ofMinutes(10)); // the warm-up: everything so far
                    List<BinaryLog> before = master.showBinaryLogs();
                    signal(proxy.pid(), "STOP");
                    try {
                        generateMore(master, bytes);
                    } catch (Exception e) {
                        signal(proxy.pid(), "CONT"); // so that closing it can stop it
                        throw e;
                    }
                    List<BinaryLog> after = master.showBinaryLogs();
                    List<BinaryLog> added = after.subList(before.size() - 1, after.size());
                    long addedBytes = after.stream().mapToLong(BinaryLog::size).sum()
                            - before.stream().mapToLong(BinaryLog::size).sum();
                    warm(master, added);
                    drainDirtyPages();
                    double cpu = Procs.cpuSeconds(proxy.pid());
                    long t = System.nanoTime();
                    signal(proxy.pid(), "CONT");
                    proxy.awaitMirrored(master, Duration.ofMinutes(10));
                    double proxySeconds = (System.nanoTime() - t) / 1e9;
                    double proxyCpu = Procs.cpuSeconds(proxy.pid()) - cpu;
                    compare(master, after, proxy.archiveDir(), "warm proxy " + durability);

                    Path dir = Files.createDirectory(work.resolve("warm-anchor-" + System.nanoTime()));
                    double rawSeconds;
                    try {
                        warm(master, added); // again: the proxy's copy and the comparison took a while
                        drainDirtyPages();
                        long r = System.nanoTime();
                        mariadbBinlog(master, added, dir, durability.equals("fsync"));
                        rawSeconds = (System.nanoTime() - r) / 1e9;
                    } finally {
                        BenchFiles.delete(dir);
                    }
                    String line = String.format(Locale.ROOT, "round %d, durability %s: %.1f MB in %d files; proxy %.2f s"
                            + " (%.0f MB/s, %.2f CPU s), mariadb-binlog --raw%s %.2f s (%.0f MB/s): %.2fx%n",
                            round + 1, durability, addedBytes / 1e6, added.size(), proxySeconds,
                            addedBytes / 1e6 / proxySeconds, proxyCpu, durability.equals("fsync") ? " then fsync" : "",
                            rawSeconds, addedBytes / 1e6 / rawSeconds, rawSeconds / proxySeconds);
                    System.out.print(line);
                    out.append(line);
                    BenchResults.put("backlog", "warm_" + durability + "_ratio_round" + (round + 1),
                            rawSeconds / proxySeconds);
                }
            }
        }
        System.out.print(out);
        return out.toString();
    }

    /**
     * Reads the master's {@code logs} through, untimed, so the timed copy finds them in the page cache. Needed on the development
     * VM: it runs DAMON with a "page out" scheme that drops page cache nobody touched for about a minute (12
     * aggregations of 5 s, up to 128 MB a second), so without this a copy that starts a minute after the previous
     * one reads part of the master's binlog from disk, and the next one does not.
     */
    private static void warm(DbServer master, List<BinaryLog> logs) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
        for (BinaryLog l : logs) {
            try (FileChannel ch = FileChannel.open(master.binlogFile(l.name()), StandardOpenOption.READ)) {
                while (true) {
                    buf.clear();
                    if (ch.read(buf) < 0) {
                        break;
                    }
                }
            }
        }
    }

    private static void signal(long pid, String signal) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }

    /** Bytes of the blocks a directory's files hold on disk (Chronicle's cycle files are sparse). */
    private static long diskUsage(Path dir) throws Exception {
        Process p = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("du " + dir + ": " + out);
        }
        return Long.parseLong(out.split("\\s+")[0]);
    }

    /**
     * The copy holds every closed file of the backlog byte for byte, and the master's open file (the one FLUSH BINARY
     * LOGS started: a few hundred bytes, whose FDE the master's copy still flags in use) up to the backlog's end.
     */
    private static void compare(DbServer master, List<BinaryLog> logs, Path dir, String who) throws IOException {
        for (int i = 0; i < logs.size(); i++) {
            BinaryLog l = logs.get(i);
            Path copy = dir.resolve(l.name());
            boolean open = i == logs.size() - 1;
            long mismatch = open ? (Files.size(copy) >= l.size() ? -1 : Files.size(copy))
                    : Files.mismatch(copy, master.binlogFile(l.name()));
            if (mismatch != -1) {
                throw new IllegalStateException(who + ": " + copy + " differs from the master's file at byte "
                        + mismatch);
            }
        }
    }

    /** Writeback of a previous copy must not slow the next one down. */
    private static void drainDirtyPages() throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }

    /** Prints the table and records the results; returns the table for the summary file. */
    private static String report(List<Run> runs, int files, long bytes, int rounds) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%nBacklog copy: %d files, %.1f MB, %d round(s); time from start to the whole backlog copied%n",
                files, bytes / 1e6, rounds));
        Map<String, List<Run>> byWhat = new LinkedHashMap<>();
        runs.forEach(r -> byWhat.computeIfAbsent(r.what(), k -> new ArrayList<>()).add(r));
        byWhat.forEach((what, rs) -> out.append(String.format(Locale.ROOT, "%-34s %s%n", what, rs.stream()
                .map(r -> String.format(Locale.ROOT, "%.2f s (%.0f MB/s)", r.seconds(), r.mbPerSecond()))
                .toList())));
        for (int round = 0; round < rounds; round++) {
            double raw = byWhat.get(RAW).get(round).seconds();
            double synced = byWhat.get(RAW_SYNCED).get(round).seconds();
            double write = byWhat.get(WRITE).get(round).seconds();
            double fsync = byWhat.get(FSYNC).get(round).seconds();
            out.append(String.format(Locale.ROOT, "round %d (speed ratios, target >= 1.0): proxy write / mariadb-binlog"
                    + " %.2fx; proxy fsync / mariadb-binlog %.2fx, / mariadb-binlog then fsync %.2fx%n", round + 1,
                    raw / write, raw / fsync, synced / fsync));
        }
        INDEX_SIZES.forEach(l -> out.append(l).append('\n'));
        System.out.print(out);
        // the best of the rounds, as the other side-by-side benchmarks report
        BenchResults.put("backlog", "backlog_mb", bytes / 1e6);
        BenchResults.put("backlog", "files", files);
        byWhat.forEach((what, rs) -> BenchResults.put("backlog", key(what), rs.stream()
                .mapToDouble(Run::mbPerSecond).max().orElse(Double.NaN)));
        return out.toString();
    }

    /** "proxy, durability write" -> proxy_durability_write_mb_s */
    private static String key(String what) {
        return what.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "") + "_mb_s";
    }
}
