package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.ArchiveExport;
import dev.binlogproxy.archive.ArchiveSearch;
import dev.binlogproxy.archive.ArchiveSearch.Found;
import dev.binlogproxy.archive.ArchiveSearch.Target;
import dev.binlogproxy.archive.ArchiveSearch.Transaction;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.proxy.config.ConfigException;
import dev.binlogproxy.tiering.TieringSettings;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Where a moment is in the archive: the file and position of a time, a GTID or a position, with the transaction
 * before and after it, and the options that stop a replay there. Read-only (ArchiveSearch): runs beside a live
 * proxy.
 */
@Command(name = "find", description = "Which file and position hold a time, a GTID or a position, and the"
        + " transactions around it.")
final class FindCommand implements Callable<Integer> {
    /** The form mysqlbinlog's --start-datetime / --stop-datetime take, in this machine's time zone. */
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    @Option(names = "--archive", required = true, paramLabel = "DIR", description = "The archive (or any binlog directory).")
    Path archive;

    @Option(names = "--config", paramLabel = "FILE", description = "The proxy's configuration: with tiering, the"
            + " files only the bucket holds are searched too (fetched to a temporary directory first).")
    Path config;

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    static final class What {
        @Option(names = "--datetime", paramLabel = "TIME",
                description = "A time: ISO-8601 with offset, or 'yyyy-MM-dd HH:mm:ss' in local time (as mysqlbinlog).")
        String datetime;

        @Option(names = "--gtid", paramLabel = "GTID", description = "A transaction: uuid:gno (MySQL) or domain-server-seq (MariaDB).")
        String gtid;

        @Option(names = "--position", paramLabel = "FILE:POS", description = "A position, e.g. mysql-bin.000042:1234.")
        String position;
    }

    @Override
    public Integer call() throws IOException {
        return run(System.out);
    }

    int run(PrintStream console) throws IOException {
        Target target;
        try {
            target = target();
        } catch (IllegalArgumentException e) {
            console.println("find: " + e.getMessage());
            return 2;
        }
        Optional<TieringSettings> tiering;
        try {
            tiering = TieredArchive.settings(config);
        } catch (ConfigException e) {
            console.println("find: --config " + config + ": " + e.getMessage());
            return 2;
        }
        Found f;
        try (TieredArchive dir = TieredArchive.open(archive, tiering, System.err)) {
            f = ArchiveSearch.find(dir.dir(), target);
        } catch (ArchiveSearch.SearchException e) {
            console.println("find: " + e.getMessage());
            return 1;
        }
        console.println("position: " + f.position());
        f.at().ifPresent(t -> console.println("transaction: " + describe(t)));
        console.println("before:   " + f.before().map(FindCommand::describe).orElse("(none: the archive starts here)"));
        console.println("after:    " + f.after().map(FindCommand::describe).orElse("(none archived yet)"));
        f.notes().forEach(n -> console.println("note: " + n));
        hints(console, f);
        return 0;
    }

    /** The options that replay up to the moment (excluded) and from it, as the tools and export spell them. */
    private void hints(PrintStream console, Found f) {
        BinlogPosition stopBefore = f.at().map(Transaction::start).orElse(f.position());
        Optional<Transaction> first = f.at().isPresent() ? f.at() : f.after();
        console.println("replay up to it: --stop-position=" + stopBefore.offset() + " with " + stopBefore.file()
                + " the last file named (mysqlbinlog applies it to the last file only)"
                + f.before().map(b -> "; binlog-proxy export --stop-gtid " + gtidOrNothing(b)).orElse(""));
        first.ifPresent(t -> console.println("replay from it:  --start-position=" + t.start().offset() + " with "
                + t.start().file() + " the first file named"));
        if (f.at().isPresent()) {
            Transaction t = f.at().get();
            console.println("skip it:         stop at " + t.start() + ", then start at " + t.end());
        }
    }

    private static String gtidOrNothing(Transaction t) {
        return t.gtid() == null ? "(anonymous: use the position)" : t.gtid().toString();
    }

    static String describe(Transaction t) {
        return t.start() + " .. " + t.end().offset() + (t.end().file().equals(t.start().file()) ? "" : " of "
                + t.end().file()) + "  " + (t.gtid() == null ? "(no GTID)" : "GTID " + t.gtid()) + "  "
                + LOCAL.format(t.time());
    }

    private Target target() {
        if (what.datetime != null) {
            Instant t = ExportCommand.time(what.datetime);
            return new Target.AtTime(t);
        }
        if (what.gtid != null) {
            try {
                return new Target.Gtid(ArchiveExport.parseGtid(what.gtid));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--gtid " + what.gtid + ": not a GTID (uuid:gno or"
                        + " domain-server-seq): " + e.getMessage());
            }
        }
        int colon = what.position.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("--position " + what.position + ": expected FILE:POS");
        }
        long offset;
        try {
            offset = Long.parseLong(what.position.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--position " + what.position + ": the position is not a number");
        }
        if (offset < BinlogPosition.FIRST_EVENT_OFFSET) {
            throw new IllegalArgumentException("--position " + what.position + ": the first event is at 4");
        }
        return new Target.At(new BinlogPosition(what.position.substring(0, colon), offset));
    }
}
