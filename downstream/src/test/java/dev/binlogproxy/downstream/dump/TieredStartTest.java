package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.archive.Tier;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.RealMasterDump;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dump starts with tiering, on the MySQL GTID fixtures: a GTID start the archive's local files cannot serve (their
 * PREVIOUS_GTIDS are "purged" for the replica) fetches the tiered file before them back and starts there, as a
 * master holding that file would; a refusal for another reason (the replica has GTIDs the master never wrote)
 * fetches nothing; a file/position start in a tiered file fetches it.
 */
class TieredStartTest {
    private static final long REPLICA = 78;
    private static final String SCENARIO = Archives.MYSQL_GTID;

    @TempDir
    Path dir;

    /** The fixture's first file, held in a directory as if in a bucket. */
    private Tier tierHoldingFile1(Path remote) throws IOException {
        Files.createDirectories(remote);
        Files.write(remote.resolve(Archives.FILE1), Archives.bytes(SCENARIO, Archives.FILE1));
        return new Tier() {
            @Override
            public boolean holdsVerified(String file) {
                return file.equals(Archives.FILE1);
            }

            @Override
            public List<String> files() {
                return List.of(Archives.FILE1);
            }

            @Override
            public long size(String file) {
                return holdsVerified(file) ? Archives.bytes(SCENARIO, Archives.FILE1).length : -1;
            }

            @Override
            public void fetch(String file, Path target) throws IOException {
                Files.copy(remote.resolve(file), target, StandardCopyOption.REPLACE_EXISTING);
            }
        };
    }

    private static List<RealMasterDump.Item> dump(BinlogArchive a, StartPoint start) throws Exception {
        RecordingOutput out = new RecordingOutput();
        DumpRequest r = new DumpRequest(start, REPLICA, 1, BinlogFlavor.MYSQL, ChecksumAlgorithm.CRC32, 0, false, 0,
                false);
        new BinlogSender(a, r, out, Archives.serverId(SCENARIO), new DumpMetrics(new SimpleMeterRegistry())).run();
        return out.items;
    }

    private static List<String> names(BinlogArchive a) {
        return a.files().stream().map(ArchivedFile::name).toList();
    }

    private static BinlogEvent ev(RealMasterDump.Item item) {
        return BinlogEvent.wrap(((RealMasterDump.Event) item).bytes());
    }

    private static List<MySqlGtid> gtidsOfFile1() {
        List<MySqlGtid> out = new ArrayList<>();
        for (Archives.Positioned p : Archives.events(Archives.bytes(SCENARIO, Archives.FILE1))) {
            if (p.event().type() == EventType.GTID) {
                out.add(MySqlGtidEvent.decode(p.event(), ChecksumAlgorithm.CRC32).gtid());
            }
        }
        return out;
    }

    @Test
    void aGtidStartBeforeTheLocalFilesFetchesTheTieredFileBack() throws Exception {
        List<MySqlGtid> gtids = gtidsOfFile1();
        MySqlGtidSet firstThree = MySqlGtidSet.EMPTY;
        for (MySqlGtid g : gtids.subList(0, 3)) {
            firstThree = firstThree.add(g);
        }
        try (BinlogArchive a = Archives.ofFixture(dir.resolve("archive"), SCENARIO)) {
            a.attachTier(tierHoldingFile1(dir.resolve("remote")), dir.resolve("cache"), Duration.ofMinutes(1));
            assertEquals(List.of(Archives.FILE1), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));

            // a replica ahead of the master (a GTID of the master's own UUID it never wrote) is refused as before,
            // and nothing is fetched for it
            MySqlGtidSet all = MySqlGtidSet.EMPTY;
            for (MySqlGtid g : gtids) {
                all = all.add(g);
            }
            MySqlGtid last = gtids.get(gtids.size() - 1);
            MySqlGtidSet ahead = all.add(new MySqlGtid(last.sourceId(), 1_000_000));
            List<RealMasterDump.Item> refused = dump(a, new StartPoint.MySqlGtids(ahead));
            assertTrue(((RealMasterDump.Err) refused.get(refused.size() - 1)).message()
                    .startsWith("Slave has more GTIDs than the master has"), refused.toString());
            assertEquals(List.of(Archives.FILE2), names(a));

            // a replica that has only the first three transactions needs file 1: fetched back, served from there
            List<RealMasterDump.Item> items = dump(a, new StartPoint.MySqlGtids(firstThree));
            assertEquals(List.of(Archives.FILE1, Archives.FILE2), names(a));
            assertTrue(a.isFetchedBack(Archives.FILE1));
            assertEquals(Archives.FILE1, Rotate.decode(ev(items.get(0)), ChecksumAlgorithm.CRC32).nextFile());
            MySqlGtid firstSent = null;
            for (RealMasterDump.Item item : items) {
                if (item instanceof RealMasterDump.Event && ev(item).type() == EventType.GTID) {
                    firstSent = MySqlGtidEvent.decode(ev(item), ChecksumAlgorithm.CRC32).gtid();
                    break;
                }
            }
            assertEquals(gtids.get(3), firstSent);
            assertInstanceOf(RealMasterDump.Eof.class, items.get(items.size() - 1));
        }
    }

    @Test
    void aFilePositionStartInATieredFileFetchesIt() throws Exception {
        try (BinlogArchive a = Archives.ofFixture(dir.resolve("archive"), SCENARIO)) {
            a.attachTier(tierHoldingFile1(dir.resolve("remote")), dir.resolve("cache"), Duration.ofMinutes(1));
            a.purge(RetentionPolicy.keepAll().withMaxFiles(1));
            List<RealMasterDump.Item> items = dump(a, new StartPoint.FilePosition(Archives.FILE1, 4));
            assertEquals(List.of(Archives.FILE1, Archives.FILE2), names(a));
            assertEquals(Archives.FILE1, Rotate.decode(ev(items.get(0)), ChecksumAlgorithm.CRC32).nextFile());
            assertInstanceOf(RealMasterDump.Eof.class, items.get(items.size() - 1));
            // a file neither the archive nor the tier has is still the master's ERR 1236
            List<RealMasterDump.Item> unknown = dump(a, new StartPoint.FilePosition("mysql-bin.000099", 4));
            assertTrue(((RealMasterDump.Err) unknown.get(0)).message().startsWith("Could not find first log file"),
                    unknown.toString());
        }
    }
}
