package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.EventRole;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Says where a moment of the master's history lies in an archive (or any directory of binlog files): the file and
 * position, and the whole transactions on either side. What an operator looks up before a point-in-time recovery
 * (where to put {@code --stop-position}, which transaction a time or a GTID is) without reading mysqlbinlog's
 * output by eye.
 *
 * <p>The rules are the tools' and {@link ArchiveExport}'s, so that what {@code find} prints is what those options
 * do: a time falls before the first transaction (in log order) whose first event is timestamped at or after it
 * (timestamps have whole seconds; a fraction rounds up); a GTID is its transaction, from its GTID event to its
 * commit; a position is a boundary between two transactions, or lies inside one.
 *
 * <p>Read-only like {@link ArchiveExport}: it reads the files themselves (every CRC and the log_pos chain checked),
 * takes no lock and sees only whole transactions, so it runs beside a live proxy. It walks the files from the
 * oldest: exact for any order of timestamps, at the validating scan's speed (hundreds of MB/s).
 */
public final class ArchiveSearch {
    /** What to look for. */
    public sealed interface Target {
        /** The moment just before the first transaction at or after this time. */
        record AtTime(Instant time) implements Target {
        }

        /** The transaction with this GTID ({@code MySqlGtid} or {@code MariaGtid}, see {@link ArchiveExport#parseGtid}). */
        record Gtid(Object gtid) implements Target {
        }

        /** A position of a file: a boundary between transactions, or inside one. */
        record At(BinlogPosition position) implements Target {
        }
    }

    /**
     * One whole transaction.
     *
     * @param start where its first event starts (its GTID event, or BEGIN / the statement without GTIDs)
     * @param end   where its last event ends (the next transaction, or a control event, starts there)
     * @param gtid  its GTID, or null (anonymous transactions)
     * @param time  the timestamp of its first event
     */
    public record Transaction(BinlogPosition start, BinlogPosition end, Object gtid, Instant time) {
    }

    /**
     * The answer.
     *
     * @param position where the moment is: for a time, where the first transaction at or after it starts (what
     *                 {@code --stop-position} with that file as the last one stops before); for a GTID, where its
     *                 transaction starts; for a position, that position
     * @param at       the transaction the target names: the GTID's, or the one a position lies inside
     * @param before   the last whole transaction that ends at or before the moment (before {@code at}, if any)
     * @param after    the first whole transaction that starts at or after the moment (after {@code at}, if any)
     * @param notes    what an operator should know (a position that is not a transaction boundary, nothing yet
     *                 archived after a time, ...)
     */
    public record Found(BinlogPosition position, Optional<Transaction> at, Optional<Transaction> before,
                        Optional<Transaction> after, List<String> notes) {
        public Found {
            notes = List.copyOf(notes);
        }
    }

    /** The target is not in the archive (a GTID it does not hold, a file it does not have), or damage is in the way. */
    public static final class SearchException extends Exception {
        public SearchException(String message) {
            super(message);
        }
    }

    private ArchiveSearch() {
    }

    public static Found find(Path archiveDir, Target target) throws IOException, SearchException {
        if (!Files.isDirectory(archiveDir)) {
            throw new SearchException(archiveDir + " is not a directory");
        }
        List<String> files = Recovery.binlogFiles(archiveDir, EpochsFile.read(archiveDir).basename().orElse(null));
        if (files.isEmpty()) {
            throw new SearchException("no binlog files in " + archiveDir);
        }
        if (target instanceof Target.At a && !files.contains(a.position().file())) {
            throw new SearchException(a.position().file() + " is not in " + archiveDir + " (" + files.get(0) + " .. "
                    + files.get(files.size() - 1) + ")");
        }
        Walk walk = new Walk(target);
        for (String f : files) {
            Optional<BinlogDamage> damage = FileScan.entries(archiveDir, f, 0, Long.MAX_VALUE, walk::accept);
            if (walk.done) {
                break;
            }
            boolean newest = f.equals(files.get(files.size() - 1));
            // a running writer leaves an unfinished tail in the newest file only (as for export)
            if (damage.isPresent() && !(newest && damage.get().kind() == BinlogDamage.Kind.TRUNCATED_TAIL)) {
                throw new SearchException(f + " is damaged (" + damage.get() + "); run binlog-proxy verify");
            }
            if (target instanceof Target.At a && f.equals(a.position().file()) && walk.position == null) {
                walk.endOfFile(f);
            }
        }
        return walk.result(archiveDir, files);
    }

    /** One pass over the entries in log order, remembering the last whole transaction and the one being read. */
    private static final class Walk {
        private final Target target;
        private final long seconds;
        private final List<String> notes = new ArrayList<>();
        /** The last whole transaction seen (before the moment until the moment is found). */
        private Transaction last;
        private BinlogPosition openStart;
        private Object openGtid;
        private long openTime;
        BinlogPosition position;
        private Transaction at;
        private Transaction before;
        private Transaction after;
        /** The moment is found; the walk continues only to complete {@code at} or {@code after}. */
        private boolean found;
        private boolean atOpen;
        boolean done;

        Walk(Target target) {
            this.target = target;
            this.seconds = target instanceof Target.AtTime t
                    ? t.time().getEpochSecond() + (t.time().getNano() > 0 ? 1 : 0) : 0;
        }

        boolean accept(IndexEntry e) {
            if (e.role() == EventRole.START || e.role() == EventRole.COMPLETE) {
                openStart = new BinlogPosition(e.file(), e.offset());
                openGtid = e.mysqlGtid() != null ? e.mysqlGtid() : e.mariaGtid();
                openTime = e.timestamp();
                if (!found) {
                    startOfTransaction(e);
                }
            } else if (!found && target instanceof Target.At a && e.file().equals(a.position().file())
                    && a.position().offset() >= e.offset() && a.position().offset() < e.end()) {
                // a control event (FDE, PREVIOUS_GTIDS, ROTATE, ...) or an event inside a transaction
                if (a.position().offset() != e.offset()) {
                    notes.add(a.position() + " is not the start of an event (the event there starts at "
                            + e.offset() + ")");
                }
                position = a.position();
                if (e.role() == EventRole.INSIDE || e.role() == EventRole.END) {
                    atOpen = true;
                    notes.add(a.position() + " is inside a transaction, not a boundary: a replay that starts or"
                            + " stops there splits it");
                }
                found = true;
                before = last;
            }
            if (e.role() == EventRole.END || e.role() == EventRole.COMPLETE) {
                Transaction t = new Transaction(openStart, new BinlogPosition(e.file(), e.end()), openGtid,
                        Instant.ofEpochSecond(openTime));
                openStart = null;
                if (!found) {
                    last = t;
                } else if (atOpen) {
                    at = t;
                    atOpen = false;
                } else {
                    after = t;
                    done = true;
                    return false;
                }
            }
            return true;
        }

        private void startOfTransaction(IndexEntry e) {
            boolean hit = false;
            if (target instanceof Target.AtTime) {
                hit = e.timestamp() >= seconds;
            } else if (target instanceof Target.Gtid g) {
                hit = g.gtid().equals(openGtid);
                atOpen = hit;
            } else if (target instanceof Target.At a) {
                BinlogPosition here = openStart;
                if (a.position().equals(here)) {
                    hit = true;
                } else if (a.position().file().equals(e.file()) && a.position().offset() > e.offset()
                        && a.position().offset() < e.end()) {
                    hit = true;
                    atOpen = true;
                    notes.add(a.position() + " is not the start of an event (the event there starts at "
                            + e.offset() + ")");
                    notes.add(a.position() + " is inside a transaction, not a boundary: a replay that starts or"
                            + " stops there splits it");
                }
            }
            if (hit) {
                found = true;
                position = target instanceof Target.At a ? a.position() : openStart;
                before = last;
            }
        }

        /** A position at or past the end of its file's last event: the boundary after the file's transactions. */
        void endOfFile(String file) {
            Target.At a = (Target.At) target;
            if (last != null && last.end().file().equals(file) && a.position().offset() > last.end().offset()) {
                notes.add(a.position() + " is past the last whole transaction of " + file + " (it ends at "
                        + last.end().offset() + ")");
            }
            position = a.position();
            found = true;
            before = last;
        }

        Found result(Path dir, List<String> files) throws SearchException {
            if (!found) {
                if (target instanceof Target.Gtid g) {
                    throw new SearchException("GTID " + g.gtid() + " is not in " + dir + " (" + files.get(0) + " .. "
                            + files.get(files.size() - 1) + ")");
                }
                if (target instanceof Target.AtTime t) {
                    notes.add("no transaction at or after " + t.time() + " is archived yet: the moment is after the"
                            + " last whole transaction");
                }
                position = last == null ? BinlogPosition.startOf(files.get(0)) : last.end();
                before = last;
            }
            if (atOpen) {
                notes.add("the transaction at " + position + " is not complete in the archive yet");
            }
            return new Found(position, Optional.ofNullable(at), Optional.ofNullable(before),
                    Optional.ofNullable(after), notes);
        }
    }
}
