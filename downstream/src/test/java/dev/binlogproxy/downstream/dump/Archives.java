package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.testkit.fixtures.GoldenFixtures;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.event.FormatDescription;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * Archives for sender tests, written through the real ArchiveWriter the way the mirror writes them: from the
 * golden fixtures of binlog-store (fixtures/README.md there) or from a real server's binlog files.
 */
final class Archives {
    static final String MYSQL_GTID = GoldenFixtures.MYSQL_GTID;
    static final String MYSQL_ANON = GoldenFixtures.MYSQL_ANON;
    static final String MARIA_CRC = GoldenFixtures.MARIA_CRC;
    static final String MARIA_NONE = GoldenFixtures.MARIA_NONE;
    static final String FILE1 = GoldenFixtures.FILE1;
    static final String FILE2 = GoldenFixtures.FILE2;

    private Archives() {
    }

    static List<String> scenarios() {
        return GoldenFixtures.scenarios();
    }

    static Path fixture(String scenario) {
        return GoldenFixtures.dir(scenario);
    }

    static byte[] bytes(String scenario, String file) {
        return GoldenFixtures.bytes(scenario, file);
    }

    static Properties server(String scenario) {
        return GoldenFixtures.server(scenario);
    }

    static long serverId(String scenario) {
        return Long.parseLong(server(scenario).getProperty("server_id"));
    }

    static boolean isMaria(String scenario) {
        return server(scenario).getProperty("flavor").equals("MARIADB");
    }

    static UpstreamIdentity identity(String scenario) {
        Properties p = server(scenario);
        long id = Long.parseLong(p.getProperty("server_id"));
        return isMaria(scenario) ? UpstreamIdentity.mariadb(id, "mysql-bin")
                : UpstreamIdentity.mysql(UUID.fromString(p.getProperty("server_uuid")), id, "mysql-bin");
    }

    /** An event of a file image, with its start offset. */
    record Positioned(long offset, BinlogEvent event) {
        long end() {
            return offset + event.eventSize();
        }
    }

    static List<Positioned> events(byte[] file) {
        List<Positioned> out = new ArrayList<>();
        int at = 4;
        while (at < file.length) {
            int size = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(at + 9);
            out.add(new Positioned(at, BinlogEvent.wrap(Arrays.copyOfRange(file, at, at + size))));
            at += size;
        }
        return out;
    }

    static ChecksumAlgorithm checksum(byte[] file) {
        return FormatDescription.decode(events(file).get(0).event()).checksumAlgorithm();
    }

    /** The FDE as the dump sends it to the mirror: IN_USE cleared (the server's CRC covers the cleared flag). */
    static BinlogEvent withoutInUse(BinlogEvent fde) {
        byte[] b = fde.toByteArray();
        b[BinlogEvent.FLAGS_OFFSET] &= (byte) ~EventFlags.BINLOG_IN_USE;
        return BinlogEvent.wrap(b);
    }

    /** A file image as the archive holds it (IN_USE clear). */
    static byte[] archived(byte[] file) {
        byte[] out = file.clone();
        out[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~EventFlags.BINLOG_IN_USE;
        return out;
    }

    /** Feeds one file image to the archive's writer: startFile at 4, the FDE, then {@code events} of the rest. */
    static List<Appended> feed(BinlogArchive archive, String name, byte[] file, int eventCount) throws Exception {
        List<Positioned> events = events(file);
        archive.writer().startFile(name, 4);
        List<Appended> out = new ArrayList<>();
        out.add(archive.writer().appendFormatDescription(withoutInUse(events.get(0).event())));
        for (Positioned p : events.subList(1, Math.min(events.size(), eventCount))) {
            out.add(archive.writer().append(p.event()));
        }
        return out;
    }

    static List<Appended> feed(BinlogArchive archive, String name, byte[] file) throws Exception {
        return feed(archive, name, file, Integer.MAX_VALUE);
    }

    /** An archive holding the scenario's two fixture files, every transaction visible. */
    static BinlogArchive ofFixture(Path dir, String scenario) throws Exception {
        BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE);
        a.checkIdentity(identity(scenario));
        feed(a, FILE1, bytes(scenario, FILE1));
        List<Appended> last = feed(a, FILE2, bytes(scenario, FILE2));
        awaitVisible(last);
        return a;
    }

    static void awaitVisible(List<Appended> appended) throws Exception {
        for (int i = appended.size() - 1; i >= 0; i--) {
            if (appended.get(i).durable() != null) {
                appended.get(i).durable().get();
                return;
            }
        }
    }
}
