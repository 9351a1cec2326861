package dev.binlogproxy.bench;

import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.txn.EventRole;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a large, valid binlog file out of a golden fixture's real events: the head of the first file (FDE and the
 * control events before the first transaction), its transactions repeated until the target size, then its closing
 * ROTATE. Each copied event gets log_pos = its new end offset and, because that changes its bytes, a recomputed
 * CRC (the same two steps as binlog-store's test SyntheticBinlog.append).
 *
 * <p>GTIDs repeat from cycle to cycle; nothing on the scan path checks GTID order, and the event mix and sizes stay
 * those the server wrote.
 */
final class SyntheticBinlogFile {
    /** Where log_pos sits in the v4 header (BinlogEvent keeps its own constant package-private). */
    private static final int LOG_POS_OFFSET = 13;

    /** What the repeated part holds. */
    enum Mix {
        /** The transactions of mysql-bin.000001: all events small (40..160 bytes), so per-event cost dominates. */
        SMALL,
        /**
         * Also the transactions of mysql-bin.000002, including its ~70 KB row event: most bytes are in one large
         * event, so per-byte cost (CRC, copies) dominates.
         */
        WITH_LARGE
    }

    private final ChecksumAlgorithm checksum;
    private final List<byte[]> head = new ArrayList<>();
    private final List<byte[]> cycle = new ArrayList<>();
    private final byte[] tail;

    private SyntheticBinlogFile(ChecksumAlgorithm checksum, byte[] tail) {
        this.checksum = checksum;
        this.tail = tail;
    }

    /** Takes the events of a scenario's fixture files; the first file must end with a ROTATE. */
    static SyntheticBinlogFile fromFixture(String scenario, Mix mix) throws IOException {
        Path first = Fixtures.file(scenario, "mysql-bin.000001");
        List<FileEvent> events = Fixtures.events(first);
        ChecksumAlgorithm checksum = FormatDescription.decode(events.get(0).event()).checksumAlgorithm();
        FileEvent last = events.get(events.size() - 1);
        if (last.event().type() != EventType.ROTATE) {
            throw new IllegalStateException(first + " does not end with a ROTATE: " + last.event());
        }
        SyntheticBinlogFile out = new SyntheticBinlogFile(checksum, last.event().toByteArray());
        List<FileEvent> body = events.subList(0, events.size() - 1);
        int transactionsStart = leadingControlEvents(body);
        for (FileEvent e : body.subList(0, transactionsStart)) {
            out.head.add(e.event().toByteArray());
        }
        for (FileEvent e : body.subList(transactionsStart, body.size())) {
            out.cycle.add(e.event().toByteArray());
        }
        if (mix == Mix.WITH_LARGE) {
            List<FileEvent> second = Fixtures.events(Fixtures.file(scenario, "mysql-bin.000002"));
            for (FileEvent e : second.subList(leadingControlEvents(second), second.size())) {
                out.cycle.add(e.event().toByteArray());
            }
        }
        return out;
    }

    /** Number of CONTROL events (FDE, PREVIOUS_GTIDS, GTID_LIST, BINLOG_CHECKPOINT) before the first transaction. */
    private static int leadingControlEvents(List<FileEvent> events) {
        int i = 0;
        while (i < events.size() && events.get(i).role() == EventRole.CONTROL) {
            i++;
        }
        return i;
    }

    /**
     * Writes the file: head, as many whole copies of the transactions as fit in {@code targetBytes}, the ROTATE.
     *
     * @return the number of events written
     */
    long writeTo(Path file, long targetBytes) throws IOException {
        long cycleBytes = 0;
        for (byte[] e : cycle) {
            cycleBytes += e.length;
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            Writer w = new Writer(out);
            w.write(BinlogFileReader.MAGIC);
            for (byte[] e : head) {
                w.event(e);
            }
            while (w.offset + cycleBytes + tail.length <= targetBytes) {
                for (byte[] e : cycle) {
                    w.event(e);
                }
            }
            w.event(tail);
            return w.events;
        }
    }

    private final class Writer {
        private final OutputStream out;
        private long offset;
        private long events;

        Writer(OutputStream out) {
            this.out = out;
        }

        void write(byte[] b) throws IOException {
            out.write(b);
            offset += b.length;
        }

        void event(byte[] template) throws IOException {
            byte[] e = template.clone();
            long end = offset + e.length;
            if (end > 0xFFFF_FFFFL) {
                throw new IllegalStateException("log_pos " + end + " does not fit the 4-byte field");
            }
            ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN).putInt(LOG_POS_OFFSET, (int) end);
            // The FDE carries a CRC whatever the algorithm; every other event only under CRC32.
            boolean fde = Byte.toUnsignedInt(e[4]) == EventType.FORMAT_DESCRIPTION.code();
            if (fde || checksum == ChecksumAlgorithm.CRC32) {
                EventChecksum.writeTrailer(e, 0, e.length);
            }
            write(e);
            events++;
        }
    }
}
