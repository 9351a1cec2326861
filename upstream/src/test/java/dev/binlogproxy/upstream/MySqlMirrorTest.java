package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real MySQL 8.0.15 master (GTID on; binlog_checksum CRC32 and NONE) mirrored by the proxy: every closed file
 * has the master's sha256 and the open one is a byte-identical prefix. The replication user authenticates with
 * caching_sha2_password (MySQL's default), over TLS since the master offers it.
 */
class MySqlMirrorTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"CRC32", "NONE"})
    void mirrorIsByteIdentical(String checksum) throws Exception {
        ServerOptions options = ServerOptions.mysql().gtid(true).binlogChecksum(checksum)
                .maxAllowedPacket(64L << 20).maxBinlogSize(1L << 20).build();
        try (DbServer master = DbServer.start(options);
             BinlogArchive archive = MirrorHarness.archive(dir.resolve("archive"), Durability.FSYNC)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(master, 9002, true), archive,
                    MirrorHarness.metrics())) {
                MariaDbSemiSyncMirrorTest.workload(master);
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
                int files = MirrorHarness.assertByteIdentical(master, dir.resolve("archive"));
                assertTrue(files >= 3, "the workload should rotate: " + files + " files");
            }
        }
    }
}
