package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A FORMAT_DESCRIPTION that arrives with IN_USE set (a master's open file, as a raw copy holds it) is stored as the
 * master's file holds it once closed: flag clear, CRC by the IN_USE rule; and one whose bytes the typed record
 * would not reproduce is refused instead of being stored differently from the master's.
 */
class InUseFormatDescriptionIsStoredClosedTest {
    @TempDir
    Path dir;

    static List<String> scenarios() {
        return Dump.scenarios();
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void theOpenFilesFlagIsClearedAndTheFileEqualsTheClosedCopy(String scenario) throws Exception {
        byte[] open = Dump.bytes(scenario, Dump.FILE2);
        List<Dump.Positioned> events = Dump.events(open);
        BinlogEvent fde = events.get(0).event();
        assertTrue(fde.hasFlag(EventFlags.BINLOG_IN_USE), "the fixture's second file was copied while open");
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.FSYNC)) {
            a.writer().startFile(Dump.FILE2, 4);
            a.writer().appendFormatDescription(fde).durable().get();
            for (Dump.Positioned p : events.subList(1, events.size())) {
                a.writer().append(p.event());
            }
        }
        byte[] archived = Files.readAllBytes(dir.resolve(Dump.FILE2));
        assertArrayEquals(Dump.archived(open), archived);
        BinlogEvent stored = BinlogEvent.wrap(Arrays.copyOfRange(archived, 4, (int) events.get(0).end()));
        assertFalse(stored.hasFlag(EventFlags.BINLOG_IN_USE));
        assertTrue(FormatDescription.checksumMatches(stored));
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void anFdeTheRecordCannotReproduceIsRefused(String scenario) throws Exception {
        byte[] fde = Dump.events(Dump.bytes(scenario, Dump.FILE2)).get(0).event().toByteArray();
        // a byte after the server version's NUL: the record keeps the version up to the NUL only
        int version = BinlogEvent.HEADER_LENGTH + 2;
        int nul = version;
        while (fde[nul] != 0) {
            nul++;
        }
        fde[nul + 1] = 'x';
        EventChecksum.writeTrailer(fde, 0, fde.length);
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.FSYNC)) {
            a.writer().startFile(Dump.FILE2, 4);
            EventRejectedException e = assertThrows(EventRejectedException.class,
                    () -> a.writer().appendFormatDescription(BinlogEvent.wrap(fde)));
            assertTrue(e.getMessage().contains("does not re-encode"), e.getMessage());
            assertTrue(e.getMessage().contains(new BinlogPosition(Dump.FILE2, 4).toString()), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve(Dump.FILE2)), "nothing was written");
    }
}
