package dev.binlogproxy.bench;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchiveWriter;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.fixtures.GoldenFixtures;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One real transaction (GTID, BEGIN, TABLE_MAP, WRITE_ROWS, XID of the MySQL 8.0.15 GTID fixture) that can be
 * appended to an archive at any offset, as often as a benchmark needs: each copy gets log_pos = its new end and
 * the CRC that goes with it, through the typed header ({@link EventHeader#withLogPos}, {@link EventEncoder}). The
 * archive checks chains and CRCs, not GTID uniqueness, so the repeated GTID does not matter.
 */
final class FixtureTransaction {
    private final List<FileEvent> head;
    private final List<EventHeader> headers = new ArrayList<>();
    private final List<byte[]> bodies = new ArrayList<>();
    private final ChecksumAlgorithm checksum;
    private final int size;

    FixtureTransaction() {
        List<FileEvent> events = Fixtures.events(Fixtures.file(GoldenFixtures.MYSQL_GTID, GoldenFixtures.FILE1));
        checksum = FormatDescription.decode(events.get(0).event()).checksumAlgorithm();
        head = events.subList(0, 2);
        int start = 0;
        while (events.get(start).event().type() != EventType.GTID
                || events.get(start + 3).event().type() != EventType.WRITE_ROWS) {
            start++;
        }
        int total = 0;
        for (FileEvent e : events.subList(start, start + 5)) {
            headers.add(EventHeader.of(e.event()));
            ByteBuffer body = e.event().body(checksum);
            byte[] b = new byte[body.remaining()];
            body.get(b);
            bodies.add(b);
            total += e.event().eventSize();
        }
        if (events.get(start + 4).event().type() != EventType.XID) {
            throw new IllegalStateException("the fixture's first row transaction is not GTID BEGIN TABLE_MAP"
                    + " WRITE_ROWS XID");
        }
        size = total;
    }

    /** Starts {@code name} with the fixture's FDE and PREVIOUS_GTIDS; returns where transactions go. */
    long startFile(ArchiveWriter w, String name) throws Exception {
        w.startFile(name, BinlogPosition.FIRST_EVENT_OFFSET);
        w.appendFormatDescription(head.get(0).event());
        return w.append(head.get(1).event()).durable().get().offset();
    }

    /** Appends one copy at {@code end}, the writer's end; returns its commit's future. */
    CompletableFuture<BinlogPosition> append(ArchiveWriter w, long end) throws Exception {
        long at = end;
        Appended last = null;
        for (int i = 0; i < bodies.size(); i++) {
            int eventSize = BinlogEvent.HEADER_LENGTH + bodies.get(i).length + checksum.trailerLength();
            at += eventSize;
            last = w.append(BinlogEvent.wrap(EventEncoder.encode(headers.get(i).withLogPos(at), bodies.get(i),
                    checksum)));
        }
        return last.durable();
    }

    /** Bytes per copy. */
    int size() {
        return size;
    }
}
