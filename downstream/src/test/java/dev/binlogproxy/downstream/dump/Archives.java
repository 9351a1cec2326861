package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;

import java.nio.file.Path;
import java.util.List;

/**
 * Archives for sender tests, written through the real ArchiveWriter the way the mirror writes them, from the golden
 * fixtures of binlog-store or from a real server's binlog files: the names these tests use, over binlog-store's
 * shared {@link Dump} (its test-jar).
 */
final class Archives {
    static final String MYSQL_GTID = Dump.MYSQL_GTID;
    static final String MARIA_CRC = Dump.MARIA_CRC;
    static final String MARIA_NONE = Dump.MARIA_NONE;
    static final String FILE1 = Dump.FILE1;
    static final String FILE2 = Dump.FILE2;

    private Archives() {
    }

    static List<String> scenarios() {
        return Dump.scenarios();
    }

    static byte[] bytes(String scenario, String file) {
        return Dump.bytes(scenario, file);
    }

    static long serverId(String scenario) {
        return Dump.serverId(scenario);
    }

    static boolean isMaria(String scenario) {
        return Dump.isMaria(scenario);
    }

    static UpstreamIdentity identity(String scenario) {
        return Dump.identity(scenario);
    }

    /** An event of a file image, with its start offset. */
    record Positioned(long offset, BinlogEvent event) {
        long end() {
            return offset + event.eventSize();
        }
    }

    /** The first transaction of {@code events} (GTID through XID), as indexes into it: {first, last}. */
    static int[] firstTransaction(List<Positioned> events) {
        int first = -1;
        for (int i = 0; i < events.size(); i++) {
            EventType t = events.get(i).event().type();
            if (t == EventType.GTID) {
                first = i;
            } else if (t == EventType.XID && first >= 0) {
                return new int[] {first, i};
            }
        }
        throw new IllegalArgumentException("no GTID ... XID transaction in the fixture");
    }

    static List<Positioned> events(byte[] file) {
        return Dump.events(file).stream().map(p -> new Positioned(p.offset(), p.event())).toList();
    }

    static ChecksumAlgorithm checksum(byte[] file) {
        return Dump.checksum(file);
    }

    /** A file image as the archive holds it (IN_USE clear). */
    static byte[] archived(byte[] file) {
        return Dump.archived(file);
    }

    /** Feeds one file image to the archive's writer: startFile at 4, the FDE, then {@code events} of the rest. */
    static List<Appended> feed(BinlogArchive archive, String name, byte[] file, int eventCount) throws Exception {
        return Dump.feed(archive.writer(), name, file, eventCount);
    }

    static List<Appended> feed(BinlogArchive archive, String name, byte[] file) throws Exception {
        return Dump.feedFile(archive.writer(), name, file);
    }

    /** An archive holding the scenario's two fixture files, every transaction visible. */
    static BinlogArchive ofFixture(Path dir, String scenario) throws Exception {
        return Dump.ofFixture(dir, scenario);
    }

    static void awaitVisible(List<Appended> appended) throws Exception {
        Dump.awaitVisible(appended);
    }
}
