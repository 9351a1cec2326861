package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;

import java.util.Objects;
import java.util.Optional;

/**
 * One master in the history an archive follows. The archive starts with epoch 1, the master it was created for
 * ({@link BinlogArchive#checkIdentity}); each failover adds the next epoch ({@link BinlogArchive#adopt}), whose
 * master continues the binlog numbering: it owns the files from {@code firstFile} on, and every file before that
 * belongs to an earlier epoch. A file's epoch says which master wrote it, e.g. the server_id a dump's fake events
 * carry for that file ({@link BinlogArchive#epochOf}).
 *
 * @param number    1, 2, ...: the position in the history
 * @param master    the master of this epoch
 * @param firstFile the first file the epoch owns; empty for epoch 1 only, which owns everything before epoch 2's
 *                  first file (the master's files are whatever numbers it had when the archive started, and purge
 *                  removes the oldest, so there is no fixed first file worth recording)
 * @param handover  where the archive stood when the epoch began; empty for epoch 1, and for an epoch adopted by an
 *                  archive that held no data
 */
public record MasterEpoch(int number, UpstreamIdentity master, Optional<String> firstFile,
                          Optional<Handover> handover) {
    /**
     * Where the previous master's data ended when an epoch began: after the adopt had cut the previous master's
     * newest file back to its last complete transaction (and a ROTATE to a file that never came).
     *
     * @param previousEnd the end of the archive's data: the previous master's last file (or, if that master never
     *                    wrote a file, the one before) and its length after the cut; a replica that reached it
     *                    goes on at the new epoch's first file, position 4
     * @param lastGtid    the GTID of the last complete transaction archived up to there, as the server prints it
     *                    (MySQL {@code uuid:gno}, MariaDB {@code domain-server-seq}): what the new master must have
     *                    applied before it became writable. Empty when that transaction has none (MySQL with
     *                    gtid_mode OFF) or the archive held no transaction.
     */
    public record Handover(BinlogPosition previousEnd, Optional<String> lastGtid) {
        public Handover {
            Objects.requireNonNull(previousEnd, "previousEnd");
            Objects.requireNonNull(lastGtid, "lastGtid");
            if (previousEnd.offset() < BinlogPosition.FIRST_EVENT_OFFSET) {
                throw new IllegalArgumentException("previous end " + previousEnd + ": offset below "
                        + BinlogPosition.FIRST_EVENT_OFFSET);
            }
        }

        /** {@link #lastGtid} of a MySQL master, parsed. */
        public Optional<MySqlGtid> lastMySqlGtid() {
            return lastGtid.filter(g -> g.indexOf(':') >= 0).map(MySqlGtid::parse);
        }

        /** {@link #lastGtid} of a MariaDB master, parsed. */
        public Optional<MariaGtid> lastMariaGtid() {
            return lastGtid.filter(g -> g.indexOf(':') < 0).map(MariaGtid::parse);
        }
    }

    public MasterEpoch {
        Objects.requireNonNull(master, "master");
        Objects.requireNonNull(firstFile, "firstFile");
        Objects.requireNonNull(handover, "handover");
        if (number < 1) {
            throw new IllegalArgumentException("epoch number " + number + " (expected: 1 or more)");
        }
        if (number == 1 && (firstFile.isPresent() || handover.isPresent())) {
            throw new IllegalArgumentException("epoch 1 has no first file and no handover: it owns the archive from"
                    + " its start");
        }
        if (number > 1) {
            String first = firstFile.orElseThrow(() -> new IllegalArgumentException("epoch " + number
                    + " has no first file"));
            requireOwnFile(first, master, "first file");
            if (handover.isPresent()) {
                BinlogPosition end = handover.get().previousEnd();
                requireOwnFile(end.file(), master, "previous end");
                if (BinlogPosition.compareFiles(end.file(), first) >= 0) {
                    throw new IllegalArgumentException("epoch " + number + ": the previous end " + end
                            + " is not before the first file " + first);
                }
                handover.get().lastGtid().ifPresent(g -> parseGtid(g, master.flavor()));
            }
        }
    }

    /** Epoch 1: the master an archive is created for. */
    static MasterEpoch first(UpstreamIdentity master) {
        return new MasterEpoch(1, master, Optional.empty(), Optional.empty());
    }

    private static void requireOwnFile(String file, UpstreamIdentity master, String what) {
        BinlogPosition p = BinlogPosition.startOf(file);
        if (!p.hasFileSequence() || !p.basename().equals(master.basename())) {
            throw new IllegalArgumentException(what + " '" + file + "' is not a file of " + master.basename()
                    + ".NNNNNN");
        }
    }

    private static void parseGtid(String text, BinlogFlavor flavor) {
        if (flavor == BinlogFlavor.MYSQL) {
            MySqlGtid.parse(text);
        } else {
            MariaGtid.parse(text);
        }
    }

    @Override
    public String toString() {
        return "epoch " + number + " (" + master + firstFile.map(f -> ", from " + f).orElse("")
                + handover.map(h -> ", after " + h.previousEnd() + h.lastGtid().map(g -> " gtid " + g).orElse(""))
                .orElse("") + ")";
    }
}
