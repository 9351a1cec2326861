package dev.binlogproxy.archive.testing;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchiveWriter;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;
import dev.binlogproxy.testkit.fixtures.GoldenFixtures;

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
 * Feeds golden fixture files (binlog-store/src/test/resources/fixtures/README.md) or a real server's binlog files
 * to an archive the way a master's dump sends them: the fake ROTATE ({@code startFile}), the FORMAT_DESCRIPTION with
 * IN_USE cleared, then every event, the real ROTATE last. Shared through binlog-store's test-jar by the tests of
 * every module that needs an archive written as the mirror writes it.
 *
 * <p>Events are rebuilt through the typed header and FDE helpers ({@link EventHeader}, {@link FormatDescription},
 * {@link EventEncoder}), which recompute a CRC only through {@code EventChecksum}, never by poking bytes.
 */
public final class Dump {
    public static final String MYSQL_GTID = GoldenFixtures.MYSQL_GTID;
    public static final String MYSQL_ANON = GoldenFixtures.MYSQL_ANON;
    public static final String MARIA_CRC = GoldenFixtures.MARIA_CRC;
    public static final String MARIA_NONE = GoldenFixtures.MARIA_NONE;
    public static final String FILE1 = GoldenFixtures.FILE1;
    public static final String FILE2 = GoldenFixtures.FILE2;

    private Dump() {
    }

    /** An event of a file image, with its start offset. */
    public record Positioned(long offset, BinlogEvent event) {
        /** End offset of the event in its file: its log_pos. */
        public long end() {
            return offset + event.eventSize();
        }
    }

    public static List<String> scenarios() {
        return GoldenFixtures.scenarios();
    }

    public static Path fixture(String scenario) {
        return GoldenFixtures.dir(scenario);
    }

    public static byte[] bytes(String scenario, String file) {
        return GoldenFixtures.bytes(scenario, file);
    }

    public static Properties server(String scenario) {
        return GoldenFixtures.server(scenario);
    }

    public static long serverId(String scenario) {
        return Long.parseLong(server(scenario).getProperty("server_id"));
    }

    public static boolean isMaria(String scenario) {
        return server(scenario).getProperty("flavor").equals("MARIADB");
    }

    /** The scenario's master as the archive records it (binlog basename mysql-bin). */
    public static UpstreamIdentity identity(String scenario) {
        long serverId = serverId(scenario);
        return isMaria(scenario) ? UpstreamIdentity.mariadb(serverId, "mysql-bin")
                : UpstreamIdentity.mysql(UUID.fromString(server(scenario).getProperty("server_uuid")), serverId,
                "mysql-bin");
    }

    /** The events of a binlog file image, each with its start offset, as views over copies. */
    public static List<Positioned> events(byte[] file) {
        List<Positioned> out = new ArrayList<>();
        int at = 4;
        while (at < file.length) {
            int size = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(at + 9);
            out.add(new Positioned(at, BinlogEvent.wrap(Arrays.copyOfRange(file, at, at + size))));
            at += size;
        }
        return out;
    }

    /**
     * How many entries the index journal keeps for {@code file}'s events: one per transaction and one per event
     * outside transactions (the transaction tracker's roles, as the archive gives them).
     */
    public static int journalEntries(List<Positioned> events) {
        TransactionTracker tracker = new TransactionTracker();
        int entries = 0;
        for (Positioned p : events) {
            EventRole role = tracker.accept(p.event());
            if (role != EventRole.INSIDE && role != EventRole.END) {
                entries++;
            }
        }
        return entries;
    }

    /** The algorithm the file's FDE declares. */
    public static ChecksumAlgorithm checksum(byte[] file) {
        return FormatDescription.decode(events(file).get(0).event()).checksumAlgorithm();
    }

    /**
     * The FDE as a dump sends it: IN_USE cleared. The server computed its CRC with the flag clear, so the cleared
     * FDE differs from the original in the flag alone (checked: a server that did otherwise breaks the rule the
     * archive relies on).
     */
    public static BinlogEvent asDumpSends(BinlogEvent fde) {
        FormatDescription d = FormatDescription.decode(fde);
        if (!d.inUse()) {
            return fde;
        }
        byte[] cleared = d.withHeader(d.header().withFlags(d.header().flags() & ~EventFlags.BINLOG_IN_USE)).encode();
        byte[] original = fde.toByteArray();
        original[BinlogEvent.FLAGS_OFFSET] = cleared[BinlogEvent.FLAGS_OFFSET];
        if (!Arrays.equals(original, cleared)) {
            throw new IllegalStateException("clearing IN_USE changed more than the flag: " + fde);
        }
        return BinlogEvent.wrap(cleared);
    }

    /** The FDE a master sends when the dump starts past position 4: IN_USE clear, log_pos 0 (CRC recomputed). */
    public static BinlogEvent asResumeSends(BinlogEvent fde) {
        FormatDescription d = FormatDescription.decode(asDumpSends(fde));
        return BinlogEvent.wrap(d.withHeader(d.header().withLogPos(0)).encode());
    }

    /** The bytes the archive must hold for a file image: the file as its master will close it (IN_USE clear). */
    public static byte[] archived(byte[] file) {
        byte[] out = file.clone();
        byte[] fde = asDumpSends(events(file).get(0).event()).toByteArray();
        System.arraycopy(fde, 0, out, 4, fde.length);
        return out;
    }

    /**
     * {@code event} with another header (timestamp, type, server_id, log_pos, flags), body unchanged, the CRC
     * trailer rewritten if the file's algorithm has one. Not for FORMAT_DESCRIPTION (use {@link FormatDescription}).
     */
    public static BinlogEvent withHeader(BinlogEvent event, EventHeader header, ChecksumAlgorithm checksum) {
        ByteBuffer body = event.body(checksum);
        byte[] bytes = new byte[body.remaining()];
        body.get(bytes);
        return BinlogEvent.wrap(EventEncoder.encode(header, bytes, checksum));
    }

    /** startFile at 4, the FDE, then every event. */
    public static List<Appended> feedFile(ArchiveWriter w, String name, byte[] file) throws Exception {
        return feed(w, name, file, Integer.MAX_VALUE);
    }

    /** startFile at 4, the FDE, then the next {@code eventCount - 1} events of the file. */
    public static List<Appended> feed(ArchiveWriter w, String name, byte[] file, int eventCount) throws Exception {
        List<Positioned> events = events(file);
        w.startFile(name, 4);
        List<Appended> out = new ArrayList<>();
        out.add(w.appendFormatDescription(asDumpSends(events.get(0).event())));
        for (Positioned p : events.subList(1, Math.min(events.size(), eventCount))) {
            out.add(w.append(p.event()));
        }
        return out;
    }

    /**
     * startFile at 4, the FDE and the first event after it: the file's head, with which the archive lists the file
     * (and makes the previous file's ROTATE readable). Returns the head event's append.
     */
    public static Appended feedHead(ArchiveWriter w, String name, byte[] file) throws Exception {
        List<Positioned> events = events(file);
        w.startFile(name, 4);
        w.appendFormatDescription(asDumpSends(events.get(0).event()));
        return w.append(events.get(1).event());
    }

    /** An empty archive that mirrors the scenario's master. */
    public static BinlogArchive fresh(Path dir, String scenario, Durability durability) throws Exception {
        BinlogArchive a = BinlogArchive.open(dir, durability);
        a.checkIdentity(identity(scenario));
        return a;
    }

    /** An archive ({@link Durability#WRITE}) holding the scenario's two fixture files, every transaction visible. */
    public static BinlogArchive ofFixture(Path dir, String scenario) throws Exception {
        BinlogArchive a = fresh(dir, scenario, Durability.WRITE);
        feedFile(a.writer(), FILE1, bytes(scenario, FILE1));
        awaitVisible(feedFile(a.writer(), FILE2, bytes(scenario, FILE2)));
        return a;
    }

    /** Waits for the last durable future among {@code appended}: everything before it is readable then. */
    public static void awaitVisible(List<Appended> appended) throws Exception {
        for (int i = appended.size() - 1; i >= 0; i--) {
            if (appended.get(i).durable() != null) {
                appended.get(i).durable().get();
                return;
            }
        }
    }

    /**
     * File {@code k} of an endless stream built from real bytes, for tests that need many files: odd numbers are
     * fixture file 1 (its ROTATE renamed to name k+1), even numbers fixture file 2 (FDE as a dump sends it) with a
     * ROTATE to k+1 appended. Same sizes for every k below 1000000. Every event keeps its server's server_id, so
     * another scenario of the same flavor gives the files of another master continuing the same numbering.
     */
    public static byte[] streamFile(String scenario, int k) {
        String next = streamName(k + 1);
        if (k % 2 == 1) {
            byte[] f = bytes(scenario, FILE1);
            List<Positioned> ev = events(f);
            Positioned rotate = ev.get(ev.size() - 1);
            ChecksumAlgorithm alg = checksum(f);
            Rotate r = Rotate.decode(rotate.event(), alg);
            byte[] renamed = new Rotate(r.header(), r.position(), next).encode(alg);
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
        EventHeader header = new EventHeader(last.timestamp(), EventType.ROTATE.code(), last.serverId(), 0, 0);
        int size = new Rotate(header, 4, next).encode(alg).length;
        byte[] rotate = new Rotate(header.withLogPos(f.length + size), 4, next).encode(alg);
        byte[] out = Arrays.copyOf(f, f.length + rotate.length);
        System.arraycopy(rotate, 0, out, f.length, rotate.length);
        return out;
    }

    public static String streamName(int k) {
        return BinlogPosition.fileName("mysql-bin", k);
    }

    /** The first event of {@code file} whose type is {@code type}. */
    public static Optional<Positioned> first(byte[] file, EventType type) {
        return events(file).stream().filter(p -> p.event().type() == type).findFirst();
    }
}
