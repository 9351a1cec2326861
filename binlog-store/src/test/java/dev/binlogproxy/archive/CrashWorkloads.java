package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.SyntheticBinlog;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Synthetic workloads recorded for {@link CrashImages}: real fixture bytes (both flavors) and synthetic large
 * events fed through the writer as a master's dump sends them, on a {@link RecordingFileLayer}. Each run is
 * nearly deterministic: the operations and bytes are the same every time, but where the mirror's way of feeding
 * syncs inline, the commit thread's round may add a sync the inline one already covered, or come just after the
 * next write. A seed and an image number replay the same image on one recording ({@link CrashImageRun#one}); the
 * regression images aim at a kind of cut instead of a number for that reason.
 *
 * <p>Two ways of feeding, alternating by file: as a plain caller (each transaction's durable future awaited: one
 * write and one group-commit round each) and as the mirror does (commits held over a "socket read" of a few
 * transactions, one {@code syncNow} for the read, the acks released after it, then the commits released).
 */
final class CrashWorkloads {
    /** Bytes per simulated socket read in the mirror's way of feeding. */
    private static final int READ_BYTES = 6_000;

    enum Workload {
        /** MySQL 8.0.15, GTIDs, CRC32: six files with ROTATEs, both ways of feeding. */
        MYSQL_ROTATIONS,
        /**
         * MariaDB 10.11, CRC32: files with ROTATEs, a disconnect and the resume with its recheck, retention deleting
         * the oldest file, the master dying mid-rotation, an adopt of another MariaDB master (NONE checksums) and
         * its files.
         */
        MARIADB_PURGE_ADOPT,
        /**
         * Synthetic MySQL CRC32 file with row events larger than the write buffer (written straight to the file,
         * a partial transaction on disk), a disconnect inside such a transaction (the cut truncates the file), the
         * resume, a rotation.
         */
        LARGE_EVENTS,
        /**
         * Synthetic MySQL CRC32: 1,200 small transactions, each its own commit, then as many held per read as the
         * mirror holds them. The index journal keeps a document per commit round, so this is what spreads it over
         * pages (15 and more): a page lost before its last one is what this workload's images reach.
         */
        MANY_TRANSACTIONS
    }

    private CrashWorkloads() {
    }

    /** Records {@code workload} into {@code dir} (which must be empty or absent) in {@code durability}. */
    static CrashLog record(Workload workload, Durability durability, Path dir) throws Exception {
        RecordingFileLayer layer = new RecordingFileLayer(dir);
        try (BinlogArchive a = layer.openArchive(durability)) {
            switch (workload) {
                case MYSQL_ROTATIONS -> rotations(a, layer);
                case MARIADB_PURGE_ADOPT -> purgeAndAdopt(a, layer);
                case LARGE_EVENTS -> largeEvents(a, layer);
                case MANY_TRANSACTIONS -> manyTransactions(a, layer);
            }
            layer.snapshotIndex();
        }
        return layer.log();
    }

    private static void rotations(BinlogArchive a, RecordingFileLayer layer) throws Exception {
        String scenario = Dump.MYSQL_GTID;
        a.checkIdentity(Dump.identity(scenario));
        layer.note(CrashImageCheck.IDENTITY_RECORDED);
        for (int k = 1; k <= 6; k++) {
            feed(a.writer(), layer, Dump.streamName(k), Dump.streamFile(scenario, k), k % 2 == 0, 0);
            layer.snapshotIndex();
        }
    }

    private static void purgeAndAdopt(BinlogArchive a, RecordingFileLayer layer) throws Exception {
        Failovers.Pair pair = Failovers.Pair.MARIADB;
        a.checkIdentity(pair.oldMaster());
        layer.note(CrashImageCheck.IDENTITY_RECORDED);
        ArchiveWriter w = a.writer();
        feed(w, layer, Dump.streamName(1), pair.oldFile(1), false, 0);
        feed(w, layer, Dump.streamName(2), pair.oldFile(2), true, 0);
        layer.snapshotIndex();
        // file 3: the connection drops inside a transaction; the dump resumes at the archive's last transaction
        byte[] f3 = pair.oldFile(3);
        List<Dump.Positioned> events = Dump.events(f3);
        int cutAt = events.size() - 4;
        feed(w, layer, Dump.streamName(3), f3, true, cutAt);
        w.discardPartialTransaction();
        BinlogPosition resume = a.recheckPosition().orElse(a.resumePosition().orElseThrow());
        w.startFile(resume.file(), resume.offset());
        w.appendFormatDescription(Dump.asResumeSends(events.get(0).event()));
        for (Dump.Positioned p : events) {
            if (p.offset() >= resume.offset()) {
                appendAwaiting(w, layer, p.event());
            }
        }
        layer.snapshotIndex();
        a.purge(RetentionPolicy.keepAll().withMaxFiles(2));
        layer.note("purged");
        // the master dies mid-rotation: file 4's FDE is durable, nothing more comes
        w.startFile(Dump.streamName(4), 4);
        Appended fde = w.appendFormatDescription(Dump.asDumpSends(Dump.events(pair.oldFile(4)).get(0).event()));
        layer.ackedControl(fde.durable().get());
        w.discardPartialTransaction();
        layer.snapshotIndex();
        layer.note(CrashImageCheck.ADOPTING);
        a.adopt(pair.newMaster(), Dump.streamName(5));
        layer.note(CrashImageCheck.ADOPTED);
        layer.snapshotIndex();
        feed(w, layer, Dump.streamName(5), pair.newFile(5), false, 0);
        feed(w, layer, Dump.streamName(6), pair.newFile(6), true, 0);
    }

    private static void manyTransactions(BinlogArchive a, RecordingFileLayer layer) throws Exception {
        a.checkIdentity(UpstreamIdentity.mysql(UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562"), 1,
                "mysql-bin"));
        layer.note(CrashImageCheck.IDENTITY_RECORDED);
        SyntheticBinlog one = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32);
        SyntheticBinlog held = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32);
        for (int i = 0; i < 1_200; i++) {
            one.transaction();
            held.transaction();
        }
        one.rotate(Dump.streamName(2));
        feed(a.writer(), layer, Dump.streamName(1), one.bytes(), false, 0);
        layer.snapshotIndex();
        feed(a.writer(), layer, Dump.streamName(2), held.bytes(), true, 0);
    }

    private static void largeEvents(BinlogArchive a, RecordingFileLayer layer) throws Exception {
        a.checkIdentity(UpstreamIdentity.mysql(UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562"), 1,
                "mysql-bin"));
        layer.note(CrashImageCheck.IDENTITY_RECORDED);
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).transaction().transaction();
        b.gtid().query("BEGIN").rows(300_000).rows(1_000).rows(400_000).xid(7);
        b.transaction();
        b.gtid().query("BEGIN").rows(350_000).rows(350_000).xid(8);
        b.transaction().transaction();
        b.rotate(Dump.streamName(2));
        byte[] f1 = b.bytes();
        List<Dump.Positioned> events = Dump.events(f1);
        ArchiveWriter w = a.writer();
        // the connection drops after the first 350 KB row event of the second large transaction: it is in the file
        int cutAt = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).event().eventSize() > 340_000 && events.get(i).event().eventSize() < 360_000) {
                cutAt = i + 1;
                break;
            }
        }
        feed(w, layer, Dump.streamName(1), f1, false, cutAt);
        w.discardPartialTransaction();
        layer.snapshotIndex();
        BinlogPosition resume = a.resumePosition().orElseThrow();
        w.startFile(resume.file(), resume.offset());
        w.appendFormatDescription(Dump.asResumeSends(events.get(0).event()));
        List<Appended> rest = new ArrayList<>();
        w.holdCommits();
        for (Dump.Positioned p : events) {
            if (p.offset() >= resume.offset()) {
                rest.add(w.append(p.event()));
            }
        }
        w.syncNow();
        for (Appended ap : rest) {
            if (ap.completesTransaction()) {
                layer.acked(ap.end());
            }
        }
        w.releaseCommits();
        Appended rotate = rest.get(rest.size() - 1);
        layer.ackedControl(rotate.durable().get());
        layer.snapshotIndex();
        SyntheticBinlog b2 = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).transaction();
        b2.gtid().query("BEGIN").rows(600_000).xid(9);
        b2.transaction();
        feed(w, layer, Dump.streamName(2), b2.bytes(), true, 0);
    }

    /**
     * startFile at 4, the FDE, then the file's events (the first {@code limit}, if positive), as a plain caller
     * ({@code asMirror} false: each durable future awaited) or as the mirror.
     */
    private static void feed(ArchiveWriter w, RecordingFileLayer layer, String name, byte[] file, boolean asMirror,
                             int limit) throws Exception {
        List<Dump.Positioned> events = Dump.events(file);
        int end = limit > 0 ? limit : events.size();
        w.startFile(name, 4);
        Appended fde = w.appendFormatDescription(Dump.asDumpSends(events.get(0).event()));
        if (!asMirror) {
            layer.ackedControl(fde.durable().get());
            for (Dump.Positioned p : events.subList(1, end)) {
                appendAwaiting(w, layer, p.event());
            }
            return;
        }
        List<Appended> read = new ArrayList<>();
        read.add(fde);
        int bytes = 0;
        w.holdCommits();
        for (Dump.Positioned p : events.subList(1, end)) {
            read.add(w.append(p.event()));
            bytes += p.event().eventSize();
            if (bytes >= READ_BYTES || p.event().type() == EventType.ROTATE) {
                endOfRead(w, layer, read);
                read.clear();
                bytes = 0;
                w.holdCommits();
            }
        }
        endOfRead(w, layer, read);
    }

    /** As the mirror at the end of a socket read: sync, acks out, commits released. */
    private static void endOfRead(ArchiveWriter w, RecordingFileLayer layer, List<Appended> read) throws Exception {
        w.syncNow();
        for (Appended ap : read) {
            if (ap.completesTransaction()) {
                layer.acked(ap.end());
            }
        }
        w.releaseCommits();
        for (Appended ap : read) {
            if (ap.durable() != null && !ap.completesTransaction()) {
                ap.durable().get();
                layer.ackedControl(ap.end());
            }
        }
    }

    /** Appends, waits until the event's transaction is durable (if it ends one), logs the ack. */
    private static void appendAwaiting(ArchiveWriter w, RecordingFileLayer layer, BinlogEvent event)
            throws Exception {
        Appended ap = w.append(event);
        if (ap.durable() == null) {
            return;
        }
        ap.durable().get();
        if (ap.completesTransaction()) {
            layer.acked(ap.end());
        } else {
            // a ROTATE is durable but readable only with the next file's head; other control events (a new file's
            // head) are readable once their round published them
            if (event.type() == EventType.ROTATE) {
                layer.ackedControl(ap.end());
            } else {
                layer.acked(ap.end());
            }
        }
    }
}
