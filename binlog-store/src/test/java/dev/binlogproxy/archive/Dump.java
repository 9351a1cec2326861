package dev.binlogproxy.archive;

import dev.binlogproxy.testkit.fixtures.GoldenFixtures;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * Feeds golden fixture files (fixtures/README.md) to an archive the way a master's dump sends them: the fake ROTATE
 * (startFile), the FORMAT_DESCRIPTION with IN_USE cleared, then every event, the real ROTATE last.
 */
final class Dump {
    static final String MYSQL_GTID = GoldenFixtures.MYSQL_GTID;
    static final String MYSQL_ANON = GoldenFixtures.MYSQL_ANON;
    static final String MARIA_CRC = GoldenFixtures.MARIA_CRC;
    static final String MARIA_NONE = GoldenFixtures.MARIA_NONE;
    static final String FILE1 = GoldenFixtures.FILE1;
    static final String FILE2 = GoldenFixtures.FILE2;

    private Dump() {
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

    static UpstreamIdentity identity(String scenario) {
        Properties p = server(scenario);
        long serverId = Long.parseLong(p.getProperty("server_id"));
        if (p.getProperty("flavor").equals("MARIADB")) {
            return UpstreamIdentity.mariadb(serverId, "mysql-bin");
        }
        return UpstreamIdentity.mysql(UUID.fromString(p.getProperty("server_uuid")), serverId, "mysql-bin");
    }

    /** The events of a binlog file image, each with its start offset, as views over copies. */
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

    record Positioned(long offset, BinlogEvent event) {
        long end() {
            return offset + event.eventSize();
        }
    }

    /** The FDE as a dump sends it: IN_USE cleared. The server's CRC already covers the cleared flag. */
    static BinlogEvent asDumpSends(BinlogEvent fde) {
        byte[] b = fde.toByteArray();
        b[BinlogEvent.FLAGS_OFFSET] &= (byte) ~EventFlags.BINLOG_IN_USE;
        BinlogEvent out = BinlogEvent.wrap(b);
        if (!FormatDescription.checksumMatches(out)) {
            throw new IllegalStateException("clearing IN_USE broke the FDE's CRC: " + out);
        }
        return out;
    }

    /** The FDE a master sends when the dump starts past position 4: log_pos 0 (CRC recomputed). */
    static BinlogEvent asResumeSends(BinlogEvent fde) {
        byte[] b = asDumpSends(fde).toByteArray();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(13, 0);
        EventChecksum.writeTrailer(b, 0, b.length);
        return BinlogEvent.wrap(b);
    }

    /** The bytes the archive must hold for a fixture file: the file as its master will close it (IN_USE clear). */
    static byte[] archived(byte[] fixtureFile) {
        byte[] out = fixtureFile.clone();
        out[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~EventFlags.BINLOG_IN_USE;
        return out;
    }

    /** startFile at 4, the FDE, then every event. */
    static List<Appended> feedFile(ArchiveWriter w, String name, byte[] file) throws Exception {
        List<Positioned> events = events(file);
        w.startFile(name, 4);
        List<Appended> out = new ArrayList<>();
        out.add(w.appendFormatDescription(asDumpSends(events.get(0).event())));
        for (Positioned p : events.subList(1, events.size())) {
            out.add(w.append(p.event()));
        }
        return out;
    }

    /**
     * startFile at 4, the FDE and the first event after it: the file's head, with which the archive lists the file
     * (and makes the previous file's ROTATE readable). Returns the head event's append.
     */
    static Appended feedHead(ArchiveWriter w, String name, byte[] file) throws Exception {
        List<Positioned> events = events(file);
        w.startFile(name, 4);
        w.appendFormatDescription(asDumpSends(events.get(0).event()));
        return w.append(events.get(1).event());
    }

    /** An empty archive that mirrors the scenario's master. */
    static BinlogArchive fresh(Path dir, String scenario, Durability durability) throws Exception {
        BinlogArchive a = BinlogArchive.open(dir, durability);
        a.checkIdentity(identity(scenario));
        return a;
    }

    static ChecksumAlgorithm checksum(byte[] file) {
        return FormatDescription.decode(events(file).get(0).event()).checksumAlgorithm();
    }

    /**
     * File {@code k} of an endless stream built from real bytes, for tests that need many files: odd numbers are
     * fixture file 1 (its ROTATE renamed to name k+1), even numbers fixture file 2 (FDE as a dump sends it) with a
     * ROTATE to k+1 appended. Same sizes for every k below 1000000.
     */
    static byte[] streamFile(String scenario, int k) {
        byte[] next = BinlogPosition.fileName("mysql-bin", k + 1).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        if (k % 2 == 1) {
            byte[] f = bytes(scenario, FILE1);
            List<Positioned> ev = events(f);
            Positioned rotate = ev.get(ev.size() - 1);
            ChecksumAlgorithm alg = checksum(f);
            Rotate r = Rotate.decode(rotate.event(), alg);
            byte[] renamed = new Rotate(r.header(), r.position(), new String(next,
                    java.nio.charset.StandardCharsets.ISO_8859_1)).encode(alg);
            if (renamed.length != rotate.event().eventSize()) {
                throw new IllegalStateException("rotate size changed");
            }
            System.arraycopy(renamed, 0, f, (int) rotate.offset(), renamed.length);
            return f;
        }
        byte[] f = archived(bytes(scenario, FILE2));
        List<Positioned> ev = events(f);
        BinlogEvent last = ev.get(ev.size() - 1).event();
        ChecksumAlgorithm alg = checksum(f);
        long serverId = last.serverId();
        byte[] probe = new Rotate(new EventHeader(last.timestamp(), EventType.ROTATE.code(), serverId, 0, 0), 4,
                new String(next, java.nio.charset.StandardCharsets.ISO_8859_1)).encode(alg);
        byte[] rotate = new Rotate(new EventHeader(last.timestamp(), EventType.ROTATE.code(), serverId,
                f.length + probe.length, 0), 4, new String(next, java.nio.charset.StandardCharsets.ISO_8859_1))
                .encode(alg);
        byte[] out = Arrays.copyOf(f, f.length + rotate.length);
        System.arraycopy(rotate, 0, out, f.length, rotate.length);
        return out;
    }

    static String streamName(int k) {
        return BinlogPosition.fileName("mysql-bin", k);
    }

    /** The offset of the first event of {@code file} whose type is {@code type}. */
    static Optional<Positioned> first(byte[] file, EventType type) {
        return events(file).stream().filter(p -> p.event().type() == type).findFirst();
    }
}
