package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpstreamIdentityTest {
    @TempDir
    Path dir;

    private final UpstreamIdentity master = Dump.identity(Dump.MYSQL_GTID);

    @Test
    void theFirstMasterIsRecordedAndOthersAreRefused() throws Exception {
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(Optional.empty(), a.identity());
            IllegalStateException noId = assertThrows(IllegalStateException.class,
                    () -> a.writer().startFile(Dump.FILE1, 4));
            assertTrue(noId.getMessage().contains("checkIdentity"), noId.getMessage());
            a.checkIdentity(master);
            a.checkIdentity(master);
        }
        String props = Files.readString(dir.resolve("archive.properties"));
        assertTrue(props.contains("server_uuid=" + master.serverUuid().orElseThrow()), props);
        assertTrue(props.contains("server_id=11") && props.contains("basename=mysql-bin")
                && props.contains("flavor=MYSQL"), props);
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(Optional.of(master), a.identity());
            a.checkIdentity(master);
            UpstreamMismatchException uuid = assertThrows(UpstreamMismatchException.class,
                    () -> a.checkIdentity(UpstreamIdentity.mysql(UUID.randomUUID(), 11, "mysql-bin")));
            assertTrue(uuid.getMessage().contains("server_uuid"), uuid.getMessage());
            UpstreamMismatchException id = assertThrows(UpstreamMismatchException.class,
                    () -> a.checkIdentity(UpstreamIdentity.mysql(master.serverUuid().orElseThrow(), 12, "mysql-bin")));
            assertTrue(id.getMessage().contains("server_id 12, archive holds 11"), id.getMessage());
            assertThrows(UpstreamMismatchException.class, () -> a.checkIdentity(UpstreamIdentity.mariadb(11,
                    "mysql-bin")));
            assertThrows(UpstreamMismatchException.class,
                    () -> a.checkIdentity(UpstreamIdentity.mysql(master.serverUuid().orElseThrow(), 11, "binlog")));
        }
        assertTrue(Files.notExists(dir.resolve("archive.properties.tmp")));
    }

    @Test
    void anotherFlavorsFormatDescriptionIsRefused() throws Exception {
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            a.checkIdentity(master);
            a.writer().startFile(Dump.FILE1, 4);
            byte[] maria = Dump.bytes(Dump.MARIA_CRC, Dump.FILE1);
            EventRejectedException e = assertThrows(EventRejectedException.class,
                    () -> a.writer().appendFormatDescription(Dump.events(maria).get(0).event()));
            assertTrue(e.getMessage().contains("MARIADB"), e.getMessage());
        }
    }

    @Test
    void oneProcessPerDirectory() throws Exception {
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            ArchiveException e = assertThrows(ArchiveException.class, () -> BinlogArchive.open(dir));
            assertTrue(e.getMessage().contains("open in another process"), e.getMessage());
        }
        BinlogArchive.open(dir).close();
    }
}
