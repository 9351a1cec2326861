package dev.binlogproxy.binlog.golden;

import com.github.shyiko.mysql.binlog.BinaryLogFileReader;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross-checks this reader against mysql-binlog-connector-java's file reader, which nobody here wrote: same
 * number of events, same types, sizes and positions. Used by the golden and the live tests.
 */
final class ConnectorCrossCheckTest {
    private ConnectorCrossCheckTest() {
    }

    record Seen(int typeCode, long length, long nextPosition) {
    }

    static List<Seen> ours(Path file) throws Exception {
        List<Seen> out = new ArrayList<>();
        try (BinlogFileReader r = BinlogFileReader.open(file)) {
            for (FileEvent e = r.next(); e != null; e = r.next()) {
                out.add(new Seen(e.event().typeCode(), e.event().eventSize(), e.event().logPos()));
            }
        }
        return out;
    }

    static List<Seen> theirs(Path file) throws IOException {
        List<Seen> out = new ArrayList<>();
        try (BinaryLogFileReader r = new BinaryLogFileReader(file.toFile())) {
            for (Event e = r.readEvent(); e != null; e = r.readEvent()) {
                EventHeaderV4 h = e.getHeader();
                out.add(new Seen(codeOf(h.getEventType()), h.getEventLength(), h.getNextPosition()));
            }
        }
        return out;
    }

    private static int codeOf(com.github.shyiko.mysql.binlog.event.EventType t) {
        for (int code = 0; code < 256; code++) {
            if (com.github.shyiko.mysql.binlog.event.EventType.byEventNumber(code) == t) {
                return code;
            }
        }
        throw new AssertionError("no code for " + t);
    }

    static void assertSameAsConnector(Path file) throws Exception {
        List<Seen> ours = ours(file);
        List<Seen> theirs = theirs(file);
        assertTrue(ours.size() > 2, file + " has too few events to compare");
        assertEquals(theirs, ours, file.toString());
    }
}
