package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.ArchiveExport;
import dev.binlogproxy.archive.ArchiveExport.Start;
import dev.binlogproxy.archive.ArchiveExport.Stop;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.proxy.config.ConfigException;
import dev.binlogproxy.tiering.TieringSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Exports archived binlogs for point-in-time recovery: whole files, or a range from a start (file/position, after a
 * GTID, or a time) to a stop (a time or a GTID, inclusive), as binlog files mysqlbinlog / mariadb-binlog read. The
 * form is described in ArchiveExport and docs/operations.md.
 */
@Command(name = "export", description = "Copy archived binlogs (whole, or a range of transactions) for mysqlbinlog.")
final class ExportCommand implements Callable<Integer> {
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    @Option(names = "--archive", required = true, paramLabel = "DIR", description = "The archive (or any binlog directory).")
    Path archive;

    @Option(names = "--config", paramLabel = "FILE", description = "The proxy's configuration: with tiering, the"
            + " files only the bucket holds are exported too (fetched to a temporary directory first).")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write; must be empty or absent.")
    Path out;

    @Option(names = "--start-file", paramLabel = "FILE", description = "Start in this file (at --start-position, default 4).")
    String startFile;

    @Option(names = "--start-position", paramLabel = "N", description = "With --start-file: the first event's offset.")
    Long startPosition;

    @Option(names = "--start-after-gtid", paramLabel = "GTID",
            description = "Start right after this transaction (uuid:gno or domain-server-seq).")
    String startAfterGtid;

    @Option(names = "--start-datetime", paramLabel = "TIME",
            description = "Start at the first transaction at or after TIME (ISO-8601, or 'yyyy-MM-dd HH:mm:ss' local time).")
    String startDatetime;

    @Option(names = "--stop-datetime", paramLabel = "TIME", description = "Stop before the first transaction at or after TIME.")
    String stopDatetime;

    @Option(names = "--stop-gtid", paramLabel = "GTID", description = "Stop after this transaction (inclusive).")
    String stopGtid;

    @Option(names = "--progress", negatable = true, description = "Show bytes, rate and time left on stderr"
            + " (default: when a terminal is attached).")
    Boolean progress;

    @Override
    public Integer call() throws IOException {
        return run(System.out);
    }

    int run(PrintStream console) throws IOException {
        Start start;
        Stop stop;
        try {
            start = start();
            stop = stop();
        } catch (IllegalArgumentException | DateTimeParseException e) {
            console.println("export: " + e.getMessage());
            return 2;
        }
        Optional<TieringSettings> tiering;
        try {
            tiering = TieredArchive.settings(config);
        } catch (ConfigException e) {
            console.println("export: --config " + config + ": " + e.getMessage());
            return 2;
        }
        ArchiveExport.Result r;
        try (TieredArchive dir = TieredArchive.open(archive, tiering, System.err)) {
            ArchiveExport.Progress shown = TerminalProgress.forConsole(progress);
            try {
                r = ArchiveExport.export(dir.dir(), start, stop, out, shown);
            } finally {
                if (shown instanceof TerminalProgress t) {
                    t.finish();
                }
            }
        } catch (ArchiveExport.ExportException e) {
            console.println("export: " + e.getMessage());
            return 1;
        }
        List<String> paths = new ArrayList<>();
        for (ArchiveExport.ExportedFile f : r.files()) {
            console.printf("%-24s %12d bytes  %s%n", f.name(), f.length(), f.cut() ? "cut after the range's last transaction" : "whole");
            paths.add(out.resolve(f.name()).toString());
        }
        console.printf("range %s .. %s: %d transactions in %d files%n", r.startPosition(), r.end(), r.transactions(),
                r.files().size());
        r.notes().forEach(n -> console.println("note: " + n));
        console.println("replay: mariadb-binlog --start-position=" + r.startPosition().offset() + " "
                + String.join(" ", paths) + " | mariadb ...");
        return 0;
    }

    private Start start() {
        int given = (startFile != null ? 1 : 0) + (startAfterGtid != null ? 1 : 0) + (startDatetime != null ? 1 : 0);
        if (given > 1) {
            throw new IllegalArgumentException("give one of --start-file, --start-after-gtid, --start-datetime");
        }
        if (startPosition != null && startFile == null) {
            throw new IllegalArgumentException("--start-position needs --start-file");
        }
        if (startFile != null) {
            long pos = startPosition == null ? BinlogPosition.FIRST_EVENT_OFFSET : startPosition;
            if (pos < BinlogPosition.FIRST_EVENT_OFFSET) {
                throw new IllegalArgumentException("--start-position " + pos + ": the first event is at 4");
            }
            return new Start.At(new BinlogPosition(startFile, pos));
        }
        if (startAfterGtid != null) {
            return new Start.AfterGtid(gtid("--start-after-gtid", startAfterGtid));
        }
        if (startDatetime != null) {
            return new Start.AtTime(time(startDatetime));
        }
        return new Start.Oldest();
    }

    private Stop stop() {
        if (stopDatetime != null && stopGtid != null) {
            throw new IllegalArgumentException("give --stop-datetime or --stop-gtid, not both");
        }
        if (stopDatetime != null) {
            return new Stop.BeforeTime(time(stopDatetime));
        }
        if (stopGtid != null) {
            return new Stop.AfterGtid(gtid("--stop-gtid", stopGtid));
        }
        return new Stop.End();
    }

    private static Object gtid(String option, String text) {
        try {
            return ArchiveExport.parseGtid(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(option + " " + text + ": not a GTID (uuid:gno or domain-server-seq): "
                    + e.getMessage());
        }
    }

    /** ISO-8601 with an offset, or the tools' 'yyyy-MM-dd HH:mm:ss' in this machine's time zone (as mysqlbinlog). */
    static Instant time(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException iso) {
            try {
                return LocalDateTime.parse(text.replace('T', ' '), LOCAL).atZone(ZoneId.systemDefault()).toInstant();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(text + ": not a time (ISO-8601 with offset, or 'yyyy-MM-dd HH:mm:ss')");
            }
        }
    }
}
